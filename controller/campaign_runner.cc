// The body of one campaign's thread: build the search, resume from the last
// checkpoint, step with progress events and periodic checkpoints, then score
// the fronts and store them.
#include <atomic>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "controller/campaign_manager.h"
#include "proto/architecture.h"
#include "search/campaign.h"
#include "supernet/dnnl_context.h"

namespace ridge::controller {

namespace {

// Each policy's current argmax and its latency: what Watch shows.
std::vector<PolicyResult> Snapshot(search::TunasSearch& s) {
  std::vector<PolicyResult> out;
  for (const search::PolicyState& p : s.policies()) {
    PolicyResult r;
    r.set_hardware(p.target.profile.name());
    r.set_budget_ms(p.target.budget_ms);
    absl::StatusOr<Architecture> arch =
        BuildArchitecture(s.decisions().space(), s.decisions().ToChoice(p.policy->Argmax()));
    if (arch.ok()) {
      *r.mutable_argmax() = s.AtDeployment(*arch);
      r.set_arch_id(ArchitectureId(*arch));
      r.set_latency_ms(s.LatencyMs(*arch, p.target).value_or(0));
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<double> Rewards(const search::TunasSearch& s) {
  std::vector<double> out;
  for (const search::PolicyState& p : s.policies()) out.push_back(p.last_reward);
  return out;
}

}  // namespace

void CampaignManager::Run(std::string campaign_id, Running* running) {
  absl::Status status = RunCampaign(campaign_id, running);
  if (!status.ok()) {
    std::fprintf(stderr, "campaign %s failed: %s\n", campaign_id.c_str(), status.ToString().c_str());
    absl::StatusOr<Campaign> c = store_->GetCampaign(campaign_id);
    const absl::Status emitted = Emit(campaign_id, FAILED, c.ok() ? c->step() : 0, c.ok() ? c->total_steps() : 0, {},
                                      {}, absl::StrCat("failed: ", status.message()), std::string(status.message()));
    if (!emitted.ok()) std::fprintf(stderr, "campaign %s: %s\n", campaign_id.c_str(), emitted.ToString().c_str());
  }
  absl::MutexLock lock(&mu_);
  auto it = running_.find(campaign_id);
  finished_threads_.push_back(std::move(it->second->thread));
  running_.erase(it);
  ++generation_;
  changed_.SignalAll();
  ScheduleLocked();
}

absl::Status CampaignManager::RunCampaign(const std::string& campaign_id, Running* running) {
  ASSIGN_OR_RETURN(Campaign campaign, store_->GetCampaign(campaign_id));
  ASSIGN_OR_RETURN(search::ResolvedCampaign c, Resolve(campaign.spec()));
  nn::SetThreads(c.spec.training().threads());  // Per thread: OpenMP's thread count is thread-local.
  ASSIGN_OR_RETURN(nn::Dataset data, nn::LoadFashionMnist(c.data));
  ASSIGN_OR_RETURN(std::unique_ptr<search::TunasSearch> s,
                   search::TunasSearch::Create(c.space, c.targets, data, c.options));
  const int64_t total = s->total_steps();
  ASSIGN_OR_RETURN(std::optional<CheckpointRecord> last, store_->LatestCheckpoint(campaign_id));
  std::string started = "search started";
  if (last.has_value()) {
    RETURN_IF_ERROR(WithContext(s->RestoreCheckpoint(last->path), "resuming"));
    started = absl::StrCat("resumed from the checkpoint at step ", s->step());
  }
  CampaignState state = s->stage();
  RETURN_IF_ERROR(Emit(campaign_id, state, s->step(), total, Snapshot(*s), Rewards(*s), started));
  DeviceLoop devices(jobs_, s.get(), campaign_id, options_.device, [&](const std::string& message) {
    const absl::Status said = Emit(campaign_id, state, s->step(), total, Snapshot(*s), Rewards(*s), message);
    if (!said.ok()) std::fprintf(stderr, "campaign %s: %s\n", campaign_id.c_str(), said.ToString().c_str());
  });
  if (devices.has_devices() && jobs_ == nullptr) {
    return absl::FailedPreconditionError("device-key targets need the controller's job queue");
  }
  RETURN_IF_ERROR(devices.Start());

  const int64_t every = c.spec.checkpoint_every_steps() > 0 ? c.spec.checkpoint_every_steps()
                                                             : options_.checkpoint_every_steps;
  const std::string path = CheckpointPath(campaign_id);
  auto checkpoint = [&]() -> absl::Status {
    RETURN_IF_ERROR(s->SaveCheckpoint(path));
    // Recorded only after the file is in place: a crash in between leaves
    // the older record, whose step the new file also covers.
    return store_->RecordCheckpoint(campaign_id, {path, absl::AsciiStrToLower(CampaignState_Name(s->stage())),
                                                  s->step(), absl::ToUnixMillis(absl::Now())});
  };
  while (!s->done()) {
    if (running->cancel) {
      return Emit(campaign_id, CANCELLED, s->step(), total, Snapshot(*s), Rewards(*s), "cancelled");
    }
    if (running->stop) {
      if (running->checkpoint_on_stop) RETURN_IF_ERROR(checkpoint());
      return Emit(campaign_id, state, s->step(), total, Snapshot(*s), Rewards(*s),
                  absl::StrCat("controller stopping; resumes from step ", s->step()));
    }
    ASSIGN_OR_RETURN(search::StepReport report, s->Step());
    state = s->stage();
    if (!report.stage_began.empty()) {
      RETURN_IF_ERROR(Emit(campaign_id, state, s->step(), total, Snapshot(*s), Rewards(*s), report.stage_began));
    }
    RETURN_IF_ERROR(devices.AfterStep());
    if (s->step() % every == 0 || s->done()) RETURN_IF_ERROR(checkpoint());
    if (s->step() % options_.event_every_steps == 0 || s->done()) {
      RETURN_IF_ERROR(Emit(campaign_id, state, s->step(), total, Snapshot(*s), Rewards(*s), "searching"));
    }
  }

  state = EVALUATING;
  RETURN_IF_ERROR(Emit(campaign_id, EVALUATING, total, total, Snapshot(*s), Rewards(*s),
                       "scoring front candidates: proxy accuracy on the valid split after BN recalibration"));
  ASSIGN_OR_RETURN(search::CampaignResult result, search::FinishCampaign(s.get()));
  RETURN_IF_ERROR(search::RetrainFront(c, data, &result, [&](const std::string& message) {
    const absl::Status said = Emit(campaign_id, EVALUATING, total, total, Snapshot(*s), Rewards(*s), message);
    if (!said.ok()) std::fprintf(stderr, "campaign %s: %s\n", campaign_id.c_str(), said.ToString().c_str());
  }));
  ASSIGN_OR_RETURN(std::vector<ParetoPoint> points, search::ToParetoPoints(*s, result));
  if (devices.has_devices()) {
    state = MEASURING;
    RETURN_IF_ERROR(devices.MeasureFront(&points));
  }
  std::map<std::string, double> hypervolume;
  for (const search::HardwareFront& f : result.fronts) hypervolume[f.hardware] = f.hypervolume;
  RETURN_IF_ERROR(store_->ReplaceFront(campaign_id, points, hypervolume));
  ASSIGN_OR_RETURN(std::vector<PolicyResult> results, search::ToPolicyResults(*s, result));
  RETURN_IF_ERROR(store_->SetResults(campaign_id, results));
  std::vector<double> rewards = Rewards(*s);
  return Emit(campaign_id, DONE, total, total, results, rewards,
              absl::StrCat("done: ", points.size(), " Pareto points over ", result.fronts.size(), " hardware"));
}

}  // namespace ridge::controller
