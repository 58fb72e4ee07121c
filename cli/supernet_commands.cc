// `ridge supernet train`: trains the shared weights of a search space on
// uniformly sampled subnets (or by the sandwich rule, optionally from a
// teacher's soft labels), then scores subnets by proxy accuracy (valid split,
// after BN recalibration on 512 training images, as fronts are scored).
// `ridge supernet eval` scores subnets of a saved supernet again.
#include <optional>
#include <random>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/output.h"
#include "cli/training.h"
#include "search/campaign_run.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "latency/costing.h"
#include "proto/architecture.h"
#include "proto/space.h"
#include "proto/textproto.h"
#include "supernet/dnnl_context.h"
#include "supernet/proxy.h"
#include "supernet/soft_labels.h"
#include "supernet/supernet.h"
#include "supernet/weight_update.h"
#include "zoo/zoo.h"

ABSL_FLAG(bool, sandwich, false,
          "Train by the sandwich rule (BigNAS): each step the largest subnet on the labels, then the smallest and "
          "--sandwich_samples random ones on the largest's predictions.");
ABSL_FLAG(int, sandwich_samples, 2, "With --sandwich: random subnets per step besides the largest and smallest.");
ABSL_FLAG(std::string, archs, "",
          "Also score these architectures: a file of canonical encodings, one per line (# starts a comment), e.g. "
          "from `ridge space sample --format=csv`.");

ABSL_FLAG(int, finetune_steps, 0,
          "Proxy accuracy after fine-tuning each scored subnet this many SGD steps from its shared weights (a copy); "
          "0: none.");
ABSL_FLAG(double, finetune_lr, 0.02, "With --finetune_steps: the fine-tuning learning rate.");
ABSL_FLAG(int, recalibration_images, 512, "Training images each scored subnet's BN statistics are re-estimated on.");

