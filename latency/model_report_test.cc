#include "latency/model_report.h"

#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "latency/blocked_linear_model.h"
#include "latency/calibrated_roofline_model.h"
#include "latency/hybrid_model.h"
#include "latency/lookup_table_model.h"
#include "latency/testing/synthetic_measurements.h"

namespace ridge {
namespace {

using ::testing::HasSubstr;

class ModelReportTest : public latency_testing::Synthetic {
 protected:
  // The fixture's 80 measurements; the report's split (0.25, seed 1) is the
  // fixture's, train first and in the same order.
  static std::vector<MeasuredArch> All() {
    std::vector<MeasuredArch> all = *train_;
    all.insert(all.end(), held_out_->begin(), held_out_->end());
    return all;
  }
};

void ExpectSameScore(const absl::StatusOr<ModelScore>& got,
                     const absl::StatusOr<ModelScore>& want) {
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(want.ok()) << want.status();
  EXPECT_EQ(got->n, want->n);
  EXPECT_EQ(got->failed, want->failed);
  for (auto [g, w] : {std::pair{got->spearman, want->spearman}, {got->kendall, want->kendall},
                      {got->mape, want->mape}, {got->within_10pct, want->within_10pct}}) {
    if (std::isnan(w)) {
      EXPECT_TRUE(std::isnan(g));
    } else {
      EXPECT_EQ(g, w);
    }
  }
}

TEST_F(ModelReportTest, FitsAndScoresEveryModelInOrder) {
  const LatencyModelReport report = *BuildLatencyModelReport("dev", All(), GoodBase(), 0.25, 1);
  EXPECT_EQ(report.measurements, 80);
  EXPECT_EQ(report.train, 60);
  EXPECT_EQ(report.held_out, 20);
  ASSERT_EQ(report.models.size(), 9u);
  EXPECT_EQ(report.models[0].model, "lookup_table");
  EXPECT_EQ(report.models[1].model, "calibrated_roofline");
  EXPECT_EQ(report.models[2].model, "calibrated_roofline_per_layer");
  EXPECT_EQ(report.models[3].model, "hybrid");
  EXPECT_EQ(report.models[4].model, "blocked_linear:8");
  EXPECT_EQ(report.models[5].model, "blocked_linear:16");
  EXPECT_EQ(report.models[6].model, "mean(hybrid,blocked_linear:16)");
  EXPECT_EQ(report.models[7].model, "roofline:good_base");
  EXPECT_THAT(report.models[8].model, testing::StartsWith("selected:"));
  for (const NamedModelScore& m : report.models) {
    if (m.score.ok()) PrintScore(m.model, *m.score);
  }

  const std::vector<MeasuredArch>& train = *train_;
  const std::vector<MeasuredArch>& held = *held_out_;
  ExpectSameScore(report.models[0].score, ScoreModel(**FitLookupTable(train), held));
  ExpectSameScore(report.models[1].score,
                  ScoreModel(**FitCalibratedRoofline(EndToEndOnly(train), GoodBase()), held));
  ExpectSameScore(report.models[2].score,
                  ScoreModel(**FitCalibratedRoofline(train, GoodBase()), held));
  ExpectSameScore(report.models[3].score, ScoreModel(**FitHybrid(train, GoodBase()), held));
  ExpectSameScore(report.models[5].score, ScoreModel(**FitBlockedLinear(train, 16), held));
  ExpectSameScore(report.models[7].score, ScoreModel(*MakeRooflineModel(GoodBase()), held));
  EXPECT_GE(report.models[1].score->spearman, 0.9);
  // The selected model is one of the candidates, refitted on the train side.
  const std::string selected = report.models[8].model.substr(9);
  for (int i = 0; i < 7; ++i) {
    if (report.models[i].model == selected) ExpectSameScore(report.models[8].score, report.models[i].score);
  }
}

TEST_F(ModelReportTest, AFitFailureIsThatModelsError) {
  const LatencyModelReport report =
      *BuildLatencyModelReport("dev", EndToEndOnly(All()), WrongBase(), 0.25, 1);
  ASSERT_EQ(report.models.size(), 9u);
  EXPECT_EQ(report.models[0].score.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(report.models[0].score.status().message(),
              HasSubstr("lookup table: none of the 60 training measurements has per-layer times"));
  EXPECT_THAT(report.models[3].score.status().message(), HasSubstr("hybrid: lookup table: "));
  EXPECT_THAT(report.models[6].score.status().message(), HasSubstr("hybrid: lookup table: "));
  EXPECT_EQ(report.models[7].model, "roofline:wrong_base");
  for (int i : {1, 2, 4, 5, 7}) {
    ASSERT_TRUE(report.models[i].score.ok()) << report.models[i].model;
    EXPECT_EQ(report.models[i].score->n, 20);
  }
  // Without per-layer times both calibrations see the same data.
  ExpectSameScore(report.models[1].score, report.models[2].score);
}

TEST_F(ModelReportTest, NeedsAtLeastFiveMeasurements) {
  absl::StatusOr<LatencyModelReport> r = BuildLatencyModelReport("dev", {}, GoodBase(), 0.4, 0);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(),
            "device_key: 'dev' has 0 measurements; queue some with `ridge latency measure`");

  const std::vector<MeasuredArch> four(train_->begin(), train_->begin() + 4);
  r = BuildLatencyModelReport("dev", four, GoodBase(), 0.4, 0);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(),
            "device_key 'dev' has 4 measurements; the report needs at least 5 (queue some with "
            "`ridge latency measure`)");

  // Five is enough: three to fit the roofline on, two to score it.
  const std::vector<MeasuredArch> five(train_->begin(), train_->begin() + 5);
  r = BuildLatencyModelReport("dev", five, GoodBase(), 0.4, 0);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->measurements, 5);
  EXPECT_EQ(r->train, 3);
  EXPECT_EQ(r->held_out, 2);
  EXPECT_TRUE(r->models[2].score.ok()) << r->models[2].score.status();
}

TEST_F(ModelReportTest, HeldOutFractionMustBeInside0And1) {
  const std::vector<MeasuredArch> all = All();
  for (double f : {0.0, 1.0, -0.5, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    absl::StatusOr<LatencyModelReport> r = BuildLatencyModelReport("dev", all, GoodBase(), f, 0);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << f;
    EXPECT_THAT(r.status().message(), HasSubstr(" must be in (0, 1)")) << f;
  }
  EXPECT_EQ(BuildLatencyModelReport("dev", all, GoodBase(), 0, 0).status().message(),
            "held_out_fraction: 0 must be in (0, 1)");
  // The fraction is checked first, as the handler did.
  EXPECT_EQ(CheckLatencyModelReportInput("dev", 0, 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckLatencyModelReportInput("dev", 5, 0.4).ok());
}

}  // namespace
}  // namespace ridge
