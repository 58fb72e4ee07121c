#include "supernet/ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "supernet/batch_norm.h"
#include "supernet/depthwise.h"
#include "supernet/dnnl_context.h"

namespace ridge::nn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

memory Wrap(const memory::desc& d, const float* p) {
  return memory(d, Engine(), const_cast<float*>(p));
}

memory::desc Vec(int64_t n) { return memory::desc({n}, dt::f32, tag::a); }
memory::desc Mat(int64_t rows, int64_t cols) { return memory::desc({rows, cols}, dt::f32, tag::ab); }

// A reorder between two fixed descriptors, created once, with the buffer of
// the destination when the destination is oneDNN's own format.
struct Converter {
  bool needed = false;
  memory own;  // Buffer in the non-plain format.
  dnnl::reorder reorder;

  void Init(const memory::desc& from, const memory::desc& to, bool own_is_dst) {
    needed = from != to;
    if (!needed) return;
    own = memory(own_is_dst ? to : from, Engine());
    reorder = dnnl::reorder(memory(from, Engine()), memory(to, Engine()));
  }
  // Plain `user` data in the primitive's format: `user` itself or `own`.
  memory In(memory user) {
    if (!needed) return user;
    reorder.execute(Stream(), user, own);
    return own;
  }
  // Where the primitive should write, for `user` to hold it after Out().
  memory Target(const memory& user) const { return needed ? own : user; }
  void Out(memory user) {
    if (needed) reorder.execute(Stream(), own, user);
  }
};

}  // namespace

// ---------------------------------------------------------------- ConvOp

struct ConvOp::Entry {
  dnnl::convolution_forward::primitive_desc fwd_pd;
  dnnl::convolution_forward fwd;
  Converter fwd_weights;  // plain -> fwd format
  bool has_bwd = false;
  dnnl::convolution_backward_data bwd_data;
  dnnl::convolution_backward_weights bwd_weights;
  Converter bwd_data_weights;  // plain -> bwd-data format
  Converter bwd_diff_weights;  // bwd-weights format -> plain
  memory::desc plain_w;
  memory::desc src, dst;
  memory::dims strides, pad;
};

Dims4 ConvOp::OutputDims(const Dims4& in, int64_t out_c) const {
  const int64_t pad = (kernel_ - 1) / 2;
  return Dims4{in.n, out_c, (in.h + 2 * pad - kernel_) / stride_ + 1,
               (in.w + 2 * pad - kernel_) / stride_ + 1};
}

int64_t ConvOp::WeightCount(int64_t in_c, int64_t out_c) const {
  return out_c * (depthwise_ ? 1 : in_c) * kernel_ * kernel_;
}

memory::desc ConvOp::PlainWeightsDesc(int64_t in_c, int64_t out_c) const {
  if (depthwise_) return memory::desc({out_c, 1, 1, kernel_, kernel_}, dt::f32, tag::goihw);
  return memory::desc({out_c, in_c, kernel_, kernel_}, dt::f32, tag::oihw);
}

ConvOp::Entry& ConvOp::Get(const Dims4& in, int64_t out_c, bool training) {
  auto key = std::make_tuple(in, out_c, training);
  auto it = cache_.find(key);
  if (it != cache_.end()) return *it->second;
  auto e = std::make_shared<Entry>();
  e->src = NhwcDesc(in);
  e->dst = NhwcDesc(OutputDims(in, out_c));
  e->plain_w = PlainWeightsDesc(in.c, out_c);
  memory::desc any_w(e->plain_w.dims(), dt::f32, tag::any);
  const int64_t pad = (kernel_ - 1) / 2;
  e->strides = {stride_, stride_};
  e->pad = {pad, pad};
  auto prop = training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  dnnl::convolution_forward::desc d(prop, dnnl::algorithm::convolution_direct, e->src, any_w, e->dst,
                                    e->strides, e->pad, e->pad);
  e->fwd_pd = dnnl::convolution_forward::primitive_desc(d, Engine());
  e->fwd = dnnl::convolution_forward(e->fwd_pd);
  e->fwd_weights.Init(e->plain_w, e->fwd_pd.weights_desc(), /*own_is_dst=*/true);
  return *cache_.emplace(key, std::move(e)).first->second;
}

