#include "controller/job_queue.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/logging.h"
#include "controller/requests.h"
#include "proto/architecture.h"
#include "proto/space.h"
#include "proto/validate.h"
#include "zoo/zoo.h"

namespace ridge::controller {
namespace {

std::string NewId(char prefix) {
  std::random_device device;
  return absl::StrFormat("%c%016x", prefix, (uint64_t{device()} << 32) ^ device());
}

absl::Status CheckRange(const std::string& field, double value, double lo, double hi) {
  if (!(value >= lo && value <= hi)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", value, " must be in [", lo, ", ", hi, "]"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Architecture>> ArchitecturesToMeasure(const MeasureRequest& request) {
  if (request.space().empty()) {
    return std::vector<Architecture>(request.architectures().begin(), request.architectures().end());
  }
  ASSIGN_OR_RETURN(SearchSpace space, LoadZooSpace(request.space()));
  std::mt19937_64 rng(request.seed());
  // Distinct samples: a duplicate would weigh one architecture twice.
  return SampleDistinct(space, request.count(), rng, [&](Architecture* a) {
    if (request.has_input()) *a->mutable_input() = request.input();
    if (request.num_classes() > 0) a->set_num_classes(request.num_classes());
  });
}

absl::StatusOr<TimingProtocol> ResolveProtocol(const TimingProtocol& requested) {
  TimingProtocol p = requested;
  if (p.warmup_runs() == 0) p.set_warmup_runs(3);
  // Seven repeats with a pause between them spread a measurement over half
  // a second, so a burst of other work on the machine spoils a minority of
  // the samples and the median ignores it.
  if (p.repeat() == 0) p.set_repeat(7);
  if (p.min_repeat_ms() == 0) p.set_min_repeat_ms(50);
  if (p.cooldown_ms() == 0) p.set_cooldown_ms(10);
  if (p.batch() == 0) p.set_batch(1);
  RETURN_IF_ERROR(CheckRange("protocol.warmup_runs", p.warmup_runs(), 0, 1000));
  RETURN_IF_ERROR(CheckRange("protocol.number", p.number(), 0, 100000));
  RETURN_IF_ERROR(CheckRange("protocol.repeat", p.repeat(), 1, 1000));
  RETURN_IF_ERROR(CheckRange("protocol.min_repeat_ms", p.min_repeat_ms(), 0, 60000));
  RETURN_IF_ERROR(CheckRange("protocol.cooldown_ms", p.cooldown_ms(), 0, 10000));
  RETURN_IF_ERROR(CheckRange("protocol.threads", p.threads(), 0, 1024));
  RETURN_IF_ERROR(CheckRange("protocol.batch", p.batch(), 1, 1024));
  return p;
}

JobQueue::JobQueue(JobStore* store, JobQueueOptions options, std::function<int64_t()> now_ms)
    : store_(store), options_(options), now_ms_(std::move(now_ms)) {
  if (!now_ms_) now_ms_ = [] { return absl::ToUnixMillis(absl::Now()); };
}

void JobQueue::Wake() {
  absl::MutexLock lock(&mu_);
  ++generation_;
  changed_.SignalAll();
}

absl::StatusOr<RegisterResponse> JobQueue::Register(const RegisterRequest& request) {
  WorkerRecord w;
  w.worker_id = NewId('w');
  w.device_key = request.device_key();
  w.environment = request.environment();
  w.profile = request.self_profile();
  w.registered_ms = w.last_heartbeat_ms = now_ms_();
  RETURN_IF_ERROR(store_->InsertWorker(w));
  RegisterResponse response;
  response.set_worker_id(w.worker_id);
  response.set_heartbeat_interval_ms(options_.heartbeat_interval_ms);
  return response;
}

absl::StatusOr<bool> JobQueue::Heartbeat(const HeartbeatRequest& request) {
  absl::Status s = store_->TouchWorker(request.worker_id(), request.running_jobs(), now_ms_());
  if (absl::IsNotFound(s)) return false;
  RETURN_IF_ERROR(s);
  return true;
}

absl::StatusOr<std::vector<Job>> JobQueue::Lease(const LeaseJobsRequest& request, absl::Duration wait) {
  ASSIGN_OR_RETURN(WorkerRecord worker, store_->GetWorker(request.worker_id()));
  if (worker.quarantined) {
    return absl::FailedPreconditionError(absl::StrCat("worker ", worker.worker_id, " is quarantined after ",
                                                      worker.consecutive_failures,
                                                      " failed jobs in a row; fix it and register again"));
  }
  const absl::Time deadline = absl::Now() + wait;
  while (true) {
    int64_t generation;
    {
      absl::MutexLock lock(&mu_);
      generation = generation_;
    }
    const int64_t now = now_ms_();
    ASSIGN_OR_RETURN(std::vector<JobRecord> leased,
                     store_->LeaseJobs(worker.worker_id, worker.device_key, request.max_jobs(), now,
                                       now + options_.lease_ms));
    if (!leased.empty() || absl::Now() >= deadline) {
      RETURN_IF_ERROR(store_->TouchWorker(worker.worker_id, static_cast<int32_t>(leased.size()), now));
      std::vector<Job> jobs;
      for (JobRecord& r : leased) {
        Job j;
        j.set_job_id(r.job_id);
        *j.mutable_architecture() = std::move(r.architecture);
        *j.mutable_protocol() = std::move(r.protocol);
        j.set_deadline_unix_ms(r.lease_deadline_ms);
        jobs.push_back(std::move(j));
      }
      return jobs;
    }
    // Nothing queued: wait for a submit (or the deadline), then look again.
    absl::MutexLock lock(&mu_);
    while (generation_ == generation) {
      if (changed_.WaitWithDeadline(&mu_, deadline)) break;
    }
  }
}

absl::StatusOr<bool> JobQueue::Report(const ReportMeasurementRequest& request) {
  ASSIGN_OR_RETURN(WorkerRecord worker, store_->GetWorker(request.worker_id()));
  bool duplicate = false;
  if (!request.error().empty()) {
    const std::string& job_id = request.measurement().job_id();
    ASSIGN_OR_RETURN(bool quarantined, store_->FailJob(worker.worker_id, job_id, request.error().substr(0, 2000),
                                                       options_.max_attempts, options_.quarantine_after, now_ms_()));
    if (quarantined) {
      Log(Component::kController)->warn("worker quarantined worker={} device_key={} failures_in_a_row={}",
                                        worker.worker_id, worker.device_key, options_.quarantine_after);
    }
  } else {
    Measurement m = request.measurement();
    m.set_worker_id(worker.worker_id);
    m.set_device_key(worker.device_key);
    ASSIGN_OR_RETURN(duplicate, store_->CompleteJob(worker.worker_id, m, now_ms_()));
  }
  Wake();
  return duplicate;
}

absl::StatusOr<std::vector<std::string>> JobQueue::Submit(const std::string& device_key,
                                                          const std::vector<Architecture>& architectures,
                                                          const TimingProtocol& protocol, int32_t priority,
                                                          const std::string& campaign_id) {
  RETURN_IF_ERROR(ValidateDeviceKey(device_key, "device_key"));
  ASSIGN_OR_RETURN(TimingProtocol resolved, ResolveProtocol(protocol));
  std::vector<JobRecord> jobs;
  std::vector<std::string> ids;
  for (size_t i = 0; i < architectures.size(); ++i) {
    RETURN_IF_ERROR(ValidateArchitecture(architectures[i], absl::StrCat("architectures[", i, "]")));
    JobRecord j;
    j.job_id = NewId('j');
    j.device_key = device_key;
    j.campaign_id = campaign_id;
    j.priority = priority;
    j.architecture = architectures[i];
    j.protocol = resolved;
    j.created_ms = now_ms_();
    ids.push_back(j.job_id);
    jobs.push_back(std::move(j));
  }
  RETURN_IF_ERROR(store_->EnqueueJobs(jobs));
  Wake();
  return ids;
}

absl::StatusOr<JobState> JobQueue::WaitForJob(const std::string& job_id, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int64_t generation;
    {
      absl::MutexLock lock(&mu_);
      generation = generation_;
    }
    ASSIGN_OR_RETURN(JobRecord job, store_->GetJob(job_id));
    if (job.state == JobState::kDone || job.state == JobState::kFailed || absl::Now() >= deadline) return job.state;
    absl::MutexLock lock(&mu_);
    while (generation_ == generation) {
      if (changed_.WaitWithDeadline(&mu_, deadline)) break;
    }
  }
}

absl::StatusOr<ListWorkersResponse> JobQueue::Workers(const std::string& device_key) {
  ListWorkersResponse response;
  ASSIGN_OR_RETURN(std::vector<WorkerRecord> workers, store_->ListWorkers());
  const int64_t now = now_ms_();
  for (const WorkerRecord& w : workers) {
    if (!device_key.empty() && w.device_key != device_key) continue;
    WorkerInfo* info = response.add_workers();
    info->set_worker_id(w.worker_id);
    info->set_device_key(w.device_key);
    info->set_state(w.quarantined                                    ? "quarantined"
                    : now - w.last_heartbeat_ms > options_.lost_after_ms ? "lost"
                    : w.running_jobs > 0                              ? "busy"
                                                                      : "idle");
    info->set_running_jobs(w.running_jobs);
    info->set_jobs_done(w.jobs_done);
    info->set_jobs_failed(w.jobs_failed);
    info->set_last_heartbeat_unix_ms(w.last_heartbeat_ms);
    *info->mutable_environment() = w.environment;
  }
  ASSIGN_OR_RETURN(auto counts, store_->JobCounts(device_key));
  for (const auto& [state, n] : counts) (*response.mutable_jobs())[JobStateName(state)] = n;
  return response;
}

absl::StatusOr<bool> JobQueue::HasLiveWorker(const std::string& device_key) {
  ASSIGN_OR_RETURN(ListWorkersResponse workers, Workers(device_key));
  for (const WorkerInfo& w : workers.workers()) {
    if (w.state() == "idle" || w.state() == "busy") return true;
  }
  return false;
}

}  // namespace ridge::controller
