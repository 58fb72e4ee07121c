#include "search/fine_space.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/architecture.h"
#include "proto/textproto.h"
#include "zoo/zoo.h"

namespace ridge::search {
namespace {

using ::testing::HasSubstr;

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
  absl::StatusOr<FineSpace> derived = DeriveFineSpace(coarse, {result});
  ASSERT_TRUE(derived.ok()) << derived.status();
  const SearchSpace* fine = &derived->space;
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
  SearchSpace fine = DeriveFineSpace(coarse, {SmallestChoice(coarse)}, rule)->space;
  ASSERT_EQ(fine.stages(0).slots_size(), 1);  // Smallest: optional slots skipped.
  EXPECT_THAT(fine.stages(0).slots(0).start_dw_kernel(), ::testing::ElementsAre(0, 7));
  EXPECT_THAT(fine.stages(0).slots(0).expansion(), ::testing::ElementsAre(3, 6));
}

TEST(FineSpace, WorksOnTheBuiltInSpaceAndRejectsForeignResults) {
  SearchSpace space = *LoadZooSpace("fmnist_uib");
  std::mt19937_64 rng(2);
  for (int i = 0; i < 20; ++i) {
    SpaceChoice c = SampleUniform(space, rng);
    absl::StatusOr<FineSpace> fine = DeriveFineSpace(space, {c});
    ASSERT_TRUE(fine.ok()) << fine.status();
  }
  SpaceChoice bad = LargestChoice(space);
  bad.stages[0].filters = 7;
  EXPECT_FALSE(DeriveFineSpace(space, {LargestChoice(space), bad}).ok());
  EXPECT_FALSE(DeriveFineSpace(space, {}).ok());
}

// Six policies share one fine supernet: it holds every policy's result, and
// each result maps to a choice of it with the same filters and depth.
TEST(FineSpace, HoldsEveryPolicysResult) {
  SearchSpace coarse = Coarse();
  SpaceChoice deep = LargestChoice(coarse);  // 24 filters, three slots.
  SpaceChoice shallow = SmallestChoice(coarse);  // 16 filters, one slot.
  SpaceChoice middle = LargestChoice(coarse);
  middle.stages[0].filters = 16;
  middle.stages[0].slots[2].skip = true;
  absl::StatusOr<FineSpace> fine = DeriveFineSpace(coarse, {deep, shallow, middle});
  ASSERT_TRUE(fine.ok()) << fine.status();
  const StageSpec& stage = fine->space.stages(0);
  EXPECT_THAT(stage.filters(), ::testing::ElementsAre(16, 24));
  ASSERT_EQ(stage.slots_size(), 3);
  EXPECT_FALSE(stage.slots(0).optional());
  EXPECT_TRUE(stage.slots(1).optional());  // The shallow result skips it.
  EXPECT_TRUE(stage.slots(2).optional());
  EXPECT_THAT(fine->coarse_slot[0], ::testing::ElementsAre(0, 1, 2));
  for (const SpaceChoice& r : {deep, shallow, middle}) {
    SpaceChoice c = ToFineChoice(*fine, r);
    absl::StatusOr<Architecture> a = BuildArchitecture(fine->space, c);
    ASSERT_TRUE(a.ok()) << a.status();
    // Kernels 0/3 and expansion 4 are offered, so it is the coarse result itself.
    EXPECT_EQ(ArchitectureId(*a), ArchitectureId(*BuildArchitecture(coarse, r)));
  }
  // A slot every result skips is dropped, and the mapping says which remain.
  SpaceChoice no_last = deep;
  no_last.stages[0].slots[1].skip = true;
  no_last.stages[0].slots[2].skip = true;
  SpaceChoice no_middle = deep;
  no_middle.stages[0].slots[1].skip = true;
  fine = DeriveFineSpace(coarse, {no_last, no_middle});
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_THAT(fine->coarse_slot[0], ::testing::ElementsAre(0, 2));
  EXPECT_TRUE(BuildArchitecture(fine->space, ToFineChoice(*fine, no_middle)).ok());
}

TEST(FineSpace, OpListSpacesAreSearchedInOneStage) {
  absl::StatusOr<SearchSpace> fine = WidenToFineKernels(*LoadZooSpace("fbnet"), FineRule());
  EXPECT_THAT(fine.status().message(), HasSubstr("space 'fbnet' has op lists (stages[0].slots[0].ops), which a "
                                                 "fine stage cannot widen; search it in one stage"));
}

}  // namespace
}  // namespace ridge::search