absl::Status ConvOp::Forward(const Tensor& x, const float* w, int64_t out_c, bool training, Tensor* y) {
  return DnnlCall("conv forward", [&] {
    Entry& e = Get(x.dims(), out_c, training);
    y->Resize(OutputDims(x.dims(), out_c));
    memory wm = e.fwd_weights.In(Wrap(e.plain_w, w));
    e.fwd.execute(Stream(), {{DNNL_ARG_SRC, x.memory()}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, y->memory()}});
    Stream().wait();
  });
}

bool ConvOp::CustomBackward(const Dims4& out) const {
  // Measured on this machine (docs/decisions.md): Ridge's kernels win on these.
  return depthwise_ && !onednn_only_ && (stride_ == 2 || std::min(out.h, out.w) >= 7);
}

bool ConvOp::GemmWeightGradient(const Dims4& out) const {
  // A 1x1 stride-1 conv's weight gradient is one GEMM over the pixels. On maps
  // of 7x7 or less oneDNN's sgemm beat its jit_1x1 backward-weights kernel by
  // 1.2-2.4x on this machine (docs/decisions.md); on 14x14 it did not.
  return kernel_ == 1 && stride_ == 1 && !depthwise_ && !onednn_only_ && std::max(out.h, out.w) <= 7;
}

absl::Status ConvOp::Backward(const Tensor& x, const float* w, const Tensor& dy, Tensor* dx, float* dw) {
  if (CustomBackward(dy.dims())) {
    DepthwiseBackwardWeights(x, dy, kernel_, stride_, dw);
    if (dx != nullptr) {
      dx->Resize(x.dims());
      DepthwiseBackwardData(dy, w, kernel_, stride_, dx);
    }
    return absl::OkStatus();
  }
  return DnnlCall("conv backward", [&] {
    Entry& e = Get(x.dims(), dy.dims().c, /*training=*/true);
    if (!e.has_bwd) {
      memory::desc any_w(e.plain_w.dims(), dt::f32, tag::any);
      dnnl::convolution_backward_data::desc dd(dnnl::algorithm::convolution_direct, e.src, any_w, e.dst,
                                               e.strides, e.pad, e.pad);
      dnnl::convolution_backward_data::primitive_desc dpd(dd, Engine(), e.fwd_pd);
      e.bwd_data = dnnl::convolution_backward_data(dpd);
      e.bwd_data_weights.Init(e.plain_w, dpd.weights_desc(), true);
      dnnl::convolution_backward_weights::desc wd(dnnl::algorithm::convolution_direct, e.src, any_w,
                                                  e.dst, e.strides, e.pad, e.pad);
      dnnl::convolution_backward_weights::primitive_desc wpd(wd, Engine(), e.fwd_pd);
      e.bwd_weights = dnnl::convolution_backward_weights(wpd);
      e.bwd_diff_weights.Init(wpd.diff_weights_desc(), e.plain_w, /*own_is_dst=*/false);
      e.has_bwd = true;
    }
    if (GemmWeightGradient(dy.dims())) {
      // dw (out_c x in_c, row-major: plain OIHW of a 1x1) = dy^T x over all pixels.
      const Dims4 in = x.dims(), out = dy.dims();
      const dnnl_status_t st = dnnl_sgemm('T', 'N', out.c, in.c, in.n * in.h * in.w, 1.0f, dy.data(), out.c,
                                          x.data(), in.c, 0.0f, dw, in.c);
      if (st != dnnl_success) throw dnnl::error(st, "dnnl_sgemm (1x1 weight gradient)");
    } else {
      memory dwm = Wrap(e.plain_w, dw);
      e.bwd_weights.execute(Stream(), {{DNNL_ARG_SRC, x.memory()}, {DNNL_ARG_DIFF_DST, dy.memory()},
                                       {DNNL_ARG_DIFF_WEIGHTS, e.bwd_diff_weights.Target(dwm)}});
      e.bwd_diff_weights.Out(dwm);
    }
    if (dx != nullptr) {
      dx->Resize(x.dims());
      memory wm = e.bwd_data_weights.In(Wrap(e.plain_w, w));
      e.bwd_data.execute(Stream(), {{DNNL_ARG_DIFF_DST, dy.memory()}, {DNNL_ARG_WEIGHTS, wm},
                                    {DNNL_ARG_DIFF_SRC, dx->memory()}});
    }
    Stream().wait();
  });
}

