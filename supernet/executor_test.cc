#include "supernet/executor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include <dnnl.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/architecture.h"
#include "proto/layers.h"
#include "proto/textproto.h"
#include "supernet/network.h"
#include "supernet/test_util.h"
#include "zoo/zoo.h"

namespace ridge::nn {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Every block kind and UIB variant at an odd, non-square input: IB, ConvNext,
// ExtraDW, FFN, MobileNetV2's expansion-1 block, a lone 1x1 conv with a
// residual (FFN at expansion 1), stride on the start DW and
// on the middle DW, Fused-IB with and without residual, and MQA with and
// without the key/value downsampling. Channel counts that are not multiples
// of 8 exercise oneDNN's padded blocked layouts.
// 33x29 -> 17x15 -> 9x8 -> 5x4 -> 3x2 -> 2x1.
constexpr char kEveryBlock[] = R"pb(
  name: "every_block"
  input { height: 33 width: 29 channels: 3 }
  num_classes: 7
  activation: RELU
  blocks { conv { kernel: 3 stride: 2 filters: 12 } }
  blocks { fused_ib { kernel: 3 stride: 1 filters: 12 expansion: 2 } }
  blocks { fused_ib { kernel: 5 stride: 2 filters: 20 expansion: 3 } }
  blocks { uib { start_dw_kernel: 0 mid_dw_kernel: 3 stride: 1 filters: 20 expansion: 3 } }
  blocks { uib { start_dw_kernel: 5 mid_dw_kernel: 0 stride: 1 filters: 20 expansion: 2 } }
  blocks { uib { start_dw_kernel: 3 mid_dw_kernel: 5 stride: 2 filters: 36 expansion: 4 } }
  blocks { uib { start_dw_kernel: 0 mid_dw_kernel: 0 stride: 1 filters: 36 expansion: 2 } }
  blocks { uib { start_dw_kernel: 0 mid_dw_kernel: 0 stride: 1 filters: 36 expansion: 1 } }
  blocks { uib { start_dw_kernel: 0 mid_dw_kernel: 3 stride: 1 filters: 36 expansion: 1 } }
  blocks { uib { start_dw_kernel: 3 mid_dw_kernel: 3 stride: 1 filters: 36 expansion: 2 } }
  blocks { uib { start_dw_kernel: 0 mid_dw_kernel: 3 stride: 2 filters: 44 expansion: 3 } }
  blocks { mqa { heads: 2 key_dim: 12 kv_stride: 2 } }
  blocks { mqa { heads: 3 key_dim: 5 kv_stride: 1 } }
  blocks { uib { start_dw_kernel: 3 mid_dw_kernel: 0 stride: 2 filters: 52 expansion: 2 } }
  blocks { conv { kernel: 1 stride: 1 filters: 60 } }
  blocks { global_pool {} }
  blocks { conv { kernel: 1 stride: 1 filters: 36 } }
  blocks { classifier {} }
)pb";
Architecture EveryBlock(Activation activation, bool layer_scale) {
  Architecture arch = *ParseTextProtoAs<Architecture>(kEveryBlock, "kEveryBlock");
  arch.set_activation(activation);
  arch.set_layer_scale(layer_scale);
  return arch;
}

// Moves BN statistics, BN affine parameters, layer scales and biases away
// from their initial values, so that folding them is really tested.
void Perturb(nn::ParamStore* store, uint32_t seed) {
  std::mt19937 rng(seed);
  auto uniform = [&](float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng); };
  for (const auto& p : store->params()) {
    for (float& v : p->value) {
      if (absl::EndsWith(p->name, ".running_mean")) v = uniform(-0.3f, 0.3f);
      if (absl::EndsWith(p->name, ".running_var")) v = uniform(0.5f, 2.0f);
      if (absl::EndsWith(p->name, ".scale")) v = uniform(0.5f, 1.5f);
      if (absl::EndsWith(p->name, ".shift")) v = uniform(-0.3f, 0.3f);
      if (absl::EndsWith(p->name, ".layer_scale")) v = uniform(0.3f, 1.2f);
      if (absl::EndsWith(p->name, ".bias")) v = uniform(-0.5f, 0.5f);
    }
  }
}

// Max |a - b| over max |b|, and the worst element for the message.
double RelativeError(const float* got, const float* want, int64_t n) {
  double scale = 0, err = 0;
  for (int64_t i = 0; i < n; ++i) {
    scale = std::max(scale, double{std::fabs(want[i])});
    err = std::max(err, double{std::fabs(got[i] - want[i])});
  }
  return err / std::max(scale, 1e-12);
}

