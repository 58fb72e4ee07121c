#include "supernet/batch_norm.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace ridge::nn {
namespace {

// Rows are summed in float over blocks this long, then the block sums in
// double: float sums over a whole batch (up to ~10^5 rows) would lose digits.
constexpr int64_t kBlockRows = 64;
// Below this many elements a parallel region costs more than it saves.
constexpr int64_t kParallelElements = int64_t{1} << 14;

// Per-channel sums (s1, s2 += over rows [r0, r1)) of
//   stats:    d = x - k,                 d * d
//   gradient: g = dy, masked to 0 where x * a + b <= 0 if relu,   g * (x - k)
// Both need the same blocked float -> double accumulation, so one kernel
// serves both: dy == nullptr selects the statistics form (k is the shift that
// keeps the variance's sum of squares well conditioned).
__attribute__((target_clones("avx2", "default")))
void BlockedSums(const float* __restrict x, const float* __restrict dy, int64_t r0, int64_t r1, int64_t c,
                 const float* __restrict k, const float* __restrict a, const float* __restrict b, bool relu,
                 float* __restrict f1, float* __restrict f2, double* __restrict s1, double* __restrict s2) {
  for (int64_t r = r0; r < r1; r += kBlockRows) {
    const int64_t end = std::min(r1, r + kBlockRows);
    std::fill(f1, f1 + c, 0.0f);
    std::fill(f2, f2 + c, 0.0f);
    if (dy == nullptr) {
      for (int64_t i = r; i < end; ++i) {
        const float* row = x + i * c;
        for (int64_t ch = 0; ch < c; ++ch) {
          const float d = row[ch] - k[ch];
          f1[ch] += d;
          f2[ch] += d * d;
        }
      }
    } else {
      for (int64_t i = r; i < end; ++i) {
        const float* row = x + i * c;
        const float* grow = dy + i * c;
        for (int64_t ch = 0; ch < c; ++ch) {
          const float d = grow[ch];  // Loaded unconditionally: no masked loads.
          const float g = (!relu || row[ch] * a[ch] + b[ch] > 0.0f) ? d : 0.0f;
          f1[ch] += g;
          f2[ch] += g * (row[ch] - k[ch]);
        }
      }
    }
    for (int64_t ch = 0; ch < c; ++ch) {
      s1[ch] += f1[ch];
      s2[ch] += f2[ch];
    }
  }
}

// Sums over all rows, split across OpenMP threads; s1 and s2 get c doubles.
void Sums(const float* x, const float* dy, int64_t rows, int64_t c, const float* k, const float* a,
          const float* b, bool relu, std::vector<double>* s1, std::vector<double>* s2) {
  const int max_threads = omp_get_max_threads();
  std::vector<double> partial(static_cast<size_t>(max_threads) * 2 * c, 0.0);
  int used = 1;
#pragma omp parallel if (rows * c >= kParallelElements)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
#pragma omp single
    used = nt;
    std::vector<float> scratch(2 * c);
    double* mine = partial.data() + static_cast<size_t>(t) * 2 * c;
    BlockedSums(x, dy, rows * t / nt, rows * (t + 1) / nt, c, k, a, b, relu, scratch.data(),
                scratch.data() + c, mine, mine + c);
  }
  s1->assign(c, 0.0);
  s2->assign(c, 0.0);
  for (int t = 0; t < used; ++t) {
    const double* p = partial.data() + static_cast<size_t>(t) * 2 * c;
    for (int64_t ch = 0; ch < c; ++ch) {
      (*s1)[ch] += p[ch];
      (*s2)[ch] += p[c + ch];
    }
  }
}

// y = [relu](x * a + b) over rows [r0, r1).
__attribute__((target_clones("avx2", "default")))
void ApplyRows(const float* __restrict x, int64_t r0, int64_t r1, int64_t c, const float* __restrict a,
               const float* __restrict b, bool relu, float* y) {
  for (int64_t i = r0; i < r1; ++i) {
    const float* row = x + i * c;
    float* out = y + i * c;
    if (relu) {
      for (int64_t ch = 0; ch < c; ++ch) out[ch] = std::max(row[ch] * a[ch] + b[ch], 0.0f);
    } else {
      for (int64_t ch = 0; ch < c; ++ch) out[ch] = row[ch] * a[ch] + b[ch];
    }
  }
}