// ---------------------------------------------------------------- BatchNormOp

// Ridge's own kernels (batch_norm.h): fewer passes over memory than oneDNN's.
absl::Status BatchNormOp::Forward(const Tensor& x, const float* scale, const float* shift, bool training,
                                  float* mean, float* var, Tensor* y) {
  const Dims4 d = x.dims();
  const int64_t rows = d.n * d.h * d.w;
  y->Resize(d);
  if (training) BatchNormStatistics(x.data(), rows, d.c, mean, var);
  std::vector<float> a(d.c), b(d.c);
  BatchNormAffine(d.c, scale, shift, mean, var, epsilon_, a.data(), b.data());
  BatchNormApply(x.data(), rows, d.c, a.data(), b.data(), fuse_relu_, y->data());
  return absl::OkStatus();
}

absl::Status BatchNormOp::Backward(const Tensor& x, const Tensor& dy, const float* scale, const float* shift,
                                   const float* mean, const float* var, Tensor* dx, float* dscale,
                                   float* dshift) {
  const Dims4 d = x.dims();
  if (!(dy.dims() == d)) return absl::InvalidArgumentError("batch norm backward: dy's shape differs from x's");
  dx->Resize(d);
  BatchNormBackward(x.data(), dy.data(), d.n * d.h * d.w, d.c, scale, shift, mean, var, epsilon_, fuse_relu_,
                    dx->data(), dscale, dshift);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- EltwiseOp

struct EltwiseOp::Entry {
  dnnl::eltwise_forward::primitive_desc fwd_pd;
  dnnl::eltwise_forward fwd;
  bool has_bwd = false;
  dnnl::eltwise_backward bwd;
};

namespace {
struct EltwiseAlgo {
  dnnl::algorithm algorithm;
  float alpha, beta;
};
EltwiseAlgo AlgoOf(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::kRelu: return {dnnl::algorithm::eltwise_relu, 0, 0};
    case ActivationKind::kRelu6: return {dnnl::algorithm::eltwise_clip_v2, 0, 6};
    case ActivationKind::kHardSwish: return {dnnl::algorithm::eltwise_hardswish, 0, 0};
    case ActivationKind::kGelu: return {dnnl::algorithm::eltwise_gelu_erf, 0, 0};
  }
  return {dnnl::algorithm::eltwise_relu, 0, 0};
}
}  // namespace

EltwiseOp::Entry& EltwiseOp::Get(const Dims4& d, bool training) {
  auto key = std::make_pair(d, training);
  auto it = cache_.find(key);
  if (it != cache_.end()) return *it->second;
  auto e = std::make_shared<Entry>();
  EltwiseAlgo a = AlgoOf(kind_);
  auto prop = training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  e->fwd_pd = dnnl::eltwise_forward::primitive_desc(
      dnnl::eltwise_forward::desc(prop, a.algorithm, NhwcDesc(d), a.alpha, a.beta), Engine());
  e->fwd = dnnl::eltwise_forward(e->fwd_pd);
  return *cache_.emplace(key, std::move(e)).first->second;
}

