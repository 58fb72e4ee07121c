#include "search/decisions.h"

#include "gtest/gtest.h"
#include "proto/architecture.h"
#include "zoo/zoo.h"

namespace ridge::search {
namespace {

TEST(Decisions, DerivedFromTheSpace) {
  DecisionSpace ds(*LoadZooSpace("fmnist_uib"));
  // Per stage: filters; per slot: start, mid, expansion, and "present" for optional slots.
  // Stage 1: 1 + 3 + 4 = 8; stages 2 and 3: 1 + 3 + 4 + 4 = 12 each.
  EXPECT_EQ(ds.decisions().size(), 32u);
  EXPECT_EQ(ds.decisions()[0].name, "stages[0].filters");
  EXPECT_EQ(ds.decisions()[0].num_choices, 3);
  EXPECT_EQ(ds.decisions()[1].name, "stages[0].slots[0].start_dw_kernel");
  EXPECT_EQ(ds.decisions()[4].name, "stages[0].slots[1].present");
}

TEST(Decisions, SkippedSlotsMaskTheirDecisions) {
  DecisionSpace ds(*LoadZooSpace("fmnist_uib"));
  Sample s(ds.decisions().size(), 0);
  s[4] = 1;  // Skip stage 1's second slot.
  std::vector<bool> active = ds.ActiveMask(s);
  for (size_t d = 0; d < ds.decisions().size(); ++d) {
    const Decision& x = ds.decisions()[d];
    const bool in_skipped_slot = x.stage == 0 && x.slot == 1 && x.field != Field::kPresent;
    EXPECT_EQ(active[d], !in_skipped_slot) << x.name;
  }
  EXPECT_TRUE(ds.ToChoice(s).stages[0].slots[1].skip);
}

TEST(Decisions, SamplesAndChoicesRoundTrip) {
  SearchSpace space = *LoadZooSpace("fmnist_uib");
  DecisionSpace ds(space);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 100; ++i) {
    SpaceChoice c = SampleUniform(space, rng);
    for (auto& stage : c.stages) {
      for (auto& slot : stage.slots) {
        if (slot.skip) slot = SlotChoice{true};
      }
    }
    absl::StatusOr<Sample> s = ds.FromChoice(c);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(CanonicalEncoding(*BuildArchitecture(space, ds.ToChoice(*s))),
              CanonicalEncoding(*BuildArchitecture(space, c)));
  }
}

TEST(Decisions, AnOpListIsOneDecisionPerSlot) {
  SearchSpace space = *LoadZooSpace("fbnet");
  DecisionSpace ds(space);
  ASSERT_EQ(ds.decisions().size(), 22u);  // Fixed widths: one "op" per layer.
  EXPECT_EQ(ds.decisions()[1].name, "stages[1].slots[0].op");
  EXPECT_EQ(ds.decisions()[1].num_choices, 9);
  std::mt19937_64 rng(5);
  for (int i = 0; i < 50; ++i) {
    const SpaceChoice c = SampleUniform(space, rng);
    absl::StatusOr<Sample> s = ds.FromChoice(c);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_TRUE(ds.ToChoice(*s) == c);
    for (bool active : ds.ActiveMask(*s)) EXPECT_TRUE(active);
  }
}

TEST(Decisions, LargestFilters) {
  SearchSpace space = *LoadZooSpace("fmnist_uib");
  DecisionSpace ds(space);
  Sample s(ds.decisions().size(), 0);
  SpaceChoice c = ds.ToChoice(ds.WithLargestFilters(s));
  EXPECT_EQ(c.stages[0].filters, 40);
  EXPECT_EQ(c.stages[1].filters, 64);
  EXPECT_EQ(c.stages[2].filters, 128);
  EXPECT_EQ(c.stages[0].slots[0].mid_dw_kernel, 0);  // Other fields unchanged.
}

}  // namespace
}  // namespace ridge::search
