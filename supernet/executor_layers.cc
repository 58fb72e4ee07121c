// Builds the executor's plan for conv-type blocks, pooling and the
// classifier (Mobile MQA: executor_attention.cc): folds BN and layer scale
// into conv weights, picks oneDNN primitives and layouts, and fuses what
// oneDNN can fuse.
#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "supernet/executor_builder.h"
#include "supernet/modules.h"
#include "supernet/ops.h"

namespace ridge::nn::internal {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

// The same algorithms as the training engine's EltwiseOp (supernet/ops.cc).
EltwiseAlgo AlgoOf(Activation activation) {
  switch (activation) {
    case RELU6: return {dnnl::algorithm::eltwise_clip_v2, 0, 6};
    case HARD_SWISH: return {dnnl::algorithm::eltwise_hardswish, 0, 0};
    case GELU: return {dnnl::algorithm::eltwise_gelu_erf, 0, 0};
    default: return {dnnl::algorithm::eltwise_relu, 0, 0};
  }
}

}  // namespace

Builder::Builder(const Architecture& arch, const NetworkLayers& net, int batch, const nn::ParamStore& params,
                 const ExecutorOptions& options, Plan* plan)
    : arch_(arch), net_(net), n_(batch), params_(params), options_(options), plan_(plan),
      act_(AlgoOf(arch.activation())) {}

absl::StatusOr<BuiltPlan> Builder::Build() {
  const Shape& in = arch_.input();
  BuiltPlan built;
  built.input = plan_->AddValue(Nhwc({n_, in.channels(), in.height(), in.width()}));
  plan_->value(built.input).pinned = true;
  x_ = built.input;
  for (int b = 0; b < arch_.blocks_size(); ++b) {
    parts_.clear();
    const std::string prefix = absl::StrCat("blocks.", b, ".");
    for (size_t i = 0; i < net_.layers.size(); ++i) {
      if (net_.layers[i].block == b) parts_[net_.layers[i].name.substr(prefix.size())] = static_cast<int>(i);
    }
    prefix_ = absl::StrCat("blocks.", b);
    RETURN_IF_ERROR(Block(arch_.blocks(b)));
  }
  // The caller reads the output as plain NHWC (or batch x classes).
  const Dims& d = net_.block_outputs.back();
  if (plan_->desc(x_).dims().size() == 4) x_ = plan_->Convert(x_, Nhwc({n_, d.c, d.h, d.w}), LastLayer());
  // The output keeps a buffer of its own, which an alias or the input lacks.
  if (x_ == built.input || plan_->value(x_).alias >= 0) x_ = plan_->FreshCopy(x_, plan_->desc(x_), LastLayer());
  plan_->value(x_).pinned = true;
  built.output = x_;
  return built;
}

absl::StatusOr<int> Builder::Part(const std::string& part) const {
  auto it = parts_.find(part);
  if (it == parts_.end()) return absl::InternalError(absl::StrCat(prefix_, ": InferLayers has no ", part));
  return it->second;
}

absl::StatusOr<const float*> Builder::Get(const std::string& name, int64_t size) const {
  const nn::Param* p = params_.Find(name);
  if (p == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("params: no parameter '", name, "'; were they made for this architecture?"));
  }
  if (static_cast<int64_t>(p->value.size()) != size) {
    return absl::InvalidArgumentError(absl::StrCat("params: '", name, "' has ", p->value.size(),
                                                   " values; the architecture needs ", size));
  }
  return p->value.data();
}

absl::StatusOr<BnParams> Builder::Bn(const std::string& name, int64_t c) const {
  BnParams bn;
  ASSIGN_OR_RETURN(bn.scale, Get(name + ".scale", c));
  ASSIGN_OR_RETURN(bn.shift, Get(name + ".shift", c));
  ASSIGN_OR_RETURN(bn.mean, Get(name + ".running_mean", c));
  ASSIGN_OR_RETURN(bn.var, Get(name + ".running_var", c));
  return bn;
}

