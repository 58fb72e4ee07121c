// End-to-end gradient checks of whole blocks (UIB variants, Fused-IB, Mobile
// MQA, MHSA) against central finite differences, including blocks run narrower than
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

// FBNet's grouped ops: grouped expand and project convs with the channel
// shuffle between them, at full width, narrower than the weights (the
// groups split the active prefix), and the e1 op that keeps its expand conv.
TEST(BlockGradients, GroupedUibWithChannelShuffle) {
  CheckBlock(UibLimits(8, 24, 8, 1, {0}, {3}), {ActivationKind::kGelu, true}, BlockOf("uib(0,3,1,8,3,2,0)"),
             {2, 8, 5, 5});
  CheckBlock(UibLimits(12, 48, 16, 2, {0, 3}, {0, 5}), {ActivationKind::kGelu, false},
             BlockOf("uib(3,0,2,12,2,4,0)"), {2, 8, 5, 5});
  BlockLimits e1 = UibLimits(8, 8, 8, 1, {0}, {3});
  e1.expand = true;
  CheckBlock(e1, {ActivationKind::kGelu, false}, BlockOf("uib(0,3,1,8,1,2,1)"), {2, 8, 4, 4});
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

BlockLimits MhsaLimits(int64_t c, int64_t heads, int64_t dim, bool down) {
  BlockLimits l = MqaLimits(c, heads, dim, down);
  l.multi_head = true;
  return l;
}

// MHSA: a key and value head per query head, read per head through strided
// views of the NHWC tensors.
TEST(BlockGradients, MhsaWithKeyValueDownsampling) {
  CheckBlock(MhsaLimits(6, 2, 4, true), {ActivationKind::kGelu, true}, BlockOf("mqa(2,4,2,1)"), {2, 6, 5, 5});
}

TEST(BlockGradients, MhsaWithoutDownsampling) {
  CheckBlock(MhsaLimits(5, 3, 4, false), {ActivationKind::kGelu, true}, BlockOf("mqa(3,4,1,1)"), {2, 5, 3, 4});
}

// A supernet slot offering both kinds: weights for 8 channels, 3 heads of
// 6 and per-head keys; MHSA and Mobile MQA run narrower than that (the
// prefix of the query, key and value rows), with and without downsampling.
TEST(BlockGradients, AttentionNarrowerThanItsMultiHeadWeights) {
  const BlockLimits l = MhsaLimits(8, 3, 6, true);
  CheckBlock(l, {ActivationKind::kGelu, true}, BlockOf("mqa(2,4,2,1)"), {2, 6, 5, 5});
  CheckBlock(l, {ActivationKind::kGelu, false}, BlockOf("mqa(2,4,1,1)"), {2, 6, 4, 3});
  CheckBlock(l, {ActivationKind::kGelu, true}, BlockOf("mqa(2,4,2)"), {2, 6, 5, 5});
  CheckBlock(l, {ActivationKind::kGelu, false}, BlockOf("mqa(3,6,1)"), {2, 8, 3, 3});
}

// With one head, MHSA's per-head key and value are MQA's shared ones: the
// same weights give the same outputs and gradients.
TEST(BlockEquivalence, MhsaWithOneHeadIsMqa) {
  for (const auto& [mqa, mhsa] : {std::pair<const char*, const char*>{"mqa(1,4,1)", "mqa(1,4,1,1)"},
                                  {"mqa(1,4,2)", "mqa(1,4,2,1)"}}) {
    SCOPED_TRACE(mhsa);
    Harness a, b;
    a.module = *MakeBlockModule(MqaLimits(6, 1, 4, true), {ActivationKind::kGelu, true}, &a.store, "b", a.rng);
    b.module = *MakeBlockModule(MhsaLimits(6, 1, 4, true), {ActivationKind::kGelu, true}, &b.store, "b", b.rng);
    for (auto& p : a.store.params()) {
      testing::FillUniform(p->value.data(), p->value.size(), 5);
      b.store.Find(p->name)->value = p->value;
    }
    const Tensor x = RandomTensor({2, 6, 5, 4}, 6);
    const ForwardContext ctx{true, 0.0f};
    const Tensor *ya, *yb, *dxa, *dxb;
    ASSERT_TRUE(a.module->Forward(x, BlockOf(mqa), ctx, &ya).ok());
    ASSERT_TRUE(b.module->Forward(x, BlockOf(mhsa), ctx, &yb).ok());
    std::vector<double> want(ya->data(), ya->data() + ya->size());
    testing::ExpectNear(yb->data(), want, 1e-6, 1e-5, "y");
    const Tensor dy = RandomTensor(ya->dims(), 7);
    a.store.ZeroGrad(), b.store.ZeroGrad();
    ASSERT_TRUE(a.module->Backward(dy, &dxa).ok());
    ASSERT_TRUE(b.module->Backward(dy, &dxb).ok());
    want.assign(dxa->data(), dxa->data() + dxa->size());
    testing::ExpectNear(dxb->data(), want, 1e-5, 1e-4, "dx");
    for (auto& p : a.store.params()) {
      want.assign(p->grad.begin(), p->grad.end());
      testing::ExpectNear(b.store.Find(p->name)->grad.data(), want, 1e-5, 1e-4, p->name);
    }
  }
}

// The key and value convs hold a head each only where MHSA may run, so
// Mobile MQA modules keep their parameter shapes (old checkpoints load).
TEST(BlockModules, KeyAndValueWidthsFollowTheMultiHeadLimit) {
  Harness mqa, mhsa;
  mqa.module = *MakeBlockModule(MqaLimits(8, 3, 6, true), {}, &mqa.store, "b", mqa.rng);
  mhsa.module = *MakeBlockModule(MhsaLimits(8, 3, 6, true), {}, &mhsa.store, "b", mhsa.rng);
  for (const char* name : {"b.key.weight", "b.value.weight"}) {
    EXPECT_EQ(mqa.store.Find(name)->shape, (std::vector<int64_t>{6, 8, 1, 1})) << name;
    EXPECT_EQ(mhsa.store.Find(name)->shape, (std::vector<int64_t>{18, 8, 1, 1})) << name;
  }
  EXPECT_EQ(mqa.store.Find("b.query.weight")->shape, mhsa.store.Find("b.query.weight")->shape);
  EXPECT_EQ(mqa.store.params().size(), mhsa.store.params().size());
  // MHSA on a module made for Mobile MQA only is refused, not run narrower.
  const Tensor x = RandomTensor({1, 8, 4, 4}, 3);
  const Tensor* y;
  absl::Status s = mqa.module->Forward(x, BlockOf("mqa(1,6,1,1)"), {true, 0.1f}, &y);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "mqa: multi_head has no per-head key and value weights here");
  EXPECT_TRUE(mhsa.module->Forward(x, BlockOf("mqa(3,6,2,1)"), {true, 0.1f}, &y).ok());
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
      if (o >= 24 || i >= 8) {
        EXPECT_EQ(g, 0.0f) << o << "," << i;
      }
    }
  }
  Param* mean = h.store.Find("b.expand.bn.running_mean");
  EXPECT_NE(mean->value[0], 0.0f);   // Updated prefix.
  EXPECT_EQ(mean->value[30], 0.0f);  // Untouched suffix.
}

