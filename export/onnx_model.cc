#include "export/onnx_model.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace ridge::exporter {
namespace {

using Attrs = std::vector<onnx::AttributeProto>;

onnx::AttributeProto Attr(const std::string& name, onnx::AttributeProto::AttributeType type) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(type);
  return a;
}

onnx::AttributeProto IntAttr(const std::string& name, int64_t v) {
  onnx::AttributeProto a = Attr(name, onnx::AttributeProto::INT);
  a.set_i(v);
  return a;
}

onnx::AttributeProto IntsAttr(const std::string& name, const std::vector<int64_t>& v) {
  onnx::AttributeProto a = Attr(name, onnx::AttributeProto::INTS);
  for (int64_t x : v) a.add_ints(x);
  return a;
}

onnx::AttributeProto FloatAttr(const std::string& name, float v) {
  onnx::AttributeProto a = Attr(name, onnx::AttributeProto::FLOAT);
  a.set_f(v);
  return a;
}

// Adds nodes and initializers to one graph; tensor names stay unique.
class GraphBuilder {
 public:
  GraphBuilder(onnx::GraphProto* graph, const std::vector<NamedTensor>& state_dict) : graph_(graph) {
    for (const NamedTensor& t : state_dict) weights_[t.name] = &t;
  }

  // Appends `op` on `inputs`; returns its one output, named after `hint`.
  std::string Node(const std::string& op, const std::vector<std::string>& inputs, const std::string& hint,
                   const Attrs& attrs = {}) {
    onnx::NodeProto* n = graph_->add_node();
    const std::string out = Fresh(hint);
    n->set_op_type(op);
    n->set_name(out);
    for (const std::string& in : inputs) n->add_input(in);
    n->add_output(out);
    for (const onnx::AttributeProto& a : attrs) *n->add_attribute() = a;
    return out;
  }

  // The state_dict tensor `name` as an initializer, optionally with other
  // dims of the same element count (layer scale as C x 1 x 1).
  absl::StatusOr<std::string> Weight(const std::string& name, const std::vector<int64_t>& dims = {}) {
    auto it = weights_.find(name);
    if (it == weights_.end()) return absl::InternalError(absl::StrCat("no weight '", name, "' to export"));
    onnx::TensorProto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims.empty() ? it->second->shape : dims) t->add_dims(d);
    t->set_raw_data(it->second->bytes);
    return name;
  }

  // A float constant (a scalar when dims is empty), made once per name.
  std::string Floats(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& v) {
    if (!constants_.insert(name).second) return name;
    onnx::TensorProto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    for (float x : v) t->add_float_data(x);
    return name;
  }

  // An int64 vector constant (Reshape's shape).
  std::string Int64s(const std::string& name, const std::vector<int64_t>& v) {
    if (!constants_.insert(name).second) return name;
    onnx::TensorProto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(v.size()));
    for (int64_t x : v) t->add_int64_data(x);
    return name;
  }

 private:
  std::string Fresh(const std::string& hint) {
    const int n = used_[hint]++;
    return n == 0 ? hint : absl::StrCat(hint, "_", n);
  }

  onnx::GraphProto* graph_;
  std::map<std::string, const NamedTensor*> weights_;
  std::map<std::string, int> used_;
  std::set<std::string> constants_;
};

// The network's activation after `x`. Opset 13 has neither HardSwish (opset
// 14) nor Gelu (opset 20), so they are spelled out: x * HardSigmoid(x) with
// alpha 1/6, beta 1/2 is x * relu6(x + 3) / 6; exact GELU is
// x * (1 + erf(x / sqrt 2)) / 2, as oneDNN's eltwise_gelu_erf.
std::string Activate(GraphBuilder& g, Activation act, const std::string& x) {
  switch (act) {
    case RELU6: {
      // Not Clip: opset 13's Clip takes its bounds as inputs, which OpenCV 4.6
      // refuses. 6 * HardSigmoid(x) with alpha 1/6, beta 0 is min(max(x, 0), 6).
      std::string unit = g.Node("HardSigmoid", {x}, x + ".hsig", {FloatAttr("alpha", 1.0f / 6), FloatAttr("beta", 0)});
      return g.Node("Mul", {unit, g.Floats("const.six", {}, {6})}, x + ".relu6");
    }
    case HARD_SWISH: {
      std::string gate = g.Node("HardSigmoid", {x}, x + ".hsig",
                                {FloatAttr("alpha", 1.0f / 6), FloatAttr("beta", 0.5f)});
      return g.Node("Mul", {x, gate}, x + ".hswish");
    }
    case GELU: {
      std::string t = g.Node("Div", {x, g.Floats("const.sqrt2", {}, {std::sqrt(2.0f)})}, x + ".gelu_div");
      t = g.Node("Erf", {t}, x + ".gelu_erf");
      t = g.Node("Add", {t, g.Floats("const.one", {}, {1})}, x + ".gelu_add");
      t = g.Node("Mul", {x, t}, x + ".gelu_mul");
      return g.Node("Mul", {t, g.Floats("const.half", {}, {0.5f})}, x + ".gelu");
    }
    default:
      return g.Node("Relu", {x}, x + ".relu");
  }
}

