// Campaign resolution: one stage, coarse then fine, the fine stage alone, and
// the random baseline of a two-stage campaign.
#include "search/campaign.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/textproto.h"
#include "zoo/zoo.h"

namespace ridge::search {
namespace {

using ::testing::HasSubstr;

CampaignSpec TwoStage() {
  return *ParseTextProtoAs<CampaignSpec>(R"pb(
    name: "two_stage"
    coarse_space_ref: "fmnist_uib_coarse"
    training { coarse_steps: 30 fine_steps: 20 batch_size: 16 }
    targets { hardware: "pixel6_cpu" budget_ms: [ 4, 8 ] }
    dataset { train_images: 64 valid_images: 32 }
  )pb", "spec");
}

TEST(ResolveCampaign, CoarseThenFine) {
  absl::StatusOr<ResolvedCampaign> c = ResolveCampaign(TwoStage());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->space.name(), "fmnist_uib_coarse");
  EXPECT_EQ(c->options.steps, 30);
  EXPECT_EQ(c->options.fine_steps, 20);
  EXPECT_EQ(c->options.first_stage, COARSE);
  EXPECT_EQ(c->targets.size(), 2u);
}

TEST(ResolveCampaign, TrainingFieldsReachTheSearch) {
  CampaignSpec spec = TwoStage();
  absl::StatusOr<ResolvedCampaign> c = ResolveCampaign(spec);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->options.baseline_momentum, 0.95);  // TuNAS's, when the spec leaves it out.
  spec.mutable_training()->set_baseline_momentum(0.5);
  spec.mutable_training()->set_policy_delay_fraction(0.1);
  c = ResolveCampaign(spec);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->options.baseline_momentum, 0.5);
  EXPECT_EQ(c->options.policy_delay_fraction, 0.1);
}

TEST(ResolveCampaign, TheFineStageAlone) {
  CampaignSpec spec = TwoStage();
  spec.mutable_training()->set_coarse_steps(0);
  *spec.mutable_fine()->mutable_from() = *ResolveArchitecture("fmnist_ib_reference");
  absl::StatusOr<ResolvedCampaign> c = ResolveCampaign(spec);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->space.name(), "fmnist_uib_coarse_fine");
  EXPECT_EQ(c->options.steps, 20);
  EXPECT_EQ(c->options.fine_steps, 0);
  EXPECT_EQ(c->options.first_stage, FINE);
  // Filters and depth are the given result's; only kernels are left.
  for (const StageSpec& stage : c->space.stages()) EXPECT_EQ(stage.filters_size(), 1);

  // A result from another space is refused, naming the field.
  *spec.mutable_fine()->mutable_from() = *ResolveArchitecture("fmnist_reference");
  c = ResolveCampaign(spec, "spec.textproto");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("spec.textproto: fine.from is not an architecture of the coarse space"));
}

TEST(AsRandomBaseline, OneStageOverEverythingBothStagesReach) {
  ResolvedCampaign c = *ResolveCampaign(TwoStage());
  ASSERT_TRUE(AsRandomBaseline(&c).ok());
  EXPECT_TRUE(c.options.random_baseline);
  EXPECT_EQ(c.options.steps, 50);  // The same training steps as the search.
  EXPECT_EQ(c.options.fine_steps, 0);
  const SlotSpec& slot = c.space.stages(0).slots(0);
  EXPECT_THAT(slot.start_dw_kernel(), ::testing::ElementsAre(0, 3, 5));
  EXPECT_THAT(slot.mid_dw_kernel(), ::testing::ElementsAre(0, 3, 5));
  EXPECT_THAT(c.space.stages(0).filters(), ::testing::ElementsAre(24, 32, 40));  // Filters and depth untouched.
  EXPECT_TRUE(c.space.stages(0).slots(1).optional());
}

}  // namespace
}  // namespace ridge::search
