// The epoch loop shared by `ridge train` and `ridge supernet train`: progress
// display, one checkpoint after every epoch, and the throughput measured over
// the training steps only.
#ifndef RIDGE_CLI_TRAINING_H_
#define RIDGE_CLI_TRAINING_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "cli/flags.h"
#include "supernet/checkpoint.h"
#include "supernet/dataset.h"
#include "supernet/optimizer.h"
#include "supernet/trainer.h"

namespace ridge::cli {

struct EpochsResult {
  nn::TrainResult train;
  double seconds = 0;
};

// Trains `model` for flags.epochs epochs. If `checkpoint_path` is not empty,
// writes a checkpoint after each epoch with the header `make_header` returns.
absl::StatusOr<EpochsResult> RunEpochs(nn::Trainable* model, nn::Optimizer* optimizer, const nn::Split& train,
                                       const TrainingFlags& flags, const std::string& checkpoint_path,
                                       const std::function<nn::CheckpointHeader()>& make_header);

// The optimizer the flags ask for.
nn::OptimizerOptions OptimizerFromFlags(const TrainingFlags& flags);

}  // namespace ridge::cli

#endif  // RIDGE_CLI_TRAINING_H_
