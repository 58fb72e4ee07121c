#include "latency/model_scoring.h"

#include <cmath>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "latency/costing.h"
#include "latency/roofline.h"
#include "latency/testing/synthetic_measurements.h"
#include "proto/architecture.h"

namespace ridge {
namespace {

using ::testing::HasSubstr;

class ScoringTest : public latency_testing::Synthetic {};

// Predicts the measured latency of a few architectures exactly, and of the
// rest NOT_FOUND (or an error, or NaN, when asked).
class FixedModel : public LatencyModel {
 public:
  FixedModel(std::vector<MeasuredArch> known, absl::Status other) : known_(std::move(known)),
                                                                    other_(std::move(other)) {}
  absl::StatusOr<double> PredictMs(const Architecture& arch) const override {
    for (const MeasuredArch& m : known_) {
      if (ArchitectureId(m.arch) == ArchitectureId(arch)) return m.latency_ms * scale_;
    }
    return other_;
  }
  std::string name() const override { return "fixed"; }
  double scale_ = 1;

 private:
  std::vector<MeasuredArch> known_;
  absl::Status other_;
};

TEST_F(ScoringTest, SplitSizes) {
  EXPECT_EQ(train_->size(), 60u);
  EXPECT_EQ(held_out_->size(), 20u);
}

TEST_F(ScoringTest, SplitIsDeterministicAndKeyedById) {
  std::vector<MeasuredArch> all = *train_;
  all.insert(all.end(), held_out_->begin(), held_out_->end());
  all.push_back(all[0]);  // A repeat of one architecture.
  std::vector<MeasuredArch> a_train, a_held, b_train, b_held;
  SplitHeldOut(all, 0.3, 9, &a_train, &a_held);
  SplitHeldOut(all, 0.3, 9, &b_train, &b_held);
  ASSERT_EQ(a_held.size(), b_held.size());
  for (size_t i = 0; i < a_held.size(); ++i) {
    EXPECT_EQ(ArchitectureId(a_held[i].arch), ArchitectureId(b_held[i].arch));
  }
  std::set<std::string> held_ids;
  for (const MeasuredArch& m : a_held) held_ids.insert(ArchitectureId(m.arch));
  EXPECT_EQ(held_ids.size(), 24u);  // round(0.3 * 80) distinct architectures.
  for (const MeasuredArch& m : a_train) EXPECT_EQ(held_ids.count(ArchitectureId(m.arch)), 0u);
  EXPECT_EQ(a_train.size() + a_held.size(), all.size());
}

TEST_F(ScoringTest, CountsNotFoundAndScoresTheRest) {
  FixedModel model(std::vector<MeasuredArch>(held_out_->begin(), held_out_->begin() + 4),
                   absl::NotFoundError("unknown"));
  ModelScore s = *ScoreModel(model, *held_out_);
  EXPECT_EQ(s.n, 4);
  EXPECT_EQ(s.failed, 16);
  EXPECT_DOUBLE_EQ(s.spearman, 1.0);
  EXPECT_DOUBLE_EQ(s.kendall, 1.0);
  EXPECT_DOUBLE_EQ(s.mape, 0.0);
  EXPECT_DOUBLE_EQ(s.within_10pct, 1.0);

  model.scale_ = 1.2;  // 20% high: ranks intact, none within 10%.
  s = *ScoreModel(model, *held_out_);
  EXPECT_DOUBLE_EQ(s.spearman, 1.0);
  EXPECT_NEAR(s.mape, 0.2, 1e-12);
  EXPECT_DOUBLE_EQ(s.within_10pct, 0.0);

  FixedModel none({}, absl::NotFoundError("unknown"));
  s = *ScoreModel(none, *held_out_);
  EXPECT_EQ(s.n, 0);
  EXPECT_EQ(s.failed, 20);
  EXPECT_TRUE(std::isnan(s.spearman));
  EXPECT_TRUE(std::isnan(s.mape));
}

TEST_F(ScoringTest, RefusesBadInput) {
  EXPECT_THAT(ScoreModel(*MakeRooflineModel(GoodBase()), {}).status().message(),
              HasSubstr("no held-out measurements"));
  std::vector<MeasuredArch> bad = *held_out_;
  bad[3].latency_ms = 0;
  EXPECT_THAT(ScoreModel(*MakeRooflineModel(GoodBase()), bad).status().message(),
              HasSubstr("held_out[3] (arch " + ArchitectureId(bad[3].arch) +
                        "): latency_ms: 0 must be finite and > 0"));
  FixedModel broken({}, absl::InternalError("boom"));
  absl::StatusOr<ModelScore> s = ScoreModel(broken, *held_out_);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.status().message(), "score fixed: boom");
}

TEST_F(ScoringTest, UncalibratedRoofline) {
  std::unique_ptr<LatencyModel> roof = MakeRooflineModel(GoodBase());
  EXPECT_EQ(roof->name(), RooflineModelName(GoodBase()));
  const Architecture& a = (*held_out_)[0].arch;
  const RooflineResult r = *PredictRoofline(*CostArchitecture(a, ElementType::kFp32), GoodBase());
  EXPECT_DOUBLE_EQ(*roof->PredictMs(a), r.latency_ms());
  HardwareProfile odd = GoodBase();
  odd.set_bytes_per_element(3);
  EXPECT_EQ(MakeRooflineModel(odd)->PredictMs(a).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ridge
