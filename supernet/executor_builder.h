// Internal to the inference executor: the Builder that turns an Architecture
// into the plan's steps, block by block (executor_layers.cc for conv-type
// blocks, pooling and the classifier; executor_attention.cc for Mobile MQA
// and MHSA).
// The math follows supernet/blocks.cc in inference mode.
#ifndef RIDGE_SUPERNET_EXECUTOR_BUILDER_H_
#define RIDGE_SUPERNET_EXECUTOR_BUILDER_H_

#include <dnnl.hpp>

#include <array>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "proto/architecture.pb.h"
#include "proto/layers.h"
#include "supernet/dnnl_context.h"
#include "supernet/param.h"
#include "supernet/executor.h"
#include "supernet/executor_plan.h"

namespace ridge::nn::internal {

// The training engine's BN epsilon (BatchNormOp's default).
inline constexpr float kBnEpsilon = 1e-5f;

inline dnnl::memory::desc Nhwc(const dnnl::memory::dims& d) {
  return dnnl::memory::desc(d, dnnl::memory::data_type::f32, dnnl::memory::format_tag::nhwc);
}
inline dnnl::memory::desc AnyLayout(const dnnl::memory::dims& d) {
  return dnnl::memory::desc(d, dnnl::memory::data_type::f32, dnnl::memory::format_tag::any);
}
inline dnnl::memory::desc Vec(int64_t n) {
  return dnnl::memory::desc({n}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::a);
}

inline bool IsReference(const dnnl::primitive_desc_base& pd) {
  return absl::StartsWith(pd.impl_info_str(), "ref");
}

// Returns the first candidate oneDNN builds with an optimized kernel, else the
// first it builds at all (a reference kernel is slow but correct).
template <typename Pd>
absl::StatusOr<Pd> FirstFast(const std::string& what, const std::vector<std::function<Pd()>>& candidates) {
  Pd fallback;
  bool have_fallback = false;
  absl::Status last = absl::InternalError(what + ": no candidate");
  for (const auto& make : candidates) {
    Pd pd;
    absl::Status s = nn::DnnlCall(what, [&] { pd = make(); });
    if (!s.ok()) {
      last = s;
      continue;
    }
    if (!IsReference(pd)) return pd;
    if (!have_fallback) fallback = pd, have_fallback = true;
  }
  if (have_fallback) return fallback;
  return last;
}

struct EltwiseAlgo {
  dnnl::algorithm algorithm;
  float alpha, beta;
};

// A conv layer ready to build: BN and layer scale already folded in.
struct ConvSpec {
  int layer = 0;  // InferLayers index.
  bool depthwise = false;
  int groups = 1;              // A grouped (not depthwise) conv: FBNet's g2 1x1 convs.
  // OIHW; GOIHW for depthwise (G = channels, O = I = 1) and grouped convs (the
  // dense weight's diagonal blocks, O = out / G, I = in / G).
  std::vector<float> weights;
  std::vector<float> bias;     // One per output channel.
  bool activation = false;
  int residual = -1;       // Value added in place by a sum post-op, or -1.
  bool plain_dst = false;  // NHWC output: the MQA matmuls read it as a matrix.
};

struct BnParams {
  const float *scale, *shift, *mean, *var;
};

class Builder {
 public:
  Builder(const Architecture& arch, const NetworkLayers& net, int batch, const nn::ParamStore& params,
          const ExecutorOptions& options, Plan* plan);

  absl::StatusOr<BuiltPlan> Build();

 private:
  const Layer& L(int layer) const { return net_.layers[layer]; }
  int LastLayer() const { return static_cast<int>(net_.layers.size()) - 1; }
  // The current block's layer named blocks.<b>.<part>.
  absl::StatusOr<int> Part(const std::string& part) const;

