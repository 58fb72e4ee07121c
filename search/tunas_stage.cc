// TunasSearch's stages: building one, entering it, and deriving the fine
// stage from the coarse one (docs/design.md §5, coarse then fine).
#include "search/tunas_stage.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "proto/architecture.h"
#include "search/fine_space.h"

namespace ridge::search {
namespace {

// The fine stage's initial logit of each policy's coarse kernel choice (the
// others start at 0): with three choices, probability 0.45 against 0.27 each.
constexpr double kCoarseLean = 0.5;

// Which decisions a policy's fine stage searches: the DW kernels (and the
// expansion if the rule lists choices) of the slots where its coarse result
// chose a UIB; it keeps everything else as the coarse stage chose.
std::vector<int> FrozenForFine(const DecisionSpace& fine, const SpaceChoice& choice, const Sample& sample,
                               const FineRule& rule) {
  std::vector<int> frozen(sample.begin(), sample.end());
  for (size_t d = 0; d < frozen.size(); ++d) {
    const Decision& decision = fine.decisions()[d];
    const bool kernel = decision.field == Field::kStartDw || decision.field == Field::kMidDw ||
                        (decision.field == Field::kExpansion && !rule.expansion().empty());
    if (!kernel || decision.slot < 0) continue;
    const SlotChoice& slot = choice.stages[decision.stage].slots[decision.slot];
    if (!slot.skip && slot.kind == UIB) frozen[d] = -1;
  }
  return frozen;
}

// The coarse supernet's name of a fine supernet parameter: fine slots are
// renumbered where slots were dropped.
std::string CoarseName(const FineSpace& fine, const std::string& name) {
  int stage = 0, slot = 0, prefix = 0;
  if (std::sscanf(name.c_str(), "stages.%d.slots.%d.%n", &stage, &slot, &prefix) != 2 || prefix == 0 ||
      stage >= static_cast<int>(fine.coarse_slot.size()) ||
      slot >= static_cast<int>(fine.coarse_slot[stage].size())) {
    return name;  // Stem and head are named alike in both.
  }
  return absl::StrCat("stages.", stage, ".slots.", fine.coarse_slot[stage][slot], ".", name.substr(prefix));
}

}  // namespace

absl::StatusOr<TunasSearch::Stage> TunasSearch::BuildStage(CampaignState which, const SearchSpace& space,
                                                           const std::vector<std::vector<int>>& frozen) const {
  Stage stage;
  stage.which = which;
  stage.decisions = std::make_unique<DecisionSpace>(space);
  // The fine supernet's new ops start from another stream than the coarse ones.
  const uint32_t seed = static_cast<uint32_t>(options_.seed) + (which == options_.first_stage ? 0 : 1);
  ASSIGN_OR_RETURN(stage.supernet, nn::Supernet::Create(space, seed));
  stage.optimizer = std::make_unique<nn::Optimizer>(&stage.supernet->params(), options_.optimizer);
  const std::vector<Decision>& decisions = stage.decisions->decisions();
  for (size_t i = 0; i < policies_.size(); ++i) {
    auto policy = std::make_unique<Policy>(*stage.decisions);
    if (!frozen.empty()) {
      if (frozen[i].size() != decisions.size()) {
        return absl::InvalidArgumentError(absl::StrCat("policy ", i, ": ", frozen[i].size(),
                                                       " frozen values for ", decisions.size(), " decisions"));
      }
      for (size_t d = 0; d < decisions.size(); ++d) {
        if (frozen[i][d] < -1 || frozen[i][d] >= decisions[d].num_choices) {
          return absl::InvalidArgumentError(absl::StrCat("policy ", i, ": frozen value ", frozen[i][d], " of ",
                                                         decisions[d].name, " is not in [-1, ",
                                                         decisions[d].num_choices, ")"));
        }
      }
      policy->Freeze(frozen[i]);
    }
    stage.policies.push_back(std::move(policy));
  }
  return stage;
}

void TunasSearch::Enter(Stage stage) {
  stage_ = stage.which;
  steps_before_stage_ = stage_ == options_.first_stage ? 0 : options_.steps;
  stage_step_ = 0;
  decisions_ = std::move(stage.decisions);
  supernet_ = std::move(stage.supernet);
  optimizer_ = std::move(stage.optimizer);
  for (size_t i = 0; i < policies_.size(); ++i) {
    PolicyState& p = policies_[i];
    p.policy = std::move(stage.policies[i]);
    p.baseline = RewardBaseline(options_.baseline_momentum);
    p.top.clear();
    p.last_reward = p.last_accuracy = p.last_latency_ms = 0;
  }
}

absl::Status TunasSearch::BeginFineStage(std::string* began) {
  std::vector<SpaceChoice> results;
  std::vector<Architecture> coarse;
  for (const PolicyState& p : policies_) {
    results.push_back(decisions_->ToChoice(p.policy->Argmax()));
    ASSIGN_OR_RETURN(Architecture arch, BuildArchitecture(decisions_->space(), results.back()));
    coarse.push_back(std::move(arch));
  }
  ASSIGN_OR_RETURN(FineSpace fine, DeriveFineSpace(decisions_->space(), results, options_.fine_rule));
  const DecisionSpace fine_decisions(fine.space);
  std::vector<Sample> samples;
  std::vector<std::vector<int>> frozen;
  for (const SpaceChoice& r : results) {
    const SpaceChoice choice = ToFineChoice(fine, r);
    ASSIGN_OR_RETURN(Sample sample, WithContext(fine_decisions.FromChoice(choice), "entering the fine stage"));
    frozen.push_back(FrozenForFine(fine_decisions, choice, sample, options_.fine_rule));
    samples.push_back(std::move(sample));
  }
  ASSIGN_OR_RETURN(Stage stage, BuildStage(FINE, fine.space, frozen));
  // Each policy starts out leaning to its coarse kernels, so its argmax is
  // the coarse result until rewards say otherwise: a short fine stage, where
  // each of six policies gets a sixth of the steps, cannot then end on an
  // arbitrary tie-broken argmax. The lean is small next to what rewards move
  // (Adam moves a logit by about the policy learning rate per update).
  for (size_t i = 0; i < policies_.size(); ++i) {
    for (size_t d = 0; d < samples[i].size(); ++d) {
      if (frozen[i][d] < 0) stage.policies[i]->logits()[d][samples[i][d]] = kCoarseLean;
    }
  }
  const int copied = stage.supernet->CopyWeightsFrom(
      *supernet_, [&fine](const std::string& name) { return CoarseName(fine, name); });
  const size_t tensors = stage.supernet->params().params().size();
  const size_t decisions = stage.decisions->decisions().size();
  Enter(std::move(stage));
  for (size_t i = 0; i < policies_.size(); ++i) policies_[i].coarse_result = std::move(coarse[i]);
  StartBatches();
  *began = absl::StrCat("fine stage: one supernet over the ", policies_.size(), " policies' coarse argmaxes (",
                        decisions, " decisions; each policy searches the DW kernels of its own); ", copied, " of ",
                        tensors, " weight tensors start from the coarse supernet");
  return absl::OkStatus();
}

void TunasSearch::StartBatches() {
  train_batches_.reset();  // Join the old producers before starting new ones.
  valid_batches_.reset();
  const uint64_t seed = step() == 0 ? options_.seed
                                    : options_.seed + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(step() + 1);
  train_batches_ = std::make_unique<nn::Batcher>(data_.train,
                                                 nn::BatcherOptions{options_.batch_size, options_.augment, seed});
  valid_batches_ = std::make_unique<nn::Batcher>(data_.valid, nn::BatcherOptions{options_.batch_size, false, seed + 1});
}

}  // namespace ridge::search