// The ConvBn named `name` for `layer`: weights times a = scale /
// sqrt(var + eps) per output channel, bias = shift - mean * a; then both
// times the layer scale, which comes after BN.
absl::StatusOr<ConvSpec> Builder::Conv(const std::string& name, int layer, bool depthwise, bool batch_norm) const {
  const Layer& l = L(layer);
  const int64_t out = l.out.c, inner = (depthwise ? 1 : l.in.c) * l.kernel * l.kernel;
  ConvSpec spec;
  spec.layer = layer;
  spec.depthwise = depthwise;
  spec.activation = l.activation;
  ASSIGN_OR_RETURN(const float* w, Get(name + ".weight", out * inner));
  spec.groups = depthwise ? 1 : std::max(1, l.groups);
  if (spec.groups > 1) {
    // The engine keeps a grouped conv's weights dense (supernet/modules.h);
    // oneDNN runs the real grouped conv on their diagonal blocks.
    spec.weights = DiagonalBlocks(w, out, l.in.c, int64_t{l.kernel} * l.kernel, spec.groups);
  } else {
    spec.weights.assign(w, w + out * inner);
  }
  const int64_t kept = static_cast<int64_t>(spec.weights.size()) / out;
  spec.bias.assign(out, 0.0f);
  std::vector<double> scale(out, 1.0), shift(out, 0.0);
  if (batch_norm) {
    ASSIGN_OR_RETURN(BnParams bn, Bn(name + ".bn", out));
    for (int64_t o = 0; o < out; ++o) {
      scale[o] = bn.scale[o] / std::sqrt(double{bn.var[o]} + kBnEpsilon);
      shift[o] = bn.shift[o] - bn.mean[o] * scale[o];
    }
  }
  if (l.layer_scale) {
    ASSIGN_OR_RETURN(const float* ls, Get(prefix_ + ".layer_scale", out));
    for (int64_t o = 0; o < out; ++o) scale[o] *= ls[o], shift[o] *= ls[o];
  }
  for (int64_t o = 0; o < out; ++o) {
    for (int64_t i = 0; i < kept; ++i) spec.weights[o * kept + i] *= static_cast<float>(scale[o]);
    spec.bias[o] = static_cast<float>(shift[o]);
  }
  return spec;
}

absl::StatusOr<memory> Builder::Constant(const memory::desc& plain, const memory::desc& desc,
                                         const float* data) const {
  memory out;
  RETURN_IF_ERROR(nn::DnnlCall("weights", [&] {
    out = memory(desc, nn::Engine());
    memory user(plain, nn::Engine(), const_cast<float*>(data));
    dnnl::reorder(user, out).execute(nn::Stream(), user, out);
    nn::Stream().wait();
  }));
  return out;
}

absl::Status Builder::Block(const ridge::Block& b) {
  switch (b.kind_case()) {
    case ridge::Block::kConv: {
      ASSIGN_OR_RETURN(int layer, Part("conv"));
      ASSIGN_OR_RETURN(ConvSpec spec, Conv(prefix_ + ".conv", layer, false, true));
      ASSIGN_OR_RETURN(x_, EmitConv(x_, spec));
      return absl::OkStatus();
    }
    case ridge::Block::kFusedIb: return FusedIb(b.fused_ib());
    case ridge::Block::kUib: return Uib(b.uib());
    case ridge::Block::kMqa: return Mqa(b.mqa());
    case ridge::Block::kGlobalPool: return Pool();
    case ridge::Block::kClassifier: return Classifier();
    case ridge::Block::KIND_NOT_SET: break;
  }
  return absl::InvalidArgumentError(absl::StrCat(prefix_, ": no block kind"));
}

absl::Status Builder::FusedIb(const FusedIBBlock& f) {
  const int block_in = x_;
  ASSIGN_OR_RETURN(int e, Part("fused_expand"));
  ASSIGN_OR_RETURN(int p, Part("project"));
  ASSIGN_OR_RETURN(ConvSpec expand, Conv(absl::StrCat(prefix_, ".expand_k", f.kernel()), e, false, true));
  ASSIGN_OR_RETURN(ConvSpec project, Conv(prefix_ + ".project", p, false, true));
  if (L(p).residual) project.residual = block_in;
  ASSIGN_OR_RETURN(int h, EmitConv(x_, expand));
  ASSIGN_OR_RETURN(x_, EmitConv(h, project));
  return absl::OkStatus();
}

absl::Status Builder::Uib(const UIBBlock& u) {
  const int block_in = x_;
  int h = x_;
  const int a = u.start_dw_kernel(), m = u.mid_dw_kernel();
  if (a > 0) {
    ASSIGN_OR_RETURN(int layer, Part("start_dw"));
    const std::string name = absl::StrCat(prefix_, ".start_dw_k", a, "_s", m > 0 ? 1 : u.stride());
    ASSIGN_OR_RETURN(ConvSpec spec, Conv(name, layer, true, true));
    ASSIGN_OR_RETURN(h, EmitConv(h, spec));
  }
  ASSIGN_OR_RETURN(h, UibHidden(h, m));
  ASSIGN_OR_RETURN(int p, Part("project"));
  ASSIGN_OR_RETURN(ConvSpec project, Conv(prefix_ + ".project", p, false, true));
  if (L(p).residual) project.residual = block_in;
  ASSIGN_OR_RETURN(x_, EmitConv(h, project));
  return absl::OkStatus();
}