absl::Status EltwiseOp::Forward(const Tensor& x, bool training, Tensor* y) {
  return DnnlCall("activation forward", [&] {
    Entry& e = Get(x.dims(), training);
    y->Resize(x.dims());
    e.fwd.execute(Stream(), {{DNNL_ARG_SRC, x.memory()}, {DNNL_ARG_DST, y->memory()}});
    Stream().wait();
  });
}

absl::Status EltwiseOp::Backward(const Tensor& x, const Tensor& dy, Tensor* dx) {
  return DnnlCall("activation backward", [&] {
    Entry& e = Get(x.dims(), /*training=*/true);
    if (!e.has_bwd) {
      EltwiseAlgo a = AlgoOf(kind_);
      dnnl::eltwise_backward::desc desc(a.algorithm, NhwcDesc(x.dims()), NhwcDesc(x.dims()), a.alpha, a.beta);
      e.bwd = dnnl::eltwise_backward(dnnl::eltwise_backward::primitive_desc(desc, Engine(), e.fwd_pd));
      e.has_bwd = true;
    }
    dx->Resize(x.dims());
    e.bwd.execute(Stream(), {{DNNL_ARG_SRC, x.memory()}, {DNNL_ARG_DIFF_DST, dy.memory()},
                             {DNNL_ARG_DIFF_SRC, dx->memory()}});
    Stream().wait();
  });
}

// ---------------------------------------------------------------- AddOp, ScaleOp

absl::Status AddOp::Forward(const Tensor& a, const Tensor& b, Tensor* y) {
  if (a.dims() != b.dims()) {
    return absl::InvalidArgumentError(
        absl::StrCat("add of ", a.dims().ToString(), " and ", b.dims().ToString()));
  }
  return DnnlCall("add", [&] {
    auto& prim = cache_[a.dims()];
    if (!prim) {
      auto d = NhwcDesc(a.dims());
      prim = std::make_unique<dnnl::binary>(dnnl::binary::primitive_desc(
          dnnl::binary::desc(dnnl::algorithm::binary_add, d, d, d), Engine()));
    }
    y->Resize(a.dims());
    prim->execute(Stream(), {{DNNL_ARG_SRC_0, a.memory()}, {DNNL_ARG_SRC_1, b.memory()}, {DNNL_ARG_DST, y->memory()}});
    Stream().wait();
  });
}

absl::Status ScaleOp::Forward(const Tensor& x, const float* s, Tensor* y) {
  return DnnlCall("layer scale", [&] {
    const Dims4 d = x.dims();
    memory::desc sd = NhwcDesc(Dims4{1, d.c, 1, 1});
    auto& prim = cache_[d];
    if (!prim) {
      prim = std::make_unique<dnnl::binary>(dnnl::binary::primitive_desc(
          dnnl::binary::desc(dnnl::algorithm::binary_mul, NhwcDesc(d), sd, NhwcDesc(d)), Engine()));
    }
    y->Resize(d);
    prim->execute(Stream(), {{DNNL_ARG_SRC_0, x.memory()}, {DNNL_ARG_SRC_1, Wrap(sd, s)}, {DNNL_ARG_DST, y->memory()}});
    Stream().wait();
  });
}

absl::Status ScaleOp::Backward(const Tensor& x, const float* s, const Tensor& dy, Tensor* dx, float* ds) {
  const Dims4 d = x.dims();
  const int64_t c = d.c, pixels = d.n * d.h * d.w;
  std::vector<double> acc(c, 0.0);
  const float* px = x.data();
  const float* pdy = dy.data();
  for (int64_t p = 0; p < pixels; ++p) {
    for (int64_t k = 0; k < c; ++k) acc[k] += double{pdy[p * c + k]} * px[p * c + k];
  }
  for (int64_t k = 0; k < c; ++k) ds[k] = static_cast<float>(acc[k]);
  return Forward(dy, s, dx);
}

