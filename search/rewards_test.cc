#include "search/rewards.h"

#include <cmath>

#include "gtest/gtest.h"

namespace ridge::search {
namespace {

TEST(Rewards, AbsByHand) {
  // R = Q + beta |T/T0 - 1| with beta = -0.10 (TuNAS's default).
  EXPECT_NEAR(Reward(ABS, 0.9, 1.0, 1.0), 0.9, 1e-12);
  EXPECT_NEAR(Reward(ABS, 0.9, 1.5, 1.0), 0.9 - 0.05, 1e-12);
  EXPECT_NEAR(Reward(ABS, 0.9, 0.5, 1.0), 0.9 - 0.05, 1e-12);  // Symmetric: too fast is penalized too.
  EXPECT_NEAR(Reward(REWARD_TYPE_UNSPECIFIED, 0.9, 2.0, 1.0), 0.8, 1e-12);
  EXPECT_NEAR(Reward(ABS, 0.9, 2.0, 1.0, -0.5), 0.4, 1e-12);
}

TEST(Rewards, MnasAndMnasHardByHand) {
  EXPECT_NEAR(Reward(MNAS, 0.8, 2.0, 1.0), 0.8 * std::pow(2.0, -0.07), 1e-12);
  EXPECT_NEAR(Reward(MNAS, 0.8, 0.5, 1.0), 0.8 * std::pow(0.5, -0.07), 1e-12);  // A bonus for speed.
  EXPECT_NEAR(Reward(MNAS_HARD, 0.8, 2.0, 1.0), 0.8 * std::pow(2.0, -0.07), 1e-12);
  EXPECT_NEAR(Reward(MNAS_HARD, 0.8, 0.5, 1.0), 0.8, 1e-12);  // No bonus under budget.
}

TEST(Schedules, PolicyLearningRateDelayAndRamp) {
  EXPECT_EQ(PolicyLearningRate(0, 100, 0.01), 0.0);
  EXPECT_EQ(PolicyLearningRate(24, 100, 0.01), 0.0);
  EXPECT_NEAR(PolicyLearningRate(25, 100, 0.01), 0.01 * std::pow(10, 0.25), 1e-12);
  EXPECT_NEAR(PolicyLearningRate(50, 100, 0.01), 0.01 * std::pow(10, 0.5), 1e-12);
  EXPECT_NEAR(PolicyLearningRate(100, 100, 0.01), 0.1, 1e-12);
}

TEST(Schedules, WarmupProbabilityDecaysLinearly) {
  EXPECT_NEAR(WarmupProbability(0, 100), 1.0, 1e-12);
  EXPECT_NEAR(WarmupProbability(10, 100), 0.6, 1e-12);
  EXPECT_NEAR(WarmupProbability(25, 100), 0.0, 1e-12);
  EXPECT_NEAR(WarmupProbability(80, 100), 0.0, 1e-12);
  EXPECT_NEAR(WarmupProbability(5, 100, 0.0), 0.0, 1e-12);
}

}  // namespace
}  // namespace ridge::search