absl::StatusOr<int> Builder::UibHidden(int h, int mid_kernel) {
  std::unique_ptr<ConvSpec> expand, mid;
  if (parts_.count("expand") > 0) {
    ASSIGN_OR_RETURN(ConvSpec spec, Conv(prefix_ + ".expand", parts_.at("expand"), false, true));
    expand = std::make_unique<ConvSpec>(std::move(spec));
  }
  if (mid_kernel > 0) {
    ASSIGN_OR_RETURN(int layer, Part("mid_dw"));
    ASSIGN_OR_RETURN(ConvSpec spec, Conv(absl::StrCat(prefix_, ".mid_dw_k", mid_kernel), layer, true, true));
    mid = std::make_unique<ConvSpec>(std::move(spec));
  }
  // The shuffle sits between the expand conv and the middle DW, so the two
  // cannot run as one fused primitive.
  const bool shuffle = expand && L(expand->layer).shuffle_groups > 1;
  if (expand && mid && !shuffle) return EmitExpandDw(h, *expand, *mid);
  if (expand) {
    ASSIGN_OR_RETURN(h, EmitConv(h, *expand));
  }
  if (shuffle) {
    ASSIGN_OR_RETURN(h, EmitShuffle(h, expand->layer));
  }
  if (mid) {
    ASSIGN_OR_RETURN(h, EmitConv(h, *mid));
  }
  return h;
}

memory::desc Builder::PlainWeights(const ConvSpec& spec) const {
  const Layer& l = L(spec.layer);
  const int64_t k = l.kernel, g = spec.groups;
  if (spec.depthwise) return memory::desc({l.out.c, 1, 1, k, k}, dt::f32, tag::goihw);
  if (g > 1) return memory::desc({g, l.out.c / g, l.in.c / g, k, k}, dt::f32, tag::goihw);
  return memory::desc({l.out.c, l.in.c, k, k}, dt::f32, tag::oihw);
}

absl::StatusOr<int> Builder::EmitConv(int src, const ConvSpec& spec) {
  const Layer& l = L(spec.layer);
  const int64_t k = l.kernel, pad = (k - 1) / 2;
  const memory::dims src_dims{n_, l.in.c, l.in.h, l.in.w}, dst_dims{n_, l.out.c, l.out.h, l.out.w};
  const memory::desc w_plain = PlainWeights(spec);
  const memory::dims w_dims = w_plain.dims();
  dnnl::primitive_attr attr = plan_->Attr();
  dnnl::post_ops ops;
  if (spec.activation) ops.append_eltwise(1.0f, act_.algorithm, act_.alpha, act_.beta);
  if (spec.residual >= 0) ops.append_sum(1.0f);
  attr.set_post_ops(ops);

  const bool blocked = options_.blocked_layouts && !spec.plain_dst;
  const memory::desc src_any = options_.blocked_layouts ? AnyLayout(src_dims) : Nhwc(src_dims);
  memory::desc dst = blocked ? AnyLayout(dst_dims) : Nhwc(dst_dims);
  // The residual sum accumulates into the block input's buffer: ask for its
  // layout (the pinned network input is never overwritten).
  const bool in_place = spec.residual >= 0 && !plan_->value(spec.residual).pinned;
  if (in_place) dst = plan_->desc(spec.residual);
  const memory::desc src_now = plan_->desc(src);
  using Pd = dnnl::convolution_forward::primitive_desc;
  auto make = [&](const memory::desc& s, const memory::desc& d) {
    return [&, s, d] {
      dnnl::convolution_forward::desc cd(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                         s, AnyLayout(w_dims), Vec(l.out.c), d, {l.stride, l.stride}, {pad, pad},
                                         {pad, pad});
      return Pd(cd, attr, nn::Engine());
    };
  };
  // The input as it is first, which saves a reorder; then the layout oneDNN
  // likes; then NHWC, as oneDNN's "any" picks a blocked input even for an
  // NHWC output, which only its reference kernel takes; then, for a residual
  // layout it has no fast kernel for, its own output layout.
  std::vector<std::function<Pd()>> candidates = {make(src_now, dst), make(src_any, dst), make(Nhwc(src_dims), dst)};
  if (in_place && options_.blocked_layouts) candidates.push_back(make(src_any, AnyLayout(dst_dims)));
  ASSIGN_OR_RETURN(Pd pd, FirstFast<Pd>(l.name, candidates));
  return AddConvStep(src, spec, pd);
}