// ---------------------------------------------------------------- ChannelShuffleOp

ShuffleViews ChannelShuffleViews(const Dims4& d, int groups) {
  const int64_t g = groups, per = d.c / g;
  const memory::dims dims{d.n, g, per, d.h, d.w};
  // NHWC strides of n, h and w; only the two channel strides differ.
  const int64_t n_stride = d.h * d.w * d.c, h_stride = d.w * d.c, w_stride = d.c;
  return {memory::desc(dims, dt::f32, memory::dims{n_stride, per, 1, h_stride, w_stride}),
          memory::desc(dims, dt::f32, memory::dims{n_stride, 1, g, h_stride, w_stride})};
}

struct ChannelShuffleOp::Entry {
  ShuffleViews views;
  dnnl::reorder forward, inverse;
};

absl::Status ChannelShuffleOp::Forward(const Tensor& x, int groups, Tensor* y) {
  return Run(x, groups, false, y);
}

absl::Status ChannelShuffleOp::Backward(const Tensor& dy, int groups, Tensor* dx) {
  return Run(dy, groups, true, dx);
}

absl::Status ChannelShuffleOp::Run(const Tensor& in, int groups, bool inverse, Tensor* out) {
  const Dims4 d = in.dims();
  if (groups < 1 || d.c % groups != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("channel shuffle: ", groups, " groups do not divide ", d.c, " channels"));
  }
  return DnnlCall("channel shuffle", [&] {
    auto& e = cache_[{d, groups}];
    if (!e) {
      e = std::make_shared<Entry>();
      e->views = ChannelShuffleViews(d, groups);
      e->forward = dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), e->views.grouped, Engine(),
                                                               e->views.interleaved));
      e->inverse = dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), e->views.interleaved, Engine(),
                                                               e->views.grouped));
    }
    out->Resize(d);
    const memory::desc& from = inverse ? e->views.interleaved : e->views.grouped;
    const memory::desc& to = inverse ? e->views.grouped : e->views.interleaved;
    memory src = Wrap(from, in.data()), dst = Wrap(to, out->data());
    (inverse ? e->inverse : e->forward).execute(Stream(), src, dst);
    Stream().wait();
  });
}

// ---------------------------------------------------------------- GlobalPoolOp

struct GlobalPoolOp::Entry {
  dnnl::pooling_forward::primitive_desc fwd_pd;
  dnnl::pooling_forward fwd;
  bool has_bwd = false;
  dnnl::pooling_backward bwd;
};

GlobalPoolOp::Entry& GlobalPoolOp::Get(const Dims4& d, bool training) {
  auto key = std::make_pair(d, training);
  auto it = cache_.find(key);
  if (it != cache_.end()) return *it->second;
  auto e = std::make_shared<Entry>();
  auto prop = training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  dnnl::pooling_forward::desc desc(prop, dnnl::algorithm::pooling_avg_include_padding, NhwcDesc(d),
                                   NhwcDesc(Dims4{d.n, d.c, 1, 1}), {1, 1}, {d.h, d.w}, {0, 0}, {0, 0});
  e->fwd_pd = dnnl::pooling_forward::primitive_desc(desc, Engine());
  e->fwd = dnnl::pooling_forward(e->fwd_pd);
  return *cache_.emplace(key, std::move(e)).first->second;
}

absl::Status GlobalPoolOp::Forward(const Tensor& x, bool training, Tensor* y) {
  return DnnlCall("global pool forward", [&] {
    Entry& e = Get(x.dims(), training);
    y->Resize(Dims4{x.dims().n, x.dims().c, 1, 1});
    e.fwd.execute(Stream(), {{DNNL_ARG_SRC, x.memory()}, {DNNL_ARG_DST, y->memory()}});
    Stream().wait();
  });
}

