// The NHWC batch-norm kernels against a naive double-precision reference, on
// tensors large enough to take the two-thread path, with a large mean offset
// (the statistics must not lose the variance to cancellation) and with and
// without the fused ReLU. ops_test checks BatchNormOp's gradients by
// finite differences on small shapes.
#include "supernet/batch_norm.h"

#include <omp.h>

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "supernet/test_util.h"

namespace ridge::nn {
namespace {

using testing::ExpectNear;
using testing::RandomVector;

struct Reference {
  std::vector<double> mean, var, y, dx, dscale, dshift;
};

Reference Naive(const std::vector<float>& x, const std::vector<float>& dy, int64_t rows, int64_t c,
                const std::vector<float>& scale, const std::vector<float>& shift, double eps, bool relu) {
  Reference r;
  r.mean.assign(c, 0), r.var.assign(c, 0), r.y.assign(x.size(), 0), r.dx.assign(x.size(), 0);
  r.dscale.assign(c, 0), r.dshift.assign(c, 0);
  for (int64_t ch = 0; ch < c; ++ch) {
    for (int64_t i = 0; i < rows; ++i) r.mean[ch] += x[i * c + ch];
    r.mean[ch] /= rows;
    for (int64_t i = 0; i < rows; ++i) r.var[ch] += std::pow(x[i * c + ch] - r.mean[ch], 2);
    r.var[ch] /= rows;
    const double rstd = 1 / std::sqrt(r.var[ch] + eps);
    std::vector<double> g(rows), xhat(rows);
    double sum_g = 0, sum_gxhat = 0;
    for (int64_t i = 0; i < rows; ++i) {
      xhat[i] = (x[i * c + ch] - r.mean[ch]) * rstd;
      const double pre = scale[ch] * xhat[i] + shift[ch];
      r.y[i * c + ch] = relu ? std::max(pre, 0.0) : pre;
      g[i] = (!relu || pre > 0) ? dy[i * c + ch] : 0;
      sum_g += g[i];
      sum_gxhat += g[i] * xhat[i];
    }
    r.dshift[ch] = sum_g;
    r.dscale[ch] = sum_gxhat;
    for (int64_t i = 0; i < rows; ++i) {
      r.dx[i * c + ch] = scale[ch] * rstd / rows * (rows * g[i] - sum_g - xhat[i] * sum_gxhat);
    }
  }
  return r;
}

class BatchNormKernelTest : public ::testing::TestWithParam<bool> {};

TEST_P(BatchNormKernelTest, MatchesNaiveDoubleOnTwoThreads) {
  const bool relu = GetParam();
  const int saved_threads = omp_get_max_threads();
  omp_set_num_threads(2);
  const int64_t rows = 8 * 9 * 7, c = 37;  // 18,648 elements: past the parallel threshold.
  std::vector<float> x = RandomVector(rows * c, 1, 99, 101);  // Mean ~100, std ~0.6.
  const std::vector<float> dy = RandomVector(rows * c, 2), scale = RandomVector(c, 3, 0.5, 1.5),
                           shift = RandomVector(c, 4);
  const float eps = 1e-5f;
  const Reference want = Naive(x, dy, rows, c, scale, shift, eps, relu);

  std::vector<float> mean(c), var(c), a(c), b(c), y(x.size()), dx(x.size()), dscale(c), dshift(c);
  BatchNormStatistics(x.data(), rows, c, mean.data(), var.data());
  ExpectNear(mean.data(), want.mean, 0, 1e-6, "mean");
  ExpectNear(var.data(), want.var, 1e-6, 1e-3, "var");
  BatchNormAffine(c, scale.data(), shift.data(), mean.data(), var.data(), eps, a.data(), b.data());
  BatchNormApply(x.data(), rows, c, a.data(), b.data(), relu, y.data());
  // y's tolerance reflects x's float rounding at 100 (~4e-6), magnified by 1/std.
  ExpectNear(y.data(), want.y, 1e-3, 1e-3, "y");
  BatchNormBackward(x.data(), dy.data(), rows, c, scale.data(), shift.data(), mean.data(), var.data(), eps,
                    relu, dx.data(), dscale.data(), dshift.data());
  ExpectNear(dx.data(), want.dx, 2e-3, 2e-3, "dx");
  ExpectNear(dscale.data(), want.dscale, 2e-2, 2e-3, "dscale");
  ExpectNear(dshift.data(), want.dshift, 1e-3, 1e-4, "dshift");
  // In place (y == x), as BatchNormApply allows.
  BatchNormApply(x.data(), rows, c, a.data(), b.data(), relu, x.data());
  ExpectNear(x.data(), want.y, 1e-3, 1e-3, "y in place");
  omp_set_num_threads(saved_threads);
}

INSTANTIATE_TEST_SUITE_P(Relu, BatchNormKernelTest, ::testing::Bool());

}  // namespace
}  // namespace ridge::nn