absl::StatusOr<int> Builder::AddConvStep(int src, const ConvSpec& spec,
                                         const dnnl::convolution_forward::primitive_desc& pd) {
  const Layer& l = L(spec.layer);
  const memory::desc w_plain = PlainWeights(spec);
  const int in = plan_->Convert(src, pd.src_desc(), spec.layer);
  Step step;
  step.what = absl::StrCat(l.name, spec.depthwise ? " depthwise" : " conv");
  step.layer = spec.layer;
  int out;
  if (spec.residual >= 0) {
    // In place needs a target in the output layout that is neither the
    // network input nor the conv's own input (a lone 1x1 conv with a
    // residual reads the block input): else a copy.
    int target = spec.residual;
    if (plan_->value(target).pinned || plan_->desc(target) != pd.dst_desc() ||
        plan_->Root(target) == plan_->Root(in)) {
      target = plan_->FreshCopy(target, pd.dst_desc(), spec.layer);
    }
    out = plan_->AddValue(pd.dst_desc(), target);
    step.values.push_back({kReadOnly, target, false, {}});
  } else {
    out = plan_->AddValue(pd.dst_desc());
  }
  step.values.push_back({DNNL_ARG_SRC, in, false, {}});
  step.values.push_back({DNNL_ARG_DST, out, true, {}});
  ASSIGN_OR_RETURN(step.args[DNNL_ARG_WEIGHTS], Constant(w_plain, pd.weights_desc(), spec.weights.data()));
  ASSIGN_OR_RETURN(step.args[DNNL_ARG_BIAS], Constant(Vec(l.out.c), pd.bias_desc(), spec.bias.data()));
  RETURN_IF_ERROR(nn::DnnlCall(step.what, [&] { step.primitive = dnnl::convolution_forward(pd); }));
  plan_->AddStep(std::move(step), pd);
  return out;
}

absl::StatusOr<int> Builder::EmitExpandDw(int src, const ConvSpec& expand, const ConvSpec& dw) {
  const Layer& d = L(dw.layer);
  // oneDNN's depthwise post-op: 3x3 with padding 1 only, and no residual
  // (the project conv carries it).
  if (options_.fuse_depthwise && options_.blocked_layouts && d.kernel == 3 && L(expand.layer).kernel == 1 &&
      expand.groups == 1) {
    absl::StatusOr<int> fused = EmitFusedExpandDw(src, expand, dw);
    if (fused.ok() || !absl::IsUnimplemented(fused.status())) return fused;
  }
  ASSIGN_OR_RETURN(int h, EmitConv(src, expand));
  return EmitConv(h, dw);
}

