// Batch-normalization kernels for NHWC activations: `rows` = n * h * w rows of
// `c` contiguous channels. They replace oneDNN 2.6's NHWC batch norm, which
// reads its input three times in a training forward (mean, variance,
// normalize) and reads a ReLU workspace in backward. Here a training forward
// is one statistics pass plus one normalize pass, and the fused ReLU's mask is
// recomputed from x in backward, so backward is two passes over x and dy with
// no workspace. On the reference network batch norm was a third of oneDNN's
// time per training step (docs/decisions.md).
#ifndef RIDGE_SUPERNET_BATCH_NORM_H_
#define RIDGE_SUPERNET_BATCH_NORM_H_

#include <cstdint>

namespace ridge::nn {

// The batch mean and biased variance of each channel (c floats each).
void BatchNormStatistics(const float* x, int64_t rows, int64_t c, float* mean, float* var);

// y = x * a + b per channel, then max(0, .) when `relu`. y may be x.
void BatchNormApply(const float* x, int64_t rows, int64_t c, const float* a, const float* b, bool relu,
                    float* y);

// The per-channel affine form of BN: a = scale / sqrt(var + eps),
// b = shift - mean * a.
void BatchNormAffine(int64_t c, const float* scale, const float* shift, const float* mean, const float* var,
                     float epsilon, float* a, float* b);

// Backward of y = [relu](scale * (x - mean) / sqrt(var + eps) + shift) with
// the batch statistics: dx, dscale and dshift (overwritten) from dy.
void BatchNormBackward(const float* x, const float* dy, int64_t rows, int64_t c, const float* scale,
                       const float* shift, const float* mean, const float* var, float epsilon, bool relu,
                       float* dx, float* dscale, float* dshift);

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_BATCH_NORM_H_