// dx = g * a + x * c1 + c0 over rows [r0, r1), g being dy masked by the
// fused ReLU as in BlockedSums.
__attribute__((target_clones("avx2", "default")))
void GradientRows(const float* __restrict x, const float* __restrict dy, int64_t r0, int64_t r1, int64_t c,
                  const float* __restrict a, const float* __restrict b, bool relu, const float* __restrict c1,
                  const float* __restrict c0, float* __restrict dx) {
  for (int64_t i = r0; i < r1; ++i) {
    const float* row = x + i * c;
    const float* grow = dy + i * c;
    float* out = dx + i * c;
    for (int64_t ch = 0; ch < c; ++ch) {
      const float d = grow[ch];
      const float g = (!relu || row[ch] * a[ch] + b[ch] > 0.0f) ? d : 0.0f;
      out[ch] = g * a[ch] + row[ch] * c1[ch] + c0[ch];
    }
  }
}

}  // namespace

void BatchNormStatistics(const float* x, int64_t rows, int64_t c, float* mean, float* var) {
  if (rows == 0) {
    std::fill(mean, mean + c, 0.0f);
    std::fill(var, var + c, 0.0f);
    return;
  }
  const std::vector<float> k(x, x + c);  // The first row: a shift near the mean.
  std::vector<double> s1, s2;
  Sums(x, nullptr, rows, c, k.data(), nullptr, nullptr, false, &s1, &s2);
  for (int64_t ch = 0; ch < c; ++ch) {
    const double m = s1[ch] / rows;
    mean[ch] = static_cast<float>(k[ch] + m);
    var[ch] = static_cast<float>(std::max(0.0, s2[ch] / rows - m * m));
  }
}

void BatchNormAffine(int64_t c, const float* scale, const float* shift, const float* mean, const float* var,
                     float epsilon, float* a, float* b) {
  for (int64_t ch = 0; ch < c; ++ch) {
    a[ch] = static_cast<float>(scale[ch] / std::sqrt(static_cast<double>(var[ch]) + epsilon));
    b[ch] = shift[ch] - mean[ch] * a[ch];
  }
}

void BatchNormApply(const float* x, int64_t rows, int64_t c, const float* a, const float* b, bool relu,
                    float* y) {
#pragma omp parallel if (rows * c >= kParallelElements)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    ApplyRows(x, rows * t / nt, rows * (t + 1) / nt, c, a, b, relu, y);
  }
}

void BatchNormBackward(const float* x, const float* dy, int64_t rows, int64_t c, const float* scale,
                       const float* shift, const float* mean, const float* var, float epsilon, bool relu,
                       float* dx, float* dscale, float* dshift) {
  std::vector<float> a(c), b(c);
  BatchNormAffine(c, scale, shift, mean, var, epsilon, a.data(), b.data());
  std::vector<double> sum_g, sum_gx;  // Sums of g and of g * (x - mean).
  Sums(x, dy, rows, c, mean, a.data(), b.data(), relu, &sum_g, &sum_gx);
  // dx = a * (g - sum_g / R - (x - mean) * rstd^2 * sum_gx / R)
  //    = g * a + x * c1 + c0, with c1 = -a rstd^2 sum_gx / R, c0 = -a sum_g / R - mean c1.
  std::vector<float> c1(c), c0(c);
  const double count = std::max<int64_t>(rows, 1);
  for (int64_t ch = 0; ch < c; ++ch) {
    const double rstd2 = 1.0 / (static_cast<double>(var[ch]) + epsilon);
    dshift[ch] = static_cast<float>(sum_g[ch]);
    dscale[ch] = static_cast<float>(sum_gx[ch] * std::sqrt(rstd2));
    const double k1 = -a[ch] * rstd2 * sum_gx[ch] / count;
    c1[ch] = static_cast<float>(k1);
    c0[ch] = static_cast<float>(-a[ch] * sum_g[ch] / count - mean[ch] * k1);
  }
#pragma omp parallel if (rows * c >= kParallelElements)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    GradientRows(x, dy, rows * t / nt, rows * (t + 1) / nt, c, a.data(), b.data(), relu, c1.data(), c0.data(),
                 dx);
  }
}

}  // namespace ridge::nn
