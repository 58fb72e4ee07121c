#include "search/tunas.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "latency/hardware_profiles.h"
#include "proto/architecture.h"
#include "search/fine_space.h"
#include "search/fronts.h"
#include "zoo/zoo.h"

namespace ridge::search {
namespace {

nn::Dataset SmallData() {
  nn::DatasetOptions o;
  o.train_images = 256, o.valid_images = 128, o.test_images = 10;
  return *nn::LoadFashionMnist(o);
}

std::vector<SearchTarget> Targets() {
  return {{*ResolveHardware("pixel6_cpu"), 6.0, ABS, 0}, {*ResolveHardware("pixel8_edgetpu"), 0.5, MNAS, 0}};
}

TunasOptions SmallOptions() {
  TunasOptions o;
  o.steps = 8, o.batch_size = 64, o.seed = 3;
  o.deployment_input.set_height(224), o.deployment_input.set_width(224), o.deployment_input.set_channels(3);
  o.deployment_classes = 1000;
  return o;
}

TEST(Tunas, StepsRoundRobinAndUpdatePolicies) {
  nn::Dataset data = SmallData();
  auto s = TunasSearch::Create(*LoadZooSpace("fmnist_uib"), Targets(), data, SmallOptions());
  ASSERT_TRUE(s.ok()) << s.status();
  for (int i = 0; i < 8; ++i) {
    absl::StatusOr<StepReport> r = (*s)->Step();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->policy, i % 2);
    EXPECT_GT(r->latency_ms, 0);
    EXPECT_GE(r->accuracy, 0);
  }
  // The policy learning rate is 0 for the first 25% of steps, then positive.
  bool moved = false;
  for (const auto& logits : (*s)->policies()[0].policy->logits()) {
    for (double v : logits) moved |= v != 0;
  }
  EXPECT_TRUE(moved);
  EXPECT_FALSE((*s)->policies()[0].top.empty());
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

TEST(Tunas, CheckpointRestoresPoliciesWeightsAndStep) {
  nn::Dataset data = SmallData();
  const SearchSpace space = *LoadZooSpace("fmnist_uib");
  auto a = *TunasSearch::Create(space, Targets(), data, SmallOptions());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(a->Step().ok());
  const std::string path = TempPath("search.ckpt");
  ASSERT_TRUE(a->SaveCheckpoint(path).ok());

  auto b = *TunasSearch::Create(space, Targets(), data, SmallOptions());
  absl::Status restored = b->RestoreCheckpoint(path);
  ASSERT_TRUE(restored.ok()) << restored;
  EXPECT_EQ(b->step(), 5);
  for (size_t p = 0; p < a->policies().size(); ++p) {
    EXPECT_EQ(b->policies()[p].policy->logits(), a->policies()[p].policy->logits());
    EXPECT_EQ(b->policies()[p].policy->adam_v(), a->policies()[p].policy->adam_v());
    EXPECT_EQ(b->policies()[p].baseline.value(), a->policies()[p].baseline.value());
    ASSERT_EQ(b->policies()[p].top.size(), a->policies()[p].top.size());
    EXPECT_EQ(b->policies()[p].top[0].arch_id, a->policies()[p].top[0].arch_id);
  }
  const auto& wa = a->supernet().params().params();
  const auto& wb = b->supernet().params().params();
  ASSERT_EQ(wa.size(), wb.size());
  EXPECT_EQ(wa[0]->value, wb[0]->value);
  // The resumed search goes on to the end.
  while (b->step() < SmallOptions().steps) ASSERT_TRUE(b->Step().ok());
}

TEST(Tunas, CheckpointOfAnotherCampaignIsRefusedAndChangesNothing) {
  nn::Dataset data = SmallData();
  const SearchSpace space = *LoadZooSpace("fmnist_uib");
  auto a = *TunasSearch::Create(space, Targets(), data, SmallOptions());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(a->Step().ok());
  const std::string path = TempPath("other.ckpt");
  ASSERT_TRUE(a->SaveCheckpoint(path).ok());

  std::vector<SearchTarget> other = Targets();
  other[1].budget_ms = 0.9;
  auto b = *TunasSearch::Create(space, other, data, SmallOptions());
  const std::vector<float> before = b->supernet().params().params()[0]->value;
  absl::Status s = b->RestoreCheckpoint(path);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("pixel8_edgetpu@0.9"), std::string::npos) << s;
  EXPECT_EQ(b->step(), 0);
  EXPECT_EQ(b->supernet().params().params()[0]->value, before);
}

TEST(Tunas, LatencyIsPricedAtTheDeploymentShape) {
  nn::Dataset data = SmallData();
  auto s = *TunasSearch::Create(*LoadZooSpace("fmnist_uib"), Targets(), data, SmallOptions());
  Architecture ref = *ResolveArchitecture("fmnist_reference");
  EXPECT_EQ(s->AtDeployment(ref).input().height(), 224);
  EXPECT_EQ(s->AtDeployment(ref).num_classes(), 1000);
  const double cpu = *s->LatencyMs(ref, s->policies()[0].target);
  const double tpu = *s->LatencyMs(ref, s->policies()[1].target);
  EXPECT_NEAR(cpu, 8.70, 0.01);  // As `ridge latency predict` gives at 224x224x3.
  EXPECT_LT(tpu, cpu);
}

TEST(Tunas, ReproducibleFromTheSeed) {
  nn::Dataset data = SmallData();
  auto run = [&] {
    auto s = *TunasSearch::Create(*LoadZooSpace("fmnist_uib"), Targets(), data, SmallOptions());
    std::vector<double> rewards;
    for (int i = 0; i < 6; ++i) rewards.push_back(s->Step()->reward);
    return std::make_pair(rewards, s->policies()[1].policy->logits());
  };
  auto a = run(), b = run();
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.second, b.second);
}

