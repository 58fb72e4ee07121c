#include "latency/costing.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace ridge {
namespace {

// Multiplies and adds in int64, remembering whether anything overflowed.
class CheckedMath {
 public:
  int64_t Mul(std::initializer_list<int64_t> factors) {
    int64_t result = 1;
    for (int64_t f : factors) overflow_ |= __builtin_mul_overflow(result, f, &result);
    return result;
  }
  int64_t Add(int64_t a, int64_t b) {
    int64_t result;
    overflow_ |= __builtin_add_overflow(a, b, &result);
    return result;
  }
  bool overflow() const { return overflow_; }

 private:
  bool overflow_ = false;
};

absl::Status Overflow(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": counts overflow int64; the sizes are too large"));
}

}  // namespace

int ElementBytes(ElementType type) {
  switch (type) {
    case ElementType::kFp32: return 4;
    case ElementType::kBf16: return 2;
    case ElementType::kInt8: return 1;
  }
  return 4;
}

const char* ElementTypeName(ElementType type) {
  switch (type) {
    case ElementType::kFp32: return "fp32";
    case ElementType::kBf16: return "bf16";
    case ElementType::kInt8: return "int8";
  }
  return "?";
}

absl::StatusOr<ElementType> ElementTypeOfBytes(int bytes) {
  switch (bytes) {
    case 4: return ElementType::kFp32;
    case 2: return ElementType::kBf16;
    case 1: return ElementType::kInt8;
  }
  return absl::InvalidArgumentError(absl::StrCat("bytes per element: ", bytes,
                                                 " is not one of {1, 2, 4}"));
}

absl::StatusOr<ElementType> ParseElementType(absl::string_view text) {
  std::string t = absl::AsciiStrToLower(text);
  if (t == "fp32" || t == "4") return ElementType::kFp32;
  if (t == "bf16" || t == "2") return ElementType::kBf16;
  if (t == "int8" || t == "1") return ElementType::kInt8;
  return absl::InvalidArgumentError(
      absl::StrCat("element type: '", text, "' is not one of {fp32, bf16, int8}"));
}

absl::StatusOr<LayerCost> CostLayer(const Layer& l, ElementType type) {
  CheckedMath m;
  LayerCost c;
  c.layer = l;
  const int64_t k2 = int64_t{l.kernel} * l.kernel;
  const int64_t out_spatial = m.Mul({l.out.h, l.out.w});
  // Per-output-channel vectors that PyTorch counts as parameters.
  int64_t vectors = (l.batch_norm ? 2 : 0) + (l.bias ? 1 : 0) + (l.layer_scale ? 1 : 0);
  switch (l.kind) {
    case LayerKind::kConv:
      // A grouped conv connects each output channel to in.c / groups inputs.
      c.weight_elements = m.Mul({l.out.c, l.in.c / std::max(1, l.groups), k2});
      c.macs = m.Mul({out_spatial, c.weight_elements});
      break;
    case LayerKind::kDepthwise:
      c.weight_elements = m.Mul({l.out.c, k2});
      c.macs = m.Mul({out_spatial, c.weight_elements});
      break;
    case LayerKind::kFullyConnected:
      c.weight_elements = m.Mul({l.out.c, l.in.c});
      c.macs = c.weight_elements;
      break;
    case LayerKind::kGlobalPool:
      break;
    case LayerKind::kAttentionScores:
    case LayerKind::kAttentionValues:
      // Each of heads x queries x keys pairs does key_dim MACs.
      c.macs = m.Mul({l.heads, l.in.h, l.in.w, l.kv_tokens, l.key_dim});
      vectors = 0;
      break;
  }
  c.params = m.Add(m.Add(c.weight_elements, m.Mul({vectors, l.out.c})),
                   m.Mul({2, l.input_norm_channels}));
  if (l.batch_norm || l.bias) c.weight_elements = m.Add(c.weight_elements, l.out.c);
  c.input_elements = m.Add(l.in.elements(), l.extra_input_elements);
  if (l.residual) c.input_elements = m.Add(c.input_elements, l.out.elements());
  c.output_elements = l.out.elements();
  const int64_t width = ElementBytes(type);
  c.weight_bytes = m.Mul({c.weight_elements, width});
  c.activation_bytes = m.Mul({m.Add(c.input_elements, c.output_elements), width});
  if (m.overflow()) return Overflow(l.name);
  return c;
}

absl::StatusOr<NetworkCost> CostArchitecture(const Architecture& arch, ElementType type) {
  ASSIGN_OR_RETURN(NetworkLayers net, InferLayers(arch));
  NetworkCost total;
  total.element_type = type;
  CheckedMath m;
  for (const Layer& layer : net.layers) {
    ASSIGN_OR_RETURN(LayerCost c, CostLayer(layer, type));
    total.macs = m.Add(total.macs, c.macs);
    total.params = m.Add(total.params, c.params);
    total.weight_bytes = m.Add(total.weight_bytes, c.weight_bytes);
    total.activation_bytes = m.Add(total.activation_bytes, c.activation_bytes);
    total.activations = m.Add(total.activations, c.output_elements);
    total.layers.push_back(std::move(c));
  }
  if (m.overflow()) return Overflow("architecture totals");
  return total;
}

}  // namespace ridge
