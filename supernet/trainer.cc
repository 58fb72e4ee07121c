#include "supernet/trainer.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "supernet/batcher.h"

namespace ridge::nn {

double SteadyImagesPerSec(int64_t steps, int64_t batch_size, double seconds, double untimed_seconds) {
  if (steps <= kUntimedSteps) return 0;
  return (steps - kUntimedSteps) * batch_size / std::max(seconds - untimed_seconds, 1e-9);
}

absl::StatusOr<TrainResult> Train(Trainable* net, Optimizer* optimizer, const Split& train, const TrainOptions& o) {
  if (o.batch_size < 1 || o.batch_size > train.count) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch: ", o.batch_size, " must be in [1, ", train.count, "] (the training images)"));
  }
  Batcher batcher(train, {o.batch_size, o.augment, o.seed});
  const int64_t total = o.epochs * batcher.batches_per_epoch();
  const int64_t end = o.max_steps > 0 ? std::min(total, o.start_step + o.max_steps) : total;
  const int64_t warmup = static_cast<int64_t>(o.warmup_fraction * total);
  TrainResult result;
  double loss_avg = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t step = o.start_step; step < end; ++step) {
    if (o.should_stop && o.should_stop()) return absl::CancelledError(absl::StrCat("training stopped at step ", step));
    const Batch& batch = batcher.Next();
    RETURN_IF_ERROR(net->BeforeStep(step));
    net->params().ZeroGrad();
    ASSIGN_OR_RETURN(const float loss, o.gradients ? o.gradients(batch, step) : AccumulateGradients(net, batch, o.loss));
    if (!std::isfinite(loss)) {
      return absl::InternalError(absl::StrCat("training diverged at step ", step, " (loss ", loss,
                                              "); lower --lr"));
    }
    const double lr = CosineWithWarmup(step, total, warmup, o.learning_rate);
    optimizer->Step(static_cast<float>(lr));
    loss_avg = step == o.start_step ? loss : 0.95 * loss_avg + 0.05 * loss;
    result.steps++;
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.images_per_sec = result.steps * o.batch_size / std::max(sec, 1e-9);
    if (result.steps <= kUntimedSteps) result.untimed_seconds = sec;
    result.steady_images_per_sec = SteadyImagesPerSec(result.steps, o.batch_size, sec, result.untimed_seconds);
    if (o.progress && ((step + 1) % o.progress_every == 0 || step + 1 == end)) {
      TrainProgress p;
      p.step = step + 1, p.total_steps = total, p.epoch = step / batcher.batches_per_epoch();
      p.loss = loss_avg, p.learning_rate = lr, p.images_per_sec = result.images_per_sec;
      p.eta_sec = (end - step - 1) * o.batch_size / std::max(result.images_per_sec, 1e-9);
      o.progress(p);
    }
  }
  result.final_loss = loss_avg;
  return result;
}

absl::StatusOr<double> Evaluate(const ForwardFn& forward, const Split& split, int64_t batch_size) {
  if (split.count == 0) return absl::InvalidArgumentError("evaluate: the split is empty");
  Batch batch;
  std::vector<int64_t> indices(split.count);
  std::iota(indices.begin(), indices.end(), 0);
  int64_t correct = 0;
  for (int64_t begin = 0; begin < split.count; begin += batch_size) {
    const int64_t n = std::min(batch_size, split.count - begin);
    FillBatch(split, indices.data() + begin, n, nullptr, &batch);
    ASSIGN_OR_RETURN(const Tensor* logits, forward(batch.images, {false, 0.0f}));
    const int64_t k = logits->dims().c;
    for (int64_t i = 0; i < n; ++i) {
      const float* z = logits->data() + i * k;
      correct += (std::max_element(z, z + k) - z) == batch.labels[i];
    }
  }
  return static_cast<double>(correct) / split.count;
}

}  // namespace ridge::nn
