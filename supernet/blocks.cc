#include "supernet/blocks.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "proto/layers.h"

namespace ridge::nn {
namespace {

absl::Status NoKernel(const std::string& name, int kernel) {
  return absl::InvalidArgumentError(absl::StrCat(name, ": kernel ", kernel, " has no weights in this module"));
}

// conv(k, s, c): conv, BN, activation.
class ConvModule : public BlockModule {
 public:
  ConvModule(const BlockLimits& l, const BlockOptions& o, ParamStore* store, const std::string& name,
             std::mt19937& rng)
      : conv_(store, name + ".conv", l.kernels.at(0), l.stride, false, l.max_in, l.max_out, true, true,
              o.activation, rng) {}
  absl::Status Forward(const Tensor& x, const Block& cfg, const ForwardContext& ctx, const Tensor** y) override {
    return conv_.Forward(x, cfg.conv().filters(), ctx, y);
  }
  absl::Status Backward(const Tensor& dy, const Tensor** dx) override {
    return conv_.Backward(dy, dx != nullptr, dx);
  }

 private:
  ConvBn conv_;
};

// Adds the residual on the way forward and its gradient on the way back.
class Residual {
 public:
  absl::Status Forward(const Tensor& x, const Tensor& branch, const Tensor** y) {
    RETURN_IF_ERROR(add_.Forward(branch, x, &out_));
    *y = &out_;
    return absl::OkStatus();
  }
  // dx = d_branch_x + dy, in a buffer owned here.
  const Tensor* Backward(const Tensor& dy, const Tensor& d_branch_x) {
    dx_.Resize(dy.dims());
    std::copy(d_branch_x.data(), d_branch_x.data() + dy.size(), dx_.data());
    AddInto(&dx_, dy);
    return &dx_;
  }

 private:
  AddOp add_;
  Tensor out_, dx_;
};

// Layer scale on the branch output (MobileNetV4 hybrid models).
class LayerScale {
 public:
  LayerScale(ParamStore* store, const std::string& name, int64_t max_c)
      : scale_(store->Add(name + ".layer_scale", {max_c}, 1e-5f, false)) {}
  absl::Status Forward(const Tensor& x, const Tensor** y) {
    x_ = &x;
    RETURN_IF_ERROR(op_.Forward(x, scale_->value.data(), &y_));
    *y = &y_;
    return absl::OkStatus();
  }
  absl::Status Backward(const Tensor& dy, const Tensor** dx) {
    ds_.resize(x_->dims().c);
    RETURN_IF_ERROR(op_.Backward(*x_, scale_->value.data(), dy, &dx_, ds_.data()));
    for (size_t c = 0; c < ds_.size(); ++c) scale_->grad[c] += ds_[c];
    if (dx != nullptr) *dx = &dx_;
    return absl::OkStatus();
  }

 private:
  Param* scale_;
  ScaleOp op_;
  const Tensor* x_ = nullptr;
  Tensor y_, dx_;
  std::vector<float> ds_;
};

// Fused-IB: k x k conv to the hidden width (BN, act), 1x1 project (BN).
class FusedModule : public BlockModule {
 public:
  FusedModule(const BlockLimits& l, const BlockOptions& o, ParamStore* store, const std::string& name,
              std::mt19937& rng)
      : name_(name),
        project_(store, name + ".project", 1, 1, false, l.max_hidden, l.max_out, true, false, o.activation, rng) {
    for (int k : l.kernels) {
      expand_.emplace(k, std::make_unique<ConvBn>(store, absl::StrCat(name, ".expand_k", k), k, l.stride, false,
                                                  l.max_in, l.max_hidden, true, true, o.activation, rng));
    }
  }
  absl::Status Forward(const Tensor& x, const Block& cfg, const ForwardContext& ctx, const Tensor** y) override {
    const FusedIBBlock& f = cfg.fused_ib();
    auto it = expand_.find(f.kernel());
    if (it == expand_.end()) return NoKernel(name_, f.kernel());
    active_expand_ = it->second.get();
    residual_ = f.stride() == 1 && x.dims().c == f.filters();
    const Tensor *h, *p;
    RETURN_IF_ERROR(active_expand_->Forward(x, MakeDivisible(x.dims().c * double{f.expansion()}), ctx, &h));
    RETURN_IF_ERROR(project_.Forward(*h, f.filters(), ctx, &p));
    if (!residual_) {
      *y = p;
      return absl::OkStatus();
    }
    return add_.Forward(x, *p, y);
  }
  absl::Status Backward(const Tensor& dy, const Tensor** dx) override {
    const Tensor *dh, *dxb;
    RETURN_IF_ERROR(project_.Backward(dy, true, &dh));
    RETURN_IF_ERROR(active_expand_->Backward(*dh, true, &dxb));
    if (dx != nullptr) *dx = residual_ ? add_.Backward(dy, *dxb) : dxb;
    return absl::OkStatus();
  }