  // A parameter of exactly `size` floats; INVALID_ARGUMENT names it if it is
  // missing or of another size.
  absl::StatusOr<const float*> Get(const std::string& name, int64_t size) const;
  absl::StatusOr<BnParams> Bn(const std::string& name, int64_t c) const;
  // The ConvBn named `name` for `layer`, BN (if any) and layer scale (if the
  // layer has one) folded in.
  absl::StatusOr<ConvSpec> Conv(const std::string& name, int layer, bool depthwise, bool batch_norm) const;
  // A 1x1 conv whose input is norm(x) = s x + t per input channel, with the
  // norm folded in: W' = W diag(s), b = W t. Exact for 1x1 convs only,
  // because padding would see norm(0) = t where the engine sees 0.
  absl::StatusOr<ConvSpec> NormedPointwise(const std::string& name, int layer, const std::vector<double>& s,
                                           const std::vector<double>& t) const;
  // `data` (in layout `plain`) copied once into a new memory of layout `desc`.
  absl::StatusOr<dnnl::memory> Constant(const dnnl::memory::desc& plain, const dnnl::memory::desc& desc,
                                        const float* data) const;

  absl::Status Block(const ridge::Block& b);
  absl::Status FusedIb(const FusedIBBlock& f);
  absl::Status Uib(const UIBBlock& u);
  // A UIB's expand conv, channel shuffle and middle DW, those it has, from h.
  absl::StatusOr<int> UibHidden(int h, int mid_kernel);
  absl::Status Mqa(const MQABlock& q);
  // The MQA block's query, key and value 1x1 convs (with the key and value
  // DW convs when downsampled), from x_; `query` is the query layer.
  absl::StatusOr<std::array<int, 3>> EmitQkv(const MQABlock& q, int query);
  // softmax(scale q k^T) v into a new NHWC value of `in`'s spatial size.
  absl::StatusOr<int> EmitAttention(const MQABlock& q, const std::array<int, 3>& qkv, const Dims& in);
  absl::Status Pool();
  absl::Status Classifier();

  // Steps; each returns the value it writes.
  absl::StatusOr<int> EmitConv(int src, const ConvSpec& spec);
  // The step that runs the conv `pd` chose (EmitConv): its input converted,
  // its output in place over the residual where it can, its weights reordered.
  absl::StatusOr<int> AddConvStep(int src, const ConvSpec& spec,
                                  const dnnl::convolution_forward::primitive_desc& pd);
  // The plain layout of the conv's weights.
  dnnl::memory::desc PlainWeights(const ConvSpec& spec) const;
  absl::StatusOr<int> EmitExpandDw(int src, const ConvSpec& expand, const ConvSpec& dw);
  // ShuffleNet's channel shuffle of `layer`'s output (Layer::shuffle_groups).
  absl::StatusOr<int> EmitShuffle(int src, int layer);
  // The shuffle as a reorder between two views of NHWC bytes.
  absl::StatusOr<int> EmitShuffleReorder(int src, int layer);
  // UNIMPLEMENTED when oneDNN has no fast fused kernel for the pair.
  absl::StatusOr<int> EmitFusedExpandDw(int src, const ConvSpec& expand, const ConvSpec& dw);
  // MQA's input BN as its own step (when it cannot be folded).
  absl::StatusOr<int> EmitNorm(int src, const BnParams& norm, int64_t c, int layer);
  // dst = scale * a b over batched row-major matrices; `a` and `b` read
  // through `a_view` and `b_view`. `dst_value` >= 0 writes into that value
  // through `dst_view`, else into a new value of layout `dst_view`.
  absl::StatusOr<int> EmitMatmul(int a, const dnnl::memory::desc& a_view, int b, const dnnl::memory::desc& b_view,
                                 const dnnl::memory::desc& dst_view, int dst_value, float scale, int layer,
                                 const std::string& what);
  // Softmax over the last axis, in place.
  absl::StatusOr<int> EmitSoftmax(int src, int layer);

  const Architecture& arch_;
  const NetworkLayers& net_;
  const int64_t n_;
  const nn::ParamStore& params_;
  const ExecutorOptions& options_;
  Plan* plan_;
  const EltwiseAlgo act_;
  int x_ = 0;  // The current activation value.
  std::string prefix_;                // "blocks.<b>".
  std::map<std::string, int> parts_;  // The current block's layers by name suffix.
};

}  // namespace ridge::nn::internal

#endif  // RIDGE_SUPERNET_EXECUTOR_BUILDER_H_
