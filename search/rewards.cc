#include "search/rewards.h"

#include <algorithm>
#include <cmath>

namespace ridge::search {

double DefaultBeta(RewardType type) {
  return type == MNAS || type == MNAS_HARD ? -0.07 : -0.10;
}

double Reward(RewardType type, double q, double t, double t0, double beta) {
  if (beta == 0) beta = DefaultBeta(type);
  const double ratio = t / t0;
  switch (type) {
    case MNAS: return q * std::pow(ratio, beta);
    case MNAS_HARD: return q * std::min(std::pow(ratio, beta), 1.0);
    default: return q + beta * std::fabs(ratio - 1.0);
  }
}

double PolicyLearningRate(int64_t step, int64_t total, double base, double delay_fraction) {
  if (total <= 0) return 0;
  const double progress = static_cast<double>(step) / total;
  if (progress < delay_fraction) return 0;
  return base * std::pow(10.0, std::min(progress, 1.0));
}

double WarmupProbability(int64_t step, int64_t total, double fraction) {
  const double span = fraction * total;
  if (span <= 0) return 0;
  return std::max(0.0, 1.0 - step / span);
}

}  // namespace ridge::search
