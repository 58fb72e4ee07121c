// The body of one campaign's thread: the shared CampaignRun (search/), with
// the controller as its progress sink. The sink turns progress into stored
// events (what Watch streams), records checkpoints in the store, and runs
// the closed loop with measurement workers; once the run is done the front
// is measured (for device targets) and stored.
#include <malloc.h>

#include <cstdio>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "controller/campaign_manager.h"
#include "search/campaign_run.h"

namespace ridge::controller {

// The controller's view of a run.
class CampaignManager::RunSink : public search::ProgressSink {
 public:
  RunSink(CampaignManager* manager, std::string campaign_id)
      : manager_(manager), campaign_id_(std::move(campaign_id)) {}

  absl::Status Started(search::CampaignRun& run, const std::string& message) override {
    run_ = &run;
    RETURN_IF_ERROR(Emit(message));
    devices_.emplace(manager_->jobs_, &run.search(), campaign_id_, manager_->options_.device,
                     [this](const std::string& said) { Tell(said); });
    if (devices_->has_devices() && manager_->jobs_ == nullptr) {
      return absl::FailedPreconditionError("device-key targets need the controller's job queue");
    }
    return devices_->Start();
  }
  absl::Status Stepped(search::CampaignRun& run, const search::StepReport&) override {
    RETURN_IF_ERROR(devices_->AfterStep());
    const search::TunasSearch& s = run.search();
    if (s.step() % manager_->options_.event_every_steps != 0 && !s.done()) return absl::OkStatus();
    return Emit("searching");
  }
  absl::Status Said(search::CampaignRun&, CampaignState, const std::string& message) override {
    return Emit(message);
  }
  absl::Status Checkpointed(search::CampaignRun& run, const std::string& path) override {
    // Recorded only after the file is in place: a crash in between leaves
    // the older record, whose step the new file also covers.
    return manager_->store_->RecordCheckpoint(
        campaign_id_, {path, absl::AsciiStrToLower(CampaignState_Name(run.search().stage())), run.search().step(),
                       absl::ToUnixMillis(absl::Now())});
  }

  // An event at the run's state (or `state` when given) and step.
  absl::Status Emit(const std::string& message, std::optional<CampaignState> state = std::nullopt) {
    const search::TunasSearch& s = run_->search();
    return manager_->Emit(campaign_id_, state.value_or(state_.value_or(run_->state())), s.step(), s.total_steps(),
                          Snapshot(), Rewards(), message);
  }
  // Device messages come from inside DeviceLoop, which cannot fail on them.
  void Tell(const std::string& message) {
    const absl::Status said = Emit(message);
    if (!said.ok()) Log(Component::kController)->warn("event not recorded campaign={} error={}", campaign_id_,
                                                      std::string(said.message()));
  }

  DeviceLoop& devices() { return *devices_; }
  void set_state(CampaignState state) { state_ = state; }

 private:
  // Each policy's current argmax at the deployment shape: what Watch shows.
  std::vector<PolicyResult> Snapshot() {
    std::vector<PolicyResult> out;
    absl::StatusOr<std::vector<search::ArgmaxView>> argmaxes = run_->Argmaxes();
    for (const search::PolicyState& p : run_->search().policies()) {
      PolicyResult r;
      r.set_hardware(p.target.profile.name());
      r.set_budget_ms(p.target.budget_ms);
      out.push_back(std::move(r));
    }
    if (!argmaxes.ok()) return out;
    for (size_t i = 0; i < out.size(); ++i) {
      *out[i].mutable_argmax() = run_->search().AtDeployment((*argmaxes)[i].arch);
      out[i].set_arch_id((*argmaxes)[i].arch_id);
      out[i].set_latency_ms((*argmaxes)[i].latency_ms);
    }
    return out;
  }
  std::vector<double> Rewards() const {
    std::vector<double> out;
    for (const search::PolicyState& p : run_->search().policies()) out.push_back(p.last_reward);
    return out;
  }

