// Depthwise convolution kernels for NHWC, used where oneDNN 2.6 leaves its
// fast path on NHWC data (see docs/decisions.md): the channel loop is
// innermost and contiguous, so it vectorizes, and rows are split across
// OpenMP threads. Padding is "same", (k - 1) / 2.
#ifndef RIDGE_SUPERNET_DEPTHWISE_H_
#define RIDGE_SUPERNET_DEPTHWISE_H_

#include "supernet/tensor.h"

namespace ridge::nn {

// w is plain [c][k][k] (oneDNN's goihw with one channel per group).
// y = dwconv(x, w); REQUIRES: y already sized to the output dims.
void DepthwiseForward(const Tensor& x, const float* w, int kernel, int stride, Tensor* y);
// dx = d(loss)/dx from dy; REQUIRES: dx sized as x.
void DepthwiseBackwardData(const Tensor& dy, const float* w, int kernel, int stride, Tensor* dx);
// dw (overwritten, [c][k][k]) from x and dy.
void DepthwiseBackwardWeights(const Tensor& x, const Tensor& dy, int kernel, int stride, float* dw);

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_DEPTHWISE_H_
