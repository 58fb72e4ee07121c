// The losses against plain double references, and their gradients against
// central differences.
#include "supernet/losses.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "supernet/test_util.h"

namespace ridge::nn {
namespace {

using testing::CheckGradient;
using testing::RandomTensor;

constexpr int kN = 4, kK = 10;
const int kLabels[kN] = {3, 0, 9, 5};

// softmax(z / t) of row i, in double.
std::vector<double> Softmax(const Tensor& z, int i, double t) {
  std::vector<double> p(kK);
  double mx = -1e300, sum = 0;
  for (int j = 0; j < kK; ++j) mx = std::max(mx, z.data()[i * kK + j] / t);
  for (int j = 0; j < kK; ++j) sum += p[j] = std::exp(z.data()[i * kK + j] / t - mx);
  for (double& v : p) v /= sum;
  return p;
}

// A teacher: softened probabilities of other random logits.
std::vector<float> Teacher(double t, uint32_t seed) {
  Tensor z = RandomTensor({kN, kK, 1, 1}, seed, -3, 3);
  std::vector<float> p;
  for (int i = 0; i < kN; ++i) {
    for (double v : Softmax(z, i, t)) p.push_back(static_cast<float>(v));
  }
  return p;
}

// The loss of the header's formula, in double.
double Reference(const Tensor& z, const std::vector<float>& teacher, const DistillWeights& w) {
  double hard = 0, soft = 0;
  for (int i = 0; i < kN; ++i) {
    const std::vector<double> q1 = Softmax(z, i, 1), qt = Softmax(z, i, w.temperature);
    for (int j = 0; j < kK; ++j) {
      const double y = (j == kLabels[i] ? 1 - w.label_smoothing : 0) + w.label_smoothing / kK;
      hard -= y * std::log(q1[j]);
      soft -= teacher[i * kK + j] * std::log(qt[j]);
    }
  }
  const double t = w.temperature;
  return ((1 - w.alpha) * hard + w.alpha * t * t * soft) / kN;
}

TEST(SoftenedProbabilities, RowsAreSoftmaxAtTheTemperature) {
  Tensor z = RandomTensor({kN, kK, 1, 1}, 5, -4, 4);
  for (float t : {1.0f, 4.0f}) {
    std::vector<float> p;
    SoftenedProbabilities(z, t, &p);
    ASSERT_EQ(p.size(), static_cast<size_t>(kN * kK));
    for (int i = 0; i < kN; ++i) {
      const std::vector<double> want = Softmax(z, i, t);
      double sum = 0;
      for (int j = 0; j < kK; ++j) {
        EXPECT_NEAR(p[i * kK + j], want[j], 1e-6) << "t=" << t << " [" << i << "," << j << "]";
        sum += p[i * kK + j];
      }
      EXPECT_NEAR(sum, 1, 1e-5);
    }
  }
}

TEST(DistillationLoss, MatchesTheReferenceAndItsGradient) {
  for (const DistillWeights& w : {DistillWeights{1, 1, 0}, DistillWeights{4, 0.7f, 0.1f}, DistillWeights{2, 0.3f, 0}}) {
    SCOPED_TRACE(::testing::Message() << "T=" << w.temperature << " alpha=" << w.alpha);
    Tensor z = RandomTensor({kN, kK, 1, 1}, 17, -2, 2), dz;
    const std::vector<float> teacher = Teacher(w.temperature, 23);
    const float loss = DistillationLoss(z, kLabels, teacher.data(), w, &dz);
    EXPECT_NEAR(loss, Reference(z, teacher, w), 1e-5 * std::max(1.0, std::fabs(double{loss})));
    Tensor scratch;
    CheckGradient(z.data(), z.size(), dz.data(),
                  [&] { return Reference(z, teacher, w); }, "dlogits", 1e-2f, 1e-4, 2e-2);
  }
}

TEST(DistillationLoss, AlphaZeroIsTheLabelLossAndAlphaOneIgnoresTheLabels) {
  Tensor z = RandomTensor({kN, kK, 1, 1}, 41, -2, 2), a, b;
  const std::vector<float> teacher = Teacher(1, 43);
  const float ce = SoftmaxCrossEntropy(z, kLabels, 0.1f, &a);
  EXPECT_FLOAT_EQ(DistillationLoss(z, kLabels, teacher.data(), {3, 0, 0.1f}, &b), ce);
  for (int64_t i = 0; i < z.size(); ++i) EXPECT_FLOAT_EQ(a.data()[i], b.data()[i]) << i;
  const int other_labels[kN] = {1, 1, 1, 1};
  const float with = DistillationLoss(z, kLabels, teacher.data(), {1, 1, 0}, &a);
  const float without = DistillationLoss(z, other_labels, teacher.data(), {1, 1, 0}, &b);
  EXPECT_FLOAT_EQ(with, without);
}

TEST(DistillationLoss, TheSoftTermVanishesWhenTheStudentMatchesTheTeacher) {
  // The teacher is the student's own softened output: only the entropy of
  // the teacher remains, and the gradient of the soft term is zero.
  Tensor z = RandomTensor({kN, kK, 1, 1}, 7, -2, 2), dz;
  std::vector<float> teacher;
  SoftenedProbabilities(z, 2, &teacher);
  DistillationLoss(z, kLabels, teacher.data(), {2, 1, 0}, &dz);
  for (int64_t i = 0; i < dz.size(); ++i) EXPECT_NEAR(dz.data()[i], 0, 1e-7) << i;
}

}  // namespace
}  // namespace ridge::nn