  CampaignManager* manager_;
  const std::string campaign_id_;
  search::CampaignRun* run_ = nullptr;
  std::optional<DeviceLoop> devices_;
  std::optional<CampaignState> state_;  // Overrides the run's (MEASURING).
};

// A finished campaign keeps its fronts and results in the store; its
// checkpoint (several MB of weights) is no longer needed to resume, so it goes
// unless the options keep checkpoints.
void CampaignManager::DropCheckpointIfFinal(const std::string& campaign_id) {
  absl::StatusOr<Campaign> c = store_->GetCampaign(campaign_id);
  if (options_.keep_checkpoints || !c.ok() || !IsFinal(c->state())) return;
  const absl::Status dropped = store_->DeleteCheckpoint(campaign_id);
  std::remove(CheckpointPath(campaign_id).c_str());
  if (!dropped.ok()) {
    Log(Component::kController)->warn("checkpoint record not removed id={} error={}", campaign_id,
                                      std::string(dropped.message()));
  }
}

void CampaignManager::Run(std::string campaign_id, Running* running) {
  absl::Status status = RunCampaign(campaign_id, running);
  if (!status.ok()) {
    Log(Component::kController)->error("campaign failed id={} error={}", campaign_id, std::string(status.message()));
    absl::StatusOr<Campaign> c = store_->GetCampaign(campaign_id);
    const absl::Status emitted = Emit(campaign_id, FAILED, c.ok() ? c->step() : 0, c.ok() ? c->total_steps() : 0, {},
                                      {}, absl::StrCat("failed: ", status.message()), std::string(status.message()));
    if (!emitted.ok()) {
      Log(Component::kController)->error("failure not recorded id={} error={}", campaign_id,
                                         std::string(emitted.message()));
    }
  }
  DropCheckpointIfFinal(campaign_id);
  // Give the run's buffers back to the system: a controller idles between
  // campaigns for hours.
  malloc_trim(0);
  absl::MutexLock lock(&mu_);
  auto it = running_.find(campaign_id);
  finished_threads_.push_back(std::move(it->second->thread));
  running_.erase(it);
  ++generation_;
  changed_.SignalAll();
  ScheduleLocked();
}

absl::StatusOr<search::CampaignRunOptions> CampaignManager::RunOptions(const std::string& campaign_id,
                                                                       const CampaignSpec& spec) {
  search::CampaignRunOptions options;
  options.checkpoint_path = CheckpointPath(campaign_id);
  options.weights_dir = WeightsDir(campaign_id);
  options.checkpoint_every_steps =
      spec.checkpoint_every_steps() > 0 ? spec.checkpoint_every_steps() : options_.checkpoint_every_steps;
  ASSIGN_OR_RETURN(std::optional<CheckpointRecord> last, store_->LatestCheckpoint(campaign_id));
  if (last.has_value()) options.resume_from = last->path;
  return options;
}

absl::Status CampaignManager::RunCampaign(const std::string& campaign_id, Running* running) {
  ASSIGN_OR_RETURN(Campaign campaign, store_->GetCampaign(campaign_id));
  ASSIGN_OR_RETURN(search::ResolvedCampaign c, Resolve(campaign.spec()));
  ASSIGN_OR_RETURN(search::CampaignRunOptions options, RunOptions(campaign_id, c.spec));
  RunSink sink(this, campaign_id);
  ASSIGN_OR_RETURN(std::unique_ptr<search::CampaignRun> run, search::CampaignRun::Create(std::move(c), options, &sink));
  Log(Component::kController)->info("campaign running id={} step={} total_steps={}", campaign_id,
                                    run->search().step(), run->search().total_steps());
  ASSIGN_OR_RETURN(search::RunEnd end, run->Run(running->stop));
  switch (end) {
    case search::RunEnd::kCancelled:
      return sink.Emit("cancelled", CANCELLED);
    case search::RunEnd::kStopped:
      return sink.Emit(absl::StrCat("controller stopping; resumes from step ", run->search().step()));
    case search::RunEnd::kDone:
      break;
  }
  return StoreResult(campaign_id, *run, &sink);
}

// Measures the front for device targets, then stores points and results.
absl::Status CampaignManager::StoreResult(const std::string& campaign_id, search::CampaignRun& run, RunSink* sink) {
  const search::CampaignResult& result = run.result();
  ASSIGN_OR_RETURN(std::vector<ParetoPoint> points, search::ToParetoPoints(run.search(), result));
  if (sink->devices().has_devices()) {
    sink->set_state(MEASURING);
    RETURN_IF_ERROR(sink->devices().MeasureFront(&points));
  }
  std::map<std::string, double> hypervolume;
  for (const search::HardwareFront& f : result.fronts) hypervolume[f.hardware] = f.hypervolume;
  RETURN_IF_ERROR(store_->ReplaceFront(campaign_id, points, hypervolume));
  ASSIGN_OR_RETURN(std::vector<PolicyResult> results, search::ToPolicyResults(run.search(), result));
  RETURN_IF_ERROR(store_->SetResults(campaign_id, results));
  std::vector<double> rewards;
  for (const search::PolicyState& p : run.search().policies()) rewards.push_back(p.last_reward);
  const int64_t total = run.search().total_steps();
  Log(Component::kController)->info("campaign done id={} points={} hardware={}", campaign_id, points.size(),
                                    result.fronts.size());
  return Emit(campaign_id, DONE, total, total, results, rewards,
              absl::StrCat("done: ", points.size(), " Pareto points over ", result.fronts.size(), " hardware"));
}

}  // namespace ridge::controller
