#include "supernet/optimizer.h"

#include <cmath>

#include "gtest/gtest.h"

namespace ridge::nn {
namespace {

TEST(Optimizer, SgdNesterovByHand) {
  ParamStore store;
  Param* w = store.Add("w", {1}, 1.0f, true);
  Param* b = store.Add("b", {1}, 1.0f, false);
  OptimizerOptions o;
  o.momentum = 0.9f, o.weight_decay = 0.1f;
  Optimizer opt(&store, o);
  w->grad[0] = 0.5f, b->grad[0] = 0.5f;
  opt.Step(0.1f);
  // g = 0.5 + 0.1 * 1 = 0.6; buf = 0.6; w = 1 - 0.1 * (0.6 + 0.9 * 0.6) = 0.886.
  EXPECT_NEAR(w->value[0], 0.886f, 1e-6);
  // No decay on b: g = 0.5; b = 1 - 0.1 * (0.5 + 0.45) = 0.905.
  EXPECT_NEAR(b->value[0], 0.905f, 1e-6);
  opt.Step(0.1f);
  // g = 0.5 + 0.0886 = 0.5886; buf = 0.54 + 0.5886 = 1.1286; w -= 0.1 * (0.5886 + 1.01574).
  EXPECT_NEAR(w->value[0], 0.886f - 0.1f * (0.5886f + 0.9f * 1.1286f), 1e-5);
}

TEST(Optimizer, RmsPropByHand) {
  ParamStore store;
  Param* w = store.Add("w", {1}, 1.0f, false);
  OptimizerOptions o;
  o.kind = OptimizerKind::kRmsProp, o.momentum = 0.9f, o.rms_decay = 0.9f, o.rms_epsilon = 1e-3f;
  Optimizer opt(&store, o);
  w->grad[0] = 2.0f;
  opt.Step(0.01f);
  // ms = 0.1 * 4 = 0.4; mom = 0.01 * 2 / sqrt(0.401); w = 1 - mom.
  EXPECT_NEAR(w->value[0], 1.0f - 0.02f / std::sqrt(0.401f), 1e-6);
}

TEST(Optimizer, FrozenParamsDoNotMove) {
  ParamStore store;
  Param* stats = store.Add("running_mean", {2}, 3.0f, false);
  stats->trainable = false;
  stats->grad = {1.0f, 1.0f};
  Optimizer opt(&store, {});
  opt.Step(1.0f);
  EXPECT_EQ(stats->value, (std::vector<float>{3.0f, 3.0f}));
}

TEST(Schedule, CosineWithWarmup) {
  EXPECT_NEAR(CosineWithWarmup(0, 100, 10, 1.0), 0.1, 1e-12);
  EXPECT_NEAR(CosineWithWarmup(9, 100, 10, 1.0), 1.0, 1e-12);
  EXPECT_NEAR(CosineWithWarmup(10, 100, 10, 1.0), 1.0, 1e-12);
  EXPECT_NEAR(CosineWithWarmup(55, 100, 10, 1.0), 0.5, 1e-12);  // Halfway through the decay.
  EXPECT_NEAR(CosineWithWarmup(100, 100, 10, 1.0), 0.0, 1e-12);
  EXPECT_NEAR(CosineWithWarmup(5, 100, 0, 2.0), 2.0 * 0.5 * (1 + std::cos(M_PI * 0.05)), 1e-12);
}

}  // namespace
}  // namespace ridge::nn
