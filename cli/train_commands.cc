// `ridge train` and `ridge eval`: standalone training on Fashion-MNIST.
#include <chrono>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "common/status_macros.h"
#include "proto/architecture.h"
#include "supernet/checkpoint.h"
#include "supernet/dataset.h"
#include "supernet/dnnl_context.h"
#include "supernet/network.h"
#include "supernet/trainer.h"
#include "zoo/zoo.h"

ABSL_FLAG(int, epochs, 10, "Training epochs.");
ABSL_FLAG(int, batch, 128, "Images per training batch.");
ABSL_FLAG(int, threads, 0, "oneDNN threads; 0 means all cores.");
ABSL_FLAG(int64_t, seed, 1, "Seed of weights, shuffling and augmentation.");
ABSL_FLAG(double, lr, 0.1, "Peak learning rate (cosine schedule with linear warmup).");
ABSL_FLAG(std::string, optimizer, "sgd", "sgd (Nesterov momentum) or rmsprop.");
ABSL_FLAG(int, train_images, 50000, "Training images used (the train split has 50000).");
ABSL_FLAG(bool, augment, true, "Random crop with padding and horizontal flip.");
ABSL_FLAG(bool, evaluate, true, "Evaluate on the valid and test splits after training.");
ABSL_FLAG(std::string, checkpoint, "", "Checkpoint file: written after every epoch (train), read (eval).");
ABSL_FLAG(std::string, data_dir, ridge::nn::kFashionMnistDir, "Directory of the Fashion-MNIST IDX files.");

namespace ridge::cli {
namespace {

absl::Status CheckRange(absl::string_view flag, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi) return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", v, " must be in [", lo, ", ", hi, "]"));
  return absl::OkStatus();
}

struct Evaluation {
  double valid = 0, test = 0;
};

absl::StatusOr<Evaluation> EvaluateBoth(nn::Network* net, const nn::Dataset& data) {
  nn::ForwardFn forward = [net](const nn::Tensor& x, const nn::ForwardContext& ctx) { return net->Forward(x, ctx); };
  Evaluation e;
  ASSIGN_OR_RETURN(e.valid, nn::Evaluate(forward, data.valid));
  ASSIGN_OR_RETURN(e.test, nn::Evaluate(forward, data.test));
  return e;
}

absl::Status Train(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  const int epochs = absl::GetFlag(FLAGS_epochs), batch = absl::GetFlag(FLAGS_batch);
  const int threads = absl::GetFlag(FLAGS_threads), train_images = absl::GetFlag(FLAGS_train_images);
  RETURN_IF_ERROR(CheckRange("epochs", epochs, 1, 1000));
  RETURN_IF_ERROR(CheckRange("batch", batch, 1, 4096));
  RETURN_IF_ERROR(CheckRange("threads", threads, 0, 1024));
  RETURN_IF_ERROR(CheckRange("train_images", train_images, batch, 50000));
  const double lr = absl::GetFlag(FLAGS_lr);
  if (!(lr > 0 && lr < 100)) return absl::InvalidArgumentError(absl::StrCat("--lr: ", lr, " must be in (0, 100)"));
  const std::string optimizer = absl::GetFlag(FLAGS_optimizer);
  if (optimizer != "sgd" && optimizer != "rmsprop") {
    return absl::InvalidArgumentError(absl::StrCat("--optimizer: '", optimizer, "' is not one of {sgd, rmsprop}"));
  }
  ASSIGN_OR_RETURN(Architecture arch, ResolveArchitecture(absl::GetFlag(FLAGS_arch)));
  if (arch.input().height() != 28 || arch.input().width() != 28 || arch.input().channels() != 1 ||
      arch.num_classes() != 10) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--arch: Fashion-MNIST needs input 28x28x1 and 10 classes; '", absl::GetFlag(FLAGS_arch), "' has ",
        arch.input().height(), "x", arch.input().width(), "x", arch.input().channels(), " and ",
        arch.num_classes(), " classes"));
  }
  nn::SetThreads(threads);
  nn::DatasetOptions data_options;
  data_options.dir = absl::GetFlag(FLAGS_data_dir);
  data_options.train_images = train_images;
  ASSIGN_OR_RETURN(nn::Dataset data, nn::LoadFashionMnist(data_options));
  const uint32_t seed = static_cast<uint32_t>(absl::GetFlag(FLAGS_seed));
  ASSIGN_OR_RETURN(std::unique_ptr<nn::Network> net, nn::Network::Create(arch, seed));
  nn::OptimizerOptions opt;
  opt.kind = optimizer == "sgd" ? nn::OptimizerKind::kSgdNesterov : nn::OptimizerKind::kRmsProp;
  nn::Optimizer optim(&net->params(), opt);

  Progress progress;
  nn::TrainOptions t;
  t.epochs = epochs, t.batch_size = batch, t.learning_rate = lr, t.augment = absl::GetFlag(FLAGS_augment);
  t.seed = seed;
  t.progress_every = progress.tty() ? 5 : 100;
  t.progress = [&](const nn::TrainProgress& p) {
    progress.Update(p.step, p.total_steps,
                    absl::StrFormat("epoch %d/%d loss %.4f lr %.4f %.0f img/s ETA %s", p.epoch + 1, epochs, p.loss,
                                    p.learning_rate, p.images_per_sec, FormatSeconds(p.eta_sec)));
  };
  const std::string checkpoint = absl::GetFlag(FLAGS_checkpoint);
  const auto start = std::chrono::steady_clock::now();
  nn::TrainResult result;
  const int64_t per_epoch = train_images / batch;
  for (int e = 0; e < epochs; ++e) {
    // One epoch at a time so a checkpoint follows each; the schedule spans all.
    t.start_step = e * per_epoch;
    t.max_steps = per_epoch;
    t.seed = seed + e;
    ASSIGN_OR_RETURN(nn::TrainResult r, nn::Train(net.get(), &optim, data.train, t));
    result.steps += r.steps;
    result.final_loss = r.final_loss;
    if (!checkpoint.empty()) {
      nn::CheckpointHeader header{"standalone", CanonicalEncoding(arch), absl::StrCat("name=", arch.name()),
                                  (e + 1) * per_epoch, e + 1};
      RETURN_IF_ERROR(nn::WriteCheckpoint(checkpoint, header, net->params(), &optim));
    }
  }
  progress.Finish();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.images_per_sec = result.steps * batch / seconds;
  Evaluation eval{-1, -1};
  if (absl::GetFlag(FLAGS_evaluate)) {
    ASSIGN_OR_RETURN(eval, EvaluateBoth(net.get(), data));
  }
  if (format == "json") {
    JsonWriter json;
    json.BeginObject();
    json.Key("arch").String(arch.name());
    json.Key("arch_id").String(ArchitectureId(arch));
    json.Key("epochs").Int(epochs);
    json.Key("steps").Int(result.steps);
    json.Key("batch").Int(batch);
    json.Key("threads").Int(nn::Threads());
    json.Key("train_loss").Double(result.final_loss);
    json.Key("valid_accuracy").Double(eval.valid);
    json.Key("test_accuracy").Double(eval.test);
    json.Key("images_per_sec").Double(result.images_per_sec);
    json.Key("seconds").Double(seconds);
    json.EndObject();
    *out = json.str();
  } else {
    Table table({"arch", "epochs", "steps", "images_per_sec", "train_loss", "valid_accuracy", "test_accuracy"},
                {true});
    table.AddRow({arch.name().empty() ? ArchitectureId(arch) : arch.name(), absl::StrCat(epochs),
                  absl::StrCat(result.steps), FormatDouble(result.images_per_sec), FormatDouble(result.final_loss),
                  FormatDouble(eval.valid), FormatDouble(eval.test)});
    *out = table.Render();
  }
  return absl::OkStatus();
}

