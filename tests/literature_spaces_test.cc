// The search spaces of the literature, built in: each loads and validates,
// holds what its source says it holds, and has the size its choices imply.
#include <cmath>

#include "gtest/gtest.h"
#include "latency/costing.h"
#include "proto/architecture.h"
#include "proto/space.h"
#include "zoo/zoo.h"

namespace ridge {
namespace {

TEST(LiteratureSpacesTest, MobileNetV4ConvSmallIsAMemberOfItsFineSpace) {
  const SearchSpace space = *LoadZooSpace("mnv4_conv_s_fine");
  const Architecture conv_s = *LoadZooModel("mobilenetv4_conv_small");
  absl::StatusOr<SpaceChoice> choice = MatchArchitecture(space, conv_s);
  ASSERT_TRUE(choice.ok()) << choice.status();
  // Built back from the choice, it is Conv-S block for block.
  const Architecture rebuilt = *BuildArchitecture(space, *choice);
  EXPECT_EQ(CanonicalEncoding(rebuilt), CanonicalEncoding(conv_s));
  // The coarse space holds Conv-S's widths and depths with IB e4 k3 blocks,
  // but not Conv-S itself.
  EXPECT_FALSE(MatchArchitecture(*LoadZooSpace("mnv4_conv_s_coarse"), conv_s).ok());
}

TEST(LiteratureSpacesTest, TheHybridSpaceOffersMobileMqaInTheLastStageOnly) {
  const SearchSpace space = *LoadZooSpace("mnv4_hybrid_s");
  ASSERT_EQ(space.stages_size(), 2);
  for (int i = 0; i < space.stages(0).slots_size(); ++i) EXPECT_EQ(space.stages(0).slots(i).kind_size(), 1);
  EXPECT_EQ(space.stages(1).slots(0).kind_size(), 1);  // The stride-2 block stays a UIB.
  for (int i = 1; i < space.stages(1).slots_size(); ++i) {
    const SlotSpec& slot = space.stages(1).slots(i);
    ASSERT_EQ(slot.kind_size(), 2);
    EXPECT_EQ(slot.kind(1), MQA);
    EXPECT_EQ(slot.kv_stride_size(), 2);
    EXPECT_EQ(slot.multi_head_size(), 2);  // Mobile MQA or MHSA: the search picks the kind.
  }
  // An MHSA choice builds an MHSA block, and matches back to its choice.
  SpaceChoice choice = LargestChoice(space);
  SlotChoice& last = choice.stages[1].slots.back();
  last.kind = MQA, last.heads = 4, last.key_dim = 64, last.kv_stride = 2, last.multi_head = true;
  const Architecture arch = *BuildArchitecture(space, choice);
  ASSERT_TRUE(arch.blocks(arch.blocks_size() - 5).has_mqa()) << CanonicalEncoding(arch);
  EXPECT_TRUE(arch.blocks(arch.blocks_size() - 5).mqa().multi_head());
  absl::StatusOr<SpaceChoice> back = MatchArchitecture(space, arch);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->stages[1].slots.back().multi_head);
}

TEST(LiteratureSpacesTest, ProxylessNasMobileHasThePapersPlan) {
  const SearchSpace space = *LoadZooSpace("proxylessnas_mobile");
  EXPECT_EQ(space.input().height(), 224);
  EXPECT_EQ(space.num_classes(), 1000);
  const std::vector<int> widths = {24, 40, 80, 96, 192, 320}, depths = {4, 4, 4, 4, 4, 1}, strides = {2, 2, 2, 1, 2, 1};
  ASSERT_EQ(space.stages_size(), 6);
  double log10_size = 0;
  for (int i = 0; i < 6; ++i) {
    const StageSpec& stage = space.stages(i);
    EXPECT_EQ(stage.filters(0), widths[i]);
    EXPECT_EQ(stage.slots_size(), depths[i]);
    EXPECT_EQ(stage.slots(0).stride(), strides[i]);
    EXPECT_FALSE(stage.slots(0).optional());
    for (const SlotSpec& slot : stage.slots()) {
      EXPECT_EQ(slot.mid_dw_kernel_size(), 3);  // k in {3, 5, 7}
      EXPECT_EQ(slot.expansion_size(), 2);      // e in {3, 6}
      EXPECT_EQ(slot.start_dw_kernel_size(), 1);
      log10_size += std::log10(slot.mid_dw_kernel_size() * slot.expansion_size() + (slot.optional() ? 1 : 0));
    }
  }
  // 6^6 * 7^15, as the paper's space (21 searchable blocks; 15 may be zero).
  EXPECT_NEAR(log10_size, 6 * std::log10(6) + 15 * std::log10(7), 1e-9);
  // The largest network: every block k7 e6, none skipped.
  const Architecture largest = *BuildArchitecture(space, LargestChoice(space));
  const NetworkCost cost = *CostArchitecture(largest, ElementType::kFp32);
  EXPECT_GT(cost.macs, 500e6);
  EXPECT_LT(cost.macs, 700e6);
}

TEST(LiteratureSpacesTest, FbnetHasHwNasBenchsCifarPlanAndNineOpsPerLayer) {
  const SearchSpace space = *LoadZooSpace("fbnet");
  EXPECT_EQ(space.input().height(), 32);
  const std::vector<int> widths = {16, 24, 32, 64, 112, 184, 352}, depths = {1, 4, 4, 4, 4, 4, 1},
                         strides = {1, 1, 2, 2, 1, 2, 1};
  ASSERT_EQ(space.stages_size(), 7);
  int layers = 0;
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(space.stages(i).filters(0), widths[i]);
    EXPECT_EQ(space.stages(i).slots_size(), depths[i]);
    EXPECT_EQ(space.stages(i).slots(0).stride(), strides[i]);
    for (const SlotSpec& slot : space.stages(i).slots()) {
      EXPECT_EQ(slot.ops_size(), 9);
      EXPECT_TRUE(slot.expand_always());
      ++layers;
    }
  }
  EXPECT_EQ(layers, 22);
  // Every layer skipped: the stem, one 1x1 conv per shape change (stages 1 to
  // 6; stage 0 keeps 16 channels at stride 1, so its skip is the identity),
  // and the head.
  const Architecture smallest = *BuildArchitecture(space, SmallestChoice(space));
  EXPECT_EQ(CanonicalEncoding(smallest),
            "v1 32x32x3 classes=100 act=relu ls=0 : conv(3,1,16) conv(1,1,24) conv(1,2,32) conv(1,2,64) "
            "conv(1,1,112) conv(1,2,184) conv(1,1,352) conv(1,1,1504) pool fc");
  // MACs and params of three uniform networks, as a PyTorch model of
  // HW-NAS-Bench's FBNet_Infer at 32x32 with 100 classes counts them.
  struct Case {
    std::string op;
    int64_t macs, params;
  };
  for (const Case& c : {Case{"skip", 11608960, 780660}, Case{"k5_e6", 160926080, 3749652},
                        Case{"k3_e1_g2", 21051008, 940084}}) {
    SpaceChoice choice = SmallestChoice(space);
    const int op = c.op == "skip" ? 8 : c.op == "k5_e6" ? 7 : 1;
    for (int s = 0; s < 7; ++s) {
      for (SlotChoice& slot : choice.stages[s].slots) slot = ChoiceOfOp(space.stages(s).slots(0), op);
    }
    const NetworkCost cost = *CostArchitecture(*BuildArchitecture(space, choice), ElementType::kFp32);
    EXPECT_EQ(cost.macs, c.macs) << c.op;
    EXPECT_EQ(cost.params, c.params) << c.op;
  }
}

