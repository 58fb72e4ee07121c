#include "search/pareto.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ridge::search {
namespace {

using ::testing::ElementsAre;

TEST(Pareto, NonDominatedSetOnHandMadePoints) {
  //        accuracy  latency
  std::vector<FrontPoint> p = {
      {0.80, 1.0},  // 0: front (fastest)
      {0.85, 2.0},  // 1: front
      {0.84, 2.5},  // 2: dominated by 1
      {0.90, 3.0},  // 3: front
      {0.90, 3.5},  // 4: dominated by 3 (same accuracy, slower)
      {0.70, 1.0},  // 5: dominated by 0 (same latency, less accurate)
      {0.80, 1.0},  // 6: duplicate of 0: first kept
  };
  EXPECT_THAT(ParetoFront(p), ElementsAre(0, 1, 3));
  EXPECT_TRUE(ParetoFront({}).empty());
}

TEST(Pareto, HypervolumeByHand) {
  std::vector<FrontPoint> p = {{0.80, 1.0}, {0.85, 2.0}, {0.90, 3.0}, {0.84, 2.5}};
  // Reference (4 ms, 0.5): 0.30 * (2 - 1) + 0.35 * (3 - 2) + 0.40 * (4 - 3) = 1.05.
  EXPECT_NEAR(Hypervolume(p, 4.0, 0.5), 1.05, 1e-12);
  // Points at or beyond the reference add nothing.
  EXPECT_NEAR(Hypervolume({{0.95, 5.0}}, 4.0, 0.5), 0.0, 1e-12);
  EXPECT_NEAR(Hypervolume({{0.4, 1.0}}, 4.0, 0.5), 0.0, 1e-12);
  // Adding a dominated point changes nothing; a better one grows it.
  EXPECT_NEAR(Hypervolume({{0.80, 1.0}, {0.7, 1.5}}, 4.0, 0.5), 0.9, 1e-12);
  EXPECT_GT(Hypervolume({{0.80, 1.0}, {0.9, 1.5}}, 4.0, 0.5), 0.9);
}

}  // namespace
}  // namespace ridge::search
