#include "search/fine_space.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/architecture.h"
#include "proto/textproto.h"
#include "zoo/zoo.h"

namespace ridge::search {
namespace {

// A coarse space in MobileNetV4's sense: every block IB with expansion 4 and
// a 3x3 DW; filters and depth searched.
SearchSpace Coarse() {
  return *ParseTextProtoAs<SearchSpace>(R"pb(
    name: "coarse"
    input { height: 28 width: 28 channels: 1 }
    num_classes: 10
    activation: RELU
    stem { conv { kernel: 3 stride: 2 filters: 16 } }
    stages {
      filters: [ 16, 24 ]
      slots { kind: UIB start_dw_kernel: 0 mid_dw_kernel: 3 expansion: 4 stride: 2 }
      slots { kind: UIB start_dw_kernel: 0 mid_dw_kernel: 3 expansion: 4 stride: 1 optional: true }
      slots { kind: UIB start_dw_kernel: 0 mid_dw_kernel: 3 expansion: 4 stride: 1 optional: true }
    }
    head { conv { kernel: 1 stride: 1 filters: 64 } }
    head { global_pool {} }
    head { classifier {} }
  )pb", "coarse");
}

TEST(FineSpace, FreezesTheCoarseResultAndSearchesKernels) {
  SearchSpace coarse = Coarse();
  SpaceChoice result = LargestChoice(coarse);
  result.stages[0].filters = 24;
  result.stages[0].slots[2].skip = true;
  absl::StatusOr<SearchSpace> fine = DeriveFineSpace(coarse, result);
  ASSERT_TRUE(fine.ok()) << fine.status();
  ASSERT_EQ(fine->stages_size(), 1);
  const StageSpec& stage = fine->stages(0);
  EXPECT_THAT(stage.filters(), ::testing::ElementsAre(24));
  ASSERT_EQ(stage.slots_size(), 2);  // The skipped slot is gone.
  for (const SlotSpec& slot : stage.slots()) {
    EXPECT_FALSE(slot.optional());
    EXPECT_THAT(slot.start_dw_kernel(), ::testing::ElementsAre(0, 3, 5));
    EXPECT_THAT(slot.expansion(), ::testing::ElementsAre(4));
  }
  // At stride 2 the middle DW keeps the stride: no 0 when the start may be 0.
  EXPECT_THAT(stage.slots(0).mid_dw_kernel(), ::testing::ElementsAre(3, 5));
  EXPECT_THAT(stage.slots(1).mid_dw_kernel(), ::testing::ElementsAre(0, 3, 5));
  // The coarse result itself is a point of the fine space.
  Architecture coarse_arch = *BuildArchitecture(coarse, result);
  EXPECT_TRUE(MatchArchitecture(*fine, coarse_arch).ok());
}

TEST(FineSpace, RuleWidensExpansionAndKernels) {
  SearchSpace coarse = Coarse();
  FineRule rule;
  rule.add_start_dw_kernel(0), rule.add_start_dw_kernel(7);
  rule.add_mid_dw_kernel(3);
  rule.add_expansion(3), rule.add_expansion(6);
  SearchSpace fine = *DeriveFineSpace(coarse, SmallestChoice(coarse), rule);
  ASSERT_EQ(fine.stages(0).slots_size(), 1);  // Smallest: optional slots skipped.
  EXPECT_THAT(fine.stages(0).slots(0).start_dw_kernel(), ::testing::ElementsAre(0, 7));
  EXPECT_THAT(fine.stages(0).slots(0).expansion(), ::testing::ElementsAre(3, 6));
}

TEST(FineSpace, WorksOnTheBuiltInSpaceAndRejectsForeignResults) {
  SearchSpace space = *LoadZooSpace("fmnist_uib");
  std::mt19937_64 rng(2);
  for (int i = 0; i < 20; ++i) {
    SpaceChoice c = SampleUniform(space, rng);
    absl::StatusOr<SearchSpace> fine = DeriveFineSpace(space, c);
    ASSERT_TRUE(fine.ok()) << fine.status();
  }
  SpaceChoice bad = LargestChoice(space);
  bad.stages[0].filters = 7;
  EXPECT_FALSE(DeriveFineSpace(space, bad).ok());
}

}  // namespace
}  // namespace ridge::search
