// End-to-end gradient checks of whole blocks (UIB variants, Fused-IB, Mobile
// MQA) against central finite differences, including blocks run narrower than
// their weights (prefix sharing).
#include "supernet/blocks.h"

#include "gtest/gtest.h"
#include "proto/architecture.h"
#include "supernet/test_util.h"

namespace ridge::nn {
namespace {

using testing::CheckGradient;
using testing::Dot;
using testing::RandomTensor;
using testing::RandomVector;

Block BlockOf(const std::string& token) {
  Architecture a = *ParseCanonicalEncoding("v1 8x8x8 classes=2 act=relu ls=0 : " + token + " pool fc");
  return a.blocks(0);
}

struct Harness {
  ParamStore store;
  std::unique_ptr<BlockModule> module;
  std::mt19937 rng{7};
};

// Blocks use GELU here: finite differences across the kinks of ReLU-like
// activations are noisy, and each activation has its own exact check in
// ops_test.cc.
// Runs forward + backward with loss = <y, r>, then checks dx and every
// trainable parameter's gradient by central differences.
void CheckBlock(const BlockLimits& limits, const BlockOptions& options, const Block& cfg, Dims4 in,
                bool randomize_layer_scale = true) {
  Harness h;
  auto m = MakeBlockModule(limits, options, &h.store, "b", h.rng);
  ASSERT_TRUE(m.ok()) << m.status();
  h.module = std::move(*m);
  for (auto& p : h.store.params()) {
    if (p->name.find("layer_scale") != std::string::npos && randomize_layer_scale) {
      testing::FillUniform(p->value.data(), p->value.size(), 99, 0.5f, 1.5f);
    }
    if (p->name.find(".bn.scale") != std::string::npos || p->name.find("norm.scale") != std::string::npos) {
      testing::FillUniform(p->value.data(), p->value.size(), 98, 0.5f, 1.5f);
    }
  }
  Tensor x = RandomTensor(in, 11);
  ForwardContext ctx{true, 0.0f};
  const Tensor* y;
  ASSERT_TRUE(h.module->Forward(x, cfg, ctx, &y).ok());
  const std::vector<float> r = RandomVector(y->size(), 12);
  Tensor dy(y->dims());
  std::copy(r.begin(), r.end(), dy.data());
  h.store.ZeroGrad();
  const Tensor* dx;
  absl::Status s = h.module->Backward(dy, &dx);
  ASSERT_TRUE(s.ok()) << s;
  Tensor dx_copy(dx->dims());
  std::copy(dx->data(), dx->data() + dx->size(), dx_copy.data());
  auto loss = [&] {
    const Tensor* out;
    EXPECT_TRUE(h.module->Forward(x, cfg, ctx, &out).ok());
    return Dot(out->data(), r.data(), out->size());
  };
  CheckGradient(x.data(), x.size(), dx_copy.data(), loss, "dx", 1e-2f, 1e-2, 3e-2, 150);
  for (auto& p : h.store.params()) {
    if (!p->trainable) continue;
    std::vector<float> analytic = p->grad;
    CheckGradient(p->value.data(), p->value.size(), analytic.data(), loss, p->name, 1e-2f, 1e-2, 3e-2, 40);
  }
}

BlockLimits UibLimits(int64_t in, int64_t hidden, int64_t out, int stride, std::vector<int> start,
                      std::vector<int> mid) {
  BlockLimits l;
  l.kind = Block::kUib;
  l.stride = stride;
  l.max_in = in, l.max_hidden = hidden, l.max_out = out;
  l.start_kernels = std::move(start);
  l.mid_kernels = std::move(mid);
  return l;
}

TEST(BlockGradients, UibExtraDwWithResidualAndLayerScale) {
  CheckBlock(UibLimits(8, 16, 8, 1, {3}, {5}), {ActivationKind::kGelu, true}, BlockOf("uib(3,5,1,8,2)"),
             {2, 8, 5, 5});
}

TEST(BlockGradients, UibConvNextStrideTwoOddSize) {
  CheckBlock(UibLimits(6, 24, 10, 2, {5}, {0}), {ActivationKind::kGelu, false},
             BlockOf("uib(5,0,2,10,4)"), {2, 6, 7, 7});
}

TEST(BlockGradients, UibInvertedBottleneckAndFfn) {
  CheckBlock(UibLimits(5, 16, 7, 2, {0}, {3}), {ActivationKind::kGelu, false}, BlockOf("uib(0,3,2,7,3)"),
             {2, 5, 7, 7});
  CheckBlock(UibLimits(7, 16, 7, 1, {0}, {0}), {ActivationKind::kGelu, false}, BlockOf("uib(0,0,1,7,2)"),
             {2, 7, 3, 3});
}

TEST(BlockGradients, UibNarrowerThanItsWeights) {
  // Weights for 12 -> 48 -> 16; run 8 -> 24 -> 8: only prefixes are used.
  CheckBlock(UibLimits(12, 48, 16, 1, {0, 3}, {3, 5}), {ActivationKind::kGelu, false},
             BlockOf("uib(3,5,1,8,3)"), {2, 8, 5, 5});
}

TEST(BlockGradients, FusedIb) {
  BlockLimits l;
  l.kind = Block::kFusedIb;
  l.stride = 1, l.max_in = 6, l.max_hidden = 24, l.max_out = 6, l.kernels = {3};
  CheckBlock(l, {ActivationKind::kGelu, false}, BlockOf("fused(3,1,6,4)"), {2, 6, 5, 5});
}

BlockLimits MqaLimits(int64_t c, int64_t heads, int64_t dim, bool down) {
  BlockLimits l;
  l.kind = Block::kMqa;
  l.max_in = l.max_out = c, l.max_heads = heads, l.max_key_dim = dim, l.kv_downsample = down;
  return l;
}

TEST(BlockGradients, MobileMqaWithKeyValueDownsampling) {
  CheckBlock(MqaLimits(6, 2, 4, true), {ActivationKind::kGelu, true}, BlockOf("mqa(2,4,2)"), {2, 6, 5, 5});
}

TEST(BlockGradients, MobileMqaWithoutDownsampling) {
  CheckBlock(MqaLimits(5, 3, 4, false), {ActivationKind::kGelu, true}, BlockOf("mqa(3,4,1)"), {2, 5, 3, 4});
}

TEST(BlockSharing, NarrowRunTouchesOnlyThePrefix) {
  Harness h;
  h.module = *MakeBlockModule(UibLimits(12, 48, 16, 1, {0}, {3}), {}, &h.store, "b", h.rng);
  Tensor x = RandomTensor({2, 8, 5, 5}, 3);
  const Tensor* y;
  ASSERT_TRUE(h.module->Forward(x, BlockOf("uib(0,3,1,8,3)"), {true, 0.1f}, &y).ok());
  EXPECT_EQ(y->dims(), (Dims4{2, 8, 5, 5}));
  Tensor dy = RandomTensor(y->dims(), 4);
  h.store.ZeroGrad();
  const Tensor* dx;
  ASSERT_TRUE(h.module->Backward(dy, &dx).ok());
  // expand: [48 x 12]; active [24 x 8]. Rows >= 24 and columns >= 8 stay zero.
  Param* expand = h.store.Find("b.expand.weight");
  ASSERT_NE(expand, nullptr);
  for (int o = 0; o < 48; ++o) {
    for (int i = 0; i < 12; ++i) {
      float g = expand->grad[o * 12 + i];
      if (o >= 24 || i >= 8) EXPECT_EQ(g, 0.0f) << o << "," << i;
    }
  }
  Param* mean = h.store.Find("b.expand.bn.running_mean");
  EXPECT_NE(mean->value[0], 0.0f);   // Updated prefix.
  EXPECT_EQ(mean->value[30], 0.0f);  // Untouched suffix.
}

TEST(BlockModules, MissingKernelIsAnError) {
  Harness h;
  h.module = *MakeBlockModule(UibLimits(8, 16, 8, 1, {0}, {3}), {}, &h.store, "b", h.rng);
  Tensor x = RandomTensor({1, 8, 5, 5}, 3);
  const Tensor* y;
  absl::Status s = h.module->Forward(x, BlockOf("uib(0,5,1,8,2)"), {true, 0.1f}, &y);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "b.mid_dw: kernel 5 has no weights in this module");
}

}  // namespace
}  // namespace ridge::nn
