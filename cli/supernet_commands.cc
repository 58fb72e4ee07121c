// `ridge supernet train`: trains the shared weights of a search space on
// uniformly sampled subnets, then scores a few subnets by proxy accuracy
// (valid split, after BN recalibration).
#include <random>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/output.h"
#include "cli/training.h"
#include "common/status_macros.h"
#include "latency/costing.h"
#include "proto/architecture.h"
#include "proto/space.h"
#include "proto/textproto.h"
#include "supernet/dnnl_context.h"
#include "supernet/supernet.h"
#include "zoo/zoo.h"

namespace ridge::cli {
namespace {

struct Scored {
  std::string label;
  Architecture arch;
  int64_t macs = 0, params = 0;
  double proxy_accuracy = 0;
};

absl::StatusOr<Scored> Score(nn::Supernet* net, const nn::Dataset& data, const std::string& label,
                             const SpaceChoice& choice) {
  Scored s;
  s.label = label;
  RETURN_IF_ERROR(net->Select(choice));
  s.arch = net->selected();
  RETURN_IF_ERROR(net->RecalibrateBatchNorm(data.train, 512));
  nn::ForwardFn f = [net](const nn::Tensor& x, const nn::ForwardContext& ctx) { return net->Forward(x, ctx); };
  ASSIGN_OR_RETURN(s.proxy_accuracy, nn::Evaluate(f, data.valid));
  ASSIGN_OR_RETURN(NetworkCost cost, CostArchitecture(s.arch));
  s.macs = cost.macs, s.params = cost.params;
  return s;
}

// The largest, smallest and reference subnets, then `samples` random ones.
absl::StatusOr<std::vector<Scored>> ScoreSubnets(nn::Supernet* net, const nn::Dataset& data, const SearchSpace& space,
                                                 int samples, uint32_t seed) {
  std::vector<Scored> scored;
  ASSIGN_OR_RETURN(Scored largest, Score(net, data, "largest", LargestChoice(space)));
  scored.push_back(largest);
  ASSIGN_OR_RETURN(Scored smallest, Score(net, data, "smallest", SmallestChoice(space)));
  scored.push_back(smallest);
  for (const Architecture& reference : space.references()) {
    ASSIGN_OR_RETURN(SpaceChoice c, MatchArchitecture(space, reference));
    ASSIGN_OR_RETURN(Scored s, Score(net, data, reference.name(), c));
    scored.push_back(s);
  }
  std::mt19937_64 eval_rng(seed + 1000);
  for (int i = 0; i < samples; ++i) {
    ASSIGN_OR_RETURN(Scored s, Score(net, data, absl::StrCat("sample_", i), SampleUniform(space, eval_rng)));
    scored.push_back(s);
  }
  return scored;
}

std::string ScoredJson(const SearchSpace& space, const TrainingFlags& tf, const EpochsResult& run,
                       const std::vector<Scored>& scored) {
  JsonWriter json;
  json.BeginObject();
  json.Key("space").String(space.name());
  json.Key("epochs").Int(tf.epochs);
  json.Key("steps").Int(run.train.steps);
  json.Key("train_loss").Double(run.train.final_loss);
  json.Key("images_per_sec").Double(run.train.images_per_sec);
  json.Key("seconds").Double(run.seconds);
  json.Key("subnets").BeginArray();
  for (const Scored& s : scored) {
    json.BeginObject();
    json.Key("label").String(s.label);
    json.Key("arch_id").String(ArchitectureId(s.arch));
    json.Key("macs").Int(s.macs);
    json.Key("params").Int(s.params);
    json.Key("proxy_accuracy").Double(s.proxy_accuracy);
    json.Key("canonical").String(CanonicalEncoding(s.arch));
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  return json.str();
}

std::string ScoredTable(const SearchSpace& space, const EpochsResult& run, const std::vector<Scored>& scored) {
  Table table({"subnet", "arch_id", "macs", "params", "proxy_accuracy"}, {true, true});
  for (const Scored& s : scored) {
    table.AddRow({s.label, ArchitectureId(s.arch), absl::StrCat(s.macs), absl::StrCat(s.params),
                  FormatDouble(s.proxy_accuracy)});
  }
  return absl::StrCat(table.Render(), "\nsupernet of ", space.name(), ": ", run.train.steps, " steps, ",
                      FormatDouble(run.train.images_per_sec), " img/s; proxy accuracy is on the valid split after BN "
                      "recalibration on 512 training images\n");
}

absl::Status SupernetTrain(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  ASSIGN_OR_RETURN(TrainingFlags tf, TrainingFlagsFromCommandLine());
  const int samples = absl::GetFlag(FLAGS_samples);
  if (samples < 0 || samples > 100) {
    return absl::InvalidArgumentError(absl::StrCat("--samples: ", samples, " must be in [0, 100]"));
  }
  ASSIGN_OR_RETURN(SearchSpace space, ResolveSearchSpace(absl::GetFlag(FLAGS_space)));
  if (space.input().height() != 28 || space.input().channels() != 1 || space.num_classes() != 10) {
    return absl::InvalidArgumentError("--space: Fashion-MNIST needs input 28x28x1 and 10 classes");
  }
  nn::SetThreads(tf.threads);
  nn::DatasetOptions data_options;
  data_options.dir = absl::GetFlag(FLAGS_data_dir);
  data_options.train_images = tf.train_images;
  ASSIGN_OR_RETURN(nn::Dataset data, nn::LoadFashionMnist(data_options));
  ASSIGN_OR_RETURN(std::unique_ptr<nn::Supernet> net, nn::Supernet::Create(space, tf.seed));
  // Uniform sampling of every decision at every step (the supernet warmup of TuNAS).
  std::mt19937_64 rng(tf.seed);
  net->SetSampler([&](int64_t) { return SampleUniform(space, rng); });
  nn::Optimizer optim(&net->params(), OptimizerFromFlags(tf));
  ASSIGN_OR_RETURN(EpochsResult run, RunEpochs(net.get(), &optim, data.train, tf, absl::GetFlag(FLAGS_checkpoint), [&] {
                     return nn::CheckpointHeader{"supernet", ToTextProto(space), "", 0, 0};
                   }));
  net->SetSampler(nullptr);
  ASSIGN_OR_RETURN(std::vector<Scored> scored, ScoreSubnets(net.get(), data, space, samples, tf.seed));
  *out = format == "json" ? ScoredJson(space, tf, run, scored) : ScoredTable(space, run, scored);
  return absl::OkStatus();
}

}  // namespace

void AddSupernetCommands(std::vector<Command>* commands) {
  commands->push_back({"supernet train", "",
                       "Train a space's shared weights on uniformly sampled subnets, then score a few subnets.",
                       {"space", "epochs", "batch", "threads", "seed", "lr", "optimizer", "train_images", "augment",
                        "samples", "checkpoint", "data_dir", "format"},
                       0, 0, SupernetTrain});
}

}  // namespace ridge::cli
