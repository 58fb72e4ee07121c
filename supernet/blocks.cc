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

// Universal Inverted Bottleneck: [start DW (BN)] [1x1 expand (BN, act)
// [channel shuffle]] [mid DW (BN, act)] 1x1 project (BN) [layer scale] [+ x].
// With groups (FBNet's g2 ops) both 1x1 convs are grouped and share the
// dense weights of the ungrouped ops.
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
    groups_ = std::max(1, u.groups());
    const Tensor* h = &x;
    RETURN_IF_ERROR(StartForward(u, ctx, &h));
    RETURN_IF_ERROR(ExpandForward(u, x.dims().c, ctx, &h));
    RETURN_IF_ERROR(MidForward(u, ctx, &h));
    RETURN_IF_ERROR(project_.Forward(*h, u.filters(), ctx, &h, groups_));
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
    if (groups_ > 1) {
      RETURN_IF_ERROR(shuffle_.Backward(*d, groups_, &d_shuffle_));
      d = &d_shuffle_;
    }
    if (has_expand_) RETURN_IF_ERROR(expand_->Backward(*d, true, &d));
    if (active_start_ != nullptr) RETURN_IF_ERROR(active_start_->Backward(*d, true, &d));
    if (dx != nullptr) *dx = residual_ ? add_.Backward(dy, *d) : d;
    return absl::OkStatus();
  }

 private:
  absl::Status StartForward(const UIBBlock& u, const ForwardContext& ctx, const Tensor** h) {
    const int a = u.start_dw_kernel(), m = u.mid_dw_kernel();
    active_start_ = nullptr;
    if (a == 0) return absl::OkStatus();
    auto it = start_.find({a, m > 0 ? 1 : u.stride()});
    if (it == start_.end()) return NoKernel(name_ + ".start_dw", a);
    active_start_ = it->second.get();
    return active_start_->Forward(**h, (*h)->dims().c, ctx, h);
  }

  // The 1x1 expand conv, grouped and followed by ShuffleNet's channel
  // shuffle when the block has groups (FBNet's g2 ops), so that the grouped
  // project conv sees channels of every expand group.
  absl::Status ExpandForward(const UIBBlock& u, int64_t in_c, const ForwardContext& ctx, const Tensor** h) {
    // MobileNetV2's t = 1 block has no expand conv; FBNet's e1 ops keep it.
    has_expand_ = u.expand_always() || !(u.expansion() == 1.0f && u.start_dw_kernel() == 0);
    if (!has_expand_) {
      if (groups_ == 1) return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrCat(name_, ": groups ", groups_,
                                                     " need an expand conv, and expansion 1 without a start DW "
                                                     "has none unless expand_always is set"));
    }
    if (!expand_) return absl::InvalidArgumentError(name_ + ": this module has no expand conv");
    RETURN_IF_ERROR(expand_->Forward(**h, MakeDivisible(in_c * double{u.expansion()}), ctx, h, groups_));
    if (groups_ == 1) return absl::OkStatus();
    RETURN_IF_ERROR(shuffle_.Forward(**h, groups_, &shuffled_));
    *h = &shuffled_;
    return absl::OkStatus();
  }

  absl::Status MidForward(const UIBBlock& u, const ForwardContext& ctx, const Tensor** h) {
    const int m = u.mid_dw_kernel();
    active_mid_ = nullptr;
    if (m == 0) return absl::OkStatus();
    auto it = mid_.find(m);
    if (it == mid_.end()) return NoKernel(name_ + ".mid_dw", m);
    active_mid_ = it->second.get();
    return active_mid_->Forward(**h, (*h)->dims().c, ctx, h);
  }

  static bool HasZero(const std::vector<int>& v) { return std::find(v.begin(), v.end(), 0) != v.end(); }

  std::string name_;
  std::map<std::pair<int, int>, std::unique_ptr<ConvBn>> start_;
  std::unique_ptr<ConvBn> expand_;
  std::map<int, std::unique_ptr<ConvBn>> mid_;
  ConvBn project_;
  std::unique_ptr<LayerScale> layer_scale_;
  ConvBn *active_start_ = nullptr, *active_mid_ = nullptr;
  bool has_expand_ = true, residual_ = false;
  int groups_ = 1;
  ChannelShuffleOp shuffle_;
  Tensor shuffled_, d_shuffle_;
  Residual add_;
};