// The executor against the training engine's inference forward on the same
// (perturbed) weights and the same images.
void ExpectMatchesEngine(const Architecture& arch, int batch, const ExecutorOptions& options = {},
                         double tolerance = 1e-3) {
  auto net = nn::Network::Create(arch, 11);
  ASSERT_TRUE(net.ok()) << net.status();
  Perturb(&(*net)->params(), 5);
  const Shape& s = arch.input();
  nn::Tensor images = nn::testing::RandomTensor({batch, s.channels(), s.height(), s.width()}, 3);
  auto want = (*net)->Forward(images, {/*training=*/false});
  ASSERT_TRUE(want.ok()) << want.status();

  auto ex = InferenceExecutor::CreateFromParams(arch, batch, (*net)->params(), options);
  ASSERT_TRUE(ex.ok()) << ex.status();
  // Every step has an optimized kernel: a reference one would be correct
  // but many times slower.
  EXPECT_THAT((*ex)->Describe(), Not(HasSubstr("[ref"))) << arch.name();
  ASSERT_EQ((*ex)->input_size(), images.size());
  ASSERT_EQ((*ex)->output_size(), (*want)->size());
  std::memcpy((*ex)->input(), images.data(), sizeof(float) * images.size());
  // The outputs depend on the image: no folded bias or residual drowns it.
  const int64_t per_image = (*want)->size() / batch;
  if (batch > 1) {
    EXPECT_GT(RelativeError((*want)->data(), (*want)->data() + per_image, per_image), 1e-3);
  }
  for (int run = 0; run < 2; ++run) {  // A second run must not see the first's leftovers.
    ASSERT_TRUE((*ex)->Run().ok());
    const double err = RelativeError((*ex)->output(), (*want)->data(), (*want)->size());
    EXPECT_LT(err, tolerance) << arch.name() << " batch " << batch << " run " << run << "\n"
                              << (*ex)->Describe();
  }
}

TEST(InferenceExecutor, MatchesEngineOnFmnistReference) {
  Architecture arch = *ResolveArchitecture("fmnist_reference");
  ExpectMatchesEngine(arch, 1);
  ExpectMatchesEngine(arch, 3);
}

TEST(InferenceExecutor, MatchesEngineOnEveryBlockKind) {
  for (Activation act : {RELU, RELU6, HARD_SWISH, GELU}) {
    for (bool layer_scale : {false, true}) {
      SCOPED_TRACE(absl::StrCat(Activation_Name(act), " layer_scale=", layer_scale));
      ExpectMatchesEngine(EveryBlock(act, layer_scale), 1);
      ExpectMatchesEngine(EveryBlock(act, layer_scale), 3);
    }
  }
}

// The slower paths stay correct: NHWC everywhere, and no 1x1 + DW fusion.
TEST(InferenceExecutor, MatchesEngineWithoutBlockedLayoutsOrFusion) {
  Architecture arch = EveryBlock(HARD_SWISH, true);
  ExpectMatchesEngine(arch, 3, {.blocked_layouts = false, .fuse_depthwise = false});
  ExpectMatchesEngine(arch, 3, {.blocked_layouts = true, .fuse_depthwise = false});
}

// 1x1 expand + 3x3 DW pairs on a large feature map, where oneDNN 2.6 offers
// its fused kernel on AVX2 (it decides by cache size), at stride 1 and 2.
constexpr char kFusable[] = R"pb(
  name: "fusable"
  input { height: 121 width: 115 channels: 3 }
  num_classes: 5
  activation: RELU6
  blocks { conv { kernel: 3 stride: 1 filters: 16 } }
  blocks { uib { start_dw_kernel: 0 mid_dw_kernel: 3 stride: 1 filters: 16 expansion: 4 } }
  blocks { uib { start_dw_kernel: 3 mid_dw_kernel: 3 stride: 2 filters: 24 expansion: 4 } }
  blocks { global_pool {} }
  blocks { classifier {} }
)pb";

