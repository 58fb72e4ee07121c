#include "supernet/network.h"

#include "gtest/gtest.h"
#include "proto/architecture.h"
#include "supernet/dataset.h"
#include "supernet/optimizer.h"
#include "supernet/test_util.h"
#include "supernet/trainer.h"
#include "zoo/zoo.h"

namespace ridge::nn {
namespace {

TEST(Network, HybridForwardAndBackwardRun) {
  Architecture arch = *LoadZooModel("mobilenetv4_hybrid_medium", {.resolution = 64, .num_classes = 10});
  auto net = *Network::Create(arch, 1);
  Tensor x = testing::RandomTensor({2, 3, 64, 64}, 1);
  auto logits = net->Forward(x, {true, 0.1f});
  ASSERT_TRUE(logits.ok()) << logits.status();
  EXPECT_EQ((*logits)->dims(), (Dims4{2, 10, 1, 1}));
  Tensor dlogits;
  const int labels[] = {1, 7};
  SoftmaxCrossEntropy(**logits, labels, 0.1f, &dlogits);
  EXPECT_TRUE(net->Backward(dlogits).ok());
}

TEST(Network, SameSeedSameWeights) {
  Architecture arch = *ResolveArchitecture("fmnist_reference");
  auto a = *Network::Create(arch, 7), b = *Network::Create(arch, 7), c = *Network::Create(arch, 8);
  EXPECT_EQ(a->params().params()[0]->value, b->params().params()[0]->value);
  EXPECT_NE(a->params().params()[0]->value, c->params().params()[0]->value);
}

// A few steps on a few hundred images: the loss goes down and accuracy on
// the training images rises above chance.
TEST(Training, LossDecreasesOnAFewHundredImages) {
  DatasetOptions o;
  o.train_images = 512, o.valid_images = 256, o.test_images = 256;
  Dataset data = *LoadFashionMnist(o);
  Architecture arch = *ResolveArchitecture("fmnist_reference");
  auto net = *Network::Create(arch, 3);
  Optimizer opt(&net->params(), {});
  TrainOptions t;
  t.epochs = 6, t.batch_size = 64, t.learning_rate = 0.05, t.augment = false;
  std::vector<double> losses;
  t.progress_every = 8;
  t.progress = [&](const TrainProgress& p) { losses.push_back(p.loss); };
  auto result = Train(net.get(), &opt, data.train, t);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->steps, 6 * 8);
  ASSERT_GE(losses.size(), 2u);
  EXPECT_LT(losses.back(), losses.front() - 0.3) << "first " << losses.front() << " last " << losses.back();
  ForwardFn f = [&](const Tensor& x, const ForwardContext& ctx) { return net->Forward(x, ctx); };
  double acc = *Evaluate(f, data.train, 128);
  EXPECT_GT(acc, 0.5);  // Chance is 0.1.
}

TEST(Training, BadBatchIsRefused) {
  DatasetOptions o;
  o.train_images = 100, o.valid_images = 10, o.test_images = 10;
  Dataset data = *LoadFashionMnist(o);
  auto net = *Network::Create(*ResolveArchitecture("fmnist_reference"), 3);
  Optimizer opt(&net->params(), {});
  TrainOptions t;
  t.batch_size = 200;
  EXPECT_EQ(Train(net.get(), &opt, data.train, t).status().message(),
            "batch: 200 must be in [1, 100] (the training images)");
}

}  // namespace
}  // namespace ridge::nn
