// Optimizers for the shared and standalone weights, and the learning-rate
// schedule (cosine with linear warmup).
#ifndef RIDGE_SUPERNET_OPTIMIZER_H_
#define RIDGE_SUPERNET_OPTIMIZER_H_

#include <string>
#include <vector>

#include "supernet/param.h"

namespace ridge::nn {

enum class OptimizerKind { kSgdNesterov, kRmsProp };

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::kSgdNesterov;
  float momentum = 0.9f;
  // RMSProp: decay of the mean square and its epsilon, as TF's RMSProp that
  // the TuNAS release uses (decay 0.9, epsilon 1.0 is TF's MobileNet setting;
  // 1e-3 suits the small proxy task).
  float rms_decay = 0.9f;
  float rms_epsilon = 1e-3f;
  // L2 weight decay on conv and linear weights only (not BN, biases, layer scale).
  float weight_decay = 5e-5f;
};

// Updates every trainable Param of a store from its gradient. Not thread-safe.
class Optimizer {
 public:
  Optimizer(ParamStore* store, const OptimizerOptions& options);
  // One update with learning rate `lr`. Gradients are left as they are.
  void Step(float lr);

  // The optimizer's state, one named vector per buffer, for checkpoints.
  std::vector<std::pair<std::string, std::vector<float>*>> State();
  const OptimizerOptions& options() const { return options_; }

 private:
  ParamStore* store_;
  OptimizerOptions options_;
  std::vector<std::vector<float>> momentum_, mean_square_;
};

// Learning rate at `step` of `total`: linear from 0 over `warmup` steps, then
// a cosine decay from `peak` to 0 (SGDR without restarts).
double CosineWithWarmup(int64_t step, int64_t total, int64_t warmup, double peak);

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_OPTIMIZER_H_