namespace ridge::cli {
namespace {

// How scored subnets are measured, from the flags.
absl::StatusOr<nn::ProxyOptions> ProxyFromFlags(uint32_t seed) {
  nn::ProxyOptions o;
  o.recalibration_images = absl::GetFlag(FLAGS_recalibration_images);
  o.finetune_steps = absl::GetFlag(FLAGS_finetune_steps);
  o.finetune_learning_rate = absl::GetFlag(FLAGS_finetune_lr);
  o.seed = seed;
  if (o.recalibration_images < 1 || o.recalibration_images > 50000) {
    return absl::InvalidArgumentError(
        absl::StrCat("--recalibration_images: ", o.recalibration_images, " must be in [1, 50000]"));
  }
  if (o.finetune_steps < 0 || o.finetune_steps > 100000) {
    return absl::InvalidArgumentError(absl::StrCat("--finetune_steps: ", o.finetune_steps, " must be in [0, 100000]"));
  }
  if (!(o.finetune_learning_rate > 0 && o.finetune_learning_rate < 10)) {
    return absl::InvalidArgumentError(absl::StrCat("--finetune_lr: ", o.finetune_learning_rate, " must be in (0, 10)"));
  }
  return o;
}

struct Scored {
  std::string label;
  Architecture arch;
  int64_t macs = 0, params = 0;
  double proxy_accuracy = 0;
};

absl::StatusOr<Scored> Score(nn::Supernet* net, const nn::Dataset& data, const std::string& label,
                             const SpaceChoice& choice, const nn::ProxyOptions& proxy) {
  Scored s;
  s.label = label;
  RETURN_IF_ERROR(net->Select(choice));
  s.arch = net->selected();
  ASSIGN_OR_RETURN(s.proxy_accuracy, nn::ProxyAccuracy(net, data.train, data.valid, proxy));
  ASSIGN_OR_RETURN(NetworkCost cost, CostArchitecture(s.arch));
  s.macs = cost.macs, s.params = cost.params;
  return s;
}

// The architectures --archs lists, as choices of `space`; errors name the line.
absl::StatusOr<std::vector<std::pair<std::string, SpaceChoice>>> ArchsFromFlag(const SearchSpace& space) {
  std::vector<std::pair<std::string, SpaceChoice>> out;
  const std::string path = absl::GetFlag(FLAGS_archs);
  if (path.empty()) return out;
  ASSIGN_OR_RETURN(std::string text, WithContext(ReadFileToString(path, 16 << 20), "--archs"));
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const std::string where = absl::StrCat("--archs: ", path, ":", line_number);
    ASSIGN_OR_RETURN(Architecture arch, WithContext(ParseCanonicalEncoding(std::string(line)), where));
    ASSIGN_OR_RETURN(SpaceChoice c, WithContext(MatchArchitecture(space, arch), where));
    out.emplace_back(ArchitectureId(arch), c);
    if (out.size() > 10000) return absl::InvalidArgumentError(absl::StrCat(where, ": more than 10000 architectures"));
  }
  return out;
}

// The largest, smallest and reference subnets, then `samples` random ones,
// then those of --archs.
absl::StatusOr<std::vector<Scored>> ScoreSubnets(nn::Supernet* net, const nn::Dataset& data, const SearchSpace& space,
                                                 int samples, uint32_t seed) {
  ASSIGN_OR_RETURN(auto listed, ArchsFromFlag(space));
  ASSIGN_OR_RETURN(const nn::ProxyOptions proxy, ProxyFromFlags(seed));
  std::vector<Scored> scored;
  ASSIGN_OR_RETURN(Scored largest, Score(net, data, "largest", LargestChoice(space), proxy));
  scored.push_back(largest);
  ASSIGN_OR_RETURN(Scored smallest, Score(net, data, "smallest", SmallestChoice(space), proxy));
  scored.push_back(smallest);
  for (const Architecture& reference : space.references()) {
    ASSIGN_OR_RETURN(SpaceChoice c, MatchArchitecture(space, reference));
    ASSIGN_OR_RETURN(Scored s, Score(net, data, reference.name(), c, proxy));
    scored.push_back(s);
  }
  std::mt19937_64 eval_rng(seed + 1000);
  for (int i = 0; i < samples; ++i) {
    ASSIGN_OR_RETURN(Scored s, Score(net, data, absl::StrCat("sample_", i), SampleUniform(space, eval_rng), proxy));
    scored.push_back(s);
  }
  for (const auto& [id, choice] : listed) {
    ASSIGN_OR_RETURN(Scored s, Score(net, data, "listed", choice, proxy));
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

// How the shared weights learn each step: one uniform subnet (TuNAS's
// supernet warmup), or the sandwich rule; from the labels and --distill.
absl::StatusOr<StepLearning> SupernetLearning(nn::Supernet* net, const SearchSpace& space,
                                              const std::optional<nn::SoftLabels>& teacher, const TrainingFlags& tf,
                                              std::mt19937_64* rng) {
  StepLearning learning;
  learning.loss = LossFromFlags(tf, teacher);
  if (!absl::GetFlag(FLAGS_sandwich)) {
    net->SetSampler([&space, rng](int64_t) { return SampleUniform(space, *rng); });
    return learning;
  }
  const int n = absl::GetFlag(FLAGS_sandwich_samples);
  if (n < 0 || n > 16) return absl::InvalidArgumentError(absl::StrCat("--sandwich_samples: ", n, " must be in [0, 16]"));
  learning.gradients = [net, &space, rng, n, loss = learning.loss](const nn::Batch& batch, int64_t) {
    std::vector<SpaceChoice> others;
    for (int i = 0; i < n; ++i) others.push_back(SampleUniform(space, *rng));
    return nn::SandwichGradients(net, batch, LargestChoice(space), SmallestChoice(space), others, loss);
  };
  return learning;
}

// The dataset the flags name, for `space`: an image folder is resized to
// its input. With `fit`, a space declared at another shape than the data's
// (proxylessnas_mobile at 224x224x3 on Fashion-MNIST) is trained at the
// data's; without, the space must fit the data as it is (a checkpoint's).
absl::StatusOr<nn::Dataset> LoadData(const TrainingFlags& tf, SearchSpace* space, const std::string& flag, bool fit) {
  ASSIGN_OR_RETURN(nn::DatasetOptions o, DatasetFlags(tf.train_images, space->input()));
  ASSIGN_OR_RETURN(nn::Dataset data, WithContext(nn::LoadDataset(o), "--data"));
  if (!fit) {
    RETURN_IF_ERROR(WithContext(nn::CheckInputFits(data, space->input().height(), space->input().width(),
                                                   space->input().channels(), space->num_classes(), "space",
                                                   space->name()),
                                flag));
    return data;
  }
  ASSIGN_OR_RETURN(bool reshaped, WithContext(search::FitSpaceToData(data, space), flag));
  if (reshaped) {
    Log(Component::kCli)->info("space {} trained at the dataset's {}x{}x{} with {} classes", space->name(),
                               data.train.height, data.train.width, data.train.channels, data.num_classes);
  }
  return data;
}

absl::Status SupernetTrain(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  ASSIGN_OR_RETURN(TrainingFlags tf, TrainingFlagsFromCommandLine());
  const int samples = absl::GetFlag(FLAGS_samples);
  if (samples < 0 || samples > 100) {
    return absl::InvalidArgumentError(absl::StrCat("--samples: ", samples, " must be in [0, 100]"));
  }
  ASSIGN_OR_RETURN(SearchSpace space, ResolveSearchSpace(absl::GetFlag(FLAGS_space)));
  nn::SetThreads(tf.threads);
  ASSIGN_OR_RETURN(nn::Dataset data, LoadData(tf, &space, "--space", /*fit=*/true));
  ASSIGN_OR_RETURN(std::optional<nn::SoftLabels> teacher, TeacherFromFlags(tf, data.train));
  ASSIGN_OR_RETURN(std::unique_ptr<nn::Supernet> net, nn::Supernet::Create(space, tf.seed));
  std::mt19937_64 rng(tf.seed);
  ASSIGN_OR_RETURN(StepLearning learning, SupernetLearning(net.get(), space, teacher, tf, &rng));
  nn::Optimizer optim(&net->params(), OptimizerFromFlags(tf));
  ASSIGN_OR_RETURN(EpochsResult run, RunEpochs(net.get(), &optim, data.train, tf, absl::GetFlag(FLAGS_checkpoint), [&] {
                     return nn::CheckpointHeader{"supernet", ToTextProto(space), "", 0, 0};
                   }, learning));
  net->SetSampler(nullptr);
  ASSIGN_OR_RETURN(std::vector<Scored> scored, ScoreSubnets(net.get(), data, space, samples, tf.seed));
  *out = format == "json" ? ScoredJson(space, tf, run, scored) : ScoredTable(space, run, scored);
  return absl::OkStatus();
}

// `ridge supernet eval`: the subnets of a supernet checkpoint, scored again.
absl::Status SupernetEval(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  ASSIGN_OR_RETURN(TrainingFlags tf, TrainingFlagsFromCommandLine());
  const std::string path = absl::GetFlag(FLAGS_checkpoint);
  if (path.empty()) return absl::InvalidArgumentError("--checkpoint: must be given");
  ASSIGN_OR_RETURN(nn::CheckpointHeader header, nn::ReadCheckpointHeader(path));
  if (header.kind != "supernet") {
    return absl::InvalidArgumentError(absl::StrCat(path, ": a '", header.kind,
                                                   "' checkpoint; `ridge supernet eval` reads supernet ones"));
  }
  const int samples = absl::GetFlag(FLAGS_samples);
  if (samples < 0 || samples > 100) {
    return absl::InvalidArgumentError(absl::StrCat("--samples: ", samples, " must be in [0, 100]"));
  }
  SearchSpace space;
  RETURN_IF_ERROR(WithContext(ParseTextProto(header.spec, path, &space), "the checkpoint's space"));
  nn::SetThreads(tf.threads);
  ASSIGN_OR_RETURN(nn::Dataset data, LoadData(tf, &space, "--checkpoint", /*fit=*/false));
  ASSIGN_OR_RETURN(std::unique_ptr<nn::Supernet> net, nn::Supernet::Create(space, tf.seed));
  RETURN_IF_ERROR(nn::ReadCheckpoint(path, &net->params(), nullptr).status());
  ASSIGN_OR_RETURN(std::vector<Scored> scored,
                   ScoreSubnets(net.get(), data, space, samples, tf.seed));
  EpochsResult none;
  *out = format == "json" ? ScoredJson(space, tf, none, scored) : ScoredTable(space, none, scored);
  return absl::OkStatus();
}

}  // namespace

void AddSupernetCommands(std::vector<Command>* commands) {
  commands->push_back({"supernet train", "",
                       "Train a space's shared weights (uniform subnets, or --sandwich; --distill from a teacher), "
                       "then score subnets by proxy accuracy.",
                       {"space", "epochs", "batch", "threads", "seed", "lr", "optimizer", "train_images", "augment",
                        "samples", "checkpoint", "data", "data_dir", "data_format", "split_seed", "sandwich",
                        "sandwich_samples", "distill", "distill_alpha", "archs", "finetune_steps", "finetune_lr",
                        "recalibration_images", "format"},
                       0, 0, SupernetTrain});
  commands->push_back({"supernet eval", "",
                       "Score subnets of a `supernet train` checkpoint: largest, smallest, references, --samples "
                       "random ones and --archs.",
                       {"checkpoint", "samples", "archs", "threads", "seed", "train_images", "data", "data_dir",
                        "data_format", "split_seed", "finetune_steps", "finetune_lr", "recalibration_images", "format"},
                       0, 0,
                       SupernetEval});
}

}  // namespace ridge::cli
