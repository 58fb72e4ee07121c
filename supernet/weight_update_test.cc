// One step's gradients: the labels path is exactly forward + cross-entropy +
// backward; the teacher path uses each image's own soft label; the sandwich
// rule is the sum of its parts.
#include "supernet/weight_update.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "supernet/losses.h"
#include "supernet/test_util.h"
#include "zoo/zoo.h"

namespace ridge::nn {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<Supernet> Make() { return std::move(*Supernet::Create(*LoadZooSpace("fmnist_uib"), 1)); }

Batch MakeBatch(int n) {
  Batch b;
  b.images = testing::RandomTensor({n, 1, 28, 28}, 3);
  for (int i = 0; i < n; ++i) {
    b.labels.push_back(i % 10);
    b.indices.push_back(2 * i);  // Not 0..n-1: soft labels must be found by index.
  }
  return b;
}

// Every parameter's gradient, concatenated.
std::vector<float> Grads(Supernet& net) {
  std::vector<float> g;
  for (const auto& p : net.params().params()) g.insert(g.end(), p->grad.begin(), p->grad.end());
  return g;
}

void ExpectNear(const std::vector<float>& a, const std::vector<float>& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  int bad = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::fabs(a[i] - b[i]) > tol * (1 + std::fabs(b[i])) && bad++ < 5) {
      ADD_FAILURE() << "grad[" << i << "]: " << a[i] << " vs " << b[i];
    }
  }
}

// Forward, then the given loss, then backward, by hand.
std::vector<float> ByHand(Supernet& net, const Batch& batch, const SpaceChoice& c,
                          const std::function<float(const Tensor&, Tensor*)>& loss) {
  EXPECT_TRUE(net.Select(c).ok());
  const Tensor* logits = *net.Forward(batch.images, {true, 0.1f});
  Tensor d;
  loss(*logits, &d);
  net.params().ZeroGrad();
  EXPECT_TRUE(net.Backward(d).ok());
  return Grads(net);
}

TEST(WeightUpdate, TheLabelsPathIsForwardCrossEntropyBackward) {
  auto net = Make();
  const Batch batch = MakeBatch(6);
  const SpaceChoice c = LargestChoice(net->space());
  const std::vector<float> want = ByHand(*net, batch, c, [&](const Tensor& z, Tensor* d) {
    return SoftmaxCrossEntropy(z, batch.labels.data(), 0.1f, d);
  });
  net->params().ZeroGrad();
  ASSERT_TRUE(AccumulateGradients(net.get(), batch, {}).ok());
  ExpectNear(Grads(*net), want, 1e-6);
  // A second call accumulates.
  ASSERT_TRUE(AccumulateGradients(net.get(), batch, {}).ok());
  std::vector<float> twice = want;
  for (float& g : twice) g *= 2;
  ExpectNear(Grads(*net), twice, 1e-5);
}

TEST(WeightUpdate, TheTeacherPathLooksUpEachImagesSoftLabel) {
  auto net = Make();
  const Batch batch = MakeBatch(4);
  SoftLabels teacher;
  teacher.classes = 10;
  teacher.temperature = 2;
  for (int i = 0; i < 8; ++i) {
    teacher.labels.push_back(i % 10);
    teacher.pixel_hashes.push_back(0);
    for (int j = 0; j < 10; ++j) teacher.probs.push_back(j == (7 * i) % 10 ? 0.91f : 0.01f);
  }
  std::vector<float> rows;  // Images 0, 2, 4, 6 of the split.
  for (int64_t index : batch.indices) rows.insert(rows.end(), teacher.row(index), teacher.row(index) + 10);
  const SpaceChoice c = SmallestChoice(net->space());
  const std::vector<float> want = ByHand(*net, batch, c, [&](const Tensor& z, Tensor* d) {
    return DistillationLoss(z, batch.labels.data(), rows.data(), {2, 0.7f, 0.1f}, d);
  });
  net->params().ZeroGrad();
  LossOptions o;
  o.teacher = &teacher;
  o.teacher_alpha = 0.7f;
  ASSERT_TRUE(AccumulateGradients(net.get(), batch, o).ok());
  ExpectNear(Grads(*net), want, 1e-6);

  Batch beyond = MakeBatch(4);
  beyond.indices[3] = 8;
  absl::StatusOr<float> missing = AccumulateGradients(net.get(), beyond, o);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), HasSubstr("soft labels: image 8 has none (the file has 8)"));
}

TEST(WeightUpdate, TheSandwichIsTheLargestOnLabelsPlusTheOthersOnItsPredictions) {
  auto net = Make();
  const Batch batch = MakeBatch(6);
  const SpaceChoice largest = LargestChoice(net->space()), smallest = SmallestChoice(net->space());
  std::vector<float> soft;
  std::vector<float> want = ByHand(*net, batch, largest, [&](const Tensor& z, Tensor* d) {
    SoftenedProbabilities(z, 1, &soft);
    return SoftmaxCrossEntropy(z, batch.labels.data(), 0.1f, d);
  });
  const std::vector<float> small = ByHand(*net, batch, smallest, [&](const Tensor& z, Tensor* d) {
    return DistillationLoss(z, batch.labels.data(), soft.data(), {1, 1, 0}, d);
  });
  for (size_t i = 0; i < want.size(); ++i) want[i] += small[i];

  net->params().ZeroGrad();
  absl::StatusOr<float> loss = SandwichGradients(net.get(), batch, largest, smallest, {}, {});
  ASSERT_TRUE(loss.ok()) << loss.status();
  EXPECT_GT(*loss, 0);
  ExpectNear(Grads(*net), want, 1e-5);
  EXPECT_EQ(net->selected().blocks_size(), (*BuildArchitecture(net->space(), smallest)).blocks_size());
}

}  // namespace
}  // namespace ridge::nn
