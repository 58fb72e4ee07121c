// Mobile MQA and MHSA in the executor (MobileNetV4 paper, Sec. 4.2; engine:
// MqaModule in supernet/blocks.cc): input BN, a 1x1 query conv to heads x
// key_dim, key and value 1x1 convs (each after a stride-2 3x3 DW conv with BN
// when downsampled) to one shared head (MQA) or a head per query head
// (MHSA), softmax(q k^T / sqrt(key_dim)) v per head, a 1x1 output conv,
// layer scale and the residual.
#include <array>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "supernet/executor_builder.h"
#include "supernet/ops.h"

namespace ridge::nn::internal {

using dnnl::memory;

absl::StatusOr<ConvSpec> Builder::NormedPointwise(const std::string& name, int layer, const std::vector<double>& s,
                                                  const std::vector<double>& t) const {
  ASSIGN_OR_RETURN(ConvSpec spec, Conv(name, layer, false, false));
  const int64_t in = L(layer).in.c, out = L(layer).out.c;
  for (int64_t o = 0; o < out; ++o) {
    double bias = spec.bias[o];
    for (int64_t c = 0; c < in; ++c) {
      float& w = spec.weights[o * in + c];
      bias += w * t[c];
      w = static_cast<float>(w * s[c]);
    }
    spec.bias[o] = static_cast<float>(bias);
  }
  return spec;
}

absl::StatusOr<int> Builder::EmitNorm(int src, const BnParams& norm, int64_t c, int layer) {
  dnnl::batch_normalization_forward::primitive_desc pd;
  const auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
                     dnnl::normalization_flags::use_shift;
  RETURN_IF_ERROR(nn::DnnlCall(prefix_ + ".norm", [&] {
    pd = dnnl::batch_normalization_forward::primitive_desc(
        dnnl::batch_normalization_forward::desc(dnnl::prop_kind::forward_inference, plan_->desc(src), kBnEpsilon,
                                                flags),
        plan_->Attr(), nn::Engine());
  }));
  Step step;
  step.what = prefix_ + ".norm batch norm";
  step.layer = layer;
  const int out = plan_->AddValue(pd.dst_desc());
  step.values = {{DNNL_ARG_SRC, src, false, {}}, {DNNL_ARG_DST, out, true, {}}};
  ASSIGN_OR_RETURN(step.args[DNNL_ARG_MEAN], Constant(Vec(c), Vec(c), norm.mean));
  ASSIGN_OR_RETURN(step.args[DNNL_ARG_VARIANCE], Constant(Vec(c), Vec(c), norm.var));
  ASSIGN_OR_RETURN(step.args[DNNL_ARG_SCALE], Constant(Vec(c), Vec(c), norm.scale));
  ASSIGN_OR_RETURN(step.args[DNNL_ARG_SHIFT], Constant(Vec(c), Vec(c), norm.shift));
  step.primitive = dnnl::batch_normalization_forward(pd);
  plan_->AddStep(std::move(step), pd);
  return out;
}

absl::StatusOr<int> Builder::EmitMatmul(int a, const memory::desc& a_view, int b, const memory::desc& b_view,
                                        const memory::desc& dst_view, int dst_value, float scale, int layer,
                                        const std::string& what) {
  dnnl::primitive_attr attr = plan_->Attr();
  if (scale != 1.0f) attr.set_output_scales(0, {scale});
  dnnl::matmul::primitive_desc pd;
  RETURN_IF_ERROR(nn::DnnlCall(what, [&] {
    pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_view, b_view, dst_view), attr, nn::Engine());
  }));
  Step step;
  step.what = what;
  step.layer = layer;
  const int out = dst_value >= 0 ? dst_value : plan_->AddValue(dst_view);
  step.values = {{DNNL_ARG_SRC, a, false, a_view}, {DNNL_ARG_WEIGHTS, b, false, b_view},
                 {DNNL_ARG_DST, out, true, dst_view}};
  step.primitive = dnnl::matmul(pd);
  plan_->AddStep(std::move(step), pd);
  return out;
}

absl::StatusOr<int> Builder::EmitSoftmax(int src, int layer) {
  dnnl::softmax_forward::primitive_desc pd;
  const memory::desc& d = plan_->desc(src);
  RETURN_IF_ERROR(nn::DnnlCall(L(layer).name, [&] {
    pd = dnnl::softmax_forward::primitive_desc(
        dnnl::softmax_forward::desc(dnnl::prop_kind::forward_inference, d, static_cast<int>(d.dims().size()) - 1),
        plan_->Attr(), nn::Engine());
  }));
  Step step;
  step.what = L(layer).name + " softmax";
  step.layer = layer;
  const int out = plan_->AddValue(d, /*alias=*/src);
  step.values = {{DNNL_ARG_SRC, src, false, {}}, {DNNL_ARG_DST, out, true, {}}};
  step.primitive = dnnl::softmax_forward(pd);
  plan_->AddStep(std::move(step), pd);
  return out;
}