TEST(InferenceExecutor, MatchesEngineWithFusedExpandAndDepthwise) {
  Architecture arch = *ParseTextProtoAs<Architecture>(kFusable, "kFusable");
  ExpectMatchesEngine(arch, 1);
  ExpectMatchesEngine(arch, 2);
  ExpectMatchesEngine(arch, 2, {.blocked_layouts = true, .fuse_depthwise = false});
  if (dnnl::get_effective_cpu_isa() == dnnl::cpu_isa::avx2) {
    auto ex = *InferenceExecutor::Create(arch, 1, 1);
    EXPECT_THAT(ex->Describe(), HasSubstr("blocks.1.expand conv + blocks.1.mid_dw depthwise"));
    EXPECT_THAT(ex->Describe(), HasSubstr("blocks.2.expand conv + blocks.2.mid_dw depthwise"));
  }
}

// FBNet's grouped UIB ops (grouped expand and project 1x1 convs, channel
// shuffle after the expand): the e1 op that keeps its expand conv, IB at
// stride 2, ExtraDW in 4 groups, FFN, ConvNext with the stride on the start
// DW, and groups of 10 channels (not a multiple of oneDNN's 8 or 16 block).
// 17x15 -> 9x8 -> 5x4 -> 3x2.
constexpr char kGrouped[] =
    "v1 17x15x3 classes=6 act=relu6 ls=0 : conv(3,2,24) uib(0,3,1,24,1,2,1) uib(0,5,2,40,3,2,0) "
    "uib(3,3,1,40,2,4,0) uib(0,0,1,40,2,2,0) uib(3,0,2,20,3,2,0) uib(0,3,1,20,3,2,0) conv(1,1,32) pool fc";

// With and without layer scale, at batch 1 and 3, and NHWC everywhere (where
// the shuffle runs as a strided reorder).
void ExpectMatchesEngineInEveryMode(const std::string& encoding) {
  Architecture arch = *ParseCanonicalEncoding(encoding);
  for (bool layer_scale : {false, true}) {
    arch.set_layer_scale(layer_scale);
    SCOPED_TRACE(absl::StrCat("layer_scale=", layer_scale));
    ExpectMatchesEngine(arch, 1);
    ExpectMatchesEngine(arch, 3);
    ExpectMatchesEngine(arch, 3, {.blocked_layouts = false, .fuse_depthwise = false});
  }
}

TEST(InferenceExecutor, MatchesEngineOnGroupedBlocksWithChannelShuffle) {
  ExpectMatchesEngineInEveryMode(kGrouped);
}

// The executor runs real grouped convs (measured latency pays grouped MACs)
// and one shuffle step per grouped block, attributed to its expand layer.
TEST(InferenceExecutor, GroupedBlocksRunGroupedConvsAndShuffleSteps) {
  const Architecture arch = *ParseCanonicalEncoding(kGrouped);
  for (bool blocked : {true, false}) {
    auto ex = InferenceExecutor::Create(arch, 1, 1, {.blocked_layouts = blocked, .fuse_depthwise = blocked});
    ASSERT_TRUE(ex.ok()) << ex.status();
    const std::string plan = (*ex)->Describe();
    for (int b = 1; b <= 6; ++b) {
      EXPECT_THAT(plan, HasSubstr(absl::StrCat("blocks.", b, ".expand channel shuffle"))) << plan;
      EXPECT_THAT(plan, Not(HasSubstr(absl::StrCat("blocks.", b, ".expand conv +")))) << plan;
    }
    if (!blocked) {
      EXPECT_THAT(plan, HasSubstr("channel shuffle (reorder)"));
    }
  }
}

// A grouped conv's dense stored weight holds blocks off the diagonal, which
// the engine's grouped op never uses: perturbing them leaves the executor's
// output alone, while a diagonal entry changes it.
TEST(InferenceExecutor, GroupedConvIgnoresOffDiagonalWeights) {
  const Architecture arch = *ParseCanonicalEncoding(kGrouped);
  auto net = *nn::Network::Create(arch, 4);
  std::vector<float> images(17 * 15 * 3);
  nn::testing::FillUniform(images.data(), images.size(), 8);
  auto run = [&]() -> std::vector<float> {
    auto ex = *InferenceExecutor::CreateFromParams(arch, 1, net->params());
    std::memcpy(ex->input(), images.data(), sizeof(float) * images.size());
    EXPECT_TRUE(ex->Run().ok());
    return std::vector<float>(ex->output(), ex->output() + ex->output_size());
  };
  const std::vector<float> before = run();
  // blocks.1.expand: 24 x 24 in 2 groups; (0, 12) is off the diagonal.
  nn::Param* w = net->params().Find("blocks.1.expand.weight");
  ASSERT_NE(w, nullptr);
  w->value[0 * 24 + 12] += 5.0f;
  EXPECT_EQ(run(), before);
  w->value[0 * 24 + 11] += 5.0f;  // On the diagonal: it counts.
  EXPECT_NE(run(), before);
}

