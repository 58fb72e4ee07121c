#include "supernet/optimizer.h"

#include <cmath>

namespace ridge::nn {

Optimizer::Optimizer(ParamStore* store, const OptimizerOptions& options) : store_(store), options_(options) {
  for (const auto& p : store->params()) {
    momentum_.emplace_back(p->value.size(), 0.0f);
    mean_square_.emplace_back(options.kind == OptimizerKind::kRmsProp ? p->value.size() : 0, 0.0f);
  }
}

void Optimizer::Step(float lr) {
  const auto& params = store_->params();
  const float mu = options_.momentum;
  for (size_t i = 0; i < params.size(); ++i) {
    Param& p = *params[i];
    if (!p.trainable) continue;
    const float wd = p.decay ? options_.weight_decay : 0.0f;
    float* w = p.value.data();
    const float* g = p.grad.data();
    float* m = momentum_[i].data();
    const size_t n = p.value.size();
    if (options_.kind == OptimizerKind::kSgdNesterov) {
      // PyTorch's Nesterov SGD: buf = mu buf + g; w -= lr (g + mu buf).
      for (size_t j = 0; j < n; ++j) {
        const float gj = g[j] + wd * w[j];
        m[j] = mu * m[j] + gj;
        w[j] -= lr * (gj + mu * m[j]);
      }
    } else {
      // TF's RMSProp with momentum: ms = d ms + (1-d) g^2; mom = mu mom + lr g / sqrt(ms + eps).
      float* ms = mean_square_[i].data();
      const float d = options_.rms_decay, eps = options_.rms_epsilon;
      for (size_t j = 0; j < n; ++j) {
        const float gj = g[j] + wd * w[j];
        ms[j] = d * ms[j] + (1 - d) * gj * gj;
        m[j] = mu * m[j] + lr * gj / std::sqrt(ms[j] + eps);
        w[j] -= m[j];
      }
    }
  }
}

std::vector<std::pair<std::string, std::vector<float>*>> Optimizer::State() {
  std::vector<std::pair<std::string, std::vector<float>*>> out;
  const auto& params = store_->params();
  for (size_t i = 0; i < params.size(); ++i) {
    out.emplace_back(params[i]->name + "@momentum", &momentum_[i]);
    if (options_.kind == OptimizerKind::kRmsProp) out.emplace_back(params[i]->name + "@mean_square", &mean_square_[i]);
  }
  return out;
}

double CosineWithWarmup(int64_t step, int64_t total, int64_t warmup, double peak) {
  if (step < warmup) return peak * (step + 1) / static_cast<double>(warmup);
  const double span = std::max<int64_t>(1, total - warmup);
  const double progress = std::min(1.0, (step - warmup) / span);
  return 0.5 * peak * (1.0 + std::cos(M_PI * progress));
}

}  // namespace ridge::nn
