#include "latency/training_data.h"

#include <algorithm>
#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "latency/testing/synthetic_measurements.h"
#include "proto/architecture.h"

namespace ridge::latency_internal {
namespace {

using ::testing::DoubleNear;
using ::testing::HasSubstr;

class TrainingDataTest : public latency_testing::Synthetic {};

TEST_F(TrainingDataTest, PrepareAlignsLayerTimesWithInferLayers) {
  MeasuredArch m = (*train_)[0];
  std::reverse(m.layer_ms.begin(), m.layer_ms.end());
  Sample s = *Prepare(m, "train", 0);
  EXPECT_EQ(s.m, &m);
  ASSERT_EQ(s.layer_ms.size(), s.net.layers.size());
  double sum = 0;
  for (size_t i = 0; i < s.net.layers.size(); ++i) {
    const auto it = std::find_if(m.layer_ms.begin(), m.layer_ms.end(),
                                 [&](const auto& l) { return l.first == s.net.layers[i].name; });
    ASSERT_NE(it, m.layer_ms.end());
    EXPECT_EQ(s.layer_ms[i], it->second);
    sum += it->second;
  }
  EXPECT_NEAR(s.sum_ms, sum, 1e-12 * sum);

  m.layer_ms.clear();
  s = *Prepare(m, "train", 0);
  EXPECT_TRUE(s.layer_ms.empty());
  EXPECT_EQ(s.sum_ms, 0);
}

TEST_F(TrainingDataTest, PrepareRefusesBadLayerTimes) {
  MeasuredArch m = (*train_)[0];
  m.layer_ms.push_back(m.layer_ms[0]);
  EXPECT_THAT(Prepare(m, "train", 7).status().message(),
              HasSubstr("train[7] (arch " + ArchitectureId(m.arch) + "): layer_ms: '" +
                        m.layer_ms[0].first + "' appears twice"));
  m = (*train_)[0];
  for (auto& [name, ms] : m.layer_ms) ms = 0;
  EXPECT_THAT(Prepare(m, "train", 0).status().message(), HasSubstr("layer_ms: all times are 0"));
  m = (*train_)[0];
  m.arch.clear_blocks();
  EXPECT_THAT(Prepare(m, "held_out", 1).status().message(), HasSubstr("held_out[1].arch"));
}

TEST_F(TrainingDataTest, PrepareAllNamesTheModel) {
  EXPECT_EQ(PrepareAll({}, "some model").status().message(),
            "some model: the training set is empty");
  std::vector<MeasuredArch> bad(train_->begin(), train_->begin() + 3);
  bad[1].latency_ms = 0;
  EXPECT_THAT(PrepareAll(bad, "some model").status().message(),
              HasSubstr("some model: train[1] (arch "));
  EXPECT_EQ(PrepareAll(*train_, "some model")->size(), train_->size());
}

TEST_F(TrainingDataTest, CheckLatencyAndWhere) {
  const Architecture& a = (*train_)[0].arch;
  EXPECT_EQ(Where("held_out", 4, a), "held_out[4] (arch " + ArchitectureId(a) + ")");
  EXPECT_TRUE(CheckLatency(0.5, "x").ok());
  EXPECT_EQ(CheckLatency(-1, "x").message(), "x: latency_ms: -1 must be finite and > 0");
  EXPECT_FALSE(CheckLatency(std::nan(""), "x").ok());
  EXPECT_FALSE(CheckLatency(INFINITY, "x").ok());
}

TEST_F(TrainingDataTest, FitCorrectionRecoversTheEndToEndMap) {
  // The synthetic end-to-end time is 1.05 * sum + 0.1 ms.
  std::vector<Sample> samples = *PrepareAll(*train_, "test");
  EndToEndCorrection c = FitCorrection(samples);
  EXPECT_THAT(c.scale, DoubleNear(1.05, 1e-9));
  EXPECT_THAT(c.offset_ms, DoubleNear(0.1, 1e-9));

  // Below 3 networks with layer times, the ratio alone.
  samples.resize(2);
  c = FitCorrection(samples);
  EXPECT_EQ(c.offset_ms, 0);
  const double r0 = samples[0].sum_ms / samples[0].m->latency_ms;
  const double r1 = samples[1].sum_ms / samples[1].m->latency_ms;
  EXPECT_DOUBLE_EQ(c.scale, (r0 + r1) / (r0 * r0 + r1 * r1));

  // Nothing to fit on: the identity.
  std::vector<MeasuredArch> e2e(train_->begin(), train_->begin() + 4);
  for (MeasuredArch& m : e2e) m.layer_ms.clear();
  c = FitCorrection(*PrepareAll(e2e, "test"));
  EXPECT_EQ(c.scale, 1);
  EXPECT_EQ(c.offset_ms, 0);
}

}  // namespace
}  // namespace ridge::latency_internal
