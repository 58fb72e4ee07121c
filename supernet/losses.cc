#include "supernet/losses.h"

#include <algorithm>
#include <cmath>

namespace ridge::nn {
namespace {

// log(sum_j exp(z_j / t)) for one row, stably.
double LogSumExp(const float* z, int64_t k, double t) {
  double mx = z[0] / t;
  for (int64_t j = 1; j < k; ++j) mx = std::max(mx, z[j] / t);
  double sum = 0;
  for (int64_t j = 0; j < k; ++j) sum += std::exp(z[j] / t - mx);
  return std::log(sum) + mx;
}

}  // namespace

float SoftmaxCrossEntropy(const Tensor& logits, const int* labels, float smoothing, Tensor* dlogits) {
  const int64_t n = logits.dims().n, k = logits.dims().c;
  dlogits->Resize(logits.dims());
  const float off = smoothing / k, on = 1.0f - smoothing + off;
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* z = logits.data() + i * k;
    float* g = dlogits->data() + i * k;
    const double log_sum = LogSumExp(z, k, 1.0);
    for (int64_t j = 0; j < k; ++j) {
      const double target = j == labels[i] ? on : off;
      const double log_p = z[j] - log_sum;
      total -= target * log_p;
      g[j] = static_cast<float>((std::exp(log_p) - target) / n);
    }
  }
  return static_cast<float>(total / n);
}

void SoftenedProbabilities(const Tensor& logits, float temperature, std::vector<float>* probs) {
  const int64_t n = logits.dims().n, k = logits.dims().c;
  probs->resize(n * k);
  for (int64_t i = 0; i < n; ++i) {
    const float* z = logits.data() + i * k;
    const double log_sum = LogSumExp(z, k, temperature);
    for (int64_t j = 0; j < k; ++j) (*probs)[i * k + j] = static_cast<float>(std::exp(z[j] / temperature - log_sum));
  }
}

float DistillationLoss(const Tensor& logits, const int* labels, const float* teacher, const DistillWeights& w,
                       Tensor* dlogits) {
  const int64_t n = logits.dims().n, k = logits.dims().c;
  const double t = w.temperature, alpha = w.alpha;
  // The hard term and its gradient, then the soft term added on top.
  const double hard = alpha < 1 ? SoftmaxCrossEntropy(logits, labels, w.label_smoothing, dlogits) : 0;
  if (alpha >= 1) dlogits->Resize(logits.dims());
  double soft = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* z = logits.data() + i * k;
    const float* p = teacher + i * k;
    float* g = dlogits->data() + i * k;
    const double log_sum = LogSumExp(z, k, t);
    for (int64_t j = 0; j < k; ++j) {
      const double log_q = z[j] / t - log_sum;
      soft -= p[j] * log_q;
      const double hard_grad = alpha < 1 ? (1 - alpha) * g[j] : 0;
      g[j] = static_cast<float>(hard_grad + alpha * t * (std::exp(log_q) - p[j]) / n);
    }
  }
  return static_cast<float>((1 - alpha) * hard + alpha * t * t * soft / n);
}

}  // namespace ridge::nn