absl::Status Eval(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  const std::string path = absl::GetFlag(FLAGS_checkpoint);
  if (path.empty()) return absl::InvalidArgumentError("--checkpoint: must be given");
  ASSIGN_OR_RETURN(nn::CheckpointHeader header, nn::ReadCheckpointHeader(path));
  if (header.kind != "standalone") {
    return absl::InvalidArgumentError(absl::StrCat(path, ": a '", header.kind,
                                                   "' checkpoint; `ridge eval` reads standalone ones"));
  }
  ASSIGN_OR_RETURN(Architecture arch, ParseCanonicalEncoding(header.spec));
  ASSIGN_OR_RETURN(std::unique_ptr<nn::Network> net, nn::Network::Create(arch, 0));
  RETURN_IF_ERROR(nn::ReadCheckpoint(path, &net->params(), nullptr).status());
  nn::SetThreads(absl::GetFlag(FLAGS_threads));
  nn::DatasetOptions data_options;
  data_options.dir = absl::GetFlag(FLAGS_data_dir);
  data_options.train_images = 1;  // Only valid and test are used.
  ASSIGN_OR_RETURN(nn::Dataset data, nn::LoadFashionMnist(data_options));
  ASSIGN_OR_RETURN(Evaluation eval, EvaluateBoth(net.get(), data));
  if (format == "json") {
    JsonWriter json;
    json.BeginObject();
    json.Key("checkpoint").String(path);
    json.Key("arch_id").String(ArchitectureId(arch));
    json.Key("epoch").Int(header.epoch);
    json.Key("step").Int(header.step);
    json.Key("valid_accuracy").Double(eval.valid);
    json.Key("test_accuracy").Double(eval.test);
    json.EndObject();
    *out = json.str();
  } else {
    Table table({"checkpoint", "arch_id", "epoch", "valid_accuracy", "test_accuracy"}, {true});
    table.AddRow({path, ArchitectureId(arch), absl::StrCat(header.epoch), FormatDouble(eval.valid),
                  FormatDouble(eval.test)});
    *out = table.Render();
  }
  return absl::OkStatus();
}

}  // namespace

void AddTrainCommands(std::vector<Command>* commands) {
  commands->push_back({"train", "",
                       "Train an architecture standalone on Fashion-MNIST; report valid and test accuracy.",
                       {"arch", "epochs", "batch", "threads", "seed", "lr", "optimizer", "train_images", "augment",
                        "evaluate", "checkpoint", "data_dir", "format"},
                       0, 0, Train});
  commands->push_back({"eval", "", "Evaluate a standalone checkpoint on the valid and test splits.",
                       {"checkpoint", "threads", "data_dir", "format"}, 0, 0, Eval});
}

}  // namespace ridge::cli
