#include "controller/campaign_manager.h"

#include <algorithm>
#include <random>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "controller/requests.h"
#include "search/campaign.h"

namespace ridge::controller {

bool IsFinal(CampaignState state) { return state == DONE || state == FAILED || state == CANCELLED; }

namespace {

// 64 random bits: unique across restarts without coordination.
std::string NewCampaignId() {
  std::random_device device;
  const uint64_t bits = (uint64_t{device()} << 32) ^ device();
  return absl::StrFormat("c%016x", bits);
}

// Every resolution error of a client's spec is the client's mistake.
absl::Status AsInvalidArgument(const absl::Status& s) {
  if (s.ok() || s.code() == absl::StatusCode::kInvalidArgument || s.code() == absl::StatusCode::kUnimplemented) {
    return s;
  }
  return absl::InvalidArgumentError(s.message());
}

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

}  // namespace

CampaignManager::CampaignManager(CampaignStore* store, ManagerOptions options, JobQueue* jobs)
    : store_(store), jobs_(jobs), options_(std::move(options)) {}

absl::StatusOr<search::ResolvedCampaign> CampaignManager::Resolve(CampaignSpec spec) {
  // The soft labels a spec names are in the state directory (requests.h).
  if (!spec.distill().soft_labels().empty()) {
    spec.mutable_distill()->set_soft_labels(
        absl::StrCat(options_.data_dir, "/soft_labels/", spec.distill().soft_labels()));
  }
  // A dataset is a directory under the data root (requests.h checks the name).
  if (!spec.dataset().dir().empty()) {
    if (options_.data_root.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dataset.dir: '", spec.dataset().dir(), "': this controller has no --data_root, so campaigns use its "
          "built-in Fashion-MNIST; leave dataset.dir empty"));
    }
    spec.mutable_dataset()->set_dir(absl::StrCat(options_.data_root, "/", spec.dataset().dir()));
  }
  search::DeviceProfileFn devices;
  if (jobs_ != nullptr) devices = [this](const std::string& key) { return DeviceProfile(jobs_->store(), key); };
  return search::ResolveCampaign(spec, "spec", devices);
}

CampaignManager::~CampaignManager() { Shutdown(true); }

std::string CampaignManager::CheckpointPath(const std::string& campaign_id) const {
  return absl::StrCat(options_.data_dir, "/checkpoints/", campaign_id, ".ckpt");
}

std::string CampaignManager::WeightsDir(const std::string& campaign_id) const {
  return absl::StrCat(options_.data_dir, "/weights/", campaign_id);
}

absl::StatusOr<std::string> CampaignManager::RetrainedWeights(const std::string& campaign_id,
                                                              const std::string& arch_id) {
  ASSIGN_OR_RETURN(Campaign campaign, store_->GetCampaign(campaign_id));
  constexpr size_t kMaxWeightsBytes = size_t{1} << 30;
  absl::StatusOr<std::string> file =
      ReadFileToString(search::RetrainedWeightsPath(WeightsDir(campaign_id), arch_id), kMaxWeightsBytes);
  if (absl::IsNotFound(file.status())) {
    // The message names neither the server's path nor anything but the IDs.
    return absl::NotFoundError(absl::StrCat("arch_id '", arch_id, "': campaign ", campaign_id,
                                            " has no retrained weights for it (the spec's retrain_epochs is ",
                                            campaign.spec().retrain_epochs(),
                                            ", or it is not a front member, or the campaign is not done)"));
  }
  if (!file.ok()) {  // Logged in full here; the client is not told server paths.
    Log(Component::kController)->error("weights unreadable id={} arch_id={} error={}", campaign_id, arch_id,
                                       file.status().ToString());
    return absl::DataLossError(absl::StrCat("arch_id '", arch_id, "': its retrained weights cannot be read"));
  }
  return file;
}

absl::Status CampaignManager::Start() {
  mkdir(options_.data_dir.c_str(), 0700);
  const std::string dir = absl::StrCat(options_.data_dir, "/checkpoints");
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::PermissionDeniedError(absl::StrCat(dir, ": cannot create the checkpoint directory"));
  }
  ASSIGN_OR_RETURN(std::vector<Campaign> unfinished, store_->UnfinishedCampaigns());
  absl::MutexLock lock(&mu_);
  for (const Campaign& c : unfinished) queue_.push_back(c.campaign_id());
  ScheduleLocked();
  return absl::OkStatus();
}

