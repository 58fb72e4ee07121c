// Helpers for operator tests: seeded random data, naive double references,
// and central-finite-difference gradient checks that name the failing index.
#ifndef RIDGE_SUPERNET_TEST_UTIL_H_
#define RIDGE_SUPERNET_TEST_UTIL_H_

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "supernet/tensor.h"

namespace ridge::nn::testing {

inline void FillUniform(float* p, int64_t n, uint32_t seed, float lo = -1, float hi = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < n; ++i) p[i] = dist(rng);
}

inline Tensor RandomTensor(Dims4 d, uint32_t seed, float lo = -1, float hi = 1) {
  Tensor t(d);
  FillUniform(t.data(), t.size(), seed, lo, hi);
  return t;
}

inline std::vector<float> RandomVector(int64_t n, uint32_t seed, float lo = -1, float hi = 1) {
  std::vector<float> v(n);
  FillUniform(v.data(), n, seed, lo, hi);
  return v;
}

// sum_i a[i] * r[i] in double: the scalar loss whose gradient w.r.t. a is r.
inline double Dot(const float* a, const float* r, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += double{a[i]} * r[i];
  return s;
}

// Element access into NHWC data with (n, c, h, w) coordinates.
inline int64_t At(const Dims4& d, int64_t n, int64_t c, int64_t h, int64_t w) {
  return ((n * d.h + h) * d.w + w) * d.c + c;
}

// Expects |got - want| <= atol + rtol * |want| elementwise; reports the index.
inline void ExpectNear(const float* got, const std::vector<double>& want, double atol, double rtol,
                       const std::string& what) {
  int reported = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    double tol = atol + rtol * std::fabs(want[i]);
    if (std::fabs(got[i] - want[i]) > tol && reported++ < 5) {
      ADD_FAILURE() << what << "[" << i << "]: got " << got[i] << ", want " << want[i];
    }
  }
}

// Central differences of `loss` w.r.t. each of the n floats at p (perturbed in
// place and restored), against `analytic`. Checks every index up to
// `max_checks`, spread evenly over the array.
inline void CheckGradient(float* p, int64_t n, const float* analytic, const std::function<double()>& loss,
                          const std::string& what, float eps = 1e-2f, double atol = 5e-3,
                          double rtol = 2e-2, int64_t max_checks = 200) {
  const int64_t step = std::max<int64_t>(1, n / max_checks);
  int reported = 0;
  for (int64_t i = 0; i < n; i += step) {
    const float saved = p[i];
    p[i] = saved + eps;
    const double plus = loss();
    p[i] = saved - eps;
    const double minus = loss();
    p[i] = saved;
    const double numeric = (plus - minus) / (2.0 * eps);
    const double tol = atol + rtol * std::fabs(numeric);
    if (std::fabs(analytic[i] - numeric) > tol && reported++ < 5) {
      ADD_FAILURE() << what << "[" << i << "]: analytic " << analytic[i] << ", numeric " << numeric;
    }
  }
}

}  // namespace ridge::nn::testing

#endif  // RIDGE_SUPERNET_TEST_UTIL_H_