 private:
  std::string name_;
  std::map<int, std::unique_ptr<ConvBn>> expand_;
  ConvBn project_;
  ConvBn* active_expand_ = nullptr;
  bool residual_ = false;
  Residual add_;
};

// Universal Inverted Bottleneck: [start DW (BN)] [1x1 expand (BN, act)]
// [mid DW (BN, act)] 1x1 project (BN) [layer scale] [+ x].
class UibModule : public BlockModule {
 public:
  UibModule(const BlockLimits& l, const BlockOptions& o, ParamStore* store, const std::string& name,
            std::mt19937& rng)
      : name_(name),
        project_(store, name + ".project", 1, 1, false, l.max_hidden, l.max_out, true, false, o.activation, rng) {
    if (l.expand) {
      expand_ = std::make_unique<ConvBn>(store, name + ".expand", 1, 1, false, l.max_in, l.max_hidden, true, true,
                                         o.activation, rng);
    }
    // The start DW carries the stride only when no middle DW is chosen, so a
    // slot may need it at stride 1 and at the slot's stride; those are two
    // ops with their own weights and BN.
    std::vector<int> strides;
    if (std::any_of(l.mid_kernels.begin(), l.mid_kernels.end(), [](int k) { return k > 0; })) strides.push_back(1);
    if (HasZero(l.mid_kernels) && l.stride != 1) strides.push_back(l.stride);
    if (HasZero(l.mid_kernels) && l.stride == 1 && strides.empty()) strides.push_back(1);
    for (int k : l.start_kernels) {
      if (k == 0) continue;
      for (int stride : strides) {
        // Named by kernel and stride so a standalone block and a supernet slot
        // name the same op alike (weights are extracted by name).
        std::string part = absl::StrCat(".start_dw_k", k, "_s", stride);
        start_.emplace(std::make_pair(k, stride),
                       std::make_unique<ConvBn>(store, name + part, k, stride, true, l.max_in, l.max_in, true,
                                                false, o.activation, rng));
      }
    }
    for (int k : l.mid_kernels) {
      if (k == 0) continue;
      mid_.emplace(k, std::make_unique<ConvBn>(store, absl::StrCat(name, ".mid_dw_k", k), k, l.stride, true,
                                               l.max_hidden, l.max_hidden, true, true, o.activation, rng));
    }
    if (o.layer_scale) layer_scale_ = std::make_unique<LayerScale>(store, name, l.max_out);
  }

