// Layers with shared, prefix-sliced weights (TuNAS weight sharing, docs/design.md
// §3): each keeps one maximum-size set of weights; a narrower active width
// uses the prefix channels. A standalone network is the case active == max.
#ifndef RIDGE_SUPERNET_MODULES_H_
#define RIDGE_SUPERNET_MODULES_H_

#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "supernet/ops.h"
#include "supernet/param.h"
#include "supernet/tensor.h"

namespace ridge::nn {

// How a forward pass treats BN.
struct ForwardContext {
  bool training = false;  // Batch statistics (true) or running statistics.
  // Running-statistics update factor in training: running = (1-m) running + m batch.
  // 0 leaves the running statistics alone.
  float bn_momentum = 0.1f;
};

// Conv (no bias), then optionally BN, then optionally the activation.
class ConvBn {
 public:
  ConvBn(ParamStore* store, const std::string& name, int kernel, int stride, bool depthwise,
         int64_t max_in, int64_t max_out, bool batch_norm, bool activation, ActivationKind act,
         std::mt19937& rng);

  // y = act(bn(conv(x))) with `out_c` active output channels (== x.c for
  // depthwise). REQUIRES: x.c <= max_in, out_c <= max_out. `*y` stays valid
  // until the next Forward. x must stay alive and unchanged until Backward.
  // With `groups` > 1 the conv is grouped (PyTorch's Conv2d(groups=...)):
  // it uses the diagonal blocks of the active [out_c x x.c] weights, so a
  // grouped and a dense op share one weight (TuNAS-style sharing); it runs as
  // the dense conv with the other blocks zeroed, which is exact but pays
  // dense MACs. INVALID_ARGUMENT for a depthwise conv or groups that do not
  // divide x.c and out_c.
  absl::Status Forward(const Tensor& x, int64_t out_c, const ForwardContext& ctx, const Tensor** y,
                       int groups = 1);
  // Accumulates weight gradients and returns dx (null if !want_dx). A
  // grouped Forward leaves the gradient outside its diagonal blocks alone.
  // REQUIRES: the last Forward was in training mode.
  absl::Status Backward(const Tensor& dy, bool want_dx, const Tensor** dx);

  Param* weight() const { return weight_; }
  int kernel() const { return kernel_; }

 private:
  absl::Status CheckActive(int64_t in_c, int64_t out_c, int groups) const;
  // The active weights (of the last Forward's groups).
  const float* ActiveWeights(int64_t in_c, int64_t out_c);

  int kernel_;
  bool depthwise_, batch_norm_, activation_;
  bool fused_relu_;  // BN and ReLU run as one oneDNN primitive.
  int64_t max_in_, max_out_;
  ConvOp conv_;
  BatchNormOp bn_;
  EltwiseOp act_;
  Param *weight_, *scale_ = nullptr, *shift_ = nullptr, *running_mean_ = nullptr, *running_var_ = nullptr;
  const Tensor* x_ = nullptr;
  const Tensor* pre_act_ = nullptr;  // The activation's input (conv or BN output).
  int64_t out_c_ = 0;
  int groups_ = 1;
  Tensor conv_out_, bn_out_, act_out_, d_bn_out_, d_conv_out_, dx_;
  std::vector<float> w_active_, dw_active_, batch_mean_, batch_var_, dscale_, dshift_;
};

// A BN on its own (Mobile MQA's input norm), over a prefix of max channels.
class Norm {
 public:
  Norm(ParamStore* store, const std::string& name, int64_t max_c);
  absl::Status Forward(const Tensor& x, const ForwardContext& ctx, const Tensor** y);
  absl::Status Backward(const Tensor& dy, const Tensor** dx);

 private:
  int64_t max_c_;
  BatchNormOp bn_;
  Param *scale_, *shift_, *running_mean_, *running_var_;
  const Tensor* x_ = nullptr;
  Tensor y_, dx_;
  std::vector<float> batch_mean_, batch_var_, dscale_, dshift_;
};

// Fully connected classifier with bias; input channels are a prefix of max_in.
class Linear {
 public:
  Linear(ParamStore* store, const std::string& name, int64_t max_in, int64_t out, std::mt19937& rng);
  absl::Status Forward(const Tensor& x, const ForwardContext& ctx, const Tensor** y);
  absl::Status Backward(const Tensor& dy, const Tensor** dx);

 private:
  int64_t max_in_, out_;
  LinearOp op_;
  Param *weight_, *bias_;
  const Tensor* x_ = nullptr;
  Tensor y_, dx_;
  std::vector<float> w_active_, dw_active_;
};

// acc += t elementwise. REQUIRES: same dims.
void AddInto(Tensor* acc, const Tensor& t);

// Copies the [rows x cols] prefix of a row-major [max_rows x max_cols] matrix
// (each element `inner` floats) into `out`; and its adjoint, accumulating.
void GatherPrefix(const float* full, int64_t max_cols, int64_t rows, int64_t cols, int64_t inner,
                  float* out);
void ScatterAddPrefix(const float* part, int64_t max_cols, int64_t rows, int64_t cols, int64_t inner,
                      float* full);

// Zeroes the entries of a row-major [rows x cols] matrix (each `inner`
// floats) outside its `groups` diagonal blocks, where row r is in group
// r / (rows / groups) and column c in c / (cols / groups): a grouped conv's
// weights in dense form. REQUIRES: groups divides rows and cols.
void ZeroOffDiagonalBlocks(float* w, int64_t rows, int64_t cols, int64_t inner, int groups);
// The diagonal blocks of a dense [rows x cols x inner] matrix, as a grouped
// conv's [rows x cols / groups x inner] weights (PyTorch's Conv2d layout,
// oneDNN's goihw). REQUIRES: groups divides rows and cols.
std::vector<float> DiagonalBlocks(const float* dense, int64_t rows, int64_t cols, int64_t inner, int groups);

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_MODULES_H_
