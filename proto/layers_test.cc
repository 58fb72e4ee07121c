#include "proto/layers.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/architecture.h"

namespace ridge {
namespace {

using ::testing::HasSubstr;

Architecture Arch(const std::string& encoding) {
  absl::StatusOr<Architecture> a = ParseCanonicalEncoding(encoding);
  EXPECT_TRUE(a.ok()) << a.status();
  return *a;
}

TEST(MakeDivisible, MatchesTimmRounding) {
  EXPECT_EQ(MakeDivisible(32 * 4), 128);
  EXPECT_EQ(MakeDivisible(96 * 3), 288);
  EXPECT_EQ(MakeDivisible(20), 24);  // Nearest multiple of 8 rounds half up.
  EXPECT_EQ(MakeDivisible(19), 24);  // 16 < 0.9 * 19 = 17.1, so it is bumped to 24.
}

TEST(MakeDivisible, NeverBelowNinetyPercent) {
  // 17 rounds to 16, and 16 >= 15.3, so it stays; 3 rounds to 8 (the minimum).
  EXPECT_EQ(MakeDivisible(17), 16);
  EXPECT_EQ(MakeDivisible(3), 8);
  // 12 rounds to 16 (12 + 4 = 16).
  EXPECT_EQ(MakeDivisible(12), 16);
}

TEST(InferLayers, UibVariantsAndStridePlacement) {
  NetworkLayers net = *InferLayers(Arch(
      "v1 32x32x8 classes=10 act=relu ls=0 : uib(3,5,2,16,4) uib(3,0,2,16,2) uib(0,0,1,16,2) pool fc"));
  // ExtraDW: start_dw (stride 1), expand, mid_dw (stride 2), project.
  ASSERT_GE(net.layers.size(), 4u);
  EXPECT_EQ(net.layers[0].name, "blocks.0.start_dw");
  EXPECT_EQ(net.layers[0].stride, 1);
  EXPECT_EQ(net.layers[2].name, "blocks.0.mid_dw");
  EXPECT_EQ(net.layers[2].stride, 2);
  EXPECT_EQ(net.layers[2].out, (Dims{16, 16, 32}));
  EXPECT_FALSE(net.layers[3].residual);
  // ConvNext: the stride sits on the start DW.
  EXPECT_EQ(net.layers[4].name, "blocks.1.start_dw");
  EXPECT_EQ(net.layers[4].stride, 2);
  EXPECT_EQ(net.block_outputs[1], (Dims{8, 8, 16}));
  // FFN with in == out and stride 1 has a residual.
  EXPECT_EQ(net.layers[7].name, "blocks.2.expand");
  EXPECT_TRUE(net.layers[8].residual);
  EXPECT_EQ(net.block_outputs[4], (Dims{1, 1, 10}));
}

TEST(InferLayers, OddSizesRoundUp) {
  NetworkLayers net = *InferLayers(Arch("v1 225x223x3 classes=5 act=relu ls=0 : conv(3,2,8) conv(1,2,8) pool fc"));
  EXPECT_EQ(net.block_outputs[0], (Dims{113, 112, 8}));
  EXPECT_EQ(net.block_outputs[1], (Dims{57, 56, 8}));
}

TEST(InferLayers, MqaShapes) {
  NetworkLayers net = *InferLayers(Arch("v1 16x16x32 classes=4 act=relu ls=1 : mqa(4,8,2) pool fc"));
  std::vector<std::string> names;
  for (const Layer& l : net.layers) names.push_back(l.name);
  EXPECT_THAT(names, ::testing::ElementsAre("blocks.0.query", "blocks.0.key_dw", "blocks.0.key",
                                            "blocks.0.value_dw", "blocks.0.value", "blocks.0.attn_scores",
                                            "blocks.0.attn_values", "blocks.0.output", "blocks.1.pool",
                                            "blocks.2.fc"));
  EXPECT_EQ(net.layers[2].out, (Dims{8, 8, 8}));   // Keys: 64 tokens of dim 8.
  EXPECT_EQ(net.layers[5].kv_tokens, 64);
  EXPECT_EQ(net.layers[5].out, (Dims{16, 16, 4 * 64}));
  EXPECT_EQ(net.layers[7].out, (Dims{16, 16, 32}));
  EXPECT_TRUE(net.layers[7].residual);
  EXPECT_TRUE(net.layers[7].layer_scale);
}

TEST(InferLayers, ExpansionOneWithoutStartDwHasNoExpandConv) {
  NetworkLayers net = *InferLayers(Arch("v1 8x8x32 classes=2 act=relu6 ls=0 : uib(0,3,1,16,1) pool fc"));
  EXPECT_EQ(net.layers[0].name, "blocks.0.mid_dw");
  EXPECT_EQ(net.layers[0].out.c, 32);
}

TEST(InferLayers, ImpossibleStructures) {
  auto err = [](const std::string& enc) {
    absl::StatusOr<Architecture> a = ParseCanonicalEncoding(enc);
    EXPECT_TRUE(a.ok()) << a.status();
    absl::StatusOr<NetworkLayers> n = InferLayers(*a);
    EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(n.status().message());
  };
  EXPECT_EQ(err("v1 8x8x3 classes=2 act=relu ls=0 : conv(3,1,8) fc"),
            "architecture.blocks[1].classifier: must come after global_pool");
  EXPECT_EQ(err("v1 8x8x3 classes=2 act=relu ls=0 : conv(3,1,8) pool"),
            "architecture.blocks: must end with global_pool then classifier");
  EXPECT_EQ(err("v1 8x8x3 classes=2 act=relu ls=0 : pool uib(0,3,1,8,2) fc"),
            "architecture.blocks[1].uib: is a spatial block and cannot come after global_pool");
  EXPECT_EQ(err("v1 8x8x3 classes=2 act=relu ls=0 : pool conv(3,1,8) fc"),
            "architecture.blocks[1].conv.kernel: 3 must be 1 after global_pool");
  EXPECT_EQ(err("v1 8x8x3 classes=2 act=relu ls=0 : pool pool fc"),
            "architecture.blocks[1].global_pool: appears twice");
  EXPECT_EQ(err("v1 2x2x3 classes=2 act=relu ls=0 : conv(3,2,8) uib(0,3,2,8,2) pool fc"),
            "architecture.blocks[1].uib.stride: 2 cannot downsample a 1x1 feature map "
            "(the input 2x2 is too small for this network)");
  EXPECT_THAT(err("v1 8x8x60000 classes=2 act=relu ls=0 : uib(0,3,1,8,16) pool fc"),
              HasSubstr("architecture.blocks[0].uib.expansion: expands to 960000 channels, over the limit"));
}

}  // namespace
}  // namespace ridge
