#include "latency/measured_models.h"

#include <cmath>
#include <random>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "latency/roofline.h"
#include "proto/architecture.h"
#include "proto/space.h"
#include "zoo/zoo.h"

namespace ridge {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------
// Rank statistics. Reference values are scipy.stats' documented examples.

TEST(Ranks, KnownValues) {
  // scipy.stats.spearmanr([1,2,3,4,5], [5,6,7,8,7]): one tie in y.
  EXPECT_THAT(SpearmanRho({1, 2, 3, 4, 5}, {5, 6, 7, 8, 7}),
              DoubleNear(0.8207826816681233, 1e-12));
  // scipy.stats.kendalltau([12,2,1,12,2], [1,4,7,1,0]): ties in both.
  EXPECT_THAT(KendallTau({12, 2, 1, 12, 2}, {1, 4, 7, 1, 0}),
              DoubleNear(-0.47140452079103173, 1e-12));
  EXPECT_THAT(SpearmanRho({12, 2, 1, 12, 2}, {1, 4, 7, 1, 0}), DoubleNear(-0.5407380704358752, 1e-12));
  // By hand: y ranks 1, 2.5, 2.5, 4, 5, so rho = 9.5 / sqrt(10 * 9.5);
  // 9 concordant pairs of 10, one tied in y, so tau_b = 9 / sqrt(10 * 9).
  EXPECT_THAT(SpearmanRho({1, 2, 3, 4, 5}, {1, 2, 2, 3, 4}), DoubleNear(std::sqrt(0.95), 1e-12));
  EXPECT_THAT(KendallTau({1, 2, 3, 4, 5}, {1, 2, 2, 3, 4}), DoubleNear(9 / std::sqrt(90.0), 1e-12));
}

TEST(Ranks, MonotoneAndUndefined) {
  EXPECT_DOUBLE_EQ(SpearmanRho({1, 2, 3}, {10, 200, 3000}), 1.0);
  EXPECT_DOUBLE_EQ(KendallTau({1, 2, 3}, {3, 2, 1}), -1.0);
  EXPECT_TRUE(std::isnan(SpearmanRho({1, 2}, {1, 2, 3})));
  EXPECT_TRUE(std::isnan(KendallTau({1}, {1})));
  EXPECT_TRUE(std::isnan(SpearmanRho({1, 2, 3}, {4, 4, 4})));
  EXPECT_TRUE(std::isnan(KendallTau({1, 2, 3}, {4, 4, 4})));
}

// ---------------------------------------------------------------------------
// Solvers.

TEST(LeastSquares, KnownSystems) {
  // y = 1 + 2 x, exact.
  EXPECT_THAT(*SolveLeastSquares({{1, 0}, {1, 1}, {1, 2}, {1, 3}}, {1, 3, 5, 7}),
              ElementsAre(DoubleNear(1, 1e-12), DoubleNear(2, 1e-12)));
  // Inconsistent: A^T A = [[2,1],[1,2]], A^T b = [1,1], so x = [1/3, 1/3].
  EXPECT_THAT(*SolveLeastSquares({{1, 0}, {0, 1}, {1, 1}}, {1, 1, 0}),
              ElementsAre(DoubleNear(1 / 3.0, 1e-12), DoubleNear(1 / 3.0, 1e-12)));
  // Ridge: min (x - 2)^2 + x^2 at x = 1.
  EXPECT_THAT(*SolveLeastSquares({{1}}, {2}, 1.0), ElementsAre(DoubleNear(1, 1e-12)));
}

TEST(LeastSquares, NonNegative) {
  // Unconstrained [-1, 2]; with x >= 0, x0 = 0 and x1 = mean(1, 2).
  EXPECT_THAT(*SolveLeastSquares({{1, 0}, {1, 1}, {0, 1}}, {-1, 1, 2}),
              ElementsAre(DoubleNear(-1, 1e-12), DoubleNear(2, 1e-12)));
  EXPECT_THAT(*SolveNonNegativeLeastSquares({{1, 0}, {1, 1}, {0, 1}}, {-1, 1, 2}),
              ElementsAre(DoubleNear(0, 1e-12), DoubleNear(1.5, 1e-12)));
  // An interior solution is the unconstrained one.
  EXPECT_THAT(*SolveNonNegativeLeastSquares({{1, 0}, {1, 1}, {1, 2}}, {1, 3, 5}),
              ElementsAre(DoubleNear(1, 1e-12), DoubleNear(2, 1e-12)));
}

TEST(LeastSquares, BadInput) {
  EXPECT_EQ(SolveLeastSquares({{1, 1}, {2, 2}}, {1, 2}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(SolveLeastSquares({{1, 1}, {2}}, {1, 2}).status().message(),
              HasSubstr("row 1 has 1 columns, not 2"));
  EXPECT_EQ(SolveLeastSquares({}, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------
// Synthetic ground truth: a hidden roofline with per-class ceilings and a
// per-layer overhead times every layer (+-2% deterministic noise); the
// end-to-end time is sum * 1.05 + 0.1 ms.

HardwareProfile Profile(const std::string& name, double macs, double bytes) {
  HardwareProfile p;
  p.set_name(name);
  p.set_peak_macs_per_sec(macs);
  p.set_peak_bytes_per_sec(bytes);
  p.set_bytes_per_element(4);
  return p;
}

HardwareProfile TrueProfile() {
  HardwareProfile p = Profile("hidden", 8e10, 2e10);
  for (auto [cls, eff] : {std::pair{CONV, 0.5}, {POINTWISE, 0.7}, {DEPTHWISE, 0.15},
                          {FULLY_CONNECTED, 0.3}}) {
    OpClassCeiling* c = p.add_ceilings();
    c->set_op_class(cls);
    c->set_efficiency(eff);
  }
  p.set_per_layer_overhead_sec(4e-6);
  return p;
}

// The same machine without ceilings or overhead, and one 2x off both ways.
HardwareProfile GoodBase() { return Profile("good_base", 8e10, 2e10); }
HardwareProfile WrongBase() { return Profile("wrong_base", 16e10, 1e10); }

// The hidden per-layer times and end-to-end time of `arch`. With `additive`
// the hidden machine overlaps nothing: compute + memory instead of the max.
MeasuredArch Measure(const Architecture& arch, bool additive = false) {
  NetworkCost cost = *CostArchitecture(arch, ElementType::kFp32);
  RooflineResult r = *PredictRoofline(cost, TrueProfile());
  MeasuredArch m;
  m.arch = arch;
  double sum = 0;
  const std::string id = ArchitectureId(arch);
  for (const LayerRoofline& t : r.layers) {
    const uint64_t h = Fnv1a64(id + t.cost->layer.name);
    const double noise = 0.02 * ((h % 2001) / 1000.0 - 1.0);
    const double sec = additive ? t.compute_sec + t.memory_sec + 4e-6 : t.time_sec;
    const double ms = sec * 1e3 * (1 + noise);
    m.layer_ms.push_back({t.cost->layer.name, ms});
    sum += ms;
  }
  m.latency_ms = sum * 1.05 + 0.1;
  return m;
}

Architecture Deploy(Architecture arch) {
  arch.mutable_input()->set_height(224);
  arch.mutable_input()->set_width(224);
  arch.mutable_input()->set_channels(3);
  arch.set_num_classes(1000);
  return arch;
}

class Synthetic : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    space_ = new SearchSpace(*LoadZooSpace("fmnist_uib"));
    std::mt19937_64 rng(20240611);
    std::vector<MeasuredArch> all;
    std::set<std::string> ids;
    while (all.size() < 80) {
      Architecture a = Deploy(*BuildArchitecture(*space_, SampleUniform(*space_, rng)));
      if (ids.insert(ArchitectureId(a)).second) all.push_back(Measure(a));
    }
    train_ = new std::vector<MeasuredArch>;
    held_out_ = new std::vector<MeasuredArch>;
    SplitHeldOut(all, 0.25, 1, train_, held_out_);
  }
  static void TearDownTestSuite() {
    delete space_;
    delete train_;
    delete held_out_;
  }
  static SearchSpace* space_;
  static std::vector<MeasuredArch>* train_;
  static std::vector<MeasuredArch>* held_out_;
};

SearchSpace* Synthetic::space_ = nullptr;
std::vector<MeasuredArch>* Synthetic::train_ = nullptr;
std::vector<MeasuredArch>* Synthetic::held_out_ = nullptr;

void PrintScore(const std::string& name, const ModelScore& s) {
  std::printf("%-44s n=%d failed=%d rho=%.4f tau=%.4f mape=%.4f within10=%.2f\n", name.c_str(),
              s.n, s.failed, s.spearman, s.kendall, s.mape, s.within_10pct);
}

TEST_F(Synthetic, SplitSizes) {
  EXPECT_EQ(train_->size(), 60u);
  EXPECT_EQ(held_out_->size(), 20u);
}

TEST_F(Synthetic, CalibratedRooflineAndHybridRankAndFit) {
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

    auto hybrid = *FitHybrid(*train_, base);
    ModelScore h = *ScoreModel(*hybrid, *held_out_);
    PrintScore(hybrid->name(), h);
    EXPECT_EQ(h.n, 20);
    EXPECT_GE(h.spearman, 0.95);
    EXPECT_GE(h.within_10pct, 0.9);
  }
}

TEST_F(Synthetic, RecoversTheHiddenRoofline) {
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

TEST_F(Synthetic, PicksTheAdditiveFormWhenItFits) {
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

TEST_F(Synthetic, CalibrationFixesAWrongBase) {
  ModelScore raw = *ScoreModel(*MakeRooflineModel(WrongBase()), *held_out_);
  ModelScore fit = *ScoreModel(**FitCalibratedRoofline(*train_, WrongBase()), *held_out_);
  PrintScore("roofline:wrong_base (uncalibrated)", raw);
  EXPECT_LT(raw.within_10pct, 0.3);
  EXPECT_LT(fit.mape * 5, raw.mape);
  EXPECT_GT(fit.within_10pct, raw.within_10pct + 0.5);
}

TEST_F(Synthetic, EndToEndOnlyCalibration) {
  std::vector<MeasuredArch> e2e = *train_;
  for (MeasuredArch& m : e2e) m.layer_ms.clear();
  auto roof = *FitCalibratedRoofline(e2e, WrongBase());
  EXPECT_EQ(roof->correction().scale, 1.0);  // Nothing to fit it on.
  ModelScore s = *ScoreModel(*roof, *held_out_);
  PrintScore(roof->name() + " (end-to-end only)", s);
  EXPECT_GE(s.spearman, 0.9);
  EXPECT_GE(s.within_10pct, 0.8);
  // The lookup table has nothing to learn from.
  EXPECT_THAT(FitLookupTable(e2e).status().message(),
              HasSubstr("none of the 60 training measurements has per-layer times"));
}

TEST_F(Synthetic, LookupTableOnSeenAndUnseenBlocks) {
  // P and Q share every stage's filters, so R = P's first stage followed by
  // Q's later stages is a new network made only of blocks seen in P or Q.
  std::mt19937_64 rng(5);
  SpaceChoice p = SampleUniform(*space_, rng), q = SampleUniform(*space_, rng);
  for (size_t s = 0; s < q.stages.size(); ++s) q.stages[s].filters = p.stages[s].filters;
  p.stages[0].slots[1].skip = false;  // Keep the stages different from Q's.
  q.stages[0].slots[1].skip = true;
  SpaceChoice r = q;
  r.stages[0] = p.stages[0];
  const Architecture ap = Deploy(*BuildArchitecture(*space_, p));
  const Architecture aq = Deploy(*BuildArchitecture(*space_, q));
  const Architecture ar = Deploy(*BuildArchitecture(*space_, r));
  ASSERT_NE(ArchitectureId(ar), ArchitectureId(ap));
  ASSERT_NE(ArchitectureId(ar), ArchitectureId(aq));

  std::vector<MeasuredArch> train = *train_;
  train.push_back(Measure(ap));
  train.push_back(Measure(aq));
  auto table = *FitLookupTable(train);
  const double truth = Measure(ar).latency_ms;
  EXPECT_THAT(*table->PredictMs(ar), DoubleNear(truth, 0.03 * truth));

  // An expansion no training network used in blocks[1] makes an unseen key.
  Architecture unseen = ar;
  unseen.mutable_blocks(1)->mutable_uib()->set_expansion(3);
  absl::StatusOr<double> miss = table->PredictMs(unseen);
  EXPECT_EQ(miss.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(miss.status().message(), HasSubstr("no entry for blocks[1] 'uib("));
  EXPECT_THAT(miss.status().message(), HasSubstr(",3) in=112x112x"));

  // Held-out networks mostly have some unseen block: counted, not scored.
  ModelScore s = *ScoreModel(*table, *held_out_);
  PrintScore(table->name(), s);
  EXPECT_EQ(s.n + s.failed, 20);
}

TEST_F(Synthetic, HybridUsesTheTableWhereItCan) {
  // A training network is all table entries: the hybrid returns its measured
  // per-layer sum through the correction, exactly as the table does.
  auto table = *FitLookupTable(*train_);
  auto hybrid = *FitHybrid(*train_, WrongBase());
  const Architecture& a = (*train_)[0].arch;
  EXPECT_DOUBLE_EQ(*hybrid->PredictMs(a), *table->PredictMs(a));
}

// ---------------------------------------------------------------------------
// Bad input.

TEST_F(Synthetic, RefusesBadTrainingData) {
  EXPECT_THAT(FitLookupTable({}).status().message(), HasSubstr("training set is empty"));
  EXPECT_THAT(FitCalibratedRoofline({}, GoodBase()).status().message(),
              HasSubstr("needs at least 3 training measurements, got 0"));
  EXPECT_THAT(FitHybrid({}, GoodBase()).status().message(), HasSubstr("training set is empty"));

  std::vector<MeasuredArch> bad(train_->begin(), train_->begin() + 5);
  bad[2].latency_ms = std::nan("");
  EXPECT_THAT(FitLookupTable(bad).status().message(),
              HasSubstr("train[2] (arch " + ArchitectureId(bad[2].arch) +
                        "): latency_ms: nan must be finite and > 0"));
  bad[2].latency_ms = -1;
  EXPECT_THAT(FitCalibratedRoofline(bad, GoodBase()).status().message(),
              HasSubstr("latency_ms: -1 must be finite and > 0"));

  bad = std::vector<MeasuredArch>(train_->begin(), train_->begin() + 5);
  bad[1].layer_ms[3].second = -0.5;
  EXPECT_THAT(FitLookupTable(bad).status().message(), HasSubstr("must be finite and >= 0"));
  bad[1].layer_ms[3].first = "blocks.99.expand";
  EXPECT_THAT(FitLookupTable(bad).status().message(),
              HasSubstr("'blocks.99.expand' is not a layer of this architecture"));
  bad[1].layer_ms.erase(bad[1].layer_ms.begin() + 3);
  EXPECT_THAT(FitLookupTable(bad).status().message(), HasSubstr("has no time for"));

  HardwareProfile broken = GoodBase();
  broken.set_peak_bytes_per_sec(0);
  EXPECT_THAT(FitCalibratedRoofline(*train_, broken).status().message(),
              HasSubstr("base_profile.peak_bytes_per_sec"));

  EXPECT_THAT(ScoreModel(*MakeRooflineModel(GoodBase()), {}).status().message(),
              HasSubstr("no held-out measurements"));
}

TEST_F(Synthetic, SplitIsDeterministicAndKeyedById) {
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

}  // namespace
}  // namespace ridge
