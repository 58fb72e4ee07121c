// What the shared (or standalone) weights learn from in one step, and the
// sandwich rule (docs/design.md §3 and §5). A step's gradients accumulate into
// the parameters' grad buffers: the caller zeroes them before and steps the
// optimizer after.
#ifndef RIDGE_SUPERNET_WEIGHT_UPDATE_H_
#define RIDGE_SUPERNET_WEIGHT_UPDATE_H_

#include <vector>

#include "absl/status/statusor.h"
#include "proto/space.h"
#include "supernet/batcher.h"
#include "supernet/network.h"
#include "supernet/soft_labels.h"
#include "supernet/supernet.h"

namespace ridge::nn {

struct LossOptions {
  float label_smoothing = 0.1f;
  // Offline distillation: a teacher's soft labels for the train split, found
  // by each image's index (Batch::indices); null: the labels alone.
  const SoftLabels* teacher = nullptr;
  // The teacher's weight in the loss (losses.h, DistillWeights::alpha).
  float teacher_alpha = 0.5f;
};

// Forward (training mode), loss and backward of `net` on `batch`; returns
// the loss. INVALID_ARGUMENT if a batch image has no soft label.
absl::StatusOr<float> AccumulateGradients(Trainable* net, const Batch& batch, const LossOptions& options);

// The sandwich rule with in-place distillation (BigNAS, Yu et al. 2020,
// Sec. 3.1; Once-for-All's knowledge distillation, Cai et al. 2020): the
// largest subnet learns from the labels (and the teacher, if any); then the
// smallest and each of `others` learn from the largest's predictions on the
// same batch (temperature 1, no labels), so every subnet is pulled towards
// one consistent function rather than each towards the labels on its own.
// Leaves the last subnet trained selected. Returns the largest's loss.
absl::StatusOr<float> SandwichGradients(Supernet* net, const Batch& batch, const SpaceChoice& largest,
                                        const SpaceChoice& smallest, const std::vector<SpaceChoice>& others,
                                        const LossOptions& options);

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_WEIGHT_UPDATE_H_
