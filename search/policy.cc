#include "search/policy.h"

#include <algorithm>
#include <cmath>

namespace ridge::search {
namespace {

std::vector<double> Softmax(const std::vector<double>& z) {
  const double mx = *std::max_element(z.begin(), z.end());
  std::vector<double> p(z.size());
  double sum = 0;
  for (size_t i = 0; i < z.size(); ++i) sum += p[i] = std::exp(z[i] - mx);
  for (double& v : p) v /= sum;
  return p;
}

}  // namespace

Policy::Policy(const DecisionSpace& decisions, AdamOptions adam) : decisions_(decisions), adam_(adam) {
  for (const Decision& d : decisions.decisions()) {
    logits_.emplace_back(d.num_choices, 0.0);
    m_.emplace_back(d.num_choices, 0.0);
    v_.emplace_back(d.num_choices, 0.0);
  }
  frozen_.assign(logits_.size(), -1);
}

void Policy::Freeze(std::vector<int> values) { frozen_ = std::move(values); }

Sample Policy::Pin(Sample sample) const {
  for (size_t d = 0; d < sample.size(); ++d) {
    if (frozen_[d] >= 0) sample[d] = frozen_[d];
  }
  return sample;
}

std::vector<double> Policy::Probabilities(int decision) const { return Softmax(logits_[decision]); }

Sample Policy::Draw(std::mt19937_64& rng) const {
  Sample s(logits_.size());
  for (size_t d = 0; d < logits_.size(); ++d) {
    const std::vector<double> p = Softmax(logits_[d]);
    std::discrete_distribution<int> dist(p.begin(), p.end());
    s[d] = dist(rng);
  }
  return Pin(std::move(s));
}

Sample Policy::Argmax() const {
  Sample s(logits_.size());
  for (size_t d = 0; d < logits_.size(); ++d) {
    s[d] = static_cast<int>(std::max_element(logits_[d].begin(), logits_[d].end()) - logits_[d].begin());
  }
  return Pin(std::move(s));
}

double Policy::LogProb(const Sample& sample, const std::vector<bool>& active) const {
  double total = 0;
  for (size_t d = 0; d < logits_.size(); ++d) {
    if (!active[d] || frozen_[d] >= 0) continue;
    total += std::log(Softmax(logits_[d])[sample[d]]);
  }
  return total;
}

double Policy::Entropy(const std::vector<bool>& active) const {
  double total = 0;
  for (size_t d = 0; d < logits_.size(); ++d) {
    if (!active[d] || frozen_[d] >= 0) continue;
    for (double p : Softmax(logits_[d])) {
      if (p > 0) total -= p * std::log(p);
    }
  }
  return total;
}

void Policy::Update(const Sample& sample, const std::vector<bool>& active, double advantage, double lr) {
  ++t_;
  const double correction = 1.0 - std::pow(adam_.beta2, static_cast<double>(t_));
  const double m_correction = adam_.beta1 > 0 ? 1.0 - std::pow(adam_.beta1, static_cast<double>(t_)) : 1.0;
  for (size_t d = 0; d < logits_.size(); ++d) {
    const std::vector<double> p = Softmax(logits_[d]);
    for (size_t k = 0; k < p.size(); ++k) {
      // d/dz of -advantage * log softmax(z)[a] = -advantage * (onehot - p).
      const bool learns = active[d] && frozen_[d] < 0;
      const double g = learns ? -advantage * ((static_cast<int>(k) == sample[d] ? 1.0 : 0.0) - p[k]) : 0.0;
      m_[d][k] = adam_.beta1 * m_[d][k] + (1 - adam_.beta1) * g;
      v_[d][k] = adam_.beta2 * v_[d][k] + (1 - adam_.beta2) * g * g;
      if (lr > 0) {
        logits_[d][k] -= lr * (m_[d][k] / m_correction) / (std::sqrt(v_[d][k] / correction) + adam_.epsilon);
      }
    }
  }
}

double RewardBaseline::Advantage(double reward) {
  if (!initialized_) {
    value_ = reward;
    initialized_ = true;
  }
  const double advantage = reward - value_;
  value_ = momentum_ * value_ + (1 - momentum_) * reward;
  return advantage;
}

}  // namespace ridge::search
