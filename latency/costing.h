// Per-layer costing of an Architecture: MACs, params, weight bytes and
// activation bytes at an element width (docs/design.md §4).
//
// Conventions (docs/costing.md explains each):
// - MACs count convolutions, the classifier and the two attention products;
//   BN, activations, pooling, softmax, layer scale and residual adds count 0.
// - params are what PyTorch counts as trainable: conv and linear weights,
//   biases, BN scale and shift, layer-scale vectors.
// - weight bytes are the deployed weights: kernels plus one bias per output
//   channel where a BN or bias exists, since BN and layer scale fold into them.
// - activation bytes are the layer's inputs (including a residual operand and
//   attention's second operand) plus its output.
#ifndef RIDGE_LATENCY_COSTING_H_
#define RIDGE_LATENCY_COSTING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/architecture.pb.h"
#include "proto/layers.h"

namespace ridge {

enum class ElementType { kFp32, kBf16, kInt8 };

// Bytes per element: 4, 2 or 1.
int ElementBytes(ElementType type);
// "fp32", "bf16" or "int8".
const char* ElementTypeName(ElementType type);
// Parses a name as above, or a byte count "4", "2", "1". INVALID_ARGUMENT otherwise.
absl::StatusOr<ElementType> ParseElementType(absl::string_view text);
// The element type of a width in bytes; INVALID_ARGUMENT unless 1, 2 or 4.
absl::StatusOr<ElementType> ElementTypeOfBytes(int bytes);

struct LayerCost {
  Layer layer;                   // The layer with its shapes.
  int64_t macs = 0;
  int64_t params = 0;
  int64_t weight_elements = 0;   // Deployed (folded) weights.
  int64_t input_elements = 0;    // All operands read.
  int64_t output_elements = 0;
  int64_t weight_bytes = 0;
  int64_t activation_bytes = 0;  // (input + output) elements x width.
  int64_t bytes() const { return weight_bytes + activation_bytes; }
};

struct NetworkCost {
  ElementType element_type = ElementType::kFp32;
  std::vector<LayerCost> layers;
  int64_t macs = 0;
  int64_t params = 0;
  int64_t weight_bytes = 0;
  int64_t activation_bytes = 0;
  // Elements written by all layers, as timm/fvcore report "activations".
  int64_t activations = 0;
};

// Costs every layer of `arch`. INVALID_ARGUMENT if `arch` is invalid (see
// InferLayers) or if any count would overflow int64.
absl::StatusOr<NetworkCost> CostArchitecture(const Architecture& arch,
                                             ElementType type = ElementType::kFp32);

// Costs one already-inferred layer. INVALID_ARGUMENT on int64 overflow.
absl::StatusOr<LayerCost> CostLayer(const Layer& layer, ElementType type);

}  // namespace ridge

#endif  // RIDGE_LATENCY_COSTING_H_
