#include "latency/least_squares.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace ridge {

using latency_internal::NormalEquations;

namespace {

// Dense least squares on the normal equations G x = h, G = A^T A, h = A^T b.
// Squaring A's condition number is harmless here: at most 13 unknowns, and the
// fits scale every column to unit norm first.

// Solves G x = h for symmetric positive definite G (n x n, row-major) by
// Cholesky, G = L L^T (Golub and Van Loan, Matrix Computations, Alg. 4.2.1).
absl::StatusOr<std::vector<double>> SolveCholesky(std::vector<double> g, std::vector<double> h,
                                                  int n) {
  for (int j = 0; j < n; ++j) {
    double d = g[j * n + j];
    for (int k = 0; k < j; ++k) d -= g[j * n + k] * g[j * n + k];
    // A pivot lost to rounding means G is singular for practical purposes.
    if (!(d > 1e-13 * std::max(1e-300, std::fabs(g[j * n + j])))) {
      return absl::FailedPreconditionError(absl::StrCat(
          "least squares: the normal equations are singular at unknown ", j,
          " (a column is zero or a combination of others); add a ridge"));
    }
    const double l = std::sqrt(d);
    g[j * n + j] = l;
    for (int i = j + 1; i < n; ++i) {
      double s = g[i * n + j];
      for (int k = 0; k < j; ++k) s -= g[i * n + k] * g[j * n + k];
      g[i * n + j] = s / l;
    }
  }
  for (int i = 0; i < n; ++i) {  // L y = h.
    for (int k = 0; k < i; ++k) h[i] -= g[i * n + k] * h[k];
    h[i] /= g[i * n + i];
  }
  for (int i = n - 1; i >= 0; --i) {  // L^T x = y.
    for (int k = i + 1; k < n; ++k) h[i] -= g[k * n + i] * h[k];
    h[i] /= g[i * n + i];
  }
  return h;
}

// Non-negative least squares on the normal equations: Lawson and Hanson's
// active-set method (Solving Least Squares Problems, 1974, Ch. 23) in the
// A^T A form of Bro and De Jong (J. Chemometrics 11:393, 1997).
absl::StatusOr<std::vector<double>> SolveNnlsGram(const std::vector<double>& g,
                                                  const std::vector<double>& h, int n) {
  std::vector<double> x(n, 0.0);
  std::vector<bool> passive(n, false);
  double scale = 0;
  for (double v : h) scale = std::max(scale, std::fabs(v));
  const double tol = 1e-12 * std::max(scale, 1e-300);
  // Each outer step frees one variable; the cap only guards against cycling
  // through rounding, and the iterate is feasible whenever it stops.
  for (int outer = 0; outer < 3 * n + 10; ++outer) {
    int best = -1;
    double best_w = tol;
    for (int j = 0; j < n; ++j) {
      if (passive[j]) continue;
      double w = h[j];
      for (int k = 0; k < n; ++k) w -= g[j * n + k] * x[k];
      if (w > best_w) best = j, best_w = w;
    }
    if (best < 0) break;
    passive[best] = true;
    for (int inner = 0; inner < 3 * n + 10; ++inner) {
      std::vector<int> p;
      for (int j = 0; j < n; ++j) {
        if (passive[j]) p.push_back(j);
      }
      const int m = p.size();
      std::vector<double> gp(m * m), hp(m);
      for (int a = 0; a < m; ++a) {
        hp[a] = h[p[a]];
        for (int b = 0; b < m; ++b) gp[a * m + b] = g[p[a] * n + p[b]];
      }
      ASSIGN_OR_RETURN(std::vector<double> s, SolveCholesky(gp, hp, m));
      double alpha = 1;
      for (int a = 0; a < m; ++a) {
        if (s[a] <= 0) alpha = std::min(alpha, x[p[a]] / (x[p[a]] - s[a]));
      }
      for (int a = 0; a < m; ++a) x[p[a]] += alpha * (s[a] - x[p[a]]);
      if (alpha >= 1) break;  // The unconstrained step stayed feasible.
      for (int j : p) {
        if (x[j] <= 1e-15 * std::max(1.0, std::fabs(x[j]))) passive[j] = false, x[j] = 0;
      }
    }
  }
  return x;
}

absl::StatusOr<NormalEquations> BuildNormalEquations(const std::vector<std::vector<double>>& rows,
                                                     const std::vector<double>& b, double ridge) {
  if (rows.empty() || rows[0].empty() || rows.size() != b.size() || !(ridge >= 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "least squares: need m >= 1 rows of n >= 1 columns, m right-hand sides and "
        "ridge >= 0; got ",
        rows.size(), " rows, ", b.size(), " right-hand sides, ridge ", ridge));
  }
  NormalEquations ne(rows[0].size());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (static_cast<int>(rows[i].size()) != ne.n) {
      return absl::InvalidArgumentError(absl::StrCat("least squares: row ", i, " has ",
                                                     rows[i].size(), " columns, not ", ne.n));
    }
    ne.Add(rows[i], b[i], 1.0);
  }
  for (int j = 0; j < ne.n; ++j) ne.g[j * ne.n + j] += ridge;
  return ne;
}

}  // namespace

namespace latency_internal {

// Non-negative ridge regression on unit-norm columns, shrunk toward `prior`:
//   minimise ||A x - b||^2 + lambda * sum_j ||A_j||^2 (x_j - prior_j)^2,  x >= 0.
// Scaling makes lambda a relative amount per unknown; an unknown no equation
// touches (a zero column) comes out at its prior.
absl::StatusOr<std::vector<double>> SolveScaledNnls(const NormalEquations& ne,
                                                    const std::vector<double>& prior,
                                                    double lambda) {
  const int n = ne.n;
  std::vector<double> s(n);
  for (int j = 0; j < n; ++j) s[j] = ne.g[j * n + j] > 0 ? std::sqrt(ne.g[j * n + j]) : 1.0;
  std::vector<double> g(n * n), h(n);
  for (int i = 0; i < n; ++i) {
    h[i] = ne.h[i] / s[i] + lambda * s[i] * prior[i];
    for (int j = 0; j < n; ++j) g[i * n + j] = ne.g[i * n + j] / (s[i] * s[j]);
    g[i * n + i] += lambda;
  }
  ASSIGN_OR_RETURN(std::vector<double> z, SolveNnlsGram(g, h, n));
  for (int j = 0; j < n; ++j) z[j] /= s[j];
  return z;
}

}  // namespace latency_internal

absl::StatusOr<std::vector<double>> SolveLeastSquares(const std::vector<std::vector<double>>& rows,
                                                      const std::vector<double>& b, double ridge) {
  ASSIGN_OR_RETURN(NormalEquations ne, BuildNormalEquations(rows, b, ridge));
  return SolveCholesky(ne.g, ne.h, ne.n);
}

absl::StatusOr<std::vector<double>> SolveNonNegativeLeastSquares(
    const std::vector<std::vector<double>>& rows, const std::vector<double>& b, double ridge) {
  ASSIGN_OR_RETURN(NormalEquations ne, BuildNormalEquations(rows, b, ridge));
  return SolveNnlsGram(ne.g, ne.h, ne.n);
}

}  // namespace ridge
