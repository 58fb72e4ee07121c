#include "latency/costing.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/architecture.h"

namespace ridge {
namespace {

using ::testing::HasSubstr;

NetworkCost Cost(const std::string& encoding, ElementType type = ElementType::kFp32) {
  absl::StatusOr<Architecture> a = ParseCanonicalEncoding(encoding);
  EXPECT_TRUE(a.ok()) << a.status();
  absl::StatusOr<NetworkCost> c = CostArchitecture(*a, type);
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

// Sums the layers of one block.
struct BlockSum { int64_t macs = 0, params = 0; };
BlockSum SumBlock(const NetworkCost& cost, int block) {
  BlockSum s;
  for (const LayerCost& c : cost.layers) {
    if (c.layer.block == block) s.macs += c.macs, s.params += c.params;
  }
  return s;
}

// One network with a block of every kind; each count below is worked by hand.
constexpr char kNet[] =
    "v1 32x32x3 classes=10 act=relu ls=1 : conv(3,2,16) fused(3,1,16,4) uib(3,5,2,24,4) "
    "mqa(2,8,2) pool conv(1,1,32) fc";

TEST(Costing, ConvByHand) {
  NetworkCost c = Cost(kNet);
  const LayerCost& l = c.layers[0];
  // 32x32x3 -> 16x16x16 with a 3x3 kernel: 16*16 * 16 * 3*9 MACs.
  EXPECT_EQ(l.macs, 16 * 16 * 16 * 3 * 9);
  EXPECT_EQ(l.params, 16 * 3 * 9 + 2 * 16);       // Weights, BN scale and shift.
  EXPECT_EQ(l.weight_elements, 16 * 3 * 9 + 16);  // BN folds into one bias per channel.
  EXPECT_EQ(l.weight_bytes, (432 + 16) * 4);
  EXPECT_EQ(l.activation_bytes, (32 * 32 * 3 + 16 * 16 * 16) * 4);
}

TEST(Costing, FusedIbByHand) {
  NetworkCost c = Cost(kNet);
  // 16 -> make_div(64) = 64 with 3x3 at 16x16, then 64 -> 16 with 1x1.
  BlockSum b = SumBlock(c, 1);
  EXPECT_EQ(b.macs, 16 * 16 * 64 * 16 * 9 + 16 * 16 * 16 * 64);
  EXPECT_EQ(b.params, (64 * 16 * 9 + 2 * 64) + (16 * 64 + 2 * 16));
  // The projection reads its input and the residual, and writes its output.
  const LayerCost& proj = c.layers[2];
  ASSERT_EQ(proj.layer.name, "blocks.1.project");
  EXPECT_EQ(proj.input_elements, 16 * 16 * 64 + 16 * 16 * 16);
}

TEST(Costing, UibExtraDwByHand) {
  NetworkCost c = Cost(kNet);
  BlockSum b = SumBlock(c, 2);
  const int64_t start_dw = 16 * 16 * 16 * 9;   // 3x3 DW at stride 1.
  const int64_t expand = 16 * 16 * 64 * 16;    // 1x1, 16 -> 64.
  const int64_t mid_dw = 8 * 8 * 64 * 25;      // 5x5 DW at stride 2.
  const int64_t project = 8 * 8 * 24 * 64;     // 1x1, 64 -> 24.
  EXPECT_EQ(b.macs, start_dw + expand + mid_dw + project);
  EXPECT_EQ(b.params, (144 + 32) + (1024 + 128) + (1600 + 128) + (1536 + 48 + 24));  // + layer scale
}

// FBNet's k3_e1_g2 op (HW-NAS-Bench's ConvBlock with groups=2), 24 -> 24 at
// 16x16: a grouped 1x1 expand 24 -> 24, a channel shuffle, a 3x3 DW, a
// grouped 1x1 project 24 -> 24, and the residual.
TEST(Costing, GroupedFbnetBlockByHand) {
  NetworkCost c = Cost("v1 16x16x24 classes=10 act=relu ls=0 : uib(0,3,1,24,1,2,1) pool fc");
  ASSERT_EQ(c.layers[0].layer.name, "blocks.0.expand");
  EXPECT_EQ(c.layers[0].layer.groups, 2);
  EXPECT_EQ(c.layers[0].layer.shuffle_groups, 2);  // The shuffle follows the expand conv.
  EXPECT_EQ(c.layers[2].layer.groups, 2);
  EXPECT_TRUE(c.layers[2].layer.residual);
  // Each output channel of a 2-group conv sees 12 of the 24 inputs.
  const int64_t expand = 16 * 16 * 24 * 12, mid_dw = 16 * 16 * 24 * 9, project = 16 * 16 * 24 * 12;
  BlockSum b = SumBlock(c, 0);
  EXPECT_EQ(b.macs, expand + mid_dw + project);
  EXPECT_EQ(b.macs, 202752);
  EXPECT_EQ(b.params, (24 * 12 + 48) + (24 * 9 + 48) + (24 * 12 + 48));
  EXPECT_EQ(b.params, 936);
  // Without groups the same block is dense: twice the 1x1 weights.
  BlockSum dense = SumBlock(Cost("v1 16x16x24 classes=10 act=relu ls=0 : uib(0,3,1,24,1,1,1) pool fc"), 0);
  EXPECT_EQ(dense.macs - b.macs, 16 * 16 * 24 * 24);
}

TEST(Costing, GroupsMustDivideEveryWidthAndNeedAnExpandConv) {
  absl::StatusOr<NetworkCost> odd =
      CostArchitecture(*ParseCanonicalEncoding("v1 8x8x24 classes=10 act=relu ls=0 : uib(0,3,1,30,1,4,1) pool fc"));
  EXPECT_THAT(odd.status().message(), HasSubstr("blocks[0].uib.groups: 4 does not divide a width of 30 channels"));
  absl::StatusOr<NetworkCost> no_expand =
      CostArchitecture(*ParseCanonicalEncoding("v1 8x8x24 classes=10 act=relu ls=0 : uib(0,3,1,24,1,2,0) pool fc"));
  EXPECT_THAT(no_expand.status().message(), HasSubstr("blocks[0].uib.groups: 2 needs an expand conv"));
}

TEST(Costing, MobileMqaByHand) {
  NetworkCost c = Cost(kNet);
  BlockSum b = SumBlock(c, 3);
  // 8x8x24 input, 2 heads of dim 8, keys and values downsampled to 4x4.
  const int64_t q = 64 * 16 * 24, kv_dw = 16 * 24 * 9, kv_proj = 16 * 8 * 24;
  const int64_t attention = 2 * 64 * 16 * 8;  // heads * queries * keys * dim, twice.
  const int64_t out = 64 * 24 * 16;
  EXPECT_EQ(b.macs, q + 2 * (kv_dw + kv_proj) + 2 * attention + out);
  // Input BN 48, query 384, each of key/value: DW 216 + BN 48 + proj 192,
  // output 384, layer scale 24. This is also timm's MobileAttention count.
  EXPECT_EQ(b.params, 48 + 384 + 2 * (216 + 48 + 192) + 384 + 24);
}

// MHSA in place of Mobile MQA: the same block with a key and a value head per
// query head, so the key and value projections are `heads` times wider and
// the attention products are unchanged.
TEST(Costing, MultiHeadSelfAttentionByHand) {
  std::string mhsa = kNet;
  mhsa.replace(mhsa.find("mqa(2,8,2)"), 10, "mqa(2,8,2,1)");
  BlockSum mq = SumBlock(Cost(kNet), 3), mh = SumBlock(Cost(mhsa), 3);
  const int64_t kv_proj = 16 * 8 * 24;  // One 4x4 head's projection from 24 channels.
  EXPECT_EQ(mh.macs - mq.macs, 2 * kv_proj);
  EXPECT_EQ(mh.params - mq.params, 2 * (8 * 24));
  const NetworkCost c = Cost(mhsa);
  for (const LayerCost& l : c.layers) {
    if (l.layer.kind == LayerKind::kAttentionScores) {
      EXPECT_EQ(l.layer.kv_heads, 2);
    }
  }
}

TEST(Costing, HeadByHand) {
  NetworkCost c = Cost(kNet);
  EXPECT_EQ(SumBlock(c, 4).macs, 0);  // Pooling.
  EXPECT_EQ(SumBlock(c, 5).macs, 24 * 32);
  EXPECT_EQ(SumBlock(c, 5).params, 24 * 32 + 64);
  EXPECT_EQ(SumBlock(c, 6).macs, 32 * 10);
  EXPECT_EQ(SumBlock(c, 6).params, 32 * 10 + 10);
  const LayerCost& fc = c.layers.back();
  EXPECT_EQ(fc.weight_bytes, (320 + 10) * 4);
}

TEST(Costing, TotalsAreSumsOfLayers) {
  NetworkCost c = Cost(kNet);
  int64_t macs = 0, params = 0, act = 0;
  for (const LayerCost& l : c.layers) macs += l.macs, params += l.params, act += l.output_elements;
  EXPECT_EQ(c.macs, macs);
  EXPECT_EQ(c.params, params);
  EXPECT_EQ(c.activations, act);
}

TEST(Costing, ElementWidthsScaleBytesOnly) {
  NetworkCost f = Cost(kNet, ElementType::kFp32);
  NetworkCost h = Cost(kNet, ElementType::kBf16);
  NetworkCost q = Cost(kNet, ElementType::kInt8);
  EXPECT_EQ(f.macs, q.macs);
  EXPECT_EQ(f.params, q.params);
  EXPECT_EQ(f.weight_bytes, 2 * h.weight_bytes);
  EXPECT_EQ(f.weight_bytes, 4 * q.weight_bytes);
  EXPECT_EQ(f.activation_bytes, 4 * q.activation_bytes);
}

TEST(Costing, OverflowIsAnErrorNotAWrap) {
  // 8192 x 8192 x 65536 with a 7x7 conv to 65536 channels: ~1.4e19 MACs.
  absl::StatusOr<Architecture> a = ParseCanonicalEncoding(
      "v1 8192x8192x65536 classes=2 act=relu ls=0 : conv(7,1,65536) pool fc");
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<NetworkCost> c = CostArchitecture(*a);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(), "blocks.0.conv: counts overflow int64; the sizes are too large");
}

TEST(ElementType, Parse) {
  EXPECT_EQ(*ParseElementType("INT8"), ElementType::kInt8);
  EXPECT_EQ(*ParseElementType("2"), ElementType::kBf16);
  EXPECT_EQ(ParseElementType("fp16").status().message(),
            "element type: 'fp16' is not one of {fp32, bf16, int8}");
  EXPECT_EQ(ElementTypeOfBytes(3).status().message(), "bytes per element: 3 is not one of {1, 2, 4}");
}

}  // namespace
}  // namespace ridge
