#include "latency/rank_metrics.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ridge {
namespace {

using ::testing::DoubleNear;

// Reference values are scipy.stats' documented examples.

TEST(Ranks, KnownValues) {
  // scipy.stats.spearmanr([1,2,3,4,5], [5,6,7,8,7]): one tie in y.
  EXPECT_THAT(SpearmanRho({1, 2, 3, 4, 5}, {5, 6, 7, 8, 7}),
              DoubleNear(0.8207826816681233, 1e-12));
  // scipy.stats.kendalltau([12,2,1,12,2], [1,4,7,1,0]): ties in both.
  EXPECT_THAT(KendallTau({12, 2, 1, 12, 2}, {1, 4, 7, 1, 0}),
              DoubleNear(-0.47140452079103173, 1e-12));
  EXPECT_THAT(SpearmanRho({12, 2, 1, 12, 2}, {1, 4, 7, 1, 0}), DoubleNear(-0.5407380704358752, 1e-12));
  // By hand: y ranks 1, 2.5, 2.5, 4, 5, so rho = 9.5 / sqrt(10 * 9.5);
  // 9 concordant pairs of 10, one tied in y, so tau_b = 9 / sqrt(10 * 9).
  EXPECT_THAT(SpearmanRho({1, 2, 3, 4, 5}, {1, 2, 2, 3, 4}), DoubleNear(std::sqrt(0.95), 1e-12));
  EXPECT_THAT(KendallTau({1, 2, 3, 4, 5}, {1, 2, 2, 3, 4}), DoubleNear(9 / std::sqrt(90.0), 1e-12));
}

TEST(Ranks, MonotoneAndUndefined) {
  EXPECT_DOUBLE_EQ(SpearmanRho({1, 2, 3}, {10, 200, 3000}), 1.0);
  EXPECT_DOUBLE_EQ(KendallTau({1, 2, 3}, {3, 2, 1}), -1.0);
  EXPECT_TRUE(std::isnan(SpearmanRho({1, 2}, {1, 2, 3})));
  EXPECT_TRUE(std::isnan(KendallTau({1}, {1})));
  EXPECT_TRUE(std::isnan(SpearmanRho({1, 2, 3}, {4, 4, 4})));
  EXPECT_TRUE(std::isnan(KendallTau({1, 2, 3}, {4, 4, 4})));
}

}  // namespace
}  // namespace ridge
