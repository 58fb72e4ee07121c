// MobileNetV4 blocks on the engine: conv, Fused-IB, UIB (IB, ConvNext,
// ExtraDW, FFN), Mobile MQA and MHSA, global pooling and the classifier
// (docs/design.md §3). Each block module holds weights for the largest
// configuration it can run (its Limits) and runs any configuration within
// them, so the same classes serve a standalone network and a supernet slot.
#ifndef RIDGE_SUPERNET_BLOCKS_H_
#define RIDGE_SUPERNET_BLOCKS_H_

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/architecture.pb.h"
#include "supernet/modules.h"

namespace ridge::nn {

// The largest configuration a block module must run.
struct BlockLimits {
  Block::KindCase kind = Block::KIND_NOT_SET;
  int stride = 1;
  int64_t max_in = 0;      // Input channels.
  int64_t max_out = 0;     // Output channels (filters); MQA: = max_in.
  int64_t max_hidden = 0;  // UIB / Fused-IB expanded width.
  std::vector<int> kernels;        // conv / fused kernel choices.
  std::vector<int> start_kernels;  // UIB start DW choices (0 = none allowed too).
  std::vector<int> mid_kernels;    // UIB middle DW choices.
  bool expand = true;              // UIB: some choice has an expand conv (not MobileNetV2's t = 1).
  int64_t max_heads = 0, max_key_dim = 0;  // MQA.
  bool kv_downsample = false;              // MQA: a stride-2 key/value DW may be chosen.
  // MQA: MHSA (MQABlock.multi_head) may be chosen, so the key and value convs
  // hold max_heads * max_key_dim outputs, a head each; else max_key_dim.
  bool multi_head = false;
  int64_t classes = 0;                     // Classifier outputs.
};

class BlockModule {
 public:
  virtual ~BlockModule() = default;
  // Runs configuration `cfg` on x. REQUIRES: cfg fits the module's limits and
  // x has the channels the previous block produced. *y stays valid until the
  // next Forward; x must stay unchanged until Backward.
  virtual absl::Status Forward(const Tensor& x, const Block& cfg, const ForwardContext& ctx,
                               const Tensor** y) = 0;
  // Accumulates parameter gradients; *dx is the gradient w.r.t. x. With dx
  // null the caller does not need it (the first block of a network), and
  // modules that can skip computing it do.
  virtual absl::Status Backward(const Tensor& dy, const Tensor** dx) = 0;
};

struct BlockOptions {
  ActivationKind activation = ActivationKind::kRelu;
  bool layer_scale = false;
};

// Creates the module for `limits`. Parameters are named "<name>.<part>...".
absl::StatusOr<std::unique_ptr<BlockModule>> MakeBlockModule(const BlockLimits& limits,
                                                             const BlockOptions& options,
                                                             ParamStore* store, const std::string& name,
                                                             std::mt19937& rng);

// Maps the proto activation to the engine's.
ActivationKind ActivationOf(Activation activation);

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_BLOCKS_H_