// MHSA (a key and value head per query head) with and without the
// key/value downsampling, beside a Mobile MQA block, on an odd 9x8 map
// (72 query tokens; 5x4 = 20 downsampled key tokens).
constexpr char kMultiHead[] =
    "v1 17x15x3 classes=6 act=gelu ls=0 : conv(3,2,24) uib(0,3,1,24,2) mqa(2,8,1,1) mqa(4,8,2,1) mqa(3,8,2) "
    "conv(1,1,32) pool fc";

TEST(InferenceExecutor, MatchesEngineOnMultiHeadAttention) { ExpectMatchesEngineInEveryMode(kMultiHead); }

TEST(InferenceExecutor, MatchesEngineOnZooModelsAtSmallResolution) {
  for (const std::string& name : ZooModelNames()) {
    SCOPED_TRACE(name);
    ExpectMatchesEngine(*LoadZooModel(name, {.resolution = 65, .num_classes = 10}), 1);
  }
}

TEST(InferenceExecutor, SameSeedAsTheEngine) {
  Architecture arch = EveryBlock(RELU, false);
  auto a = *InferenceExecutor::Create(arch, 2, 7);
  auto b = *InferenceExecutor::Create(arch, 2, 7);
  nn::testing::FillUniform(a->input(), a->input_size(), 1);
  std::memcpy(b->input(), a->input(), sizeof(float) * a->input_size());
  ASSERT_TRUE(a->Run().ok());
  ASSERT_TRUE(b->Run().ok());
  EXPECT_EQ(std::vector<float>(a->output(), a->output() + a->output_size()),
            std::vector<float>(b->output(), b->output() + b->output_size()));
}

TEST(InferenceExecutor, RefusesBadInputs) {
  Architecture arch = EveryBlock(RELU, false);
  auto bad_batch = InferenceExecutor::Create(arch, 0, 1);
  EXPECT_EQ(bad_batch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_batch.status().message()), HasSubstr("batch: 0"));

  Architecture no_classifier = arch;
  no_classifier.mutable_blocks()->RemoveLast();
  auto invalid = InferenceExecutor::Create(no_classifier, 1, 1);
  EXPECT_EQ(invalid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(invalid.status().message()), HasSubstr("classifier"));

  // Weights of another architecture: the first mismatch is named.
  auto other = *nn::Network::Create(*ResolveArchitecture("fmnist_reference"), 1);
  auto mismatch = InferenceExecutor::CreateFromParams(arch, 1, other->params());
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(mismatch.status().message()), HasSubstr("params: 'blocks.0.conv.weight'"));
}

TEST(InferenceExecutor, TimeLayersCoversEveryLayer) {
  Architecture arch = EveryBlock(GELU, true);
  auto ex = *InferenceExecutor::Create(arch, 1, 3);
  // A timer that runs each step twice and reports a fixed time per run, so
  // the attribution to layers is checked exactly.
  int runs = 0;
  auto timer = [&](const std::function<absl::Status()>& run_step) -> absl::StatusOr<double> {
    for (int i = 0; i < 2; ++i) {
      absl::Status s = run_step();
      if (!s.ok()) return s;
      ++runs;
    }
    return 0.5;
  };
  auto times = ex->TimeLayers(timer);
  ASSERT_TRUE(times.ok()) << times.status();
  const NetworkLayers layers = *InferLayers(arch);
  ASSERT_EQ(times->size(), layers.layers.size());
  double total = 0;
  for (size_t i = 0; i < layers.layers.size(); ++i) {
    EXPECT_EQ((*times)[i].first, layers.layers[i].name);
    EXPECT_GE((*times)[i].second, 0.0) << (*times)[i].first;
    total += (*times)[i].second;
  }
  // Every step was timed once, and every step's time went to some layer.
  EXPECT_DOUBLE_EQ(total, 0.5 * runs / 2);
  // Still runs correctly afterwards.
  EXPECT_TRUE(ex->Run().ok());

  // The timer's error ends the timing.
  auto failing = [](const std::function<absl::Status()>&) -> absl::StatusOr<double> {
    return absl::InvalidArgumentError("protocol.repeat: 0 must be in [1, 1000]");
  };
  EXPECT_THAT(std::string(ex->TimeLayers(failing).status().message()), HasSubstr("protocol.repeat"));
}

}  // namespace
}  // namespace ridge::nn
