#include "plots/downsample.h"

#include <gtest/gtest.h>

namespace ridge::plots {
namespace {

TEST(DownsamplerTest, KeepsShortSeriesWhole) {
  Downsampler d(10);
  for (int i = 0; i < 9; ++i) d.Add(i, 2 * i);
  const std::vector<Point> p = d.points();
  ASSERT_EQ(p.size(), 9u);
  EXPECT_DOUBLE_EQ(p[8].x, 8);
  EXPECT_DOUBLE_EQ(p[8].y, 16);
}

TEST(DownsamplerTest, StaysBoundedAndAveragesRuns) {
  Downsampler d(1000);
  for (int i = 0; i < 100000; ++i) d.Add(i, i % 2);  // Alternating 0, 1: mean 0.5.
  const std::vector<Point> p = d.points();
  EXPECT_LE(p.size(), 1000u);
  EXPECT_GE(p.size(), 250u);
  EXPECT_EQ(d.inputs(), 100000);
  for (const Point& q : p) EXPECT_NEAR(q.y, 0.5, 1e-9);
  for (size_t i = 1; i < p.size(); ++i) EXPECT_LT(p[i - 1].x, p[i].x);
  EXPECT_NEAR(p.front().x, (d.inputs_per_point() - 1) / 2.0, 1e-9);
}

TEST(DownsamplerTest, OddAndTinyLimits) {
  Downsampler d(1);  // Rounds up to 2.
  for (int i = 0; i < 100; ++i) d.Add(i, i);
  EXPECT_LE(d.points().size(), 2u);
  Downsampler odd(7);
  for (int i = 0; i < 1000; ++i) odd.Add(i, i);
  EXPECT_LE(odd.points().size(), 8u);
}

}  // namespace
}  // namespace ridge::plots
