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
  }
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

}  // namespace
}  // namespace ridge
