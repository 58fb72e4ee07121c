// Dense least squares, plain and non-negative, for the latency model fits.
#ifndef RIDGE_LATENCY_LEAST_SQUARES_H_
#define RIDGE_LATENCY_LEAST_SQUARES_H_

#include <vector>

#include "absl/status/statusor.h"

namespace ridge {

// Dense least squares, exposed for tests. `rows` is A, row by row.
// minimise ||A x - b||^2 + ridge * ||x||^2 through the normal equations and a
// Cholesky factorisation. INVALID_ARGUMENT on ragged or empty input,
// FAILED_PRECONDITION if A^T A + ridge I is not positive definite.
absl::StatusOr<std::vector<double>> SolveLeastSquares(const std::vector<std::vector<double>>& rows,
                                                      const std::vector<double>& b,
                                                      double ridge = 0);
// The same subject to x >= 0 (Lawson and Hanson's active-set NNLS).
absl::StatusOr<std::vector<double>> SolveNonNegativeLeastSquares(
    const std::vector<std::vector<double>>& rows, const std::vector<double>& b, double ridge = 0);

// For the latency models' own fits (calibrated_roofline_model.cc); not a
// public API.
namespace latency_internal {

// Accumulates weighted rows into the normal equations G x = h, G = A^T A,
// h = A^T b.
struct NormalEquations {
  explicit NormalEquations(int n) : n(n), g(n * n, 0.0), h(n, 0.0) {}
  void Add(const std::vector<double>& row, double y, double weight) {
    const double w2 = weight * weight;
    for (int i = 0; i < n; ++i) {
      if (row[i] == 0) continue;
      h[i] += w2 * row[i] * y;
      for (int j = 0; j < n; ++j) g[i * n + j] += w2 * row[i] * row[j];
    }
  }
  int n;
  std::vector<double> g, h;
};

// Non-negative ridge regression on unit-norm columns, shrunk toward `prior`:
//   minimise ||A x - b||^2 + lambda * sum_j ||A_j||^2 (x_j - prior_j)^2,  x >= 0.
// Scaling makes lambda a relative amount per unknown; an unknown no equation
// touches (a zero column) comes out at its prior.
absl::StatusOr<std::vector<double>> SolveScaledNnls(const NormalEquations& ne,
                                                    const std::vector<double>& prior,
                                                    double lambda);

}  // namespace latency_internal
}  // namespace ridge

#endif  // RIDGE_LATENCY_LEAST_SQUARES_H_
