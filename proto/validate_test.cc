#include "proto/validate.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/textproto.h"

namespace ridge {
namespace {

using ::testing::HasSubstr;

// A small valid network to break one field at a time.
Architecture Valid() {
  return *ParseTextProtoAs<Architecture>(R"pb(
    name: "t"
    input { height: 32 width: 32 channels: 3 }
    num_classes: 10
    activation: RELU
    blocks { conv { kernel: 3 stride: 2 filters: 16 } }
    blocks { uib { start_dw_kernel: 3 mid_dw_kernel: 5 stride: 2 filters: 24 expansion: 4 } }
    blocks { fused_ib { kernel: 3 stride: 1 filters: 24 expansion: 2 } }
    blocks { mqa { heads: 2 key_dim: 8 kv_stride: 2 } }
    blocks { global_pool {} }
    blocks { classifier {} }
  )pb", "test");
}

std::string ErrorOf(const Architecture& arch) {
  absl::Status s = ValidateArchitecture(arch);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  return std::string(s.message());
}

TEST(ValidateArchitecture, AcceptsValid) { EXPECT_TRUE(ValidateArchitecture(Valid()).ok()); }

TEST(ValidateArchitecture, BadDwKernelNamesPathValueAndRule) {
  Architecture a = Valid();
  a.mutable_blocks(1)->mutable_uib()->set_mid_dw_kernel(4);
  EXPECT_EQ(ErrorOf(a), "architecture.blocks[1].uib.mid_dw_kernel: 4 is not one of {0, 3, 5, 7}");
}

TEST(ValidateArchitecture, BadConvKernel) {
  Architecture a = Valid();
  a.mutable_blocks(0)->mutable_conv()->set_kernel(2);
  EXPECT_EQ(ErrorOf(a), "architecture.blocks[0].conv.kernel: 2 is not one of {1, 3, 5, 7}");
}

TEST(ValidateArchitecture, BadStride) {
  Architecture a = Valid();
  a.mutable_blocks(2)->mutable_fused_ib()->set_stride(3);
  EXPECT_EQ(ErrorOf(a), "architecture.blocks[2].fused_ib.stride: 3 is not one of {1, 2}");
}

TEST(ValidateArchitecture, StrideTwoNeedsADepthwise) {
  Architecture a = Valid();
  a.mutable_blocks(1)->mutable_uib()->set_start_dw_kernel(0);
  a.mutable_blocks(1)->mutable_uib()->set_mid_dw_kernel(0);
  EXPECT_THAT(ErrorOf(a), HasSubstr("architecture.blocks[1].uib.stride: 2 needs a depthwise conv"));
}

TEST(ValidateArchitecture, ChannelsMustBePositive) {
  Architecture a = Valid();
  a.mutable_blocks(0)->mutable_conv()->set_filters(0);
  EXPECT_EQ(ErrorOf(a), "architecture.blocks[0].conv.filters: 0 must be in [1, 65536]");
  a = Valid();
  a.mutable_input()->set_channels(-3);
  EXPECT_EQ(ErrorOf(a), "architecture.input.channels: -3 must be in [1, 65536]");
}

TEST(ValidateArchitecture, SizesThatWouldOverflowAreRefused) {
  Architecture a = Valid();
  a.mutable_input()->set_height(2000000000);
  EXPECT_EQ(ErrorOf(a), "architecture.input.height: 2000000000 must be in [1, 8192]");
  a = Valid();
  a.mutable_blocks(0)->mutable_conv()->set_filters(1 << 30);
  EXPECT_EQ(ErrorOf(a), "architecture.blocks[0].conv.filters: 1073741824 must be in [1, 65536]");
  a = Valid();
  a.set_num_classes(2000000);
  EXPECT_EQ(ErrorOf(a), "architecture.num_classes: 2000000 must be in [1, 1000000]");
}

TEST(ValidateArchitecture, ExpansionRangeAndNaN) {
  Architecture a = Valid();
  a.mutable_blocks(1)->mutable_uib()->set_expansion(0.5f);
  EXPECT_EQ(ErrorOf(a), "architecture.blocks[1].uib.expansion: 0.5 must be in [1, 16]");
  a.mutable_blocks(1)->mutable_uib()->set_expansion(std::nanf(""));
  EXPECT_THAT(ErrorOf(a), HasSubstr("uib.expansion: nan must be in [1, 16]"));
}

TEST(ValidateArchitecture, MqaFields) {
  Architecture a = Valid();
  a.mutable_blocks(3)->mutable_mqa()->set_heads(0);
  a.mutable_blocks(3)->mutable_mqa()->set_kv_stride(4);
  EXPECT_EQ(ErrorOf(a),
            "architecture.blocks[3].mqa.heads: 0 must be in [1, 64]; "
            "architecture.blocks[3].mqa.kv_stride: 4 is not one of {1, 2}");
}

TEST(ValidateArchitecture, MissingKindAndActivation) {
  Architecture a = Valid();
  a.add_blocks();
  a.set_activation(ACTIVATION_UNSPECIFIED);
  std::string e = ErrorOf(a);
  EXPECT_THAT(e, HasSubstr("architecture.activation: 0 must be one of {RELU, RELU6, HARD_SWISH, GELU}"));
  EXPECT_THAT(e, HasSubstr("architecture.blocks[6]: no block kind is set"));
}

TEST(ValidateArchitecture, TooManyBlocks) {
  Architecture a = Valid();
  for (int i = 0; i < kMaxBlocks; ++i) a.add_blocks()->mutable_global_pool();
  EXPECT_THAT(ErrorOf(a), HasSubstr("architecture.blocks count: 1030 must be in [1, 1024]"));
}

TEST(ValidateHardwareProfile, EveryRule) {
  HardwareProfile p;
  p.set_name("Bad Name");
  p.set_peak_macs_per_sec(-1);
  p.set_bytes_per_element(3);
  p.set_per_layer_overhead_sec(-0.5);
  OpClassCeiling* c = p.add_ceilings();
  c->set_op_class(DEPTHWISE);
  c->set_efficiency(1.5);
  p.add_ceilings()->set_op_class(DEPTHWISE);
  absl::Status s = ValidateHardwareProfile(p);
  EXPECT_EQ(s.message(),
            "hardware.name: 'Bad Name' must match [a-z0-9_]{1,64}; "
            "hardware.peak_macs_per_sec: -1 must be > 0; "
            "hardware.peak_bytes_per_sec: 0 must be > 0; "
            "hardware.bytes_per_element: 3 is not one of {1, 2, 4}; "
            "hardware.per_layer_overhead_sec: -0.5 must be >= 0; "
            "hardware.ceilings[0].efficiency: 1.5 must be in (0, 1]; "
            "hardware.ceilings[1].op_class: DEPTHWISE has a ceiling already; "
            "hardware.ceilings[1].efficiency: 0 must be in (0, 1]");
}

SearchSpace ValidSpace() {
  return *ParseTextProtoAs<SearchSpace>(R"pb(
    name: "s"
    input { height: 28 width: 28 channels: 1 }
    num_classes: 10
    activation: RELU
    stem { conv { kernel: 3 stride: 2 filters: 16 } }
    stages {
      filters: [ 16, 24 ]
      slots { kind: UIB start_dw_kernel: [ 0, 3 ] mid_dw_kernel: [ 3, 5 ] expansion: [ 2, 4 ] stride: 2 }
      slots { kind: UIB start_dw_kernel: [ 0 ] mid_dw_kernel: [ 0, 3 ] expansion: [ 4 ] stride: 1 optional: true }
    }
    head { conv { kernel: 1 stride: 1 filters: 64 } }
    head { global_pool {} }
    head { classifier {} }
  )pb", "test");
}

TEST(ValidateSearchSpace, AcceptsValid) { EXPECT_TRUE(ValidateSearchSpace(ValidSpace()).ok()); }

TEST(ValidateSearchSpace, SlotRules) {
  SearchSpace s = ValidSpace();
  SlotSpec* slot = s.mutable_stages(0)->mutable_slots(0);
  slot->set_mid_dw_kernel(1, 4);
  slot->add_start_dw_kernel(3);
  slot->set_optional(true);
  s.mutable_stages(0)->add_filters(0);
  absl::Status st = ValidateSearchSpace(s);
  EXPECT_THAT(st.message(), HasSubstr("search_space.stages[0].filters[2]: 0 must be in [1, 65536]"));
  EXPECT_THAT(st.message(), HasSubstr("search_space.stages[0].slots[0].start_dw_kernel[2]: 3 is a duplicate choice"));
  EXPECT_THAT(st.message(), HasSubstr("search_space.stages[0].slots[0].mid_dw_kernel[1]: 4 is not one of {0, 3, 5, 7}"));
  EXPECT_THAT(st.message(), HasSubstr("search_space.stages[0].slots[0].optional: true needs stride 1"));
}

TEST(ValidateSearchSpace, StrideTwoWithoutDepthwiseChoice) {
  SearchSpace s = ValidSpace();
  s.mutable_stages(0)->mutable_slots(0)->set_mid_dw_kernel(0, 0);
  EXPECT_THAT(ValidateSearchSpace(s).message(),
              HasSubstr("search_space.stages[0].slots[0].stride: 2 needs every UIB choice to have a depthwise conv"));
}

TEST(ValidateSearchSpace, EmptyChoices) {
  SearchSpace s = ValidSpace();
  s.mutable_stages(0)->clear_filters();
  s.mutable_stages(0)->mutable_slots(1)->clear_expansion();
  absl::Status st = ValidateSearchSpace(s);
  EXPECT_THAT(st.message(), HasSubstr("search_space.stages[0].filters: needs at least one choice"));
  EXPECT_THAT(st.message(), HasSubstr("search_space.stages[0].slots[1].expansion: needs at least one choice"));
}

TEST(ValidateSearchSpace, OpListRules) {
  SearchSpace s = ValidSpace();
  SlotSpec* slot = s.mutable_stages(0)->mutable_slots(1);  // Has expansion and optional set.
  SlotOp* op = slot->add_ops();
  op->set_mid_dw_kernel(3), op->set_expansion(1), op->set_groups(2);
  *slot->add_ops() = *op;
  SlotOp* skip = slot->add_ops();
  skip->set_skip(true), skip->set_expansion(3);
  SlotOp* bad = slot->add_ops();
  bad->set_mid_dw_kernel(4), bad->set_expansion(1), bad->set_groups(65);
  absl::Status st = ValidateSearchSpace(s);
  const std::string p = "search_space.stages[0].slots[1].";
  EXPECT_THAT(st.message(), HasSubstr(p + "ops: replaces start_dw_kernel, mid_dw_kernel, expansion and optional"));
  EXPECT_THAT(st.message(), HasSubstr(p + "ops[1]: is a duplicate op"));
  EXPECT_THAT(st.message(), HasSubstr(p + "ops[2]: a skip op takes no other field"));
  EXPECT_THAT(st.message(), HasSubstr(p + "ops[3].mid_dw_kernel: 4 is not one of {0, 3, 5, 7}"));
  EXPECT_THAT(st.message(), HasSubstr(p + "ops[3].groups: 65 must be in [0, 64]"));
  // A stride-2 op needs a depthwise conv to carry the stride.
  SearchSpace t = ValidSpace();
  SlotSpec* first = t.mutable_stages(0)->mutable_slots(0);
  first->clear_start_dw_kernel(), first->clear_mid_dw_kernel(), first->clear_expansion();
  first->add_ops()->set_expansion(2);
  EXPECT_THAT(ValidateSearchSpace(t).message(),
              HasSubstr("stages[0].slots[0].ops[0].mid_dw_kernel: 0 with start_dw_kernel 0 cannot carry"));
  // Too many ops.
  for (int i = 0; i < 40; ++i) first->add_ops()->set_expansion(1 + i * 0.25f);
  EXPECT_THAT(ValidateSearchSpace(t).message(), HasSubstr("stages[0].slots[0].ops count: 41 must be in [1, 32]"));
}

CampaignSpec ValidCampaign() {
  CampaignSpec c;
  *c.mutable_space() = ValidSpace();
  Target* t = c.add_targets();
  t->set_hardware("pixel6_cpu");
  t->add_budget_ms(1.5);
  return c;
}

TEST(ValidateCampaignSpec, AcceptsValid) { EXPECT_TRUE(ValidateCampaignSpec(ValidCampaign()).ok()); }

TEST(ValidateCampaignSpec, TargetsAndSpaces) {
  CampaignSpec c = ValidCampaign();
  *c.mutable_coarse_space() = ValidSpace();
  c.mutable_targets(0)->set_budget_ms(0, -3);
  Target* dup = c.add_targets();
  dup->set_hardware("pixel6_cpu");
  c.mutable_training()->set_label_smoothing(1.0);
  c.mutable_space()->set_num_classes(0);
  absl::Status s = ValidateCampaignSpec(c);
  EXPECT_THAT(s.message(), HasSubstr("campaign: exactly one of space, space_ref, coarse_space and coarse_space_ref must be set"));
  EXPECT_THAT(s.message(), HasSubstr("campaign.targets[0].budget_ms[0]: -3 must be > 0"));
  EXPECT_THAT(s.message(), HasSubstr("campaign.targets[1]: hardware 'pixel6_cpu' with device_key '' appears twice"));
  EXPECT_THAT(s.message(), HasSubstr("campaign.targets[1].budget_ms: needs at least one budget"));
  EXPECT_THAT(s.message(), HasSubstr("campaign.training.label_smoothing: 1 must be in [0, 1)"));
  EXPECT_THAT(s.message(), HasSubstr("campaign.space.num_classes: 0 must be in [1, 1000000]"));
}

TEST(ValidateCampaignSpec, FineStageFields) {
  CampaignSpec one_stage = ValidCampaign();
  one_stage.mutable_training()->set_fine_steps(100);
  one_stage.mutable_fine()->add_mid_dw_kernel(3);
  absl::Status s = ValidateCampaignSpec(one_stage);
  EXPECT_THAT(s.message(), HasSubstr("campaign.training.fine_steps: 100: only a coarse_space or coarse_space_ref"));
  EXPECT_THAT(s.message(), HasSubstr("campaign.fine: is set, but only a coarse_space"));

  CampaignSpec fine_alone = ValidCampaign();
  fine_alone.clear_space();
  fine_alone.set_coarse_space_ref("fmnist_uib_coarse");
  fine_alone.mutable_training()->set_coarse_steps(50);
  fine_alone.mutable_fine()->mutable_from()->set_name("x");
  s = ValidateCampaignSpec(fine_alone);
  EXPECT_THAT(s.message(), HasSubstr("campaign.fine.from: runs the fine stage alone, so training.coarse_steps (50) "
                                     "must be 0 and training.fine_steps (0) must be > 0"));
  fine_alone.mutable_training()->set_fine_steps(10);
  fine_alone.mutable_training()->set_coarse_steps(0);
  EXPECT_THAT(ValidateCampaignSpec(fine_alone).message(), ::testing::Not(HasSubstr("runs the fine stage alone")));
}

TEST(ValidateCampaignSpec, DatasetFields) {
  CampaignSpec c = ValidCampaign();
  c.mutable_dataset()->set_format(DatasetSpec::IMAGE_FOLDER);
  c.mutable_dataset()->set_dir("/data/flowers");
  c.mutable_dataset()->set_height(32);
  c.mutable_dataset()->set_channels(3);
  c.mutable_dataset()->set_name("flowers-v2");
  EXPECT_TRUE(ValidateCampaignSpec(c).ok()) << ValidateCampaignSpec(c);

  DatasetSpec* d = c.mutable_dataset();
  d->set_height(5000);
  d->set_channels(2);
  d->set_num_classes(5);
  d->set_test_images(-1);
  d->set_name("no spaces please");
  absl::Status s = ValidateCampaignSpec(c);
  EXPECT_THAT(s.message(), HasSubstr("campaign.dataset.height: 5000 must be in [0, 4096]"));
  EXPECT_THAT(s.message(), HasSubstr("campaign.dataset.channels: 2 is not one of {0, 1, 3}"));
  EXPECT_THAT(s.message(), HasSubstr("campaign.dataset.num_classes: 5: only format IDX reads it; leave it 0"));
  CampaignSpec seeded = *ParseTextProtoAs<CampaignSpec>(
      "space_ref: 'fmnist_uib' targets { hardware: 'pixel6_cpu' budget_ms: 4 } dataset { split_seed: 3 }", "s");
  EXPECT_THAT(std::string(ValidateCampaignSpec(seeded).message()),
              HasSubstr("campaign.dataset.split_seed: 3: format IDX splits by position, not by a seed; leave it 0"));
  EXPECT_THAT(s.message(), HasSubstr("campaign.dataset.test_images: -1 must be in [0, 10000000]"));
  EXPECT_THAT(s.message(), HasSubstr("campaign.dataset.name: 'no spaces please' must be 1 to 64 of [A-Za-z0-9_.-]"));

  CampaignSpec cifar = ValidCampaign();
  cifar.mutable_dataset()->set_format(DatasetSpec::CIFAR10);
  cifar.mutable_dataset()->set_width(32);
  s = ValidateCampaignSpec(cifar);
  EXPECT_THAT(s.message(), HasSubstr("campaign.dataset.width: 32: only format IMAGE_FOLDER resizes; leave it 0"));
  EXPECT_THAT(s.message(), HasSubstr("campaign.dataset.dir: must be given for format CIFAR10"));

  CampaignSpec fmnist = ValidCampaign();
  fmnist.mutable_dataset()->set_train_images(55000);
  fmnist.mutable_dataset()->set_valid_images(10000);
  EXPECT_THAT(ValidateCampaignSpec(fmnist).message(),
              HasSubstr("campaign.dataset: train_images + valid_images = 65000 must be <= 60000"));
  fmnist.mutable_dataset()->set_dir("/data/other_idx");  // Another IDX dataset may be larger.
  EXPECT_TRUE(ValidateCampaignSpec(fmnist).ok());
}

TEST(ValidateCampaignSpec, NoTargets) {
  CampaignSpec c = ValidCampaign();
  c.clear_targets();
  EXPECT_THAT(ValidateCampaignSpec(c).message(), HasSubstr("campaign.targets count: 0 must be in [1, 64]"));
}

TEST(ValidateCampaignSpec, ScoringFineTuneSteps) {
  CampaignSpec c = ValidCampaign();
  c.mutable_scoring()->set_finetune_steps(50);
  EXPECT_TRUE(ValidateCampaignSpec(c).ok());
  c.mutable_scoring()->set_finetune_steps(-1);
  EXPECT_THAT(ValidateCampaignSpec(c).message(), HasSubstr("campaign.scoring.finetune_steps: -1 must be in [0, 10000]"));
}

}  // namespace
}  // namespace ridge