absl::Status GlobalPoolOp::Backward(const Dims4& x_dims, const Tensor& dy, Tensor* dx) {
  return DnnlCall("global pool backward", [&] {
    Entry& e = Get(x_dims, /*training=*/true);
    if (!e.has_bwd) {
      dnnl::pooling_backward::desc desc(dnnl::algorithm::pooling_avg_include_padding, NhwcDesc(x_dims),
                                        NhwcDesc(dy.dims()), {1, 1}, {x_dims.h, x_dims.w}, {0, 0}, {0, 0});
      e.bwd = dnnl::pooling_backward(dnnl::pooling_backward::primitive_desc(desc, Engine(), e.fwd_pd));
      e.has_bwd = true;
    }
    dx->Resize(x_dims);
    e.bwd.execute(Stream(), {{DNNL_ARG_DIFF_DST, dy.memory()}, {DNNL_ARG_DIFF_SRC, dx->memory()}});
    Stream().wait();
  });
}

// ---------------------------------------------------------------- LinearOp

struct LinearOp::Entry {
  dnnl::inner_product_forward::primitive_desc fwd_pd;
  dnnl::inner_product_forward fwd;
  Converter fwd_weights;
  bool has_bwd = false;
  dnnl::inner_product_backward_data bwd_data;
  dnnl::inner_product_backward_weights bwd_weights;
  Converter bwd_data_weights, bwd_diff_weights;
  memory::desc src, dst, plain_w;
};

LinearOp::Entry& LinearOp::Get(const Dims4& in, int64_t out, bool training) {
  auto key = std::make_tuple(in, out, training);
  auto it = cache_.find(key);
  if (it != cache_.end()) return *it->second;
  auto e = std::make_shared<Entry>();
  e->src = Mat(in.n, in.c);
  e->dst = Mat(in.n, out);
  e->plain_w = Mat(out, in.c);
  memory::desc any_w({out, in.c}, dt::f32, tag::any);
  auto prop = training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  dnnl::inner_product_forward::desc d(prop, e->src, any_w, Vec(out), e->dst);
  e->fwd_pd = dnnl::inner_product_forward::primitive_desc(d, Engine());
  e->fwd = dnnl::inner_product_forward(e->fwd_pd);
  e->fwd_weights.Init(e->plain_w, e->fwd_pd.weights_desc(), true);
  return *cache_.emplace(key, std::move(e)).first->second;
}

absl::Status LinearOp::Forward(const Tensor& x, const float* w, const float* b, int64_t out, bool training,
                               Tensor* y) {
  return DnnlCall("linear forward", [&] {
    const Dims4 in{x.dims().n, x.dims().c * x.dims().h * x.dims().w, 1, 1};
    Entry& e = Get(in, out, training);
    y->Resize(Dims4{in.n, out, 1, 1});
    memory wm = e.fwd_weights.In(Wrap(e.plain_w, w));
    e.fwd.execute(Stream(), {{DNNL_ARG_SRC, Wrap(e.src, x.data())}, {DNNL_ARG_WEIGHTS, wm},
                             {DNNL_ARG_BIAS, Wrap(Vec(out), b)}, {DNNL_ARG_DST, Wrap(e.dst, y->data())}});
    Stream().wait();
  });
}