// "filters/stride" of every block: what the fine stage must keep.
std::vector<std::string> FiltersAndStrides(const Architecture& a) {
  std::vector<std::string> out;
  for (const Block& b : a.blocks()) {
    if (b.has_uib()) out.push_back(absl::StrCat(b.uib().filters(), "/", b.uib().stride()));
    if (b.has_conv()) out.push_back(absl::StrCat(b.conv().filters(), "/", b.conv().stride()));
  }
  return out;
}

TunasOptions TwoStageOptions() {
  TunasOptions o = SmallOptions();
  o.fine_steps = 6;
  return o;
}

TEST(Tunas, CoarseThenFineFreezesEachPolicysCoarseResult) {
  nn::Dataset data = SmallData();
  auto s = *TunasSearch::Create(*LoadZooSpace("fmnist_uib_coarse"), Targets(), data, TwoStageOptions());
  EXPECT_EQ(s->total_steps(), 14);
  std::vector<Architecture> coarse;
  std::string began;
  while (!s->done()) {
    if (s->step() == 8) {
      for (const PolicyState& p : s->policies()) {
        coarse.push_back(*BuildArchitecture(s->decisions().space(), s->decisions().ToChoice(p.policy->Argmax())));
      }
    }
    absl::StatusOr<StepReport> r = s->Step();
    ASSERT_TRUE(r.ok()) << r.status();
    if (!r->stage_began.empty()) {
      began = r->stage_began;
      EXPECT_EQ(r->step, 8);
      // Each policy starts the fine stage leaning to its coarse result.
      for (size_t i = 0; i < coarse.size(); ++i) {
        const Policy& p = *s->policies()[i].policy;
        EXPECT_EQ(ArchitectureId(*BuildArchitecture(s->decisions().space(), s->decisions().ToChoice(p.Argmax()))),
                  ArchitectureId(coarse[i]));
      }
    }
    EXPECT_EQ(s->stage(), s->step() <= 8 ? COARSE : FINE) << s->step();
  }
  EXPECT_NE(began.find("weight tensors start from the coarse supernet"), std::string::npos) << began;
  EXPECT_EQ(s->decisions().space().name(), "fmnist_uib_coarse_fine");
  ASSERT_EQ(coarse.size(), 2u);
  bool kernels_learned = false;
  for (size_t i = 0; i < coarse.size(); ++i) {
    const PolicyState& p = s->policies()[i];
    ASSERT_TRUE(p.coarse_result.has_value());
    EXPECT_EQ(ArchitectureId(*p.coarse_result), ArchitectureId(coarse[i]));
    const Architecture fine = *BuildArchitecture(s->decisions().space(), s->decisions().ToChoice(p.policy->Argmax()));
    EXPECT_EQ(FiltersAndStrides(fine), FiltersAndStrides(coarse[i]));  // Filters and depth as the coarse stage chose.
    for (size_t d = 0; d < p.policy->frozen().size(); ++d) {
      const Field f = s->decisions().decisions()[d].field;
      const bool kernel = f == Field::kStartDw || f == Field::kMidDw;
      if (!kernel) {
        EXPECT_GE(p.policy->frozen()[d], 0) << s->decisions().decisions()[d].name;
      }
      for (double v : p.policy->logits()[d]) kernels_learned |= kernel && v != 0 && v != 0.5;
    }
  }
  EXPECT_TRUE(kernels_learned);
  EXPECT_EQ(s->Step().status().code(), absl::StatusCode::kFailedPrecondition);
  // The fronts show each policy's coarse result next to its fine argmax.
  absl::StatusOr<std::vector<HardwareFront>> fronts = BuildFronts(s.get(), nn::ProxyOptions{128});
  ASSERT_TRUE(fronts.ok()) << fronts.status();
  bool coarse_candidate = false;
  for (const HardwareFront& f : *fronts) {
    for (const ScoredCandidate& c : f.candidates) coarse_candidate |= c.origin == "coarse_argmax";
  }
  EXPECT_TRUE(coarse_candidate);
}

