#include "supernet/proxy.h"

#include "gtest/gtest.h"
#include "zoo/zoo.h"

namespace ridge::nn {
namespace {

// The same subnet scored plain and after fine-tuning: both valid accuracies,
// the supernet's weights untouched by the fine-tuning, and the fine-tuned
// score reproducible from its seed.
TEST(ProxyAccuracy, FineTuningScoresACopy) {
  DatasetOptions d;
  d.train_images = 256;
  d.valid_images = 128;
  d.test_images = 1;
  const Dataset data = *LoadFashionMnist(d);
  auto net = *Supernet::Create(*LoadZooSpace("fmnist_uib"), 1);
  ASSERT_TRUE(net->Select(SmallestChoice(net->space())).ok());
  ProxyOptions plain;
  plain.recalibration_images = 128;
  plain.batch_size = 32;
  absl::StatusOr<double> before = ProxyAccuracy(net.get(), data.train, data.valid, plain);
  ASSERT_TRUE(before.ok()) << before.status();
  ProxyOptions tuned = plain;
  tuned.finetune_steps = 20;
  tuned.finetune_learning_rate = 0.1;
  absl::StatusOr<double> after = ProxyAccuracy(net.get(), data.train, data.valid, tuned);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_GT(*after, *before);  // Random weights learn something in 20 steps.
  EXPECT_DOUBLE_EQ(*ProxyAccuracy(net.get(), data.train, data.valid, plain), *before);
  EXPECT_DOUBLE_EQ(*ProxyAccuracy(net.get(), data.train, data.valid, tuned), *after);
  tuned.finetune_steps = 1000000;
  EXPECT_EQ(ProxyAccuracy(net.get(), data.train, data.valid, tuned).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ridge::nn
