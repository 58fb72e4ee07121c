// `ridge train` and `ridge eval`: standalone training on a dataset
// (Fashion-MNIST unless --data and --data_format say otherwise).
#include <chrono>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/output.h"
#include "cli/training.h"
#include "common/status_macros.h"
#include "proto/architecture.h"
#include "supernet/checkpoint.h"
#include "supernet/dataset.h"
#include "supernet/dnnl_context.h"
#include "supernet/network.h"
#include "supernet/soft_labels.h"
#include "supernet/trainer.h"
#include "zoo/zoo.h"

ABSL_FLAG(std::string, save_soft_labels, "",
          "After training, write the network's softened predictions on the whole train split to this file, for "
          "distillation (--distill, or a campaign's distill.soft_labels).");
ABSL_FLAG(float, soft_label_temperature, 4, "With --save_soft_labels: the softmax temperature, in (0, 100].");

namespace ridge::cli {
namespace {

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

// The dataset the flags name, for `arch`: an image folder is resized to its
// input, and its input and classes must fit the data.
// `flag` names where the architecture came from in errors.
absl::StatusOr<nn::Dataset> LoadDataFor(const Architecture& arch, const std::string& arch_name, const std::string& flag,
                                        int64_t train_images, nn::DatasetOptions* options = nullptr) {
  ASSIGN_OR_RETURN(nn::DatasetOptions o, DatasetFlags(train_images, arch.input()));
  ASSIGN_OR_RETURN(nn::Dataset data, WithContext(nn::LoadDataset(o), "--data"));
  RETURN_IF_ERROR(WithContext(nn::CheckInputFits(data, arch.input().height(), arch.input().width(),
                                                 arch.input().channels(), arch.num_classes(), "architecture",
                                                 arch_name),
                              flag));
  if (options != nullptr) *options = o;
  return data;
}

// --save_soft_labels: the trained network's softened predictions on the
// whole train split (all of it, e.g. Fashion-MNIST's 50,000 images, whatever
// --train_images was), so any later run on that split, or a prefix of it,
// can learn from them.
absl::Status SaveSoftLabels(nn::Network* net, const nn::DatasetOptions& trained_on) {
  const std::string path = absl::GetFlag(FLAGS_save_soft_labels);
  if (path.empty()) return absl::OkStatus();
  nn::DatasetOptions all = trained_on;
  all.train_images = 0;
  ASSIGN_OR_RETURN(nn::Dataset data, nn::LoadDataset(all));
  nn::ForwardFn forward = [net](const nn::Tensor& x, const nn::ForwardContext& ctx) { return net->Forward(x, ctx); };
  ASSIGN_OR_RETURN(nn::SoftLabels labels,
                   nn::ComputeSoftLabels(forward, data.train, absl::GetFlag(FLAGS_soft_label_temperature)));
  return WithContext(nn::WriteSoftLabels(path, labels), "--save_soft_labels");
}

// The --save_soft_labels flags, checked before a long training run.
absl::Status CheckSoftLabelFlags() {
  const float t = absl::GetFlag(FLAGS_soft_label_temperature);
  if (!(t > 0 && t <= 100)) {
    return absl::InvalidArgumentError(absl::StrCat("--soft_label_temperature: ", t, " must be in (0, 100]"));
  }
  const std::string path = absl::GetFlag(FLAGS_save_soft_labels);
  if (path.size() > 4096) return absl::InvalidArgumentError("--save_soft_labels: longer than 4096 characters");
  return absl::OkStatus();
}

std::string TrainJson(const Architecture& arch, const TrainingFlags& tf, const EpochsResult& run,
                      const Evaluation& eval) {
  JsonWriter json;
  json.BeginObject();
  json.Key("arch").String(arch.name());
  json.Key("arch_id").String(ArchitectureId(arch));
  json.Key("epochs").Int(tf.epochs);
  json.Key("steps").Int(run.train.steps);
  json.Key("batch").Int(tf.batch);
  json.Key("threads").Int(nn::Threads());
  json.Key("train_loss").Double(run.train.final_loss);
  json.Key("valid_accuracy").Double(eval.valid);
  json.Key("test_accuracy").Double(eval.test);
  json.Key("images_per_sec").Double(run.train.images_per_sec);
  json.Key("steady_images_per_sec").Double(run.train.steady_images_per_sec);
  json.Key("seconds").Double(run.seconds);
  json.EndObject();
  return json.str();
}

std::string TrainTable(const Architecture& arch, const TrainingFlags& tf, const EpochsResult& run,
                       const Evaluation& eval) {
  Table table({"arch", "epochs", "steps", "images_per_sec", "train_loss", "valid_accuracy", "test_accuracy"}, {true});
  table.AddRow({arch.name().empty() ? ArchitectureId(arch) : arch.name(), absl::StrCat(tf.epochs),
                absl::StrCat(run.train.steps), FormatDouble(run.train.images_per_sec),
                FormatDouble(run.train.final_loss), FormatDouble(eval.valid), FormatDouble(eval.test)});
  return table.Render();
}

absl::Status Train(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  ASSIGN_OR_RETURN(TrainingFlags tf, TrainingFlagsFromCommandLine());
  ASSIGN_OR_RETURN(Architecture arch, ResolveArchitecture(absl::GetFlag(FLAGS_arch)));
  RETURN_IF_ERROR(CheckSoftLabelFlags());
  nn::SetThreads(tf.threads);
  nn::DatasetOptions data_options;
  ASSIGN_OR_RETURN(nn::Dataset data,
                   LoadDataFor(arch, absl::GetFlag(FLAGS_arch), "--arch", tf.train_images, &data_options));
  ASSIGN_OR_RETURN(std::optional<nn::SoftLabels> teacher, TeacherFromFlags(tf, data.train));
  ASSIGN_OR_RETURN(std::unique_ptr<nn::Network> net, nn::Network::Create(arch, tf.seed));
  nn::Optimizer optim(&net->params(), OptimizerFromFlags(tf));
  StepLearning learning;
  learning.loss = LossFromFlags(tf, teacher);
  ASSIGN_OR_RETURN(EpochsResult run, RunEpochs(net.get(), &optim, data.train, tf, absl::GetFlag(FLAGS_checkpoint), [&] {
                     return nn::CheckpointHeader{"standalone", CanonicalEncoding(arch),
                                                 absl::StrCat("name=", arch.name()), 0, 0};
                   }, learning));
  Evaluation eval{-1, -1};
  if (absl::GetFlag(FLAGS_evaluate)) {
    ASSIGN_OR_RETURN(eval, EvaluateBoth(net.get(), data));
  }
  RETURN_IF_ERROR(SaveSoftLabels(net.get(), data_options));
  *out = format == "json" ? TrainJson(arch, tf, run, eval) : TrainTable(arch, tf, run, eval);
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
  // Only valid and test are used; the statistics still come from the
  // whole train split, as in training.
  ASSIGN_OR_RETURN(nn::Dataset data, LoadDataFor(arch, ArchitectureId(arch), "--checkpoint", 1));
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
                       "Train an architecture standalone on a dataset (Fashion-MNIST unless --data and "
                       "--data_format say otherwise); report valid and test accuracy.",
                       {"arch", "epochs", "batch", "threads", "seed", "lr", "optimizer", "train_images", "augment",
                        "evaluate", "checkpoint", "data", "data_dir", "data_format", "split_seed", "distill",
                        "distill_alpha", "save_soft_labels", "soft_label_temperature", "format"},
                       0, 0, Train});
  commands->push_back({"eval", "", "Evaluate a standalone checkpoint on the valid and test splits.",
                       {"checkpoint", "threads", "data", "data_dir", "data_format", "split_seed", "format"}, 0, 0,
                       Eval});
}

}  // namespace ridge::cli