absl::StatusOr<int> Builder::EmitFusedExpandDw(int src, const ConvSpec& expand, const ConvSpec& dw) {
  const Layer& e = L(expand.layer);
  const Layer& d = L(dw.layer);
  const memory::dims src_dims{n_, e.in.c, e.in.h, e.in.w}, mid_dims{n_, e.out.c, e.out.h, e.out.w};
  const memory::dims w_dims{e.out.c, e.in.c, 1, 1};
  dnnl::primitive_attr attr = plan_->Attr();
  dnnl::post_ops ops;
  if (expand.activation) ops.append_eltwise(1.0f, act_.algorithm, act_.alpha, act_.beta);
  ops.append_dw(dt::f32, dt::f32, dt::f32, 3, d.stride, 1, 0, {});
  if (dw.activation) ops.append_eltwise(1.0f, act_.algorithm, act_.alpha, act_.beta);
  attr.set_post_ops(ops);
  using Pd = dnnl::convolution_forward::primitive_desc;
  auto make = [&](const memory::desc& s) {
    return [&, s] {
      dnnl::convolution_forward::desc cd(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                         s, AnyLayout(w_dims), Vec(e.out.c), AnyLayout(mid_dims), {1, 1},
                                         {0, 0}, {0, 0});
      return Pd(cd, attr, nn::Engine());
    };
  };
  absl::StatusOr<Pd> pd = FirstFast<Pd>(e.name, {make(plan_->desc(src)), make(AnyLayout(src_dims))});
  // Only a real fused kernel is worth it: oneDNN's reference wrapper
  // (ref_fused_convolution) runs the two kernels one after the other through
  // a scratch buffer, which gains nothing over two steps.
  const memory::dims want{n_, d.out.c, d.out.h, d.out.w};
  if (!pd.ok() || IsReference(*pd) || pd->dst_desc().dims() != want) {
    return absl::UnimplementedError(absl::StrCat(e.name, ": no fused 1x1 + depthwise kernel"));
  }
  const int in = plan_->Convert(src, pd->src_desc(), expand.layer);
  Step step;
  step.what = absl::StrCat(e.name, " conv + ", d.name, " depthwise");
  step.layer = expand.layer;
  const int out = plan_->AddValue(pd->dst_desc());
  step.values = {{DNNL_ARG_SRC, in, false, {}}, {DNNL_ARG_DST, out, true, {}}};
  constexpr int kDw = DNNL_ARG_ATTR_POST_OP_DW;
  const memory::desc dw_plain({d.out.c, 1, 1, 3, 3}, dt::f32, tag::goihw);
  ASSIGN_OR_RETURN(step.args[DNNL_ARG_WEIGHTS],
                   Constant(memory::desc(w_dims, dt::f32, tag::oihw), pd->weights_desc(), expand.weights.data()));
  ASSIGN_OR_RETURN(step.args[DNNL_ARG_BIAS], Constant(Vec(e.out.c), pd->bias_desc(), expand.bias.data()));
  ASSIGN_OR_RETURN(step.args[kDw | DNNL_ARG_WEIGHTS],
                   Constant(dw_plain, pd->query_md(dnnl::query::exec_arg_md, kDw | DNNL_ARG_WEIGHTS),
                            dw.weights.data()));
  ASSIGN_OR_RETURN(step.args[kDw | DNNL_ARG_BIAS],
                   Constant(Vec(d.out.c), pd->query_md(dnnl::query::exec_arg_md, kDw | DNNL_ARG_BIAS),
                            dw.bias.data()));
  RETURN_IF_ERROR(nn::DnnlCall(step.what, [&] { step.primitive = dnnl::convolution_forward(*pd); }));
  plan_->AddStep(std::move(step), *pd);
  return out;
}

absl::StatusOr<int> Builder::EmitShuffle(int src, int layer) {
  const Layer& l = L(layer);
  // oneDNN's group_size is the channels per group: its shuffle transposes
  // [c / group_size, group_size], ShuffleNet's [groups, c / groups].
  const int group_size = static_cast<int>(l.out.c / l.shuffle_groups);
  dnnl::shuffle_forward::primitive_desc pd;
  const absl::Status made = nn::DnnlCall(l.name, [&] {
    pd = dnnl::shuffle_forward::primitive_desc(
        dnnl::shuffle_forward::desc(dnnl::prop_kind::forward_inference, plan_->desc(src), 1, group_size),
        nn::Engine(), plan_->Attr());
  });
  // Its kernels take blocked layouts; on NHWC it has only a reference one.
  if (!made.ok() || IsReference(pd)) return EmitShuffleReorder(src, layer);
  Step step;
  step.what = l.name + " channel shuffle";
  step.layer = layer;
  const int out = plan_->AddValue(pd.dst_desc());
  step.values = {{DNNL_ARG_SRC, src, false, {}}, {DNNL_ARG_DST, out, true, {}}};
  RETURN_IF_ERROR(nn::DnnlCall(step.what, [&] { step.primitive = dnnl::shuffle_forward(pd); }));
  plan_->AddStep(std::move(step), pd);
  return out;
}

absl::StatusOr<int> Builder::EmitShuffleReorder(int src, int layer) {
  const Layer& l = L(layer);
  const nn::ShuffleViews views = nn::ChannelShuffleViews({n_, l.out.c, l.out.h, l.out.w}, l.shuffle_groups);
  const memory::desc nhwc = Nhwc({n_, l.out.c, l.out.h, l.out.w});
  const int in = plan_->Convert(src, nhwc, layer);
  dnnl::reorder::primitive_desc pd;
  RETURN_IF_ERROR(nn::DnnlCall(l.name, [&] {
    pd = dnnl::reorder::primitive_desc(nn::Engine(), views.grouped, nn::Engine(), views.interleaved,
                                       plan_->Attr());
  }));
  Step step;
  step.what = l.name + " channel shuffle (reorder)";
  step.layer = layer;
  const int out = plan_->AddValue(nhwc);
  step.values = {{DNNL_ARG_FROM, in, false, views.grouped}, {DNNL_ARG_TO, out, true, views.interleaved}};
  step.primitive = dnnl::reorder(pd);
  plan_->AddStep(std::move(step), pd);
  return out;
}