absl::StatusOr<std::string> BatchNorm(GraphBuilder& g, const std::string& name, const std::string& x) {
  std::vector<std::string> in = {x};
  for (const char* part : {".weight", ".bias", ".running_mean", ".running_var"}) {
    ASSIGN_OR_RETURN(std::string w, g.Weight(name + part));
    in.push_back(w);
  }
  return g.Node("BatchNormalization", in, name, {FloatAttr("epsilon", 1e-5f)});
}

// ShuffleNet's channel shuffle of a conv's output, in 4-D as OpenCV's
// importer takes it: [n, groups, c / groups, h * w], the two channel axes
// swapped, back to [n, c, h, w].
std::string ChannelShuffle(GraphBuilder& g, const ConvSpec& c, const std::string& name, const std::string& x) {
  const int64_t groups = c.shuffle;
  const std::string split = g.Int64s(name + ".shuffle_split", {0, groups, c.out / groups, c.out_h * c.out_w});
  const std::string merge = g.Int64s(name + ".shuffle_merge", {0, c.out, c.out_h, c.out_w});
  std::string y = g.Node("Reshape", {x, split}, name + ".shuffle_groups");
  y = g.Node("Transpose", {y}, name + ".shuffle_transpose", {IntsAttr("perm", {0, 2, 1, 3})});
  return g.Node("Reshape", {y, merge}, name + ".shuffle");
}

absl::StatusOr<std::string> ConvBn(GraphBuilder& g, const ModelSpec& spec, const BlockSpec& b, const ConvSpec& c,
                                   const std::string& x) {
  const std::string name = absl::StrCat(b.prefix, ".", c.role);
  ASSIGN_OR_RETURN(std::string w, g.Weight(name + ".conv.weight"));
  const int64_t pad = (c.kernel - 1) / 2;
  std::string y = g.Node("Conv", {x, w}, name + ".conv",
                         {IntsAttr("kernel_shape", {c.kernel, c.kernel}), IntsAttr("strides", {c.stride, c.stride}),
                          IntsAttr("pads", {pad, pad, pad, pad}),
                          IntAttr("group", c.depthwise ? c.in : c.groups)});
  if (c.batch_norm) {
    ASSIGN_OR_RETURN(y, BatchNorm(g, name + ".bn", y));
  }
  if (c.activation) y = Activate(g, spec.activation, y);
  if (c.shuffle > 1) y = ChannelShuffle(g, c, name, y);
  return y;
}

// Runs, from x, the block's convs whose role is in `roles`, in block order.
absl::StatusOr<std::string> Chain(GraphBuilder& g, const ModelSpec& spec, const BlockSpec& b,
                                  const std::vector<std::string>& roles, std::string x) {
  for (const ConvSpec& c : b.convs) {
    if (std::find(roles.begin(), roles.end(), c.role) != roles.end()) {
      ASSIGN_OR_RETURN(x, ConvBn(g, spec, b, c, x));
    }
  }
  return x;
}

// Layer scale, then the residual, when the block has them.
absl::StatusOr<std::string> Finish(GraphBuilder& g, const BlockSpec& b, const std::string& x, std::string y) {
  if (b.layer_scale) {
    ASSIGN_OR_RETURN(std::string gamma, g.Weight(b.prefix + ".layer_scale.gamma", {b.out, 1, 1}));
    y = g.Node("Mul", {y, gamma}, b.prefix + ".layer_scale");
  }
  if (b.residual) y = g.Node("Add", {x, y}, b.prefix + ".residual");
  return y;
}