// Mobile MQA (MobileNetV4 paper, Sec. 4.2), or MHSA (the baseline of its
// Table 1) when the block is multi_head. Queries are heads x key_dim channels
// of a 1x1 conv; keys and values are one shared head each (MQA) or one head
// per query head (MHSA, head-major channels like the queries). Attention is
// two batched matmuls over views of the NHWC tensors (AttentionViews in
// ops.h), so neither kind transposes anything.
class MqaModule : public BlockModule {
 public:
  MqaModule(const BlockLimits& l, const BlockOptions& o, ParamStore* store, const std::string& name,
            std::mt19937& rng)
      : multi_head_limit_(l.multi_head),
        norm_(store, name + ".norm", l.max_in),
        query_(store, name + ".query", 1, 1, false, l.max_in, l.max_heads * l.max_key_dim, false, false,
               o.activation, rng),
        key_(store, name + ".key", 1, 1, false, l.max_in, KvWidth(l), false, false, o.activation, rng),
        value_(store, name + ".value", 1, 1, false, l.max_in, KvWidth(l), false, false, o.activation, rng),
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
    RETURN_IF_ERROR(Configure(cfg.mqa()));
    const Tensor* xn;
    RETURN_IF_ERROR(norm_.Forward(x, ctx, &xn));
    RETURN_IF_ERROR(ProjectForward(*xn, ctx));
    RETURN_IF_ERROR(AttendForward());
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
    RETURN_IF_ERROR(AttendBackward(*d_att));
    RETURN_IF_ERROR(ProjectBackward());
    const Tensor* dxb;
    RETURN_IF_ERROR(norm_.Backward(d_norm_out_, &dxb));
    if (dx != nullptr) *dx = add_.Backward(dy, *dxb);
    return absl::OkStatus();
  }

 private:
  // Outputs of the key and value convs: a head each for MHSA, so an
  // MQA-only module keeps the shapes (and checkpoints) it always had.
  static int64_t KvWidth(const BlockLimits& l) { return l.multi_head ? l.max_heads * l.max_key_dim : l.max_key_dim; }

  absl::Status Configure(const MQABlock& q) {
    heads_ = q.heads(), dim_ = q.key_dim();
    multi_head_ = q.multi_head();
    downsample_ = q.kv_stride() > 1;
    if (downsample_ && !key_dw_) return absl::InvalidArgumentError("mqa: kv_stride 2 has no weights here");
    if (multi_head_ && !multi_head_limit_) {
      return absl::InvalidArgumentError("mqa: multi_head has no per-head key and value weights here");
    }
    return absl::OkStatus();
  }

  // q, k and v: 1x1 convs of norm(x); k and v after their DW convs when
  // downsampled.
  absl::Status ProjectForward(const Tensor& xn, const ForwardContext& ctx) {
    const int64_t kv_width = multi_head_ ? heads_ * dim_ : dim_;
    RETURN_IF_ERROR(query_.Forward(xn, heads_ * dim_, ctx, &q_));
    const Tensor* kin = &xn;
    const Tensor* vin = &xn;
    if (downsample_) {
      RETURN_IF_ERROR(key_dw_->Forward(xn, xn.dims().c, ctx, &kin));
      RETURN_IF_ERROR(value_dw_->Forward(xn, xn.dims().c, ctx, &vin));
    }
    RETURN_IF_ERROR(key_.Forward(*kin, kv_width, ctx, &k_));
    return value_.Forward(*vin, kv_width, ctx, &v_);
  }

  // attended = softmax(scale q k^T) v, per image (and per head for MHSA).
  absl::Status AttendForward() {
    const Dims4 qd = q_->dims();
    n_ = qd.n, rows_ = qd.h * qd.w * heads_, m_ = k_->dims().h * k_->dims().w;
    views_ = MakeAttentionViews(n_, heads_, qd.h * qd.w, m_, dim_, multi_head_);
    scores_.Resize(Dims4{n_, rows_ * m_, 1, 1});
    probs_.Resize(scores_.dims());
    attended_.Resize(qd);
    RETURN_IF_ERROR(matmul_.Run(views_.q, q_->data(), Transposed(views_.kv), k_->data(), views_.scores,
                                scores_.data(), Scale()));
    RETURN_IF_ERROR(softmax_.Forward(scores_.data(), probs_.data(), n_ * rows_, m_));
    return matmul_.Run(views_.scores, probs_.data(), views_.kv, v_->data(), views_.q, attended_.data(), 1);
  }

  absl::Status AttendBackward(const Tensor& d_att) {
    d_probs_.Resize(scores_.dims());
    d_scores_.Resize(scores_.dims());
    d_v_.Resize(v_->dims());
    d_q_.Resize(q_->dims());
    d_k_.Resize(k_->dims());
    const dnnl::memory::desc kv_t = Transposed(views_.kv), scores_t = Transposed(views_.scores);
    // attended = P V: dP = d_att V^T, dV = P^T d_att.
    RETURN_IF_ERROR(matmul_.Run(views_.q, d_att.data(), kv_t, v_->data(), views_.scores, d_probs_.data(), 1));
    RETURN_IF_ERROR(matmul_.Run(scores_t, probs_.data(), views_.q, d_att.data(), views_.kv, d_v_.data(), 1));
    RETURN_IF_ERROR(softmax_.Backward(probs_.data(), d_probs_.data(), d_scores_.data(), n_ * rows_, m_));
    // scores = scale Q K^T: dQ = scale dS K, dK = scale dS^T Q.
    RETURN_IF_ERROR(matmul_.Run(views_.scores, d_scores_.data(), views_.kv, k_->data(), views_.q, d_q_.data(),
                                Scale()));
    return matmul_.Run(scores_t, d_scores_.data(), views_.q, q_->data(), views_.kv, d_k_.data(), Scale());
  }

  // The gradient of norm(x), summed over the query, key and value paths.
  absl::Status ProjectBackward() {
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
    return absl::OkStatus();
  }

  float Scale() const { return 1.0f / std::sqrt(static_cast<float>(dim_)); }

  const bool multi_head_limit_;
  Norm norm_;
  ConvBn query_, key_, value_, output_;
  std::unique_ptr<ConvBn> key_dw_, value_dw_;
  std::unique_ptr<LayerScale> layer_scale_;
  MatMulOp matmul_;
  SoftmaxOp softmax_;
  Residual add_;
  int64_t heads_ = 0, dim_ = 0, n_ = 0, rows_ = 0, m_ = 0;  // rows_: query rows per image, m_: key tokens.
  bool downsample_ = false, multi_head_ = false;
  AttentionViews views_;
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