absl::StatusOr<std::string> CampaignManager::Launch(const CampaignSpec& spec) {
  // Everything is checked before anything is written.
  RETURN_IF_ERROR(CheckSpecNamesAreBuiltin(spec));
  absl::StatusOr<search::ResolvedCampaign> resolved = Resolve(spec);
  RETURN_IF_ERROR(AsInvalidArgument(resolved.status()));
  Campaign c;
  c.set_campaign_id(NewCampaignId());
  *c.mutable_spec() = spec;
  c.set_state(PENDING);
  c.set_total_steps(resolved->options.steps + resolved->options.fine_steps);
  c.set_created_unix(absl::ToUnixSeconds(absl::Now()));
  RETURN_IF_ERROR(store_->InsertCampaign(c));
  RETURN_IF_ERROR(Emit(c.campaign_id(), PENDING, 0, c.total_steps(), {}, {}, "queued"));
  Log(Component::kController)->info("campaign launched id={} name={} space={}", c.campaign_id(), spec.name(),
                                    resolved->space.name());
  absl::MutexLock lock(&mu_);
  if (shutting_down_) return absl::UnavailableError("the controller is shutting down; the campaign runs on restart");
  queue_.push_back(c.campaign_id());
  ScheduleLocked();
  return c.campaign_id();
}

absl::StatusOr<Campaign> CampaignManager::Get(const std::string& campaign_id) {
  return store_->GetCampaign(campaign_id);
}

absl::StatusOr<CampaignState> CampaignManager::Cancel(const std::string& campaign_id) {
  ASSIGN_OR_RETURN(Campaign c, store_->GetCampaign(campaign_id));
  if (IsFinal(c.state())) return c.state();
  bool was_running = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = running_.find(campaign_id);
    if (it != running_.end()) {
      // The runner sees the token between steps, candidates and retrained
      // networks, and records CANCELLED itself.
      it->second->stop.Cancel();
      while (running_.count(campaign_id) > 0) changed_.Wait(&mu_);
      was_running = true;
    } else {
      queue_.erase(std::remove(queue_.begin(), queue_.end(), campaign_id), queue_.end());
    }
  }
  if (!was_running) {
    RETURN_IF_ERROR(Emit(campaign_id, CANCELLED, c.step(), c.total_steps(), {}, {}, "cancelled before it started"));
  }
  // The state it really ended in: one that failed (or finished) before it
  // saw the cancel keeps that state.
  ASSIGN_OR_RETURN(Campaign after, store_->GetCampaign(campaign_id));
  return after.state();
}

absl::StatusOr<std::vector<std::pair<int64_t, ProgressEvent>>> CampaignManager::WaitEvents(
    const std::string& campaign_id, int64_t after_seq, absl::Duration timeout, bool* ended) {
  *ended = false;
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int64_t generation;
    {
      absl::MutexLock lock(&mu_);
      generation = generation_;
    }
    ASSIGN_OR_RETURN(auto events, store_->EventsAfter(campaign_id, after_seq, 1000));
    if (!events.empty()) {
      *ended = IsFinal(events.back().second.state());
      return events;
    }
    ASSIGN_OR_RETURN(Campaign c, store_->GetCampaign(campaign_id));
    if (IsFinal(c.state())) {
      *ended = true;
      return events;
    }
    absl::MutexLock lock(&mu_);
    while (generation_ == generation) {
      if (changed_.WaitWithDeadline(&mu_, deadline)) return events;  // Timed out: nothing new.
    }
  }
}

void CampaignManager::Shutdown(bool checkpoint) {
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
    queue_.clear();
    for (auto& [id, r] : running_) r->stop.Stop(checkpoint);
    while (!running_.empty()) changed_.Wait(&mu_);
    threads.swap(finished_threads_);
  }
  for (std::thread& t : threads) t.join();
}

void CampaignManager::ScheduleLocked() {
  while (!shutting_down_ && !queue_.empty() && static_cast<int>(running_.size()) < options_.max_concurrent) {
    const std::string id = queue_.front();
    queue_.pop_front();
    auto running = std::make_unique<Running>();
    Running* r = running.get();
    running_[id] = std::move(running);
    r->thread = std::thread([this, id, r] { Run(id, r); });
  }
}

absl::Status CampaignManager::Emit(const std::string& campaign_id, CampaignState state, int64_t step, int64_t total,
                                   const std::vector<PolicyResult>& policies, const std::vector<double>& rewards,
                                   const std::string& message, const std::string& error) {
  ProgressEvent e;
  e.set_campaign_id(campaign_id);
  e.set_state(state);
  e.set_step(step);
  e.set_total_steps(total);
  for (const PolicyResult& p : policies) *e.add_policies() = p;
  for (double r : rewards) e.add_rewards(r);
  e.set_message(message);
  e.set_time_unix_ms(NowMs());
  RETURN_IF_ERROR(store_->RecordProgress(e, error).status());
  absl::MutexLock lock(&mu_);
  ++generation_;
  changed_.SignalAll();
  return absl::OkStatus();
}

}  // namespace ridge::controller
