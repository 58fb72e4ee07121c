#include "supernet/network.h"

#include <iterator>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "proto/layers.h"

namespace ridge::nn {

absl::StatusOr<const Tensor*> PathRunner::Forward(const std::vector<PathStep>& path, const Tensor& images,
                                                  const ForwardContext& ctx) {
  const Tensor* x = &images;
  for (const PathStep& step : path) {
    const Tensor* y;
    RETURN_IF_ERROR(step.module->Forward(*x, step.config, ctx, &y));
    x = y;
  }
  return x;
}

absl::Status PathRunner::Backward(const std::vector<PathStep>& path, const Tensor& dlogits) {
  const Tensor* d = &dlogits;
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    const Tensor* dx = nullptr;
    // Nobody needs the gradient of the images.
    const bool first = std::next(it) == path.rend();
    RETURN_IF_ERROR(it->module->Backward(*d, first ? nullptr : &dx));
    d = dx;
  }
  return absl::OkStatus();
}

BlockLimits ExactLimits(const Block& b, int64_t in_c, int64_t classes) {
  BlockLimits l;
  l.kind = b.kind_case();
  l.max_in = in_c;
  switch (b.kind_case()) {
    case Block::kConv:
      l.kernels = {b.conv().kernel()};
      l.stride = b.conv().stride();
      l.max_out = b.conv().filters();
      break;
    case Block::kFusedIb:
      l.kernels = {b.fused_ib().kernel()};
      l.stride = b.fused_ib().stride();
      l.max_out = b.fused_ib().filters();
      l.max_hidden = MakeDivisible(in_c * double{b.fused_ib().expansion()});
      break;
    case Block::kUib: {
      const UIBBlock& u = b.uib();
      l.start_kernels = {u.start_dw_kernel()};
      l.mid_kernels = {u.mid_dw_kernel()};
      l.stride = u.stride();
      l.max_out = u.filters();
      l.expand = u.expand_always() || !(u.expansion() == 1.0f && u.start_dw_kernel() == 0);
      l.max_hidden = l.expand ? MakeDivisible(in_c * double{u.expansion()}) : in_c;
      break;
    }
    case Block::kMqa:
      l.max_out = in_c;
      l.max_heads = b.mqa().heads();
      l.max_key_dim = b.mqa().key_dim();
      l.kv_downsample = b.mqa().kv_stride() > 1;
      l.multi_head = b.mqa().multi_head();
      break;
    case Block::kClassifier:
      l.classes = classes;
      break;
    default:
      break;
  }
  return l;
}

absl::StatusOr<std::unique_ptr<Network>> Network::Create(const Architecture& arch, uint32_t seed) {
  ASSIGN_OR_RETURN(NetworkLayers layers, InferLayers(arch));
  std::unique_ptr<Network> net(new Network());
  net->arch_ = arch;
  std::mt19937 rng(seed);
  BlockOptions options{ActivationOf(arch.activation()), arch.layer_scale()};
  int64_t in_c = arch.input().channels();
  for (int i = 0; i < arch.blocks_size(); ++i) {
    const Block& b = arch.blocks(i);
    ASSIGN_OR_RETURN(std::unique_ptr<BlockModule> m,
                     MakeBlockModule(ExactLimits(b, in_c, arch.num_classes()), options, &net->store_,
                                     absl::StrCat("blocks.", i), rng));
    net->path_.push_back({m.get(), b});
    net->modules_.push_back(std::move(m));
    in_c = layers.block_outputs[i].c;
  }
  return net;
}

}  // namespace ridge::nn