  absl::Status Forward(const Tensor& x, const Block& cfg, const ForwardContext& ctx, const Tensor** y) override {
    const UIBBlock& u = cfg.uib();
    const int a = u.start_dw_kernel(), m = u.mid_dw_kernel();
    const Tensor* h = &x;
    active_start_ = active_mid_ = nullptr;
    if (a > 0) {
      auto it = start_.find({a, m > 0 ? 1 : u.stride()});
      if (it == start_.end()) return NoKernel(name_ + ".start_dw", a);
      active_start_ = it->second.get();
      RETURN_IF_ERROR(active_start_->Forward(*h, h->dims().c, ctx, &h));
    }
    has_expand_ = !(u.expansion() == 1.0f && a == 0);
    if (has_expand_) {
      if (!expand_) return absl::InvalidArgumentError(name_ + ": this module has no expand conv");
      RETURN_IF_ERROR(expand_->Forward(*h, MakeDivisible(x.dims().c * double{u.expansion()}), ctx, &h));
    }
    if (m > 0) {
      auto it = mid_.find(m);
      if (it == mid_.end()) return NoKernel(name_ + ".mid_dw", m);
      active_mid_ = it->second.get();
      RETURN_IF_ERROR(active_mid_->Forward(*h, h->dims().c, ctx, &h));
    }
    RETURN_IF_ERROR(project_.Forward(*h, u.filters(), ctx, &h));
    if (layer_scale_) RETURN_IF_ERROR(layer_scale_->Forward(*h, &h));
    residual_ = u.stride() == 1 && x.dims().c == u.filters();
    if (!residual_) {
      *y = h;
      return absl::OkStatus();
    }
    return add_.Forward(x, *h, y);
  }

  absl::Status Backward(const Tensor& dy, const Tensor** dx) override {
    const Tensor* d = &dy;
    if (layer_scale_) RETURN_IF_ERROR(layer_scale_->Backward(*d, &d));
    RETURN_IF_ERROR(project_.Backward(*d, true, &d));
    if (active_mid_ != nullptr) RETURN_IF_ERROR(active_mid_->Backward(*d, true, &d));
    if (has_expand_) RETURN_IF_ERROR(expand_->Backward(*d, true, &d));
    if (active_start_ != nullptr) RETURN_IF_ERROR(active_start_->Backward(*d, true, &d));
    if (dx != nullptr) *dx = residual_ ? add_.Backward(dy, *d) : d;
    return absl::OkStatus();
  }

 private:
  static bool HasZero(const std::vector<int>& v) { return std::find(v.begin(), v.end(), 0) != v.end(); }

  std::string name_;
  std::map<std::pair<int, int>, std::unique_ptr<ConvBn>> start_;
  std::unique_ptr<ConvBn> expand_;
  std::map<int, std::unique_ptr<ConvBn>> mid_;
  ConvBn project_;
  std::unique_ptr<LayerScale> layer_scale_;
  ConvBn *active_start_ = nullptr, *active_mid_ = nullptr;
  bool has_expand_ = true, residual_ = false;
  Residual add_;
};

// Mobile MQA (MobileNetV4 paper, Sec. 4.2). Queries are heads x key_dim
// channels of a 1x1 conv; keys and values are one shared head each. In NHWC
// the queries of all pixels and heads form one [HW*heads, key_dim] matrix per
// image, so attention is two batched matmuls.
class MqaModule : public BlockModule {
 public:
  MqaModule(const BlockLimits& l, const BlockOptions& o, ParamStore* store, const std::string& name,
            std::mt19937& rng)
      : norm_(store, name + ".norm", l.max_in),
        query_(store, name + ".query", 1, 1, false, l.max_in, l.max_heads * l.max_key_dim, false, false,
               o.activation, rng),
        key_(store, name + ".key", 1, 1, false, l.max_in, l.max_key_dim, false, false, o.activation, rng),
        value_(store, name + ".value", 1, 1, false, l.max_in, l.max_key_dim, false, false, o.activation, rng),
        output_(store, name + ".output", 1, 1, false, l.max_heads * l.max_key_dim, l.max_in, false, false,
                o.activation, rng) {
    if (l.kv_downsample) {
      key_dw_ = std::make_unique<ConvBn>(store, name + ".key_dw", 3, 2, true, l.max_in, l.max_in, true, false,
                                         o.activation, rng);
      value_dw_ = std::make_unique<ConvBn>(store, name + ".value_dw", 3, 2, true, l.max_in, l.max_in, true,
                                           false, o.activation, rng);
    }
    if (o.layer_scale) layer_scale_ = std::make_unique<LayerScale>(store, name, l.max_in);
  }

