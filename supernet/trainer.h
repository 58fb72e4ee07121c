// Standalone training and evaluation on Fashion-MNIST splits.
#ifndef RIDGE_SUPERNET_TRAINER_H_
#define RIDGE_SUPERNET_TRAINER_H_

#include <functional>

#include "absl/status/statusor.h"
#include "supernet/dataset.h"
#include "supernet/modules.h"
#include "supernet/network.h"
#include "supernet/optimizer.h"
#include "supernet/weight_update.h"

namespace ridge::nn {

struct TrainProgress {
  int64_t step = 0, total_steps = 0;
  int64_t epoch = 0;
  double loss = 0;  // Running mean of recent steps.
  double learning_rate = 0;
  double images_per_sec = 0;
  double eta_sec = 0;
};

struct TrainOptions {
  int64_t epochs = 10;
  int64_t batch_size = 128;
  // Peak learning rate of the cosine schedule.
  double learning_rate = 0.1;
  // Linear warmup, as a fraction of all steps.
  double warmup_fraction = 0.03;
  bool augment = true;
  uint64_t seed = 1;
  // Stops after this many steps if > 0 (tests); the schedule still spans epochs.
  int64_t max_steps = 0;
  // Steps already done (resuming from a checkpoint).
  int64_t start_step = 0;
  // What the weights learn from (labels, or a teacher's soft labels too).
  LossOptions loss;
  // When set, computes each step's gradients instead (e.g. the sandwich
  // rule), given the batch and the step; returns the loss to report.
  std::function<absl::StatusOr<float>(const Batch& batch, int64_t step)> gradients;
  // Asked before every step; true ends training with CANCELLED.
  std::function<bool()> should_stop;
  // Called every `progress_every` steps and at the end.
  std::function<void(const TrainProgress&)> progress;
  int64_t progress_every = 20;
};

// Steps a steady-state throughput leaves out: the first ones create oneDNN's
// primitives and touch fresh buffers. bench/train_throughput.py warms PyTorch
// up for as many steps, so both are timed alike.
constexpr int64_t kUntimedSteps = 5;

struct TrainResult {
  int64_t steps = 0;
  double images_per_sec = 0;  // Over every step.
  double steady_images_per_sec = 0;  // After kUntimedSteps; 0 if no step came after.
  double untimed_seconds = 0;        // The first kUntimedSteps steps (all, if fewer).
  double final_loss = 0;
};

// Images per second over the steps after the first kUntimedSteps, given the
// run's total seconds and the seconds those first steps took; 0 if no step
// came after them.
double SteadyImagesPerSec(int64_t steps, int64_t batch_size, double seconds, double untimed_seconds);

// Trains `net` on `train` with `optimizer` (which must wrap net->params()),
// calling net->BeforeStep before every step.
absl::StatusOr<TrainResult> Train(Trainable* net, Optimizer* optimizer, const Split& train, const TrainOptions& options);

// Top-1 accuracy of `forward` (inference mode) on `split`, in batches. The
// default is the default training batch: layers keep their largest buffers,
// so a larger evaluation batch grows them. 500 doubled the peak memory of
// `ridge train` (1.26 GB against 585 MB) and of `ridge search` (3.2 against
// 1.7 GB), for no gain in speed.
absl::StatusOr<double> Evaluate(const ForwardFn& forward, const Split& split, int64_t batch_size = 128);

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_TRAINER_H_