TEST(LiteratureSpacesTest, FbnetSamplesMatchBackToTheirChoices) {
  const SearchSpace space = *LoadZooSpace("fbnet");
  std::mt19937_64 rng(7);
  int skips = 0, grouped = 0;
  for (int n = 0; n < 200; ++n) {
    const SpaceChoice choice = SampleUniform(space, rng);
    const Architecture arch = *BuildArchitecture(space, choice);
    absl::StatusOr<SpaceChoice> back = MatchArchitecture(space, arch);
    ASSERT_TRUE(back.ok()) << back.status() << "\n" << CanonicalEncoding(arch);
    // An identity skip may sit in any slot of its stage with the same network,
    // so the match is checked by the network it builds.
    EXPECT_EQ(CanonicalEncoding(*BuildArchitecture(space, *back)), CanonicalEncoding(arch));
    for (const StageChoice& stage : choice.stages) {
      for (const SlotChoice& slot : stage.slots) skips += slot.skip, grouped += slot.groups == 2;
    }
  }
  // Each of the nine ops is drawn alike: 2/9 of the layers are g2 ops, 1/9 skips.
  EXPECT_NEAR(skips / (200.0 * 22), 1.0 / 9, 0.03);
  EXPECT_NEAR(grouped / (200.0 * 22), 2.0 / 9, 0.03);
}

}  // namespace
}  // namespace ridge
