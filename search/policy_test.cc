#include "search/policy.h"

#include <cmath>

#include "gtest/gtest.h"
#include "search/rewards.h"
#include "zoo/zoo.h"

namespace ridge::search {
namespace {

TEST(Policy, StartsUniform) {
  DecisionSpace ds(*LoadZooSpace("fmnist_uib"));
  Policy p(ds);
  for (double v : p.Probabilities(0)) EXPECT_NEAR(v, 1.0 / 3, 1e-12);
  Sample s(ds.decisions().size(), 0);
  std::vector<bool> all(ds.decisions().size(), true);
  double want = 0;
  for (const Decision& d : ds.decisions()) want += std::log(1.0 / d.num_choices);
  EXPECT_NEAR(p.LogProb(s, all), want, 1e-9);
}

TEST(Policy, LogProbAndUpdatesCountOnlyActiveDecisions) {
  DecisionSpace ds(*LoadZooSpace("fmnist_uib"));
  Policy p(ds);
  Sample s(ds.decisions().size(), 1);
  std::vector<bool> active(ds.decisions().size(), true);
  active[2] = false;
  const double lp_all = p.LogProb(s, std::vector<bool>(ds.decisions().size(), true));
  EXPECT_NEAR(p.LogProb(s, active), lp_all - std::log(1.0 / 3), 1e-9);
  p.Update(s, active, 1.0, 0.1);
  EXPECT_EQ(p.logits()[2], (std::vector<double>{0, 0, 0}));  // Inactive: untouched.
  EXPECT_GT(p.logits()[1][1], 0);  // Rewarded choice became likelier.
  EXPECT_LT(p.logits()[1][0], 0);
}

// A toy problem with a known optimum: reward 1 for each decision that picks
// its target index, REINFORCE with the moving-average baseline must converge
// to the target for every decision.
TEST(Policy, ReinforceConvergesOnAToyProblem) {
  DecisionSpace ds(*LoadZooSpace("fmnist_uib"));
  Policy p(ds);
  RewardBaseline baseline;
  std::mt19937_64 rng(17);
  Sample target(ds.decisions().size());
  for (size_t d = 0; d < target.size(); ++d) target[d] = ds.decisions()[d].num_choices - 1;
  const std::vector<bool> all(ds.decisions().size(), true);
  for (int step = 0; step < 3000; ++step) {
    Sample s = p.Draw(rng);
    double reward = 0;
    for (size_t d = 0; d < s.size(); ++d) reward += s[d] == target[d] ? 1.0 / s.size() : 0.0;
    p.Update(s, all, baseline.Advantage(reward), 0.05);
  }
  EXPECT_EQ(p.Argmax(), target);
  for (size_t d = 0; d < target.size(); ++d) EXPECT_GT(p.Probabilities(d)[target[d]], 0.9) << ds.decisions()[d].name;
}

// The fine stage freezes a policy's coarse result: frozen decisions always
// take their value, count in no log-probability and never learn.
TEST(Policy, FrozenDecisionsKeepTheirValueAndDoNotLearn) {
  DecisionSpace ds(*LoadZooSpace("fmnist_uib"));
  Policy p(ds);
  const size_t n = ds.decisions().size();
  std::vector<int> frozen(n, -1);
  frozen[0] = 2, frozen[1] = 0;
  p.Freeze(frozen);
  std::mt19937_64 rng(3);
  const std::vector<bool> all(n, true);
  for (int i = 0; i < 50; ++i) {
    Sample s = p.Draw(rng);
    EXPECT_EQ(s[0], 2);
    EXPECT_EQ(s[1], 0);
    s[1] = 1;  // Rewarding another value of a frozen decision changes nothing.
    p.Update(s, all, 1.0, 0.1);
  }
  EXPECT_EQ(p.logits()[0], (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(p.logits()[1], (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(p.Argmax()[0], 2);
  EXPECT_EQ(p.Pin(Sample(n, 1))[1], 0);
  std::vector<bool> without_frozen = all;
  without_frozen[0] = without_frozen[1] = false;
  EXPECT_NEAR(Policy(ds).LogProb(Sample(n, 0), without_frozen), [&] {
    Policy q(ds);
    q.Freeze(frozen);
    return q.LogProb(Sample(n, 0), all);
  }(), 1e-12);
}

TEST(Policy, DrawsAreReproducibleFromTheSeed) {
  DecisionSpace ds(*LoadZooSpace("fmnist_uib"));
  Policy p(ds);
  std::mt19937_64 a(5), b(5), c(6);
  Sample sa = p.Draw(a), sb = p.Draw(b), sc = p.Draw(c);
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
}

TEST(RewardBaseline, MovingAverage) {
  RewardBaseline b(0.95);
  EXPECT_EQ(b.Advantage(1.0), 0.0);  // The first reward initialises it.
  EXPECT_NEAR(b.Advantage(2.0), 1.0, 1e-12);
  EXPECT_NEAR(b.value(), 0.95 * 1.0 + 0.05 * 2.0, 1e-12);
}

}  // namespace
}  // namespace ridge::search
