#include "supernet/supernet.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/architecture.h"
#include "proto/textproto.h"
#include "supernet/optimizer.h"
#include "supernet/test_util.h"
#include "supernet/trainer.h"
#include "zoo/zoo.h"

namespace ridge::nn {
namespace {

std::unique_ptr<Supernet> Make() {
  auto net = Supernet::Create(*LoadZooSpace("fmnist_uib"), 1);
  EXPECT_TRUE(net.ok()) << net.status();
  return std::move(*net);
}

SpaceChoice ReferenceChoice() {
  SearchSpace space = *LoadZooSpace("fmnist_uib");
  return *MatchArchitecture(space, space.references(0));
}

TEST(Supernet, RunsLargestSmallestAndReference) {
  auto net = Make();
  Tensor x = testing::RandomTensor({4, 1, 28, 28}, 1);
  for (const SpaceChoice& c : {LargestChoice(net->space()), SmallestChoice(net->space()), ReferenceChoice()}) {
    ASSERT_TRUE(net->Select(c).ok());
    auto logits = net->Forward(x, {true, 0.1f});
    ASSERT_TRUE(logits.ok()) << logits.status();
    EXPECT_EQ((*logits)->dims(), (Dims4{4, 10, 1, 1}));
  }
  EXPECT_EQ(net->selected().blocks_size(), ResolveArchitecture("fmnist_reference")->blocks_size());
}

TEST(Supernet, OnlyTheSelectedOpsGetGradients) {
  auto net = Make();
  SpaceChoice c = ReferenceChoice();  // Stage 1 slot 0: uib(0,3,...); stage 2 slot 2 skipped.
  ASSERT_TRUE(net->Select(c).ok());
  Tensor x = testing::RandomTensor({4, 1, 28, 28}, 1);
  auto logits = *net->Forward(x, {true, 0.1f});
  Tensor dlogits;
  const int labels[] = {0, 1, 2, 3};
  SoftmaxCrossEntropy(*logits, labels, 0.1f, &dlogits);
  net->params().ZeroGrad();
  ASSERT_TRUE(net->Backward(dlogits).ok());
  auto grad_norm = [&](const std::string& name) {
    Param* p = net->params().Find(name);
    EXPECT_NE(p, nullptr) << name;
    double s = 0;
    for (float g : p->grad) s += std::fabs(g);
    return s;
  };
  EXPECT_GT(grad_norm("stages.0.slots.0.uib.mid_dw_k3.weight"), 0);
  EXPECT_EQ(grad_norm("stages.0.slots.0.uib.mid_dw_k5.weight"), 0);   // Kernel not chosen.
  EXPECT_EQ(grad_norm("stages.0.slots.0.uib.start_dw_k3_s1.weight"), 0);  // No start DW chosen.
  EXPECT_EQ(grad_norm("stages.1.slots.2.uib.expand.weight"), 0);      // Skipped slot.
  // Expansion 4 of 32 channels = 128 hidden of the 40 * 6 = 240 kept: rows >= 128 get nothing.
  Param* expand = net->params().Find("stages.0.slots.1.uib.expand.weight");
  ASSERT_EQ(expand->shape, (std::vector<int64_t>{240, 40, 1, 1}));
  for (int o = 128; o < 240; ++o) {
    for (int i = 0; i < 40; ++i) EXPECT_EQ(expand->grad[o * 40 + i], 0.0f);
  }
}

TEST(Supernet, ExtractedNetworkComputesTheSameFunction) {
  auto net = Make();
  DatasetOptions o;
  o.train_images = 256, o.valid_images = 64, o.test_images = 10;
  Dataset data = *LoadFashionMnist(o);
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 3; ++trial) {
    SpaceChoice c = SampleUniform(net->space(), rng);
    ASSERT_TRUE(net->Select(c).ok());
    ASSERT_TRUE(net->RecalibrateBatchNorm(data.train, 256, 64).ok());
    auto standalone = net->Extract();
    ASSERT_TRUE(standalone.ok()) << standalone.status();
    EXPECT_EQ(ArchitectureId((*standalone)->architecture()), ArchitectureId(net->selected()));
    Tensor x = testing::RandomTensor({3, 1, 28, 28}, 9);
    const Tensor* a = *net->Forward(x, {false, 0});
    std::vector<float> from_supernet(a->data(), a->data() + a->size());
    const Tensor* b = *(*standalone)->Forward(x, {false, 0});
    for (int64_t i = 0; i < b->size(); ++i) EXPECT_NEAR(b->data()[i], from_supernet[i], 1e-4) << i;
  }
}

TEST(Supernet, RecalibrationSetsStatisticsFromTrainingImages) {
  auto net = Make();
  DatasetOptions o;
  o.train_images = 128, o.valid_images = 10, o.test_images = 10;
  Dataset data = *LoadFashionMnist(o);
  ASSERT_TRUE(net->Select(SmallestChoice(net->space())).ok());
  Param* mean = net->params().Find("stem.0.conv.bn.running_mean");
  ASSERT_NE(mean, nullptr);
  EXPECT_EQ(mean->value[0], 0.0f);
  ASSERT_TRUE(net->RecalibrateBatchNorm(data.train, 128, 64).ok());
  EXPECT_NE(mean->value[0], 0.0f);
  const std::vector<float> once = mean->value;
  ASSERT_TRUE(net->RecalibrateBatchNorm(data.train, 128, 64).ok());
  EXPECT_EQ(mean->value, once);  // Same images, same statistics: no drift from before.
}

TEST(Supernet, ChoicesOutsideTheSpaceAreRefused) {
  auto net = Make();
  SpaceChoice c = LargestChoice(net->space());
  c.stages[0].filters = 33;
  EXPECT_THAT(net->Select(c).message(), ::testing::HasSubstr("stages[0].slots[0].filters: 33 is not among"));
  c = LargestChoice(net->space());
  c.stages[1].slots[0].skip = true;
  EXPECT_FALSE(net->Select(c).ok());
}

// An MQA slot offering Mobile MQA and MHSA. No layer scale, whose initial
// 1e-5 would hide the attention from the comparison.
constexpr char kAttentionSpace[] = R"pb(
  name: "attention"
  input { height: 12 width: 12 channels: 3 }
  num_classes: 4
  activation: RELU
  stem { conv { kernel: 3 stride: 2 filters: 8 } }
  stages {
    filters: [8]
    slots { kind: UIB start_dw_kernel: [0] mid_dw_kernel: [3] expansion: [2] stride: 1 }
    slots { kind: MQA heads: [1, 2] key_dim: [4, 8] kv_stride: [1, 2] multi_head: [false, true] stride: 1 }
  }
  head { global_pool {} }
  head { classifier {} }
)pb";