absl::Status LinearOp::Backward(const Tensor& x, const float* w, const Tensor& dy, Tensor* dx, float* dw,
                                float* db) {
  return DnnlCall("linear backward", [&] {
    const Dims4 in{x.dims().n, x.dims().c * x.dims().h * x.dims().w, 1, 1};
    const int64_t out = dy.dims().c;
    Entry& e = Get(in, out, /*training=*/true);
    if (!e.has_bwd) {
      memory::desc any_w({out, in.c}, dt::f32, tag::any);
      dnnl::inner_product_backward_data::primitive_desc dpd(
          dnnl::inner_product_backward_data::desc(e.src, any_w, e.dst), Engine(), e.fwd_pd);
      e.bwd_data = dnnl::inner_product_backward_data(dpd);
      e.bwd_data_weights.Init(e.plain_w, dpd.weights_desc(), true);
      dnnl::inner_product_backward_weights::primitive_desc wpd(
          dnnl::inner_product_backward_weights::desc(e.src, any_w, Vec(out), e.dst), Engine(), e.fwd_pd);
      e.bwd_weights = dnnl::inner_product_backward_weights(wpd);
      e.bwd_diff_weights.Init(wpd.diff_weights_desc(), e.plain_w, false);
      e.has_bwd = true;
    }
    memory dwm = Wrap(e.plain_w, dw);
    e.bwd_weights.execute(Stream(), {{DNNL_ARG_SRC, Wrap(e.src, x.data())}, {DNNL_ARG_DIFF_DST, Wrap(e.dst, dy.data())},
                                     {DNNL_ARG_DIFF_WEIGHTS, e.bwd_diff_weights.Target(dwm)},
                                     {DNNL_ARG_DIFF_BIAS, Wrap(Vec(out), db)}});
    e.bwd_diff_weights.Out(dwm);
    if (dx != nullptr) {
      dx->Resize(x.dims());
      memory wm = e.bwd_data_weights.In(Wrap(e.plain_w, w));
      e.bwd_data.execute(Stream(), {{DNNL_ARG_DIFF_DST, Wrap(e.dst, dy.data())}, {DNNL_ARG_WEIGHTS, wm},
                                    {DNNL_ARG_DIFF_SRC, Wrap(e.src, dx->data())}});
    }
    Stream().wait();
  });
}

// ---------------------------------------------------------------- MatMulOp

absl::Status MatMulOp::Run(const float* a, const float* b, float* c, int64_t batch, int64_t m, int64_t k,
                           int64_t n, bool transpose_a, bool transpose_b, float scale) {
  // A matrix stored transposed is read through the transposed view of its
  // stored shape.
  auto view = [batch](int64_t rows, int64_t cols, bool transposed) {
    if (transposed) std::swap(rows, cols);
    const memory::desc d({batch, rows, cols}, dt::f32, memory::dims{rows * cols, cols, 1});
    return transposed ? Transposed(d) : d;
  };
  memory::desc a_view, b_view, c_view;
  const absl::Status s = DnnlCall("matmul", [&] {
    a_view = view(m, k, transpose_a), b_view = view(k, n, transpose_b), c_view = view(m, n, false);
  });
  if (!s.ok()) return s;
  return Run(a_view, a, b_view, b, c_view, c, scale);
}

namespace {

// Dims, then strides: what tells two plain views apart.
void AppendShape(const memory::desc& d, std::vector<int64_t>* key) {
  const int rank = d.data.ndims;
  key->push_back(rank);
  for (int i = 0; i < rank; ++i) key->push_back(d.data.dims[i]);
  for (int i = 0; i < rank; ++i) key->push_back(d.data.format_desc.blocking.strides[i]);
}

}  // namespace

absl::Status MatMulOp::Run(const memory::desc& a_view, const float* a, const memory::desc& b_view, const float* b,
                           const memory::desc& c_view, float* c, float scale) {
  return DnnlCall("matmul", [&] {
    std::vector<int64_t> key;
    for (const memory::desc* d : {&a_view, &b_view, &c_view}) AppendShape(*d, &key);
    int32_t scale_bits;
    std::memcpy(&scale_bits, &scale, sizeof(scale_bits));
    key.push_back(scale_bits);
    auto& prim = cache_[key];
    if (!prim) {
      dnnl::primitive_attr attr;
      if (scale != 1.0f) attr.set_output_scales(0, {scale});
      prim = std::make_unique<dnnl::matmul>(
          dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_view, b_view, c_view), attr, Engine()));
    }
    prim->execute(Stream(), {{DNNL_ARG_SRC, Wrap(a_view, a)}, {DNNL_ARG_WEIGHTS, Wrap(b_view, b)},
                             {DNNL_ARG_DST, Wrap(c_view, c)}});
    Stream().wait();
  });
}

