#include "latency/hybrid_model.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "latency/lookup_table_model.h"
#include "latency/model_scoring.h"
#include "latency/testing/synthetic_measurements.h"

namespace ridge {
namespace {

using ::testing::HasSubstr;

class HybridTest : public latency_testing::Synthetic {};

TEST_F(HybridTest, RanksAndFits) {
  for (const HardwareProfile& base : {GoodBase(), WrongBase()}) {
    SCOPED_TRACE(base.name());
    auto hybrid = *FitHybrid(*train_, base);
    ModelScore h = *ScoreModel(*hybrid, *held_out_);
    PrintScore(hybrid->name(), h);
    EXPECT_EQ(h.n, 20);
    EXPECT_GE(h.spearman, 0.95);
    EXPECT_GE(h.within_10pct, 0.9);
  }
}

TEST_F(HybridTest, UsesTheTableWhereItCan) {
  // A training network is all table entries: the hybrid returns its measured
  // per-layer sum through the correction, exactly as the table does.
  auto table = *FitLookupTable(*train_);
  auto hybrid = *FitHybrid(*train_, WrongBase());
  const Architecture& a = (*train_)[0].arch;
  EXPECT_DOUBLE_EQ(*hybrid->PredictMs(a), *table->PredictMs(a));
}

TEST_F(HybridTest, RefusesBadTrainingData) {
  EXPECT_THAT(FitHybrid({}, GoodBase()).status().message(), HasSubstr("training set is empty"));
  std::vector<MeasuredArch> e2e = *train_;
  for (MeasuredArch& m : e2e) m.layer_ms.clear();
  EXPECT_THAT(FitHybrid(e2e, GoodBase()).status().message(),
              HasSubstr("hybrid: lookup table: none of the 60 training measurements"));
  EXPECT_THAT(FitHybrid(std::vector<MeasuredArch>(train_->begin(), train_->begin() + 2), GoodBase())
                  .status()
                  .message(),
              HasSubstr("hybrid: calibrated roofline: needs at least 3 training measurements"));
}

}  // namespace
}  // namespace ridge
