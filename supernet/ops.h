// oneDNN-backed operators with a training forward, an inference forward and a
// backward pass. Primitives are created once per input shape and cached;
// activations are NHWC (see tensor.h); weights are passed as plain arrays
// (OIHW, or GOIHW for depthwise) and reordered to the format oneDNN picks
// (format_tag::any) only when it differs.
//
// Lifecycle: Forward(training=true) on x, then Backward with the same x.
// Ops are not thread-safe; each network owns its own.
#ifndef RIDGE_SUPERNET_OPS_H_
#define RIDGE_SUPERNET_OPS_H_

#include <dnnl.hpp>

#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "supernet/losses.h"  // SoftmaxCrossEntropy, for the users of ops.
#include "supernet/tensor.h"

namespace ridge::nn {

// k x k convolution with "same" padding (k - 1) / 2; depthwise when
// `depthwise` (groups = channels). No bias: every conv is followed by BN.
// Depthwise backward passes on feature maps of 7x7 or more, or at stride 2,
// run Ridge's NHWC kernels (depthwise.h), where oneDNN 2.6 is 1.5-6x slower
// on NHWC; `onednn_only` turns that off (tests use it as the reference).
class ConvOp {
 public:
  ConvOp(int kernel, int stride, bool depthwise, bool onednn_only = false)
      : kernel_(kernel), stride_(stride), depthwise_(depthwise), onednn_only_(onednn_only) {}

  // y = conv(x, w), w holding out_c x (depthwise ? 1 : x.c) x k x k floats.
  absl::Status Forward(const Tensor& x, const float* w, int64_t out_c, bool training, Tensor* y);
  // From dy: dx (skipped if null) and dw (overwritten, plain layout).
  // REQUIRES: a training Forward on x with the same w.
  absl::Status Backward(const Tensor& x, const float* w, const Tensor& dy, Tensor* dx, float* dw);

  Dims4 OutputDims(const Dims4& in, int64_t out_c) const;
  int64_t WeightCount(int64_t in_c, int64_t out_c) const;

 private:
  struct Entry;
  Entry& Get(const Dims4& in, int64_t out_c, bool training);
  dnnl::memory::desc PlainWeightsDesc(int64_t in_c, int64_t out_c) const;

  bool CustomBackward(const Dims4& out) const;
  bool GemmWeightGradient(const Dims4& out) const;

  int kernel_, stride_;
  bool depthwise_, onednn_only_;
  std::map<std::tuple<Dims4, int64_t, bool>, std::shared_ptr<Entry>> cache_;
};

// Batch normalization with scale and shift, on Ridge's own NHWC kernels
// (batch_norm.h). In training it normalizes with the batch statistics and
// returns them; in inference it uses the given running statistics.
class BatchNormOp {
 public:
  // With `fuse_relu`, the output is relu(bn(x)) and Backward takes the
  // gradient of that output: one pass fewer each way.
  explicit BatchNormOp(bool fuse_relu = false, float epsilon = 1e-5f) : fuse_relu_(fuse_relu), epsilon_(epsilon) {}

  // training: writes the batch mean and (biased) variance to *batch_mean,
  // *batch_var (c floats each). inference: reads mean/var from them.
  absl::Status Forward(const Tensor& x, const float* scale, const float* shift, bool training,
                       float* mean, float* var, Tensor* y);
  // dx, dscale, dshift from dy. REQUIRES: training Forward on x; mean/var as it wrote.
  absl::Status Backward(const Tensor& x, const Tensor& dy, const float* scale, const float* shift,
                        const float* mean, const float* var, Tensor* dx, float* dscale, float* dshift);

 private:
  bool fuse_relu_;
  float epsilon_;
};

enum class ActivationKind { kRelu, kRelu6, kHardSwish, kGelu };

// Elementwise activation.
class EltwiseOp {
 public:
  explicit EltwiseOp(ActivationKind kind) : kind_(kind) {}
  absl::Status Forward(const Tensor& x, bool training, Tensor* y);
  // dx from dy and the forward input x.
  absl::Status Backward(const Tensor& x, const Tensor& dy, Tensor* dx);

 private:
  struct Entry;
  Entry& Get(const Dims4& d, bool training);
  ActivationKind kind_;
  std::map<std::pair<Dims4, bool>, std::shared_ptr<Entry>> cache_;
};

// y = a + b, same dims (residual add). Its backward is the identity on both.
class AddOp {
 public:
  absl::Status Forward(const Tensor& a, const Tensor& b, Tensor* y);

 private:
  std::map<Dims4, std::unique_ptr<dnnl::binary>> cache_;
};

// Layer scale: y = x * s per channel.
class ScaleOp {
 public:
  absl::Status Forward(const Tensor& x, const float* s, Tensor* y);
  // dx = dy * s; ds = sum over n, h, w of dy * x (overwritten).
  absl::Status Backward(const Tensor& x, const float* s, const Tensor& dy, Tensor* dx, float* ds);

