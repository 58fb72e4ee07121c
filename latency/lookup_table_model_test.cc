#include "latency/lookup_table_model.h"

#include <cmath>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "latency/model_scoring.h"
#include "latency/testing/synthetic_measurements.h"
#include "proto/architecture.h"
#include "proto/space.h"

namespace ridge {
namespace {

using ::testing::DoubleNear;
using ::testing::HasSubstr;

class LookupTableTest : public latency_testing::Synthetic {};

TEST_F(LookupTableTest, BlockKeys) {
  const Architecture& a = (*train_)[0].arch;
  const std::vector<std::string> keys = *BlockKeys(a);
  ASSERT_EQ(keys.size(), static_cast<size_t>(a.blocks_size()));
  EXPECT_THAT(keys[0], HasSubstr(BlockToken(a.blocks(0)) + " in=224x224x3 out="));
  EXPECT_THAT(keys[0], HasSubstr(" act="));
  EXPECT_THAT(keys[0], HasSubstr(" ls=0"));
  // A training network's blocks all have entries.
  auto table = *FitLookupTable(*train_);
  for (const std::string& key : keys) EXPECT_NE(table->BlockMs(key), nullptr) << key;
  EXPECT_EQ(table->BlockMs("no such block"), nullptr);
  Architecture bad = a;
  bad.clear_blocks();
  EXPECT_FALSE(BlockKeys(bad).ok());
}

TEST_F(LookupTableTest, SeenAndUnseenBlocks) {
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

TEST_F(LookupTableTest, RefusesEndToEndOnlyData) {
  std::vector<MeasuredArch> e2e = *train_;
  for (MeasuredArch& m : e2e) m.layer_ms.clear();
  // The lookup table has nothing to learn from.
  EXPECT_THAT(FitLookupTable(e2e).status().message(),
              HasSubstr("none of the 60 training measurements has per-layer times"));
}

TEST_F(LookupTableTest, RefusesBadTrainingData) {
  EXPECT_THAT(FitLookupTable({}).status().message(), HasSubstr("training set is empty"));

  std::vector<MeasuredArch> bad(train_->begin(), train_->begin() + 5);
  bad[2].latency_ms = std::nan("");
  EXPECT_THAT(FitLookupTable(bad).status().message(),
              HasSubstr("train[2] (arch " + ArchitectureId(bad[2].arch) +
                        "): latency_ms: nan must be finite and > 0"));

  bad = std::vector<MeasuredArch>(train_->begin(), train_->begin() + 5);
  bad[1].layer_ms[3].second = -0.5;
  EXPECT_THAT(FitLookupTable(bad).status().message(), HasSubstr("must be finite and >= 0"));
  bad[1].layer_ms[3].first = "blocks.99.expand";
  EXPECT_THAT(FitLookupTable(bad).status().message(),
              HasSubstr("'blocks.99.expand' is not a layer of this architecture"));
  bad[1].layer_ms.erase(bad[1].layer_ms.begin() + 3);
  EXPECT_THAT(FitLookupTable(bad).status().message(), HasSubstr("has no time for"));
}

}  // namespace
}  // namespace ridge
