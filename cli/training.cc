#include "cli/training.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cli/progress_view.h"
#include "common/status_macros.h"

namespace ridge::cli {

nn::OptimizerOptions OptimizerFromFlags(const TrainingFlags& flags) {
  nn::OptimizerOptions o;
  o.kind = flags.sgd ? nn::OptimizerKind::kSgdNesterov : nn::OptimizerKind::kRmsProp;
  return o;
}

absl::StatusOr<std::optional<nn::SoftLabels>> TeacherFromFlags(const TrainingFlags& flags, const nn::Split& train) {
  if (flags.distill.empty()) return std::optional<nn::SoftLabels>();
  ASSIGN_OR_RETURN(nn::SoftLabels labels, WithContext(nn::ReadSoftLabels(flags.distill, train), "--distill"));
  return std::optional<nn::SoftLabels>(std::move(labels));
}

nn::LossOptions LossFromFlags(const TrainingFlags& flags, const std::optional<nn::SoftLabels>& teacher) {
  nn::LossOptions loss;
  if (teacher.has_value()) loss.teacher = &*teacher, loss.teacher_alpha = flags.distill_alpha;
  return loss;
}

absl::StatusOr<EpochsResult> RunEpochs(nn::Trainable* model, nn::Optimizer* optimizer, const nn::Split& train,
                                       const TrainingFlags& f, const std::string& checkpoint_path,
                                       const std::function<nn::CheckpointHeader()>& make_header,
                                       const StepLearning& learning) {
  ProgressView progress(ProgressOptionsForStderr());
  nn::TrainOptions t;
  t.epochs = f.epochs, t.batch_size = f.batch, t.learning_rate = f.lr, t.augment = f.augment;
  t.loss = learning.loss;
  t.gradients = learning.gradients;
  t.progress_every = 5;  // The view shows what its rate limit lets through.
  t.progress = [&](const nn::TrainProgress& p) {
    progress.Step({"TRAINING", p.step, p.total_steps, {},
                   absl::StrFormat("epoch %d/%d loss %.4f lr %.4f %.0f img/s", p.epoch + 1, f.epochs, p.loss,
                                   p.learning_rate, p.images_per_sec),
                   absl::Now()},
                  p.step >= p.total_steps);
  };
  EpochsResult out;
  const int64_t per_epoch = train.count / f.batch;  // The split as loaded: --train_images 0 is all of it.
  const auto start = std::chrono::steady_clock::now();
  for (int e = 0; e < f.epochs; ++e) {
    // One epoch at a time so a checkpoint follows each; the schedule spans all.
    t.start_step = e * per_epoch;
    t.max_steps = per_epoch;
    t.seed = f.seed + e;
    ASSIGN_OR_RETURN(nn::TrainResult r, nn::Train(model, optimizer, train, t));
    if (e == 0) out.train.untimed_seconds = r.untimed_seconds;
    out.train.steps += r.steps;
    out.train.final_loss = r.final_loss;
    if (!checkpoint_path.empty()) {
      nn::CheckpointHeader header = make_header();
      header.step = (e + 1) * per_epoch;
      header.epoch = e + 1;
      RETURN_IF_ERROR(nn::WriteCheckpoint(checkpoint_path, header, model->params(), optimizer));
    }
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.train.images_per_sec = out.train.steps * f.batch / out.seconds;
  out.train.steady_images_per_sec =
      nn::SteadyImagesPerSec(out.train.steps, f.batch, out.seconds, out.train.untimed_seconds);
  return out;
}

}  // namespace ridge::cli