// A grouped op touches only the diagonal blocks of the shared dense 1x1
// weights; the dense op of the same slot trains the rest.
TEST(BlockSharing, GroupedRunTouchesOnlyTheDiagonalBlocks) {
  Harness h;
  h.module = *MakeBlockModule(UibLimits(8, 32, 8, 1, {0}, {3}), {}, &h.store, "b", h.rng);
  Tensor x = RandomTensor({2, 8, 5, 5}, 3);
  const Tensor* y;
  ASSERT_TRUE(h.module->Forward(x, BlockOf("uib(0,3,1,8,2,2,0)"), {true, 0.1f}, &y).ok());
  Tensor dy = RandomTensor(y->dims(), 4);
  h.store.ZeroGrad();
  const Tensor* dx;
  ASSERT_TRUE(h.module->Backward(dy, &dx).ok());
  // expand: [32 x 8]; active [16 x 8] in 2 groups of [8 x 4].
  Param* expand = h.store.Find("b.expand.weight");
  int nonzero = 0;
  for (int o = 0; o < 32; ++o) {
    for (int i = 0; i < 8; ++i) {
      const float g = expand->grad[o * 8 + i];
      if (o >= 16 || o / 8 != i / 4) {
        EXPECT_EQ(g, 0.0f) << o << "," << i;
      }
      nonzero += g != 0.0f;
    }
  }
  EXPECT_EQ(nonzero, 2 * 8 * 4);  // Every entry of the two active blocks.
  // project: [8 x 32]; active [8 x 16] in 2 groups of [4 x 8].
  Param* project = h.store.Find("b.project.weight");
  for (int o = 0; o < 8; ++o) {
    for (int i = 0; i < 32; ++i) {
      if (i >= 16 || o / 4 != i / 8) {
        EXPECT_EQ(project->grad[o * 32 + i], 0.0f) << o << "," << i;
      }
    }
  }
}

TEST(BlockModules, GroupsWithoutAnExpandConvAreAnError) {
  Harness h;
  BlockLimits l = UibLimits(8, 8, 8, 1, {0}, {3});
  h.module = *MakeBlockModule(l, {}, &h.store, "b", h.rng);
  Block cfg = BlockOf("uib(0,3,1,8,1)");
  cfg.mutable_uib()->set_groups(2);  // Shape inference refuses this; the module must too.
  Tensor x = RandomTensor({1, 8, 5, 5}, 3);
  const Tensor* y;
  absl::Status s = h.module->Forward(x, cfg, {true, 0.1f}, &y);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "b: groups 2 need an expand conv, and expansion 1 without a start DW has none unless expand_always is "
            "set");
  // expand_always asks for the expand conv, which these limits did not make.
  cfg.mutable_uib()->set_expand_always(true);
  l.expand = false;
  Harness no_expand;
  no_expand.module = *MakeBlockModule(l, {}, &no_expand.store, "b", no_expand.rng);
  s = no_expand.module->Forward(x, cfg, {true, 0.1f}, &y);
  EXPECT_EQ(s.message(), "b: this module has no expand conv");
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