  absl::Status Forward(const Tensor& x, const Block& cfg, const ForwardContext& ctx, const Tensor** y) override {
    const MQABlock& q = cfg.mqa();
    heads_ = q.heads(), dim_ = q.key_dim();
    downsample_ = q.kv_stride() > 1;
    if (downsample_ && !key_dw_) return absl::InvalidArgumentError("mqa: kv_stride 2 has no weights here");
    const Tensor* xn;
    RETURN_IF_ERROR(norm_.Forward(x, ctx, &xn));
    const Tensor *qt, *kt, *vt;
    RETURN_IF_ERROR(query_.Forward(*xn, heads_ * dim_, ctx, &qt));
    const Tensor* kin = xn;
    const Tensor* vin = xn;
    if (downsample_) {
      RETURN_IF_ERROR(key_dw_->Forward(*xn, xn->dims().c, ctx, &kin));
      RETURN_IF_ERROR(value_dw_->Forward(*xn, xn->dims().c, ctx, &vin));
    }
    RETURN_IF_ERROR(key_.Forward(*kin, dim_, ctx, &kt));
    RETURN_IF_ERROR(value_.Forward(*vin, dim_, ctx, &vt));
    q_ = qt, k_ = kt, v_ = vt;
    const Dims4 qd = qt->dims();
    n_ = qd.n, rows_ = qd.h * qd.w * heads_, m_ = kt->dims().h * kt->dims().w;
    scores_.Resize(Dims4{n_, rows_ * m_, 1, 1});
    probs_.Resize(scores_.dims());
    attended_.Resize(qd);
    const float scale = 1.0f / std::sqrt(static_cast<float>(dim_));
    RETURN_IF_ERROR(matmul_.Run(qt->data(), kt->data(), scores_.data(), n_, rows_, dim_, m_, false, true, scale));
    RETURN_IF_ERROR(softmax_.Forward(scores_.data(), probs_.data(), n_ * rows_, m_));
    RETURN_IF_ERROR(matmul_.Run(probs_.data(), vt->data(), attended_.data(), n_, rows_, m_, dim_, false, false, 1));
    const Tensor* o;
    RETURN_IF_ERROR(output_.Forward(attended_, x.dims().c, ctx, &o));
    if (layer_scale_) RETURN_IF_ERROR(layer_scale_->Forward(*o, &o));
    return add_.Forward(x, *o, y);
  }

  absl::Status Backward(const Tensor& dy, const Tensor** dx) override {
    const Tensor* d = &dy;
    if (layer_scale_) RETURN_IF_ERROR(layer_scale_->Backward(*d, &d));
    const Tensor* d_att;
    RETURN_IF_ERROR(output_.Backward(*d, true, &d_att));
    const float scale = 1.0f / std::sqrt(static_cast<float>(dim_));
    d_probs_.Resize(scores_.dims());
    d_scores_.Resize(scores_.dims());
    d_v_.Resize(v_->dims());
    d_q_.Resize(q_->dims());
    d_k_.Resize(k_->dims());
    // attended = P V: dP = d_att V^T, dV = P^T d_att.
    RETURN_IF_ERROR(matmul_.Run(d_att->data(), v_->data(), d_probs_.data(), n_, rows_, dim_, m_, false, true, 1));
    RETURN_IF_ERROR(matmul_.Run(probs_.data(), d_att->data(), d_v_.data(), n_, m_, rows_, dim_, true, false, 1));
    RETURN_IF_ERROR(softmax_.Backward(probs_.data(), d_probs_.data(), d_scores_.data(), n_ * rows_, m_));
    // scores = scale Q K^T: dQ = scale dS K, dK = scale dS^T Q.
    RETURN_IF_ERROR(matmul_.Run(d_scores_.data(), k_->data(), d_q_.data(), n_, rows_, m_, dim_, false, false, scale));
    RETURN_IF_ERROR(matmul_.Run(d_scores_.data(), q_->data(), d_k_.data(), n_, m_, rows_, dim_, true, false, scale));
    const Tensor *dxn_q, *dkin, *dvin;
    RETURN_IF_ERROR(query_.Backward(d_q_, true, &dxn_q));
    d_norm_out_.Resize(dxn_q->dims());
    std::copy(dxn_q->data(), dxn_q->data() + dxn_q->size(), d_norm_out_.data());
    RETURN_IF_ERROR(key_.Backward(d_k_, true, &dkin));
    if (downsample_) RETURN_IF_ERROR(key_dw_->Backward(*dkin, true, &dkin));
    AddInto(&d_norm_out_, *dkin);
    RETURN_IF_ERROR(value_.Backward(d_v_, true, &dvin));
    if (downsample_) RETURN_IF_ERROR(value_dw_->Backward(*dvin, true, &dvin));
    AddInto(&d_norm_out_, *dvin);
    const Tensor* dxb;
    RETURN_IF_ERROR(norm_.Backward(d_norm_out_, &dxb));
    if (dx != nullptr) *dx = add_.Backward(dy, *dxb);
    return absl::OkStatus();
  }