// Mobile MQA's attention as in supernet/blocks.cc: per image, the queries of
// every pixel and head form one [hw * heads, d] matrix against the shared
// [d, m] keys, so attention is two same-batch 3-D MatMuls (no broadcasting,
// which OpenCV's importer does not take). Returns the attended
// [n, heads * d, h, w] map.
std::string SharedHeadAttention(GraphBuilder& g, const BlockSpec& b, std::string q, std::string k, std::string v) {
  const std::string p = b.prefix;
  const int64_t heads = b.heads, d = b.key_dim, hw = b.out_h * b.out_w;
  q = g.Node("Reshape", {q, g.Int64s(p + ".q_shape", {0, heads, d, hw})}, p + ".q_heads");
  q = g.Node("Transpose", {q}, p + ".q_pixels", {IntsAttr("perm", {0, 3, 1, 2})});  // n, hw, heads, d
  q = g.Node("Reshape", {q, g.Int64s(p + ".q_rows_shape", {0, hw * heads, d})}, p + ".q_rows");
  const std::string kv_shape = g.Int64s(p + ".kv_shape", {0, d, -1});
  k = g.Node("Reshape", {k, kv_shape}, p + ".k_cols");  // n, d, m
  v = g.Node("Reshape", {v, kv_shape}, p + ".v_cols");
  v = g.Node("Transpose", {v}, p + ".v_rows", {IntsAttr("perm", {0, 2, 1})});  // n, m, d
  // The scale goes on q rather than on q k^T (Ridge scales the product): the
  // same to float rounding, and OpenCV 4.6 miscomputes a MatMul fused with
  // the Mul after it when m = d (docs/export.md).
  q = g.Node("Mul", {q, g.Floats(p + ".scale", {}, {1.0f / std::sqrt(static_cast<float>(d))})}, p + ".q_scaled");
  std::string s = g.Node("MatMul", {q, k}, p + ".scores");
  s = g.Node("Softmax", {s}, p + ".softmax", {IntAttr("axis", 2)});
  std::string o = g.Node("MatMul", {s, v}, p + ".attended");  // n, hw * heads, d
  o = g.Node("Reshape", {o, g.Int64s(p + ".o_pixels_shape", {0, hw, heads * d})}, p + ".attended_pixels");
  o = g.Node("Transpose", {o}, p + ".attended_channels", {IntsAttr("perm", {0, 2, 1})});
  return g.Node("Reshape", {o, g.Int64s(p + ".o_shape", {0, heads * d, b.out_h, b.out_w})}, p + ".attended_map");
}

// Tokens of the keys and values: the key conv's output size.
int64_t KvTokens(const BlockSpec& b) {
  for (const ConvSpec& c : b.convs) {
    if (c.role == "key") return c.out_h * c.out_w;
  }
  return 0;
}

// MHSA's attention: NCHW channels are head-major, so [n, heads * d, h, w]
// reshapes to one [d, hw] matrix per image and head, batched as n * heads
// in 3-D MatMuls like Mobile MQA's. Returns the attended [n, heads * d, h, w]
// map.
std::string PerHeadAttention(GraphBuilder& g, const BlockSpec& b, std::string q, std::string k, std::string v) {
  const std::string p = b.prefix;
  const int64_t heads = b.heads, d = b.key_dim, hw = b.out_h * b.out_w, m = KvTokens(b);
  q = g.Node("Reshape", {q, g.Int64s(p + ".q_shape", {-1, d, hw})}, p + ".q_heads");  // n * heads, d, hw
  q = g.Node("Transpose", {q}, p + ".q_rows", {IntsAttr("perm", {0, 2, 1})});          // n * heads, hw, d
  const std::string kv_shape = g.Int64s(p + ".kv_shape", {-1, d, m});
  k = g.Node("Reshape", {k, kv_shape}, p + ".k_cols");  // n * heads, d, m
  v = g.Node("Reshape", {v, kv_shape}, p + ".v_cols");
  v = g.Node("Transpose", {v}, p + ".v_rows", {IntsAttr("perm", {0, 2, 1})});  // n * heads, m, d
  // On q, as for Mobile MQA.
  q = g.Node("Mul", {q, g.Floats(p + ".scale", {}, {1.0f / std::sqrt(static_cast<float>(d))})}, p + ".q_scaled");
  std::string s = g.Node("MatMul", {q, k}, p + ".scores");
  s = g.Node("Softmax", {s}, p + ".softmax", {IntAttr("axis", 2)});
  std::string o = g.Node("MatMul", {s, v}, p + ".attended");  // n * heads, hw, d
  o = g.Node("Transpose", {o}, p + ".attended_channels", {IntsAttr("perm", {0, 2, 1})});
  return g.Node("Reshape", {o, g.Int64s(p + ".o_shape", {-1, heads * d, b.out_h, b.out_w})}, p + ".attended_map");
}

