#include "latency/calibrated_roofline_model.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "latency/model_scoring.h"
#include "latency/testing/synthetic_measurements.h"
#include "proto/architecture.h"

namespace ridge {
namespace {

using ::testing::DoubleNear;
using ::testing::HasSubstr;

class CalibratedRooflineTest : public latency_testing::Synthetic {};

TEST_F(CalibratedRooflineTest, RanksAndFits) {
  for (const HardwareProfile& base : {GoodBase(), WrongBase()}) {
    SCOPED_TRACE(base.name());
    auto roof = *FitCalibratedRoofline(*train_, base);
    EXPECT_THAT(roof->correction().scale, DoubleNear(1.05, 0.01));
    EXPECT_THAT(roof->correction().offset_ms, DoubleNear(0.1, 0.05));
    ModelScore s = *ScoreModel(*roof, *held_out_);
    PrintScore(roof->name(), s);
    EXPECT_EQ(s.n, 20);
    EXPECT_EQ(s.failed, 0);
    EXPECT_GE(s.spearman, 0.95);
    EXPECT_GE(s.within_10pct, 0.9);
  }
}

TEST_F(CalibratedRooflineTest, RecoversTheHiddenRoofline) {
  // Against the wrong base, C_true = 2 C_base / efficiency and M_true = M_base / 2.
  auto roof = *FitCalibratedRoofline(*train_, WrongBase());
  const CalibratedRooflineModel::Coefficients& k = roof->coefficients();
  ASSERT_EQ(k.form, CalibratedRooflineModel::Form::kMax);
  // CONV is only the fixed stem, one (C, M) pair, so only max(kappa C, mu M)
  // is identified there; the classes below vary across the space.
  EXPECT_THAT(k.kappa[POINTWISE - 1], DoubleNear(2 / 0.7, 0.1));
  EXPECT_THAT(k.kappa[DEPTHWISE - 1], DoubleNear(2 / 0.15, 0.4));
  for (OpClass c : {POINTWISE, DEPTHWISE, POOLING}) {
    EXPECT_THAT(k.mu[c - 1], DoubleNear(0.5, 0.02)) << OpClass_Name(c);
  }
  EXPECT_THAT(k.omega_ms, DoubleNear(0.004, 0.001));
}

TEST_F(CalibratedRooflineTest, PicksTheAdditiveFormWhenItFits) {
  std::vector<MeasuredArch> train, held_out;
  for (const MeasuredArch& m : *train_) train.push_back(Measure(m.arch, /*additive=*/true));
  for (const MeasuredArch& m : *held_out_) held_out.push_back(Measure(m.arch, true));
  auto roof = *FitCalibratedRoofline(train, WrongBase());
  EXPECT_EQ(roof->coefficients().form, CalibratedRooflineModel::Form::kAdditive);
  ModelScore s = *ScoreModel(*roof, held_out);
  PrintScore(roof->name() + " (additive machine)", s);
  EXPECT_GE(s.spearman, 0.95);
  EXPECT_GE(s.within_10pct, 0.9);
}

TEST_F(CalibratedRooflineTest, CalibrationFixesAWrongBase) {
  ModelScore raw = *ScoreModel(*MakeRooflineModel(WrongBase()), *held_out_);
  ModelScore fit = *ScoreModel(**FitCalibratedRoofline(*train_, WrongBase()), *held_out_);
  PrintScore("roofline:wrong_base (uncalibrated)", raw);
  EXPECT_LT(raw.within_10pct, 0.3);
  EXPECT_LT(fit.mape * 5, raw.mape);
  EXPECT_GT(fit.within_10pct, raw.within_10pct + 0.5);
}

TEST_F(CalibratedRooflineTest, EndToEndOnlyCalibration) {
  std::vector<MeasuredArch> e2e = *train_;
  for (MeasuredArch& m : e2e) m.layer_ms.clear();
  auto roof = *FitCalibratedRoofline(e2e, WrongBase());
  EXPECT_EQ(roof->correction().scale, 1.0);  // Nothing to fit it on.
  ModelScore s = *ScoreModel(*roof, *held_out_);
  PrintScore(roof->name() + " (end-to-end only)", s);
  EXPECT_GE(s.spearman, 0.9);
  EXPECT_GE(s.within_10pct, 0.8);
}

TEST_F(CalibratedRooflineTest, PredictLayersMsSumsToThePrediction) {
  auto roof = *FitCalibratedRoofline(*train_, WrongBase());
  const Architecture& a = (*held_out_)[0].arch;
  const std::vector<double> layers = *roof->PredictLayersMs(a);
  EXPECT_EQ(layers.size(), (*held_out_)[0].layer_ms.size());
  double sum = 0;
  for (double ms : layers) sum += ms;
  EXPECT_DOUBLE_EQ(*roof->PredictMs(a), roof->correction().Apply(sum));
  EXPECT_EQ(roof->name(), "calibrated_roofline:wrong_base:max");
}

TEST_F(CalibratedRooflineTest, RefusesBadTrainingData) {
  EXPECT_THAT(FitCalibratedRoofline({}, GoodBase()).status().message(),
              HasSubstr("needs at least 3 training measurements, got 0"));

  std::vector<MeasuredArch> bad(train_->begin(), train_->begin() + 5);
  bad[2].latency_ms = -1;
  EXPECT_THAT(FitCalibratedRoofline(bad, GoodBase()).status().message(),
              HasSubstr("latency_ms: -1 must be finite and > 0"));

  HardwareProfile broken = GoodBase();
  broken.set_peak_bytes_per_sec(0);
  EXPECT_THAT(FitCalibratedRoofline(*train_, broken).status().message(),
              HasSubstr("base_profile.peak_bytes_per_sec"));
}

}  // namespace
}  // namespace ridge
