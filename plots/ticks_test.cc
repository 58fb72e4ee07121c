#include "plots/ticks.h"

#include <gtest/gtest.h>

#include <cmath>

namespace ridge::plots {
namespace {

TEST(NiceNumberTest, RoundsToOneTwoFive) {
  EXPECT_DOUBLE_EQ(NiceNumber(0.13, true), 0.1);
  EXPECT_DOUBLE_EQ(NiceNumber(0.13, false), 0.2);
  EXPECT_DOUBLE_EQ(NiceNumber(43, true), 50);
  EXPECT_DOUBLE_EQ(NiceNumber(43, false), 50);
  EXPECT_DOUBLE_EQ(NiceNumber(8, true), 10);
  EXPECT_DOUBLE_EQ(NiceNumber(2, false), 2);
}

TEST(LinearTicksTest, CoversTheRangeAtNiceSteps) {
  const TickRange r = LinearTicks(0.123, 0.871);
  EXPECT_DOUBLE_EQ(r.step, 0.1);
  EXPECT_NEAR(r.lo, 0.1, 1e-12);
  EXPECT_NEAR(r.hi, 0.9, 1e-12);
  ASSERT_EQ(r.ticks.size(), 9u);
  EXPECT_NEAR(r.ticks[4], 0.5, 1e-12);
}

TEST(LinearTicksTest, ZeroToFiveHundred) {
  const TickRange r = LinearTicks(0, 500);
  EXPECT_DOUBLE_EQ(r.step, 100);
  EXPECT_EQ(r.ticks.size(), 6u);
  EXPECT_DOUBLE_EQ(r.ticks.back(), 500);
}

TEST(LinearTicksTest, OneValueSitsInsideAWidenedRange) {
  const TickRange r = LinearTicks(3, 3);
  EXPECT_LT(r.lo, 3);
  EXPECT_GT(r.hi, 3);
  EXPECT_GE(r.ticks.size(), 2u);
  const TickRange zero = LinearTicks(0, 0);
  EXPECT_LT(zero.lo, 0);
  EXPECT_GT(zero.hi, 0);
}

TEST(LinearTicksTest, NegativeZeroIsZero) {
  const TickRange r = LinearTicks(-0.3, 0.3);
  bool zero = false;
  for (double t : r.ticks) zero |= t == 0 && !std::signbit(t);
  EXPECT_TRUE(zero);
  EXPECT_EQ(TickLabel(-0.0, 0.1), "0.0");
}

TEST(LogTicksTest, DenseOverFewDecades) {
  const TickRange r = LogTicks(0.15, 8);
  EXPECT_DOUBLE_EQ(r.lo, 0.1);
  EXPECT_DOUBLE_EQ(r.hi, 10);
  EXPECT_EQ(r.ticks, (std::vector<double>{0.1, 0.2, 0.5, 1, 2, 5, 10}));
  const TickRange tight = LogTicks(0.25, 4);
  EXPECT_DOUBLE_EQ(tight.lo, 0.2);
  EXPECT_DOUBLE_EQ(tight.hi, 5);
}

TEST(LogTicksTest, DecadesOnlyOverMany) {
  const TickRange r = LogTicks(0.003, 2e4);
  EXPECT_EQ(r.ticks.size(), 9u);  // 1e-3 ... 1e5.
}

TEST(TickLabelTest, DecimalsFollowTheStep) {
  EXPECT_EQ(TickLabel(0.5, 0.1), "0.5");
  EXPECT_EQ(TickLabel(200, 100), "200");
  EXPECT_EQ(TickLabel(0.25, 0.05), "0.25");
  EXPECT_EQ(TickLabel(0.001, 0), "0.001");
  EXPECT_EQ(TickLabel(20000, 0), "20000");
}

}  // namespace
}  // namespace ridge::plots