memory::desc Transposed(const memory::desc& d) {
  memory::dims dims = d.dims();
  const int rank = d.data.ndims;
  memory::dims strides(d.data.format_desc.blocking.strides, d.data.format_desc.blocking.strides + rank);
  std::swap(dims[rank - 1], dims[rank - 2]);
  std::swap(strides[rank - 1], strides[rank - 2]);
  return memory::desc(dims, dt::f32, strides);
}

AttentionViews MakeAttentionViews(int64_t n, int64_t heads, int64_t tokens, int64_t kv_tokens, int64_t dim,
                                  bool multi_head) {
  const int64_t t = tokens, m = kv_tokens, hd = heads * dim;
  if (!multi_head) {
    return {memory::desc({n, t * heads, dim}, dt::f32, memory::dims{t * hd, dim, 1}),
            memory::desc({n, m, dim}, dt::f32, memory::dims{m * dim, dim, 1}),
            memory::desc({n, t * heads, m}, dt::f32, memory::dims{t * heads * m, m, 1})};
  }
  // Head h of token i starts at float i * hd + h * dim, so in these views a
  // step along the head index is dim floats and a step along the rows hd.
  return {memory::desc({n, heads, t, dim}, dt::f32, memory::dims{t * hd, dim, hd, 1}),
          memory::desc({n, heads, m, dim}, dt::f32, memory::dims{m * hd, dim, hd, 1}),
          memory::desc({n, heads, t, m}, dt::f32, memory::dims{heads * t * m, t * m, m, 1})};
}

// ---------------------------------------------------------------- SoftmaxOp

struct SoftmaxOp::Entry {
  dnnl::softmax_forward::primitive_desc fwd_pd;
  dnnl::softmax_forward fwd;
  bool has_bwd = false;
  dnnl::softmax_backward bwd;
};

SoftmaxOp::Entry& SoftmaxOp::Get(int64_t rows, int64_t cols) {
  auto key = std::make_pair(rows, cols);
  auto it = cache_.find(key);
  if (it != cache_.end()) return *it->second;
  auto e = std::make_shared<Entry>();
  e->fwd_pd = dnnl::softmax_forward::primitive_desc(
      dnnl::softmax_forward::desc(dnnl::prop_kind::forward_training, Mat(rows, cols), 1), Engine());
  e->fwd = dnnl::softmax_forward(e->fwd_pd);
  return *cache_.emplace(key, std::move(e)).first->second;
}

absl::Status SoftmaxOp::Forward(const float* x, float* y, int64_t rows, int64_t cols) {
  return DnnlCall("softmax forward", [&] {
    Entry& e = Get(rows, cols);
    e.fwd.execute(Stream(), {{DNNL_ARG_SRC, Wrap(Mat(rows, cols), x)}, {DNNL_ARG_DST, Wrap(Mat(rows, cols), y)}});
    Stream().wait();
  });
}

absl::Status SoftmaxOp::Backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
  return DnnlCall("softmax backward", [&] {
    Entry& e = Get(rows, cols);
    if (!e.has_bwd) {
      dnnl::softmax_backward::desc desc(Mat(rows, cols), Mat(rows, cols), 1);
      e.bwd = dnnl::softmax_backward(dnnl::softmax_backward::primitive_desc(desc, Engine(), e.fwd_pd));
      e.has_bwd = true;
    }
    e.bwd.execute(Stream(), {{DNNL_ARG_DST, Wrap(Mat(rows, cols), y)}, {DNNL_ARG_DIFF_DST, Wrap(Mat(rows, cols), dy)},
                             {DNNL_ARG_DIFF_SRC, Wrap(Mat(rows, cols), dx)}});
    Stream().wait();
  });
}

// ---------------------------------------------------------------- loss

}  // namespace ridge::nn
