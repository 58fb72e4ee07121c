// The epoch loop shared by `ridge train` and `ridge supernet train`: progress
// display, one checkpoint after every epoch, and the throughput measured over
// the training steps only.
#ifndef RIDGE_CLI_TRAINING_H_
#define RIDGE_CLI_TRAINING_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cli/flags.h"
#include "supernet/checkpoint.h"
#include "supernet/dataset.h"
#include "supernet/optimizer.h"
#include "supernet/soft_labels.h"
#include "supernet/trainer.h"

namespace ridge::cli {

struct EpochsResult {
  nn::TrainResult train;
  double seconds = 0;
};

// What a training step learns from: the labels, the --distill teacher, or
// (for a supernet) a gradients function such as the sandwich rule.
struct StepLearning {
  nn::LossOptions loss;
  std::function<absl::StatusOr<float>(const nn::Batch&, int64_t)> gradients;
};

// Trains `model` for flags.epochs epochs. If `checkpoint_path` is not empty,
// writes a checkpoint after each epoch with the header `make_header` returns.
absl::StatusOr<EpochsResult> RunEpochs(nn::Trainable* model, nn::Optimizer* optimizer, const nn::Split& train,
                                       const TrainingFlags& flags, const std::string& checkpoint_path,
                                       const std::function<nn::CheckpointHeader()>& make_header,
                                       const StepLearning& learning = {});

// The --distill teacher for `train`, or nullopt without --distill. Errors name
// the flag.
absl::StatusOr<std::optional<nn::SoftLabels>> TeacherFromFlags(const TrainingFlags& flags, const nn::Split& train);

// The labels, plus `teacher` at --distill_alpha if there is one.
// REQUIRES: `teacher` outlives the result.
nn::LossOptions LossFromFlags(const TrainingFlags& flags, const std::optional<nn::SoftLabels>& teacher);

// The optimizer the flags ask for.
nn::OptimizerOptions OptimizerFromFlags(const TrainingFlags& flags);

}  // namespace ridge::cli

#endif  // RIDGE_CLI_TRAINING_H_