 private:
  Norm norm_;
  ConvBn query_, key_, value_, output_;
  std::unique_ptr<ConvBn> key_dw_, value_dw_;
  std::unique_ptr<LayerScale> layer_scale_;
  MatMulOp matmul_;
  SoftmaxOp softmax_;
  Residual add_;
  int64_t heads_ = 0, dim_ = 0, n_ = 0, rows_ = 0, m_ = 0;
  bool downsample_ = false;
  const Tensor *q_ = nullptr, *k_ = nullptr, *v_ = nullptr;
  Tensor scores_, probs_, attended_, d_probs_, d_scores_, d_q_, d_k_, d_v_, d_norm_out_;
};

class PoolModule : public BlockModule {
 public:
  absl::Status Forward(const Tensor& x, const Block&, const ForwardContext& ctx, const Tensor** y) override {
    x_dims_ = x.dims();
    RETURN_IF_ERROR(op_.Forward(x, ctx.training, &y_));
    *y = &y_;
    return absl::OkStatus();
  }
  absl::Status Backward(const Tensor& dy, const Tensor** dx) override {
    RETURN_IF_ERROR(op_.Backward(x_dims_, dy, &dx_));
    if (dx != nullptr) *dx = &dx_;
    return absl::OkStatus();
  }

 private:
  GlobalPoolOp op_;
  Dims4 x_dims_;
  Tensor y_, dx_;
};

class ClassifierModule : public BlockModule {
 public:
  ClassifierModule(const BlockLimits& l, ParamStore* store, const std::string& name, std::mt19937& rng)
      : fc_(store, name + ".fc", l.max_in, l.classes, rng) {}
  absl::Status Forward(const Tensor& x, const Block&, const ForwardContext& ctx, const Tensor** y) override {
    return fc_.Forward(x, ctx, y);
  }
  absl::Status Backward(const Tensor& dy, const Tensor** dx) override { return fc_.Backward(dy, dx); }

 private:
  Linear fc_;
};

}  // namespace

ActivationKind ActivationOf(Activation activation) {
  switch (activation) {
    case RELU6: return ActivationKind::kRelu6;
    case HARD_SWISH: return ActivationKind::kHardSwish;
    case GELU: return ActivationKind::kGelu;
    default: return ActivationKind::kRelu;
  }
}

absl::StatusOr<std::unique_ptr<BlockModule>> MakeBlockModule(const BlockLimits& l, const BlockOptions& o,
                                                             ParamStore* store, const std::string& name,
                                                             std::mt19937& rng) {
  switch (l.kind) {
    case Block::kConv: return std::unique_ptr<BlockModule>(new ConvModule(l, o, store, name, rng));
    case Block::kFusedIb: return std::unique_ptr<BlockModule>(new FusedModule(l, o, store, name, rng));
    case Block::kUib: return std::unique_ptr<BlockModule>(new UibModule(l, o, store, name, rng));
    case Block::kMqa: return std::unique_ptr<BlockModule>(new MqaModule(l, o, store, name, rng));
    case Block::kGlobalPool: return std::unique_ptr<BlockModule>(new PoolModule());
    case Block::kClassifier: return std::unique_ptr<BlockModule>(new ClassifierModule(l, store, name, rng));
    case Block::KIND_NOT_SET: break;
  }
  return absl::InvalidArgumentError(absl::StrCat(name, ": no block kind"));
}

}  // namespace ridge::nn