TEST(Tunas, FineStageCheckpointResumesInTheFineStage) {
  nn::Dataset data = SmallData();
  const SearchSpace coarse = *LoadZooSpace("fmnist_uib_coarse");
  auto a = *TunasSearch::Create(coarse, Targets(), data, TwoStageOptions());
  for (int i = 0; i < 11; ++i) ASSERT_TRUE(a->Step().ok());
  const std::string path = TempPath("fine.ckpt");
  ASSERT_TRUE(a->SaveCheckpoint(path).ok());

  auto b = *TunasSearch::Create(coarse, Targets(), data, TwoStageOptions());
  absl::Status restored = b->RestoreCheckpoint(path);
  ASSERT_TRUE(restored.ok()) << restored;
  EXPECT_EQ(b->stage(), FINE);
  EXPECT_EQ(b->step(), 11);
  EXPECT_EQ(b->decisions().space().SerializeAsString(), a->decisions().space().SerializeAsString());
  for (size_t p = 0; p < a->policies().size(); ++p) {
    EXPECT_EQ(b->policies()[p].policy->frozen(), a->policies()[p].policy->frozen());
    EXPECT_EQ(b->policies()[p].policy->logits(), a->policies()[p].policy->logits());
    EXPECT_EQ(ArchitectureId(*b->policies()[p].coarse_result), ArchitectureId(*a->policies()[p].coarse_result));
  }
  EXPECT_EQ(b->supernet().params().params().back()->value, a->supernet().params().params().back()->value);
  while (!b->done()) ASSERT_TRUE(b->Step().ok());

  // A one-stage search has no fine stage to resume into.
  auto one = *TunasSearch::Create(coarse, Targets(), data, SmallOptions());
  absl::Status refused = one->RestoreCheckpoint(path);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("is of stage FINE"), std::string::npos) << refused;
  EXPECT_EQ(one->step(), 0);
}

