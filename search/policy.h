// The TuNAS controller's policy: one independent categorical distribution per
// decision, logits initialised to 0, trained by REINFORCE with Adam
// (beta1 = 0, beta2 = 0.999, as in the TuNAS release). Log-probabilities and
// entropy count only the decisions on the sample's active path.
#ifndef RIDGE_SEARCH_POLICY_H_
#define RIDGE_SEARCH_POLICY_H_

#include <random>
#include <vector>

#include "search/decisions.h"

namespace ridge::search {

struct AdamOptions {
  double beta1 = 0.0;
  double beta2 = 0.999;
  double epsilon = 1e-8;
};

class Policy {
 public:
  // REQUIRES: `decisions` outlives the policy.
  explicit Policy(const DecisionSpace& decisions, AdamOptions adam = {});

  Sample Draw(std::mt19937_64& rng) const;
  // The most likely value of every decision (ties go to the first).
  Sample Argmax() const;

  // Fixes decisions for good: values[d] >= 0 fixes decision d to that index
  // (the fine stage freezes a policy's coarse result). Draw, Argmax and Pin
  // give fixed decisions their value; LogProb, Entropy and Update leave them
  // out. REQUIRES: one value per decision, each -1 or a valid index.
  void Freeze(std::vector<int> values);
  // -1 for each free decision, else its fixed index.
  const std::vector<int>& frozen() const { return frozen_; }
  // `sample` with the fixed decisions set to their values.
  Sample Pin(Sample sample) const;
  std::vector<double> Probabilities(int decision) const;
  // log pi(sample), summed over the active decisions only.
  double LogProb(const Sample& sample, const std::vector<bool>& active) const;
  // Entropy summed over the active decisions of `sample`.
  double Entropy(const std::vector<bool>& active) const;

  // One REINFORCE step on -(advantage) * log pi(sample) with Adam at `lr`:
  // the gradient w.r.t. a decision's logits is -advantage * (onehot - p) on
  // active decisions and 0 elsewhere. A zero `lr` only counts the step.
  void Update(const Sample& sample, const std::vector<bool>& active, double advantage, double lr);

  // Logits and Adam state, for checkpoints.
  std::vector<std::vector<double>>& logits() { return logits_; }
  std::vector<std::vector<double>>& adam_m() { return m_; }
  std::vector<std::vector<double>>& adam_v() { return v_; }
  int64_t& adam_steps() { return t_; }

 private:
  const DecisionSpace& decisions_;
  AdamOptions adam_;
  std::vector<std::vector<double>> logits_, m_, v_;
  std::vector<int> frozen_;
  int64_t t_ = 0;
};

// An exponential moving average of rewards (TuNAS: momentum 0.95); the first
// reward initialises it.
class RewardBaseline {
 public:
  explicit RewardBaseline(double momentum = 0.95) : momentum_(momentum) {}
  // Returns the advantage reward - baseline (before the update), then updates.
  double Advantage(double reward);
  double value() const { return value_; }
  bool initialized() const { return initialized_; }
  void Restore(double value, bool initialized) { value_ = value, initialized_ = initialized; }

 private:
  double momentum_, value_ = 0;
  bool initialized_ = false;
};

}  // namespace ridge::search

#endif  // RIDGE_SEARCH_POLICY_H_
