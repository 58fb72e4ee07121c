#include "controller/device_loop.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "latency/hardware_profiles.h"
#include "latency/model_selection.h"
#include "proto/architecture.h"

namespace ridge::controller {

std::vector<MeasuredArch> ToMeasuredArchs(const std::vector<std::pair<Architecture, Measurement>>& stored) {
  std::vector<MeasuredArch> out;
  for (const auto& [arch, m] : stored) {
    MeasuredArch a;
    a.arch = arch;
    a.latency_ms = m.median_ms();
    for (const LayerTime& l : m.layers()) a.layer_ms.emplace_back(l.layer(), l.median_ms());
    out.push_back(std::move(a));
  }
  return out;
}

absl::StatusOr<HardwareProfile> DeviceProfile(JobStore* store, const std::string& device_key) {
  ASSIGN_OR_RETURN(std::vector<WorkerRecord> workers, store->ListWorkers());
  for (auto it = workers.rbegin(); it != workers.rend(); ++it) {
    if (it->device_key == device_key && it->profile.peak_macs_per_sec() > 0) return it->profile;
  }
  return absl::NotFoundError("no worker of this key has registered");
}

DeviceLoop::DeviceLoop(JobQueue* jobs, search::TunasSearch* search, std::string campaign_id,
                       DeviceLoopOptions options, std::function<void(const std::string&)> say)
    : jobs_(jobs), search_(search), campaign_id_(std::move(campaign_id)), options_(options), say_(std::move(say)) {
  for (const search::PolicyState& p : search_->policies()) {
    if (!p.target.device_key.empty()) keys_.insert(p.target.device_key);
  }
}

absl::StatusOr<size_t> DeviceLoop::Refit(const std::string& key) {
  ASSIGN_OR_RETURN(auto stored, jobs_->store()->Measurements(key));
  if (stored.size() < static_cast<size_t>(options_.min_measurements) || stored.size() == fitted_on_[key]) {
    return stored.size();
  }
  std::vector<MeasuredArch> train = ToMeasuredArchs(stored);
  HardwareProfile base;
  for (const search::PolicyState& p : search_->policies()) {
    if (p.target.device_key == key) base = p.target.profile;
  }
  base.set_name(ProfileNameForKey(key));
  fitted_on_[key] = stored.size();
  // Each device's own measurements choose its model (latency/model_selection.h).
  absl::StatusOr<ModelChoice> choice = SelectLatencyModel(train, base);
  if (absl::IsFailedPrecondition(choice.status())) {
    say_(absl::StrCat("device ", key, ": its pricing is unchanged: ", choice.status().message()));
    return stored.size();
  }
  RETURN_IF_ERROR(choice.status());
  say_(absl::StrCat("device ", key, ": pricing with ", DescribeChoice(*choice)));
  std::shared_ptr<const LatencyModel> model = std::move(choice->model);
  search_->SetDeviceModel(key, std::move(model));
  return stored.size();
}

absl::Status DeviceLoop::Start() {
  for (const std::string& key : keys_) {
    ASSIGN_OR_RETURN(size_t measured, Refit(key));
    if (fitted_on_[key] == 0) {
      say_(absl::StrCat("device ", key, ": pricing with its roofline: ", measured,
                        " measurements, and pricing by measurements needs ", options_.min_measurements));
    }
  }
  return absl::OkStatus();
}

absl::Status DeviceLoop::AfterStep() {
  if (keys_.empty()) return absl::OkStatus();
  const int64_t step = search_->step();
  for (const std::string& key : keys_) {
    if (step % options_.measure_every_steps == 0) {
      ASSIGN_OR_RETURN(bool live, jobs_->HasLiveWorker(key));
      if (!live) {
        if (told_no_worker_.insert(key).second) {
          say_(absl::StrCat("device ", key, ": no live worker serves it; the search goes on with the model"));
        }
      } else {
        told_no_worker_.erase(key);
        TimingProtocol protocol;
        protocol.set_per_layer(true);
        RETURN_IF_ERROR(jobs_->Submit(key, {search_->AtDeployment(search_->supernet().selected())}, protocol,
                                      /*priority=*/0, campaign_id_)
                            .status());
      }
    }
    if (step % options_.refit_every_steps == 0) RETURN_IF_ERROR(Refit(key).status());
  }
  return absl::OkStatus();
}

absl::Status DeviceLoop::MeasureFront(std::vector<ParetoPoint>* points) {
  for (const std::string& key : keys_) {
    ASSIGN_OR_RETURN(bool live, jobs_->HasLiveWorker(key));
    if (!live) {
      say_(absl::StrCat("device ", key, ": no live worker; its front keeps predicted latencies only"));
      continue;
    }
    std::vector<ParetoPoint*> mine;
    std::vector<Architecture> archs;
    for (ParetoPoint& p : *points) {
      if (p.hardware() == key) mine.push_back(&p), archs.push_back(p.architecture());
    }
    if (archs.empty()) continue;
    // Ahead of the search's own measurements: a user is waiting for these.
    ASSIGN_OR_RETURN(std::vector<std::string> ids,
                     jobs_->Submit(key, archs, TimingProtocol(), /*priority=*/10, campaign_id_));
    say_(absl::StrCat("device ", key, ": measuring ", ids.size(), " front points"));
    const absl::Time deadline = absl::Now() + options_.front_timeout;
    for (const std::string& id : ids) {
      RETURN_IF_ERROR(jobs_->WaitForJob(id, std::max(absl::ZeroDuration(), deadline - absl::Now())).status());
    }
    std::map<std::string, ParetoPoint*> by_job;
    for (size_t i = 0; i < ids.size(); ++i) by_job[ids[i]] = mine[i];
    ASSIGN_OR_RETURN(auto stored, jobs_->store()->Measurements(key));
    int measured = 0;
    for (const auto& [arch, m] : stored) {
      auto it = by_job.find(m.job_id());
      if (it != by_job.end()) it->second->set_measured_latency_ms(m.median_ms()), ++measured;
    }
    say_(absl::StrCat("device ", key, ": measured ", measured, " of ", ids.size(), " front points"));
  }
  return absl::OkStatus();
}

}  // namespace ridge::controller