TEST(Tunas, TheFineStageAlone) {
  nn::Dataset data = SmallData();
  const SearchSpace coarse = *LoadZooSpace("fmnist_uib_coarse");
  const SpaceChoice from = *MatchArchitecture(coarse, *ResolveArchitecture("fmnist_ib_reference"));
  TunasOptions o = SmallOptions();
  o.first_stage = FINE;
  auto s = TunasSearch::Create(DeriveFineSpace(coarse, {from})->space, Targets(), data, o);
  ASSERT_TRUE(s.ok()) << s.status();
  while (!(*s)->done()) {
    ASSERT_TRUE((*s)->Step().ok());
    EXPECT_EQ((*s)->stage(), FINE);
  }
  EXPECT_EQ((*s)->step(), 8);
  o.fine_steps = 4;  // A fine stage after a fine stage is refused.
  EXPECT_EQ(TunasSearch::Create(coarse, Targets(), data, o).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Fronts, OnePerHardwareWithNonDominatedPoints) {
  nn::Dataset data = SmallData();
  auto s = *TunasSearch::Create(*LoadZooSpace("fmnist_uib"), Targets(), data, SmallOptions());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(s->Step().ok());
  absl::StatusOr<std::vector<HardwareFront>> fronts = BuildFronts(s.get(), nn::ProxyOptions{128});
  ASSERT_TRUE(fronts.ok()) << fronts.status();
  ASSERT_EQ(fronts->size(), 2u);
  EXPECT_EQ((*fronts)[0].hardware, "pixel6_cpu");
  EXPECT_EQ((*fronts)[0].ref_latency_ms, 12.0);
  for (const HardwareFront& f : *fronts) {
    bool reference = false;
    for (const ScoredCandidate& c : f.candidates) {
      reference |= c.origin == "reference";
      // No candidate on the front is dominated by another candidate.
      if (!c.on_front) continue;
      for (const ScoredCandidate& o : f.candidates) {
        EXPECT_FALSE(o.accuracy > c.accuracy && o.latency_ms <= c.latency_ms) << c.arch_id;
      }
    }
    EXPECT_TRUE(reference);
  }
}

TEST(Fronts, FineTunedScoringLeavesTheSupernetAsItWas) {
  nn::Dataset data = SmallData();
  auto s = *TunasSearch::Create(*LoadZooSpace("fmnist_uib"), Targets(), data, SmallOptions());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(s->Step().ok());
  const auto plain = BuildFronts(s.get(), nn::ProxyOptions{128});
  nn::ProxyOptions tuned{128};
  tuned.finetune_steps = 3;  // A copy of each candidate trains; the shared weights do not.
  const auto fine = BuildFronts(s.get(), tuned);
  ASSERT_TRUE(plain.ok() && fine.ok()) << plain.status() << fine.status();
  bool changed = false;
  for (size_t h = 0; h < plain->size(); ++h) {
    ASSERT_EQ((*plain)[h].candidates.size(), (*fine)[h].candidates.size());
    for (const ScoredCandidate& c : (*fine)[h].candidates) {
      EXPECT_GE(c.accuracy, 0);
      EXPECT_LE(c.accuracy, 1);
    }
    for (size_t i = 0; i < (*plain)[h].candidates.size(); ++i) {
      changed |= (*plain)[h].candidates[i].accuracy != (*fine)[h].candidates[i].accuracy;
    }
  }
  EXPECT_TRUE(changed);  // Fine-tuning moved some score.
  // Scoring without fine-tuning again gives the first scores: the supernet is unchanged.
  const auto again = BuildFronts(s.get(), nn::ProxyOptions{128});
  ASSERT_TRUE(again.ok());
  for (size_t h = 0; h < plain->size(); ++h) {
    for (size_t i = 0; i < (*plain)[h].candidates.size(); ++i) {
      EXPECT_EQ((*plain)[h].candidates[i].accuracy, (*again)[h].candidates[i].accuracy);
    }
  }
}

TEST(Tunas, BadOptionsAreRefused) {
  nn::Dataset data = SmallData();
  TunasOptions o = SmallOptions();
  o.batch_size = 1000;
  EXPECT_EQ(TunasSearch::Create(*LoadZooSpace("fmnist_uib"), Targets(), data, o).status().message(),
            "batch_size: 1000 exceeds the train or valid images");
  EXPECT_FALSE(TunasSearch::Create(*LoadZooSpace("fmnist_uib"), {}, data, SmallOptions()).ok());
}

}  // namespace
}  // namespace ridge::search
