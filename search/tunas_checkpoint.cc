// Search checkpoints: the supernet's weights and optimizer state go through
// nn::WriteCheckpoint (atomic, checksummed); the search's own state travels
// in the header's options field as a serialized SearchState, so one file
// holds everything and one rename publishes it.
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "proto/search_state.pb.h"
#include "search/tunas.h"
#include "supernet/checkpoint.h"

namespace ridge::search {
namespace {

constexpr char kKind[] = "search";

std::string TargetKey(const SearchTarget& t) { return absl::StrCat(t.profile.name(), "@", t.budget_ms); }

void ToProto(const std::vector<std::vector<double>>& in, google::protobuf::RepeatedPtrField<DoubleVector>* out) {
  for (const std::vector<double>& v : in) out->Add()->mutable_values()->Add(v.begin(), v.end());
}

// Copies `in` into `out` if every vector has the size `out` already has.
bool FromProto(const google::protobuf::RepeatedPtrField<DoubleVector>& in, std::vector<std::vector<double>>* out) {
  if (in.size() != static_cast<int>(out->size())) return false;
  for (int d = 0; d < in.size(); ++d) {
    if (in[d].values_size() != static_cast<int>((*out)[d].size())) return false;
  }
  for (int d = 0; d < in.size(); ++d) (*out)[d].assign(in[d].values().begin(), in[d].values().end());
  return true;
}

}  // namespace

absl::Status TunasSearch::SaveCheckpoint(const std::string& path) {
  SearchState state;
  state.set_step(step_);
  std::ostringstream rng;
  rng << rng_;
  state.set_rng(rng.str());
  for (PolicyState& p : policies_) {
    PolicySnapshot* s = state.add_policies();
    ToProto(p.policy->logits(), s->mutable_logits());
    ToProto(p.policy->adam_m(), s->mutable_adam_m());
    ToProto(p.policy->adam_v(), s->mutable_adam_v());
    s->set_adam_steps(p.policy->adam_steps());
    s->set_baseline(p.baseline.value());
    s->set_baseline_initialized(p.baseline.initialized());
    s->set_last_reward(p.last_reward);
    s->set_last_accuracy(p.last_accuracy);
    s->set_last_latency_ms(p.last_latency_ms);
    s->set_target(TargetKey(p.target));
    for (const TopSample& t : p.top) {
      TopSampleState* ts = s->add_top();
      ts->set_reward(t.reward);
      ts->mutable_sample()->Add(t.sample.begin(), t.sample.end());
      ts->set_arch_id(t.arch_id);
    }
  }
  nn::CheckpointHeader header;
  header.kind = kKind;
  header.spec = decisions_.space().SerializeAsString();
  header.options = state.SerializeAsString();
  header.step = step_;
  return nn::WriteCheckpoint(path, header, supernet_->params(), optimizer_.get());
}

absl::Status TunasSearch::RestoreCheckpoint(const std::string& path) {
  // Check everything that can be checked before changing anything.
  ASSIGN_OR_RETURN(nn::CheckpointHeader header, nn::ReadCheckpointHeader(path));
  if (header.kind != kKind) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": kind '", header.kind, "' is not a search checkpoint"));
  }
  if (header.spec != decisions_.space().SerializeAsString()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": was written for another search space"));
  }
  SearchState state;
  if (!state.ParseFromString(header.options)) {
    return absl::DataLossError(absl::StrCat(path, ": search state does not parse"));
  }
  if (state.policies_size() != static_cast<int>(policies_.size())) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": has ", state.policies_size(), " policies, the search has ",
                                                   policies_.size()));
  }
  if (state.step() < 0 || state.step() > options_.steps) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": step ", state.step(), " is outside [0, ",
                                                   options_.steps, "]"));
  }
  const int num_decisions = static_cast<int>(decisions_.decisions().size());
  std::vector<Policy> policies;
  for (size_t i = 0; i < policies_.size(); ++i) {
    const PolicySnapshot& s = state.policies(static_cast<int>(i));
    if (s.target() != TargetKey(policies_[i].target)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": policy ", i, " is for ", s.target(), ", the search's is ",
                                                     TargetKey(policies_[i].target)));
    }
    Policy p(decisions_);
    if (!FromProto(s.logits(), &p.logits()) || !FromProto(s.adam_m(), &p.adam_m()) ||
        !FromProto(s.adam_v(), &p.adam_v())) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": policy ", i, " does not fit the decisions"));
    }
    p.adam_steps() = s.adam_steps();
    for (const TopSampleState& t : s.top()) {
      if (t.sample_size() != num_decisions) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": policy ", i, " has a top sample of ",
                                                       t.sample_size(), " decisions, not ", num_decisions));
      }
    }
    policies.push_back(std::move(p));
  }
  std::mt19937_64 rng;
  std::istringstream rng_text(state.rng());
  rng_text >> rng;
  if (rng_text.fail()) return absl::DataLossError(absl::StrCat(path, ": RNG state does not parse"));

  // Weights and optimizer state are checked whole before any is applied.
  RETURN_IF_ERROR(nn::ReadCheckpoint(path, &supernet_->params(), optimizer_.get()).status());
  for (size_t i = 0; i < policies_.size(); ++i) {
    const PolicySnapshot& s = state.policies(static_cast<int>(i));
    PolicyState& p = policies_[i];
    p.policy->logits() = policies[i].logits();
    p.policy->adam_m() = policies[i].adam_m();
    p.policy->adam_v() = policies[i].adam_v();
    p.policy->adam_steps() = policies[i].adam_steps();
    p.baseline.Restore(s.baseline(), s.baseline_initialized());
    p.last_reward = s.last_reward(), p.last_accuracy = s.last_accuracy(), p.last_latency_ms = s.last_latency_ms();
    p.top.clear();
    for (const TopSampleState& t : s.top()) {
      TopSample top;
      top.reward = t.reward();
      top.sample.assign(t.sample().begin(), t.sample().end());
      top.arch_id = t.arch_id();
      p.top.push_back(std::move(top));
    }
  }
  rng_ = rng;
  step_ = state.step();
  // A fresh batch stream per resumed step, so a resumed run does not replay
  // the first batches of the run it continues.
  StartBatches(options_.seed + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(step_ + 1));
  return absl::OkStatus();
}

}  // namespace ridge::search