// Mobile MQA or MHSA: input BN, the query, key and value convs, attention,
// the output conv, layer scale and the residual.
absl::StatusOr<std::string> Mqa(GraphBuilder& g, const ModelSpec& spec, const BlockSpec& b, const std::string& x) {
  ASSIGN_OR_RETURN(std::string xn, BatchNorm(g, b.prefix + ".norm", x));
  ASSIGN_OR_RETURN(std::string q, Chain(g, spec, b, {"query"}, xn));
  ASSIGN_OR_RETURN(std::string k, Chain(g, spec, b, {"key_dw", "key"}, xn));
  ASSIGN_OR_RETURN(std::string v, Chain(g, spec, b, {"value_dw", "value"}, xn));
  std::string o = b.multi_head ? PerHeadAttention(g, b, q, k, v) : SharedHeadAttention(g, b, q, k, v);
  ASSIGN_OR_RETURN(o, Chain(g, spec, b, {"output"}, o));
  return Finish(g, b, x, o);
}

absl::StatusOr<std::string> EmitBlock(GraphBuilder& g, const ModelSpec& spec, const BlockSpec& b,
                                      const std::string& x) {
  switch (b.kind) {
    case Block::kMqa: return Mqa(g, spec, b, x);
    // Pooling keeps n x c x 1 x 1, as Ridge does: the MobileNetV4 head runs a
    // 1x1 conv after it. The classifier flattens.
    case Block::kGlobalPool: return g.Node("GlobalAveragePool", {x}, b.prefix + ".pool");
    case Block::kClassifier: {
      ASSIGN_OR_RETURN(std::string w, g.Weight(b.prefix + ".fc.weight"));
      ASSIGN_OR_RETURN(std::string bias, g.Weight(b.prefix + ".fc.bias"));
      std::string flat = g.Node("Flatten", {x}, b.prefix + ".flatten", {IntAttr("axis", 1)});
      return g.Node("Gemm", {flat, w, bias}, b.prefix + ".fc", {IntAttr("transB", 1)});
    }
    default: {
      std::vector<std::string> roles;
      for (const ConvSpec& c : b.convs) roles.push_back(c.role);
      ASSIGN_OR_RETURN(std::string y, Chain(g, spec, b, roles, x));
      return Finish(g, b, x, y);
    }
  }
}

void SetType(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& dims) {
  v->set_name(name);
  onnx::TypeProto::Tensor* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  t->mutable_shape()->add_dim()->set_dim_param("batch");
  for (int64_t d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
}

// The output's dims after the batch: [classes] after the classifier, else
// the last feature map's C x H x W.
std::vector<int64_t> OutputDims(const ModelSpec& spec) {
  const BlockSpec& last = spec.blocks.back();
  if (last.kind == Block::kClassifier) return {last.out};
  return {last.out, last.out_h, last.out_w};
}

}  // namespace

absl::StatusOr<onnx::ModelProto> OnnxModel(const ModelSpec& spec, const std::vector<NamedTensor>& state_dict) {
  onnx::ModelProto model;
  model.set_ir_version(7);  // The IR version of opset 13 (ONNX 1.8).
  model.set_producer_name("ridge");
  model.set_doc_string(spec.encoding);
  onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name(spec.name);
  GraphBuilder g(graph, state_dict);
  SetType(graph->add_input(), "input", {spec.channels, spec.height, spec.width});
  std::string x = "input";
  for (const BlockSpec& b : spec.blocks) {
    ASSIGN_OR_RETURN(x, EmitBlock(g, spec, b, x));
  }
  if (graph->node_size() == 0) return absl::InvalidArgumentError("the architecture has no blocks to export");
  // The last node's output is renamed "logits" (no Identity node needed).
  onnx::NodeProto* last = graph->mutable_node(graph->node_size() - 1);
  last->set_output(0, "logits");
  SetType(graph->add_output(), "logits", OutputDims(spec));
  return model;
}

}  // namespace ridge::exporter
