#include "supernet/depthwise.h"

#include <omp.h>

#include <cstring>
#include <vector>

namespace ridge::nn {
namespace {

// w [c][kh][kw] -> [kh][kw][c], so each tap is a contiguous channel vector.
std::vector<float> TapMajor(const float* w, int64_t c, int k) {
  std::vector<float> t(static_cast<size_t>(k) * k * c);
  for (int64_t ch = 0; ch < c; ++ch) {
    for (int tap = 0; tap < k * k; ++tap) t[tap * c + ch] = w[ch * k * k + tap];
  }
  return t;
}

// Inlined into the per-row kernels below, so it is compiled once per clone
// target (a call per tap cost as much as the arithmetic at c = 128).
inline __attribute__((always_inline)) void MulAdd(float* __restrict out, const float* __restrict a,
                                                  const float* __restrict b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] += a[i] * b[i];
}

// One input row (n, ih) of the data gradient, in gather form: each input
// pixel sums the outputs whose window covers it, so rows are independent.
// The covering outputs are listed first, then summed in one tight loop.
__attribute__((target_clones("avx2", "default")))
void BackwardDataRow(const float* dy, const float* taps, Dims4 out, Dims4 in, int k, int s, int64_t n, int64_t ih,
                     float* dx) {
  const int64_t c = in.c, pad = (k - 1) / 2;
  const float* src[49];  // The covering outputs' dy and their taps; k <= 7.
  const float* tap[49];
  for (int64_t iw = 0; iw < in.w; ++iw) {
    int valid = 0;
    for (int kh = 0; kh < k; ++kh) {
      const int64_t t = ih + pad - kh;
      if (t < 0 || t % s != 0 || t / s >= out.h) continue;
      for (int kw = 0; kw < k; ++kw) {
        const int64_t u = iw + pad - kw;
        if (u < 0 || u % s != 0 || u / s >= out.w) continue;
        src[valid] = dy + ((n * out.h + t / s) * out.w + u / s) * c;
        tap[valid++] = taps + (kh * k + kw) * c;
      }
    }
    float* g = dx + ((n * in.h + ih) * in.w + iw) * c;
    std::memset(g, 0, sizeof(float) * c);
    for (int v = 0; v < valid; ++v) MulAdd(g, src[v], tap[v], c);
  }
}

// The input pixels the k x k window of output (n, oh, ow) covers: their NHWC
// rows in x, and for each the matching tap row base + (kh * k + kw) * c
// (the weights, or the weight gradient's accumulator). Returns how many.
template <typename T>
inline __attribute__((always_inline)) int WindowInputs(const float* x, T* base, Dims4 in, int k, int s, int64_t n,
                                                       int64_t oh, int64_t ow, const float** src, T** tap) {
  const int64_t pad = (k - 1) / 2;
  int valid = 0;
  for (int kh = 0; kh < k; ++kh) {
    const int64_t ih = oh * s + kh - pad;
    if (ih < 0 || ih >= in.h) continue;
    for (int kw = 0; kw < k; ++kw) {
      const int64_t iw = ow * s + kw - pad;
      if (iw < 0 || iw >= in.w) continue;
      src[valid] = x + ((n * in.h + ih) * in.w + iw) * in.c;
      tap[valid++] = base + (kh * k + kw) * in.c;
    }
  }
  return valid;
}

// One output row (n, oh) of the weight gradient, added to acc [tap][c].
__attribute__((target_clones("avx2", "default")))
void BackwardWeightsRow(const float* x, const float* dy, Dims4 in, Dims4 out, int k, int s, int64_t n, int64_t oh,
                        float* acc) {
  const float* src[49];  // k <= 7.
  float* tap[49];
  for (int64_t ow = 0; ow < out.w; ++ow) {
    const float* g = dy + ((n * out.h + oh) * out.w + ow) * in.c;
    const int valid = WindowInputs(x, acc, in, k, s, n, oh, ow, src, tap);
    for (int v = 0; v < valid; ++v) MulAdd(tap[v], g, src[v], in.c);
  }
}

}  // namespace

void DepthwiseForward(const Tensor& x, const float* w, int k, int s, Tensor* y) {
  const Dims4 in = x.dims(), out = y->dims();
  const int64_t c = in.c;
  const std::vector<float> taps = TapMajor(w, c, k);
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < out.n * out.h; ++row) {
    const int64_t n = row / out.h, oh = row % out.h;
    const float* src[49];
    const float* tap[49];
    for (int64_t ow = 0; ow < out.w; ++ow) {
      float* o = y->data() + ((n * out.h + oh) * out.w + ow) * c;
      std::memset(o, 0, sizeof(float) * c);
      const int valid = WindowInputs(x.data(), taps.data(), in, k, s, n, oh, ow, src, tap);
      for (int v = 0; v < valid; ++v) MulAdd(o, src[v], tap[v], c);
    }
  }
}

void DepthwiseBackwardData(const Tensor& dy, const float* w, int k, int s, Tensor* dx) {
  const Dims4 out = dy.dims(), in = dx->dims();
  const std::vector<float> taps = TapMajor(w, in.c, k);
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < in.n * in.h; ++row) {
    BackwardDataRow(dy.data(), taps.data(), out, in, k, s, row / in.h, row % in.h, dx->data());
  }
}

void DepthwiseBackwardWeights(const Tensor& x, const Tensor& dy, int k, int s, float* dw) {
  const Dims4 in = x.dims(), out = dy.dims();
  const int64_t c = in.c, taps = int64_t{k} * k;
  std::vector<float> total(taps * c, 0.0f);
#pragma omp parallel
  {
    // Each thread sums its images into its own buffer, then adds it once.
    std::vector<float> acc(taps * c, 0.0f);
#pragma omp for schedule(static) nowait
    for (int64_t row = 0; row < out.n * out.h; ++row) {
      BackwardWeightsRow(x.data(), dy.data(), in, out, k, s, row / out.h, row % out.h, acc.data());
    }
#pragma omp critical
    for (size_t i = 0; i < acc.size(); ++i) total[i] += acc[i];
  }
  for (int64_t ch = 0; ch < c; ++ch) {
    for (int64_t tap = 0; tap < taps; ++tap) dw[ch * taps + tap] = total[tap * c + ch];
  }
}

}  // namespace ridge::nn