absl::Status Builder::Pool() {
  ASSIGN_OR_RETURN(int layer, Part("pool"));
  const Layer& l = L(layer);
  const memory::dims src_dims{n_, l.in.c, l.in.h, l.in.w}, dst_dims{n_, l.out.c, 1, 1};
  const memory::desc dst = options_.blocked_layouts ? AnyLayout(dst_dims) : Nhwc(dst_dims);
  const memory::desc src_any = options_.blocked_layouts ? AnyLayout(src_dims) : Nhwc(src_dims);
  using Pd = dnnl::pooling_forward::primitive_desc;
  auto make = [&](const memory::desc& s) {
    return [&, s] {
      return Pd(dnnl::pooling_forward::desc(dnnl::prop_kind::forward_inference,
                                            dnnl::algorithm::pooling_avg_exclude_padding, s, dst, {1, 1},
                                            {l.in.h, l.in.w}, {0, 0}, {0, 0}),
                plan_->Attr(), nn::Engine());
    };
  };
  ASSIGN_OR_RETURN(Pd pd, FirstFast<Pd>(l.name, {make(plan_->desc(x_)), make(src_any)}));
  Step step;
  step.what = l.name + " global pool";
  step.layer = layer;
  const int in = plan_->Convert(x_, pd.src_desc(), layer);
  x_ = plan_->AddValue(pd.dst_desc());
  step.values = {{DNNL_ARG_SRC, in, false, {}}, {DNNL_ARG_DST, x_, true, {}}};
  step.primitive = dnnl::pooling_forward(pd);
  plan_->AddStep(std::move(step), pd);
  return absl::OkStatus();
}

absl::Status Builder::Classifier() {
  ASSIGN_OR_RETURN(int layer, Part("fc"));
  const Layer& l = L(layer);
  const int64_t in_c = l.in.c, out = l.out.c;
  ASSIGN_OR_RETURN(const float* w, Get(prefix_ + ".fc.weight", out * in_c));
  ASSIGN_OR_RETURN(const float* b, Get(prefix_ + ".fc.bias", out));
  // The pooled tensor is n x c x 1 x 1 in whatever layout; the inner product
  // takes it as is, with 4-D weights [out, c, 1, 1] (the same bytes as the
  // engine's [out, c]).
  const memory::dims src_dims{n_, in_c, 1, 1}, w_dims{out, in_c, 1, 1};
  const memory::desc dst({n_, out}, dt::f32, tag::ab);
  using Pd = dnnl::inner_product_forward::primitive_desc;
  auto make = [&](const memory::desc& s) {
    return [&, s] {
      return Pd(dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, s, AnyLayout(w_dims),
                                                  Vec(out), dst),
                plan_->Attr(), nn::Engine());
    };
  };
  ASSIGN_OR_RETURN(Pd pd, FirstFast<Pd>(l.name, {make(plan_->desc(x_)), make(AnyLayout(src_dims))}));
  Step step;
  step.what = l.name + " inner product";
  step.layer = layer;
  const int in = plan_->Convert(x_, pd.src_desc(), layer);
  x_ = plan_->AddValue(pd.dst_desc());
  step.values = {{DNNL_ARG_SRC, in, false, {}}, {DNNL_ARG_DST, x_, true, {}}};
  ASSIGN_OR_RETURN(step.args[DNNL_ARG_WEIGHTS], Constant(memory::desc(w_dims, dt::f32, tag::oihw), pd.weights_desc(), w));
  ASSIGN_OR_RETURN(step.args[DNNL_ARG_BIAS], Constant(Vec(out), pd.bias_desc(), b));
  step.primitive = dnnl::inner_product_forward(pd);
  plan_->AddStep(std::move(step), pd);
  return absl::OkStatus();
}

absl::StatusOr<BuiltPlan> BuildPlan(const Architecture& arch, const NetworkLayers& layers, int batch,
                                    const nn::ParamStore& params, const ExecutorOptions& options, Plan* plan) {
  return Builder(arch, layers, batch, params, options, plan).Build();
}

}  // namespace ridge::nn::internal
