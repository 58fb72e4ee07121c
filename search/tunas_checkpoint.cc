// Search checkpoints: the supernet's weights and optimizer state go through
// nn::WriteCheckpoint (atomic, checksummed); the search's own state travels
// in the header's options field as a serialized SearchState, so one file
// holds everything and one rename publishes it.
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "proto/search_state.pb.h"
#include "proto/space.h"
#include "search/tunas_stage.h"
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
  state.set_step(step());
  state.set_stage(stage_);
  state.set_fingerprint(options_.fingerprint);
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
    if (stage_ != options_.first_stage) {
      s->mutable_frozen()->Add(p.policy->frozen().begin(), p.policy->frozen().end());
      if (p.coarse_result.has_value()) *s->mutable_coarse_result() = *p.coarse_result;
    }
  }
  nn::CheckpointHeader header;
  header.kind = kKind;
  header.spec = decisions_->space().SerializeAsString();
  header.options = state.SerializeAsString();
  header.step = step();
  return nn::WriteCheckpoint(path, header, supernet_->params(), optimizer_.get());
}

namespace {

// The stage a checkpoint was written in, and that stage's space: the first
// space, or the fine space the header keeps (it was derived from the coarse
// results). Refuses a checkpoint of another space or of a stage this search
// does not have.
absl::StatusOr<CampaignState> StageOfCheckpoint(const std::string& path, const nn::CheckpointHeader& header,
                                                const SearchState& state, const TunasOptions& options,
                                                SearchSpace* space) {
  // Checkpoints from before stages were kept say nothing: the first stage.
  const CampaignState which = state.stage() == CAMPAIGN_STATE_UNSPECIFIED ? options.first_stage : state.stage();
  if (which == options.first_stage) {
    if (header.spec != space->SerializeAsString()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": was written for another search space"));
    }
    return which;
  }
  if (which != FINE || options.fine_steps == 0 || !space->ParseFromString(header.spec)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is of stage ", CampaignState_Name(which),
                                                   ", which this search does not have"));
  }
  RETURN_IF_ERROR(WithContext(ValidateSpaceStructure(*space, "fine_space"), path));
  return which;
}

// Copies each policy's logits and Adam state into `policies` (the stage
// being built), after checking that it is the same target's and fits.
absl::Status LoadPolicies(const std::string& path, const SearchState& state, const std::vector<PolicyState>& targets,
                          int num_decisions, std::vector<std::unique_ptr<Policy>>* policies) {
  for (size_t i = 0; i < targets.size(); ++i) {
    const PolicySnapshot& s = state.policies(static_cast<int>(i));
    if (s.target() != TargetKey(targets[i].target)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": policy ", i, " is for ", s.target(),
                                                     ", the search's is ", TargetKey(targets[i].target)));
    }
    Policy& p = *(*policies)[i];
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
  }
  return absl::OkStatus();
}

absl::StatusOr<std::mt19937_64> ReadRng(const std::string& path, const SearchState& state) {
  std::mt19937_64 rng;
  std::istringstream rng_text(state.rng());
  rng_text >> rng;
  if (rng_text.fail()) return absl::DataLossError(absl::StrCat(path, ": RNG state does not parse"));
  return rng;
}

// A policy's baseline, last step and top samples, as the snapshot has them.
void ApplySnapshot(const PolicySnapshot& s, PolicyState* p) {
  p->baseline.Restore(s.baseline(), s.baseline_initialized());
  p->last_reward = s.last_reward(), p->last_accuracy = s.last_accuracy(), p->last_latency_ms = s.last_latency_ms();
  for (const TopSampleState& t : s.top()) {
    TopSample top;
    top.reward = t.reward();
    top.sample.assign(t.sample().begin(), t.sample().end());
    top.arch_id = t.arch_id();
    p->top.push_back(std::move(top));
  }
  p->coarse_result.reset();
  if (s.has_coarse_result()) p->coarse_result = s.coarse_result();
}

}  // namespace

absl::Status TunasSearch::RestoreCheckpoint(const std::string& path) {
  // Check everything that can be checked, and build the checkpoint's stage
  // aside, before changing anything.
  ASSIGN_OR_RETURN(nn::CheckpointHeader header, nn::ReadCheckpointHeader(path));
  if (header.kind != kKind) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": kind '", header.kind, "' is not a search checkpoint"));
  }
  SearchState state;
  if (!state.ParseFromString(header.options)) {
    return absl::DataLossError(absl::StrCat(path, ": search state does not parse"));
  }
  // Checkpoints older than fingerprints carry none and are taken on trust.
  if (!options_.fingerprint.empty() && !state.fingerprint().empty() && state.fingerprint() != options_.fingerprint) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": was written by another campaign (another spec, seed, "
                                                   "schedule or mode); delete it, or write this one elsewhere"));
  }
  SearchSpace space = first_space_;
  ASSIGN_OR_RETURN(const CampaignState which, StageOfCheckpoint(path, header, state, options_, &space));
  if (state.policies_size() != static_cast<int>(policies_.size())) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": has ", state.policies_size(), " policies, the search has ",
                                                   policies_.size()));
  }
  const int64_t first = which == options_.first_stage ? 0 : options_.steps;
  const int64_t last = which == options_.first_stage ? options_.steps : total_steps();
  if (state.step() < first || state.step() > last) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": step ", state.step(), " is outside [", first, ", ", last,
                                                   "], the steps of stage ", CampaignState_Name(which)));
  }
  std::vector<std::vector<int>> frozen;
  if (which != options_.first_stage) {
    for (const PolicySnapshot& s : state.policies()) frozen.emplace_back(s.frozen().begin(), s.frozen().end());
  }
  ASSIGN_OR_RETURN(Stage stage, WithContext(BuildStage(which, space, frozen), path));
  RETURN_IF_ERROR(LoadPolicies(path, state, policies_, static_cast<int>(stage.decisions->decisions().size()),
                               &stage.policies));
  ASSIGN_OR_RETURN(std::mt19937_64 rng, ReadRng(path, state));
  // Weights and optimizer state are checked whole before any is applied.
  RETURN_IF_ERROR(nn::ReadCheckpoint(path, &stage.supernet->params(), stage.optimizer.get()).status());

  Enter(std::move(stage));
  for (size_t i = 0; i < policies_.size(); ++i) ApplySnapshot(state.policies(static_cast<int>(i)), &policies_[i]);
  rng_ = rng;
  stage_step_ = state.step() - steps_before_stage_;
  // A fresh batch stream per resumed step, so a resumed run does not replay
  // the first batches of the run it continues.
  StartBatches();
  return absl::OkStatus();
}

}  // namespace ridge::search
