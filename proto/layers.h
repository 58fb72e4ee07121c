// Shape inference: an Architecture expanded into the primitive layers it runs,
// with every layer's input and output shape. Costing (latency/) and the engine
// (supernet/) both read this one expansion, so they cannot disagree.
#ifndef RIDGE_PROTO_LAYERS_H_
#define RIDGE_PROTO_LAYERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/architecture.pb.h"

namespace ridge {

// An activation shape, NHWC without the batch; int64 so products are safe.
struct Dims {
  int64_t h = 0, w = 0, c = 0;
  int64_t elements() const { return h * w * c; }
  bool operator==(const Dims& o) const { return h == o.h && w == o.w && c == o.c; }
};

enum class LayerKind {
  kConv,             // Dense k x k convolution (k may be 1).
  kDepthwise,        // Depthwise k x k convolution.
  kFullyConnected,   // The classifier.
  kGlobalPool,       // Global average pooling.
  kAttentionScores,  // q k^T per head (Mobile MQA).
  kAttentionValues,  // softmax(scores) v per head (Mobile MQA).
};

const char* LayerKindName(LayerKind kind);

// One primitive layer. BN, activation, layer scale and residual are attributes
// of the layer they follow, as an inference engine fuses them.
struct Layer {
  std::string name;  // e.g. "blocks.5.expand"
  int block = 0;     // Index into Architecture.blocks.
  LayerKind kind = LayerKind::kConv;
  Dims in, out;
  int kernel = 1, stride = 1;
  int groups = 1;           // kConv: grouped convolution (FBNet's g2 1x1 convs).
  int shuffle_groups = 0;   // > 1: ShuffleNet's channel shuffle of the output, last.
  bool batch_norm = false;  // BN (scale and shift) on the output.
  bool bias = false;        // A bias vector on the output.
  bool activation = false;  // The network's activation on the output.
  bool layer_scale = false; // A layer-scale vector of out.c on the output.
  bool residual = false;    // The block input (shape `out`) is added.
  // A BN applied to this layer's input that nothing before it can absorb,
  // e.g. Mobile MQA's input norm; counted as 2 * channels params.
  int64_t input_norm_channels = 0;
  // Elements of a second operand read by attention layers (k or v).
  int64_t extra_input_elements = 0;
  // Attention only: heads, key/value dimension and key/value tokens.
  int64_t heads = 0, key_dim = 0, kv_tokens = 0;
  // Attention only: key and value heads, 1 (Mobile MQA, shared) or heads (MHSA).
  int64_t kv_heads = 1;
};

struct NetworkLayers {
  std::vector<Layer> layers;
  std::vector<Dims> block_outputs;  // Output shape of each block.
};

// MobileNet's channel rounding (timm's make_divisible, divisor 8): the nearest
// multiple of 8, at least 8, and never below 90% of `value`.
int64_t MakeDivisible(double value, int64_t divisor = 8);

// Validates `arch` (proto/validate.h), then expands it into layers.
// Returns INVALID_ARGUMENT naming the block for structural errors: a
// classifier that is not last or not after global_pool, spatial blocks after
// pooling, stride 2 on a 1 x 1 feature map, or hidden widths over the limits.
absl::StatusOr<NetworkLayers> InferLayers(const Architecture& arch,
                                          absl::string_view path = "architecture");

}  // namespace ridge

#endif  // RIDGE_PROTO_LAYERS_H_
