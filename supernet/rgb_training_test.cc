// Training on 32x32 RGB data: a standalone network and the cifar_uib
// supernet take a few steps on a CIFAR-10-format dataset the test writes.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "proto/architecture.h"
#include "supernet/dataset.h"
#include "supernet/optimizer.h"
#include "supernet/supernet.h"
#include "supernet/trainer.h"
#include "zoo/zoo.h"

namespace ridge::nn {
namespace {

// CIFAR-10 binary files whose label (0, 1 or 2) is the image's brightest
// channel under noise: learnable in a few dozen steps.
std::string WriteColourCifar(int train_records, int test_records) {
  const std::string dir =
      absl::StrCat(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp", "/colour_cifar");
  std::filesystem::create_directories(dir);
  std::mt19937 rng(4);
  auto records = [&](int n) {
    std::string out;
    for (int i = 0; i < n; ++i) {
      const int label = static_cast<int>(rng() % 3);
      out += static_cast<char>(label);
      for (int c = 0; c < 3; ++c) {
        for (int p = 0; p < 1024; ++p)
          out += static_cast<char>(rng() % 100 + (c == label ? 120 : 0));
      }
    }
    return out;
  };
  const int per_file = train_records / 5;
  for (int b = 1; b <= 5; ++b)
    std::ofstream(absl::StrCat(dir, "/data_batch_", b, ".bin"), std::ios::binary)
        << records(per_file);
  std::ofstream(dir + "/test_batch.bin", std::ios::binary) << records(test_records);
  return dir;
}

Dataset LoadColour() {
  DatasetOptions o;
  o.format = DataFormat::kCifar10;
  o.dir = WriteColourCifar(400, 50);
  absl::StatusOr<Dataset> d = LoadDataset(o);
  EXPECT_TRUE(d.ok()) << d.status();
  return *std::move(d);
}

TEST(RgbTraining, StandaloneNetworkLearnsColours) {
  const Dataset data = LoadColour();
  Architecture arch =
      *ParseCanonicalEncoding("v1 32x32x3 classes=10 act=relu ls=0 : conv(3,2,8) pool fc");
  ASSERT_TRUE(CheckInputFits(data, 32, 32, 3, arch.num_classes(), "architecture", "tiny").ok());
  auto net = *Network::Create(arch, 3);
  Optimizer opt(&net->params(), {});
  TrainOptions t;
  t.epochs = 3, t.batch_size = 32, t.learning_rate = 0.05, t.augment = true;
  auto result = Train(net.get(), &opt, data.train, t);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->steps, 3 * (360 / 32));
  EXPECT_TRUE(std::isfinite(result->final_loss));
  ForwardFn f = [&](const Tensor& x, const ForwardContext& ctx) { return net->Forward(x, ctx); };
  EXPECT_GT(*Evaluate(f, data.valid, 40), 0.6);  // Chance is 1/3.
  EXPECT_GE(*Evaluate(f, data.test, 50), 0.0);
}

TEST(RgbTraining, CifarSupernetTrainsAFewSteps) {
  const Dataset data = LoadColour();
  const SearchSpace space = *LoadZooSpace("cifar_uib");
  ASSERT_TRUE(CheckInputFits(data, space.input().height(), space.input().width(),
                             space.input().channels(), space.num_classes(), "space", "cifar_uib")
                  .ok());
  auto net = Supernet::Create(space, 1);
  ASSERT_TRUE(net.ok()) << net.status();
  std::mt19937_64 rng(2);
  (*net)->SetSampler([&](int64_t) { return SampleUniform(space, rng); });
  Optimizer opt(&(*net)->params(), {});
  TrainOptions t;
  t.epochs = 1, t.batch_size = 16, t.max_steps = 3;
  auto result = Train(net->get(), &opt, data.train, t);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->steps, 3);
  EXPECT_TRUE(std::isfinite(result->final_loss));
  (*net)->SetSampler(nullptr);
  ASSERT_TRUE((*net)->Select(SmallestChoice(space)).ok());
  ASSERT_TRUE((*net)->RecalibrateBatchNorm(data.train, 64, 32).ok());
  ForwardFn f = [&](const Tensor& x, const ForwardContext& ctx) { return (*net)->Forward(x, ctx); };
  const double accuracy = *Evaluate(f, data.valid, 40);
  EXPECT_TRUE(accuracy >= 0 && accuracy <= 1);
}

}  // namespace
}  // namespace ridge::nn
