// Rewards trading accuracy Q against cost T for a target T0 (docs/design.md §5),
// and the schedules of a TuNAS search.
#ifndef RIDGE_SEARCH_REWARDS_H_
#define RIDGE_SEARCH_REWARDS_H_

#include <cstdint>

#include "proto/campaign.pb.h"

namespace ridge::search {

// The default beta of each reward: -0.10 for `abs` (the TuNAS release) and
// -0.07 for `mnas` and `mnas_hard` (MnasNet, Tan et al. 2019, Sec. 3).
double DefaultBeta(RewardType type);

// R = Q + beta |T/T0 - 1|           (abs, the default)
// R = Q (T/T0)^beta                 (mnas)
// R = Q min((T/T0)^beta, 1)         (mnas_hard)
// beta 0 means DefaultBeta(type). REQUIRES: t0 > 0, t > 0.
double Reward(RewardType type, double q, double t, double t0, double beta = 0);

// The policy's learning rate at `step` of `total`: 0 for the first
// `delay_fraction` of steps, then base * 10^progress with progress =
// step / total, so it ends near 10x base (TuNAS's delayed, rising RL rate).
double PolicyLearningRate(int64_t step, int64_t total, double base, double delay_fraction = 0.25);

// The probability of a warmup replacement at `step` (op or filter warmup):
// 1 at step 0, falling linearly to 0 at fraction * total, 0 after.
double WarmupProbability(int64_t step, int64_t total, double fraction = 0.25);

}  // namespace ridge::search

#endif  // RIDGE_SEARCH_REWARDS_H_
