// A subnet's proxy accuracy: how well its slice of the shared weights does on
// the validation split (docs/design.md §5.8). Shared batch-norm statistics
// belong to no single subnet, so they are always recalibrated first. Optionally
// the subnet is fine-tuned briefly from its shared weights before it is scored
// (a copy: the supernet is left as it was), which washes out much of the
// interference between subnets that share weights, at the cost of a few
// seconds per candidate.
#ifndef RIDGE_SUPERNET_PROXY_H_
#define RIDGE_SUPERNET_PROXY_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "supernet/dataset.h"
#include "supernet/supernet.h"

namespace ridge::nn {

struct ProxyOptions {
  // Training images the BN statistics are re-estimated on.
  int64_t recalibration_images = 512;
  // SGD steps of fine-tuning on train batches before scoring; 0: none.
  int64_t finetune_steps = 0;
  double finetune_learning_rate = 0.02;
  int64_t batch_size = 128;
  uint64_t seed = 1;
};

// The selected subnet's top-1 accuracy on `valid` under `options`.
// REQUIRES: a subnet is selected. The supernet's weights are unchanged, but
// with fine-tuning off, its shared BN statistics hold the subnet's afterwards.
absl::StatusOr<double> ProxyAccuracy(Supernet* net, const Split& train, const Split& valid,
                                     const ProxyOptions& options);

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_PROXY_H_