absl::StatusOr<std::array<int, 3>> Builder::EmitQkv(const MQABlock& q, int query) {
  const Dims in = L(query).in;
  ASSIGN_OR_RETURN(BnParams norm, Bn(prefix_ + ".norm", in.c));
  std::vector<double> s(in.c), t(in.c);
  for (int64_t c = 0; c < in.c; ++c) {
    s[c] = norm.scale[c] / std::sqrt(double{norm.var[c]} + kBnEpsilon);
    t[c] = norm.shift[c] - norm.mean[c] * s[c];
  }
  // Downsampled keys and values read norm(x) through a padded 3x3 DW conv,
  // where the norm cannot be folded: then it runs as its own step,
  // attributed to the query layer, which carries the input norm.
  const bool downsample = q.kv_stride() > 1;
  int normed = x_;
  if (downsample) {
    ASSIGN_OR_RETURN(normed, EmitNorm(x_, norm, in.c, query));
  }
  std::array<int, 3> qkv;
  const char* names[3] = {"query", "key", "value"};
  for (int i = 0; i < 3; ++i) {
    int src = normed;
    if (downsample && i > 0) {
      const std::string dw_name = absl::StrCat(names[i], "_dw");
      ASSIGN_OR_RETURN(int dw_layer, Part(dw_name));
      ASSIGN_OR_RETURN(ConvSpec dw, Conv(absl::StrCat(prefix_, ".", dw_name), dw_layer, true, true));
      // NHWC like the 1x1 after it, so that one reorder of norm(x) serves
      // the query and both DWs.
      dw.plain_dst = true;
      ASSIGN_OR_RETURN(src, EmitConv(src, dw));
    }
    ASSIGN_OR_RETURN(int layer, Part(names[i]));
    const std::string name = absl::StrCat(prefix_, ".", names[i]);
    ASSIGN_OR_RETURN(ConvSpec spec, downsample ? Conv(name, layer, false, false) : NormedPointwise(name, layer, s, t));
    spec.plain_dst = true;
    ASSIGN_OR_RETURN(qkv[i], EmitConv(src, spec));
  }
  return qkv;
}

absl::StatusOr<int> Builder::EmitAttention(const MQABlock& q, const std::array<int, 3>& qkv, const Dims& in) {
  ASSIGN_OR_RETURN(int scores_layer, Part("attn_scores"));
  ASSIGN_OR_RETURN(int values_layer, Part("attn_values"));
  const int64_t heads = q.heads(), dim = q.key_dim();
  // q, k and v stay NHWC; the matmuls read them through views, as the
  // engine does: MQA stacks every pixel's heads as the rows of one matrix
  // per image, MHSA takes one matrix per image and head.
  const AttentionViews views =
      MakeAttentionViews(n_, heads, in.h * in.w, L(scores_layer).kv_tokens, dim, q.multi_head());
  // The 1 / sqrt(dim) scale rides on the matmul as its output scale.
  ASSIGN_OR_RETURN(int scores, EmitMatmul(qkv[0], views.q, qkv[1], Transposed(views.kv), views.scores, -1,
                                          1.0f / std::sqrt(static_cast<float>(dim)), scores_layer,
                                          L(scores_layer).name + " matmul"));
  ASSIGN_OR_RETURN(int probs, EmitSoftmax(scores, scores_layer));
  // probs v lands directly in the NHWC [HW, heads * dim] tensor of the
  // output conv.
  const int attended = plan_->AddValue(Nhwc({n_, heads * dim, in.h, in.w}));
  return EmitMatmul(probs, views.scores, qkv[2], views.kv, views.q, attended, 1.0f, values_layer,
                    L(values_layer).name + " matmul");
}

absl::Status Builder::Mqa(const MQABlock& q) {
  const int block_in = x_;
  ASSIGN_OR_RETURN(int query, Part("query"));
  ASSIGN_OR_RETURN(int output, Part("output"));
  ASSIGN_OR_RETURN(auto qkv, EmitQkv(q, query));
  ASSIGN_OR_RETURN(x_, EmitAttention(q, qkv, L(query).in));
  ASSIGN_OR_RETURN(ConvSpec out_spec, Conv(prefix_ + ".output", output, false, false));
  out_spec.residual = block_in;
  ASSIGN_OR_RETURN(x_, EmitConv(x_, out_spec));
  return absl::OkStatus();
}

}  // namespace ridge::nn::internal
