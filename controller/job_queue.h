// Measurement jobs for workers (docs/design.md §7): workers pull, the
// controller never dials a device. Jobs are leased with deadlines and go
// back to the queue when a lease runs out; reports are idempotent by job
// ID; a worker that fails K jobs in a row is quarantined; jobs match workers
// by device key, highest priority first and FIFO within a priority (as in
// TVM's RPC tracker). All state lives in the Store, so a restart loses no
// acknowledged report. No gRPC here: the WorkerService adapts it.
#ifndef RIDGE_CONTROLLER_JOB_QUEUE_H_
#define RIDGE_CONTROLLER_JOB_QUEUE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controller/store.h"
#include "proto/services.pb.h"

namespace ridge::controller {

struct JobQueueOptions {
  int64_t lease_ms = 120000;           // A job's lease; requeued after it.
  int32_t heartbeat_interval_ms = 5000;
  int64_t lost_after_ms = 20000;       // No heartbeat for this long: "lost".
  int quarantine_after = 3;            // Consecutive failures.
  int max_attempts = 3;                // A job fails for good after these.
};

// Requests reach JobQueue validated (controller/requests.h); it checks only
// what depends on its state (unknown or quarantined workers, unknown jobs).
class JobQueue {
 public:
  JobQueue(JobStore* store, JobQueueOptions options, std::function<int64_t()> now_ms = nullptr);

  absl::StatusOr<RegisterResponse> Register(const RegisterRequest& request);
  // False if the worker is unknown (it must register again).
  absl::StatusOr<bool> Heartbeat(const HeartbeatRequest& request);
  // Up to max_jobs jobs of the worker's device key; waits up to `wait` for
  // one when none is queued. NOT_FOUND for an unknown worker,
  // FAILED_PRECONDITION for a quarantined one.
  absl::StatusOr<std::vector<Job>> Lease(const LeaseJobsRequest& request, absl::Duration wait = absl::ZeroDuration());
  // Commits a result or a failure; returns true for a duplicate report.
  absl::StatusOr<bool> Report(const ReportMeasurementRequest& request);

  // Queues one job per architecture; returns their IDs.
  absl::StatusOr<std::vector<std::string>> Submit(const std::string& device_key,
                                                  const std::vector<Architecture>& architectures,
                                                  const TimingProtocol& protocol, int32_t priority,
                                                  const std::string& campaign_id = "");
  // Waits up to `timeout` until job `job_id` is done or failed for good;
  // returns its state then.
  absl::StatusOr<JobState> WaitForJob(const std::string& job_id, absl::Duration timeout);
  absl::StatusOr<ListWorkersResponse> Workers(const std::string& device_key);
  // Whether any worker that is neither lost nor quarantined serves the key.
  absl::StatusOr<bool> HasLiveWorker(const std::string& device_key);

  JobStore* store() { return store_; }
  const JobQueueOptions& options() const { return options_; }

 private:
  void Wake();

  JobStore* store_;
  const JobQueueOptions options_;
  std::function<int64_t()> now_ms_;
  absl::Mutex mu_;
  absl::CondVar changed_;
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // Bumped on every submit and report.
};

// The architectures a validated Measure request names, or `count` distinct
// ones sampled uniformly from its built-in space with its seed (fewer if the
// space has fewer).
absl::StatusOr<std::vector<Architecture>> ArchitecturesToMeasure(const MeasureRequest& request);

// The timing protocol a job runs with: the request's fields, defaults for
// unset ones (warmup 3, repeat 7, min_repeat_ms 50, cooldown_ms 10), checked
// against ranges.
absl::StatusOr<TimingProtocol> ResolveProtocol(const TimingProtocol& requested);

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_JOB_QUEUE_H_