// One slot module with a key and value head per query head runs both
// kinds, narrower than its weights, and the extracted subnet (the prefix of
// those weights) computes what the supernet computes.
TEST(Supernet, AttentionSlotRunsMqaAndMhsa) {
  const SearchSpace space = *ParseTextProtoAs<SearchSpace>(kAttentionSpace, "kAttentionSpace");
  auto net = Supernet::Create(space, 1);
  ASSERT_TRUE(net.ok()) << net.status();
  // 2 heads x 8 dims of keys: rows for MHSA's largest choice.
  EXPECT_EQ((*net)->params().Find("stages.0.slots.1.mqa.key.weight")->shape, (std::vector<int64_t>{16, 8, 1, 1}));
  const Tensor x = testing::RandomTensor({2, 3, 12, 12}, 4);
  for (bool multi_head : {false, true}) {
    SCOPED_TRACE(absl::StrCat("multi_head=", multi_head));
    SpaceChoice c = LargestChoice(space);
    SlotChoice& slot = c.stages[0].slots[1];
    slot.kind = MQA, slot.heads = 2, slot.key_dim = 4, slot.kv_stride = 2, slot.multi_head = multi_head;
    ASSERT_TRUE((*net)->Select(c).ok());
    EXPECT_EQ((*net)->selected().blocks(2).mqa().multi_head(), multi_head);
    auto logits = (*net)->Forward(x, {true, 0.1f});
    ASSERT_TRUE(logits.ok()) << logits.status();
    ASSERT_TRUE((*net)->Backward(**logits).ok());
    auto standalone = (*net)->Extract();
    ASSERT_TRUE(standalone.ok()) << standalone.status();
    const Tensor* a = *(*net)->Forward(x, {false, 0});
    const std::vector<float> want(a->data(), a->data() + a->size());
    const Tensor* b = *(*standalone)->Forward(x, {false, 0});
    for (int64_t i = 0; i < b->size(); ++i) EXPECT_NEAR(b->data()[i], want[i], 1e-5) << i;
  }
}

// The fine stage starts from the coarse weights: a narrower supernet that
// copies a wider one's prefixes computes what the wider one computes for the
// same subnet.
TEST(Supernet, CopiedWeightsComputeTheSameSubnet) {
  auto wide = Make();
  SearchSpace narrow_space = wide->space();
  narrow_space.clear_references();  // Its filters are no longer offered.
  for (StageSpec& stage : *narrow_space.mutable_stages()) {
    const int first = stage.filters(0);
    stage.clear_filters();
    stage.add_filters(first);
  }
  auto narrow = Supernet::Create(narrow_space, 2);
  ASSERT_TRUE(narrow.ok()) << narrow.status();
  const int copied = (*narrow)->CopyWeightsFrom(*wide, [](const std::string& name) { return name; });
  EXPECT_EQ(copied, static_cast<int>((*narrow)->params().params().size()));
  Tensor x = testing::RandomTensor({2, 1, 28, 28}, 5);
  const SpaceChoice c = SmallestChoice(narrow_space);
  ASSERT_TRUE(wide->Select(c).ok());
  ASSERT_TRUE((*narrow)->Select(c).ok());
  auto a = wide->Forward(x, {false, 0.0f});
  ASSERT_TRUE(a.ok()) << a.status();
  const std::vector<float> want((*a)->data(), (*a)->data() + (*a)->size());
  auto b = (*narrow)->Forward(x, {false, 0.0f});
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ((*b)->size(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ((*b)->data()[i], want[i]);
  // A name with no source, or a source of another shape, is left alone.
  EXPECT_EQ((*narrow)->CopyWeightsFrom(*wide, [](const std::string&) { return std::string("nothing"); }), 0);
}

}  // namespace
}  // namespace ridge::nn
