#include "latency/least_squares.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ridge {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(LeastSquares, KnownSystems) {
  // y = 1 + 2 x, exact.
  EXPECT_THAT(*SolveLeastSquares({{1, 0}, {1, 1}, {1, 2}, {1, 3}}, {1, 3, 5, 7}),
              ElementsAre(DoubleNear(1, 1e-12), DoubleNear(2, 1e-12)));
  // Inconsistent: A^T A = [[2,1],[1,2]], A^T b = [1,1], so x = [1/3, 1/3].
  EXPECT_THAT(*SolveLeastSquares({{1, 0}, {0, 1}, {1, 1}}, {1, 1, 0}),
              ElementsAre(DoubleNear(1 / 3.0, 1e-12), DoubleNear(1 / 3.0, 1e-12)));
  // Ridge: min (x - 2)^2 + x^2 at x = 1.
  EXPECT_THAT(*SolveLeastSquares({{1}}, {2}, 1.0), ElementsAre(DoubleNear(1, 1e-12)));
}

TEST(LeastSquares, NonNegative) {
  // Unconstrained [-1, 2]; with x >= 0, x0 = 0 and x1 = mean(1, 2).
  EXPECT_THAT(*SolveLeastSquares({{1, 0}, {1, 1}, {0, 1}}, {-1, 1, 2}),
              ElementsAre(DoubleNear(-1, 1e-12), DoubleNear(2, 1e-12)));
  EXPECT_THAT(*SolveNonNegativeLeastSquares({{1, 0}, {1, 1}, {0, 1}}, {-1, 1, 2}),
              ElementsAre(DoubleNear(0, 1e-12), DoubleNear(1.5, 1e-12)));
  // An interior solution is the unconstrained one.
  EXPECT_THAT(*SolveNonNegativeLeastSquares({{1, 0}, {1, 1}, {1, 2}}, {1, 3, 5}),
              ElementsAre(DoubleNear(1, 1e-12), DoubleNear(2, 1e-12)));
}

TEST(LeastSquares, BadInput) {
  EXPECT_EQ(SolveLeastSquares({{1, 1}, {2, 2}}, {1, 2}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(SolveLeastSquares({{1, 1}, {2}}, {1, 2}).status().message(),
              HasSubstr("row 1 has 1 columns, not 2"));
  EXPECT_EQ(SolveLeastSquares({}, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LeastSquares, ScaledNnlsShrinksTowardThePrior) {
  // min (x0 - 2)^2 + (x1 + 1)^2 over x >= 0: the second unknown is clipped to 0.
  latency_internal::NormalEquations ne(2);
  ne.Add({1, 0}, 2, 1.0);
  ne.Add({0, 1}, -1, 1.0);
  EXPECT_THAT(*latency_internal::SolveScaledNnls(ne, {0, 0}, 0),
              ElementsAre(DoubleNear(2, 1e-12), DoubleNear(0, 1e-12)));
  // lambda = 1 on unit columns: x0 = (2 + 1 * 4) / 2 = 3 halfway to the prior.
  EXPECT_THAT(*latency_internal::SolveScaledNnls(ne, {4, 0}, 1.0),
              ElementsAre(DoubleNear(3, 1e-12), DoubleNear(0, 1e-12)));
  // An unknown no equation touches comes out at its prior.
  latency_internal::NormalEquations one(2);
  one.Add({1, 0}, 2, 1.0);
  EXPECT_THAT(*latency_internal::SolveScaledNnls(one, {0, 5}, 1e-5),
              ElementsAre(DoubleNear(2, 1e-4), DoubleNear(5, 1e-12)));
}

}  // namespace
}  // namespace ridge
