// What the exporters write, worked out once from an Architecture: every
// block with its explicit channel counts (make_divisible already applied),
// its convs in execution order, and the Ridge parameter each tensor comes
// from. The PyTorch and ONNX writers both read this one description, and
// tensors carry the PyTorch state_dict names in both formats.
#ifndef RIDGE_EXPORT_MODEL_SPEC_H_
#define RIDGE_EXPORT_MODEL_SPEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/architecture.pb.h"
#include "supernet/param.h"

namespace ridge::exporter {

// A conv without bias, then optionally BN, then optionally the network's
// activation: Ridge's ConvBn (supernet/modules.h). Padding is (k - 1) / 2.
struct ConvSpec {
  std::string role;  // Attribute name in the PyTorch block: "expand", "key_dw", ...
  std::string param;  // Ridge's parameter prefix, e.g. "blocks.3.start_dw_k5_s1".
  int64_t in = 0, out = 0;
  int kernel = 1, stride = 1;
  bool depthwise = false, batch_norm = true, activation = false;
  // > 1: a grouped conv (FBNet's g2 1x1 convs); its weight is [out, in /
  // groups, k, k], the diagonal blocks of Ridge's dense one.
  int groups = 1;
  // > 1: ShuffleNet's channel shuffle of the output in that many groups,
  // after the activation (proto/layers.h, Layer::shuffle_groups).
  int shuffle = 0;
  int64_t out_h = 0, out_w = 0;  // Output spatial size (0 where shape inference has no such layer).
};

struct BlockSpec {
  Block::KindCase kind = Block::KIND_NOT_SET;
  std::string prefix;  // "blocks.<i>", in Ridge and in PyTorch alike.
  int64_t in = 0, out = 0, hidden = 0;
  int kernel = 0, stride = 1;
  int start_dw = 0, mid_dw = 0;  // UIB: kernels, 0 when absent.
  bool expand = false;           // UIB: has the 1x1 expand conv.
  int groups = 1;                // UIB: groups of both 1x1 convs (shuffled after the expand).
  bool residual = false, layer_scale = false;
  int heads = 0, key_dim = 0, kv_stride = 1;  // MQA.
  bool multi_head = false;                    // MQA: MHSA, a key and value head per query head.
  int64_t out_h = 0, out_w = 0;               // Output spatial size.
  std::vector<ConvSpec> convs;                // In execution order.
};

struct ModelSpec {
  std::string name;      // A Python identifier: the arch name, or "ridge_<id>".
  std::string encoding;  // Canonical encoding (proto/architecture.h).
  int64_t height = 0, width = 0, channels = 0, classes = 0;
  Activation activation = RELU;
  std::vector<BlockSpec> blocks;
};

absl::StatusOr<ModelSpec> DescribeModel(const Architecture& arch);

enum class DType { kFloat32, kInt64 };

// One tensor of a PyTorch state_dict: little-endian bytes, row-major.
struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  DType dtype = DType::kFloat32;
  std::string bytes;
  int64_t numel() const;
};

// The PyTorch state_dict of the model `spec` describes, taken from a Ridge
// network's parameters (nn::Network::Create's names). BN keeps its running
// statistics (and a num_batches_tracked of 0). A grouped conv's weight holds
// only the diagonal blocks of Ridge's dense weight, the part it uses.
// INVALID_ARGUMENT names a missing or mis-sized parameter.
absl::StatusOr<std::vector<NamedTensor>> StateDict(const ModelSpec& spec, const nn::ParamStore& params);

}  // namespace ridge::exporter

#endif  // RIDGE_EXPORT_MODEL_SPEC_H_