 private:
  std::map<Dims4, std::unique_ptr<dnnl::binary>> cache_;
};

// ShuffleNet's channel shuffle (Zhang et al. 2018, Sec. 3.1) as two views of
// one NHWC tensor's bytes, each [n, groups, c / groups, h, w]: at (i, j)
// `grouped` is channel i * (c / groups) + j and `interleaved` channel
// j * groups + i. A reorder from grouped to interleaved is the shuffle
// (PyTorch: x.view(n, g, c / g, h, w).transpose(1, 2)); the other way is its
// inverse. REQUIRES: groups divides d.c.
struct ShuffleViews {
  dnnl::memory::desc grouped, interleaved;
};
ShuffleViews ChannelShuffleViews(const Dims4& d, int groups);

// The channel shuffle on NHWC tensors, as a oneDNN reorder over the views
// above (oneDNN's shuffle primitive only has a reference kernel for NHWC).
// Backward is the inverse permutation.
class ChannelShuffleOp {
 public:
  // INVALID_ARGUMENT unless groups >= 1 divides x.c.
  absl::Status Forward(const Tensor& x, int groups, Tensor* y);
  absl::Status Backward(const Tensor& dy, int groups, Tensor* dx);

 private:
  struct Entry;
  absl::Status Run(const Tensor& in, int groups, bool inverse, Tensor* out);
  std::map<std::pair<Dims4, int>, std::shared_ptr<Entry>> cache_;
};

// Global average pooling to n x c x 1 x 1.
class GlobalPoolOp {
 public:
  absl::Status Forward(const Tensor& x, bool training, Tensor* y);
  absl::Status Backward(const Dims4& x_dims, const Tensor& dy, Tensor* dx);

 private:
  struct Entry;
  Entry& Get(const Dims4& d, bool training);
  std::map<std::pair<Dims4, bool>, std::shared_ptr<Entry>> cache_;
};

// Fully connected with bias: y (n x out x 1 x 1) = x (n x c x 1 x 1) W^T + b,
// W plain out x c.
class LinearOp {
 public:
  absl::Status Forward(const Tensor& x, const float* w, const float* b, int64_t out, bool training, Tensor* y);
  absl::Status Backward(const Tensor& x, const float* w, const Tensor& dy, Tensor* dx, float* dw, float* db);

 private:
  struct Entry;
  Entry& Get(const Dims4& in, int64_t out, bool training);
  std::map<std::tuple<Dims4, int64_t, bool>, std::shared_ptr<Entry>> cache_;
};

// Batched matrix product C[b] = scale * A[b] x B[b] over plain row-major
// buffers; `transpose_a` / `transpose_b` read A or B transposed via strides.
class MatMulOp {
 public:
  // A is batch x m x k (or batch x k x m if transpose_a), B is batch x k x n
  // (or batch x n x k if transpose_b), C is batch x m x n.
  absl::Status Run(const float* a, const float* b, float* c, int64_t batch, int64_t m,
                   int64_t k, int64_t n, bool transpose_a, bool transpose_b, float scale);
  // The same over views: `a_view`, `b_view` and `c_view` describe [batch...,
  // rows, cols] matrices of one rank with any strides (such as one head's
  // channels of an NHWC tensor, AttentionViews below). c_view's bytes are
  // overwritten; only those.
  absl::Status Run(const dnnl::memory::desc& a_view, const float* a, const dnnl::memory::desc& b_view,
                   const float* b, const dnnl::memory::desc& c_view, float* c, float scale);

 private:
  std::map<std::vector<int64_t>, std::unique_ptr<dnnl::matmul>> cache_;
};

// Attention over NHWC tensors as batched matrices, for MatMulOp and the
// executor's matmuls: the queries q (and the attended output) are
// [n, tokens, heads * dim] with head h in channels [h * dim, (h + 1) * dim);
// keys and values are [n, kv_tokens, kv_heads * dim] alike.
// - Mobile MQA (one shared key and value head): `q` is [n, tokens * heads,
//   dim], every pixel's heads as rows, against `kv` [n, kv_tokens, dim].
// - MHSA (a key and value head per query head): `q` is [n, heads, tokens,
//   dim] and `kv` [n, heads, kv_tokens, dim], one matrix per image and head,
//   read through strides, so no transpose is needed.
// `scores` is plain: the rows of q against kv_tokens columns.
struct AttentionViews {
  dnnl::memory::desc q, kv, scores;
};
// REQUIRES: every size >= 1.
AttentionViews MakeAttentionViews(int64_t n, int64_t heads, int64_t tokens, int64_t kv_tokens, int64_t dim,
                                  bool multi_head);
// A view of the same bytes with the last two dims swapped: the transpose.
// REQUIRES: d is a strided (not blocked) desc of rank >= 2.
dnnl::memory::desc Transposed(const dnnl::memory::desc& d);

// Softmax over the last axis of rows x cols.
class SoftmaxOp {
 public:
  absl::Status Forward(const float* x, float* y, int64_t rows, int64_t cols);
  // dx from dy and the forward output y.
  absl::Status Backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols);

 private:
  struct Entry;
  Entry& Get(int64_t rows, int64_t cols);
  std::map<std::pair<int64_t, int64_t>, std::shared_ptr<Entry>> cache_;
};

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_OPS_H_
