// The job part of the controller's store (docs/design.md §7): measurement
// workers, their jobs and the measurements they report, in the tables of
// database.h. Leasing, reports and failures are each one write
// transaction, so a crash leaves a job queued, leased or done, never in
// between, and a report is acknowledged only after its row is committed.
// Thread-safe (the database's lock).
#ifndef RIDGE_CONTROLLER_JOB_STORE_H_
#define RIDGE_CONTROLLER_JOB_STORE_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "controller/database.h"
#include "proto/services.pb.h"

namespace ridge::controller {

// A measurement worker as the controller knows it (schema v2).
struct WorkerRecord {
  std::string worker_id;
  std::string device_key;
  Environment environment;
  HardwareProfile profile;  // The roofline the worker measured of itself.
  int64_t registered_ms = 0;
  int64_t last_heartbeat_ms = 0;
  int32_t running_jobs = 0;
  int32_t consecutive_failures = 0;
  bool quarantined = false;
  int64_t jobs_done = 0;
  int64_t jobs_failed = 0;
};

// The worker ID of imported measurements' jobs; no worker can register it
// (worker IDs are issued by the controller).
inline constexpr char kImportWorker[] = "import";

enum class JobState { kQueued = 0, kLeased = 1, kDone = 2, kFailed = 3 };
const char* JobStateName(JobState state);

// One measurement job (schema v2).
struct JobRecord {
  std::string job_id;
  std::string device_key;
  std::string campaign_id;  // Empty for jobs outside campaigns.
  int32_t priority = 0;     // Higher first; FIFO within a priority.
  Architecture architecture;
  TimingProtocol protocol;
  JobState state = JobState::kQueued;
  std::string worker_id;  // The lease holder, or the worker that finished it.
  int64_t lease_deadline_ms = 0;
  int32_t attempts = 0;
  std::string error;  // The last failure.
  int64_t created_ms = 0;
};

class JobStore {
 public:
  // REQUIRES: `database` outlives the store.
  explicit JobStore(Database* database) : mu_(database->mu()), db_(database->handle()) {}

  // ALREADY_EXISTS if the ID is taken.
  absl::Status InsertWorker(const WorkerRecord& worker);
  absl::StatusOr<WorkerRecord> GetWorker(const std::string& worker_id);
  absl::StatusOr<std::vector<WorkerRecord>> ListWorkers();
  // Records a heartbeat. NOT_FOUND if the worker is unknown.
  absl::Status TouchWorker(const std::string& worker_id, int32_t running_jobs, int64_t now_ms);
  // All or nothing.
  absl::Status EnqueueJobs(const std::vector<JobRecord>& jobs);
  absl::StatusOr<JobRecord> GetJob(const std::string& job_id);
  // In one transaction: expired leases go back to the queue, then up to
  // `max_jobs` queued jobs of `device_key` are leased to `worker_id` until
  // `deadline_ms`, highest priority first and FIFO within a priority.
  absl::StatusOr<std::vector<JobRecord>> LeaseJobs(const std::string& worker_id, const std::string& device_key,
                                                   int max_jobs, int64_t now_ms, int64_t deadline_ms);
  // Commits the measurement of job `m.job_id()` and ends the worker's failure
  // streak. Returns true if this worker already reported it: a duplicate
  // report counts once. NOT_FOUND for an unknown job; FAILED_PRECONDITION,
  // with nothing changed, unless `worker_id` holds the job's lease and it has
  // not run out at `now_ms`.
  absl::StatusOr<bool> CompleteJob(const std::string& worker_id, const Measurement& m, int64_t now_ms);
  // Records a failed attempt: the job is queued again, or FAILED after
  // `max_attempts`; the worker's failure streak grows, and at
  // `quarantine_after` in a row it is quarantined. Returns whether the worker
  // is quarantined. FAILED_PRECONDITION, with nothing changed, unless
  // `worker_id` holds the job's lease and it has not run out at `now_ms`.
  absl::StatusOr<bool> FailJob(const std::string& worker_id, const std::string& job_id, const std::string& error,
                               int max_attempts, int quarantine_after, int64_t now_ms);
  // Stores measurements taken elsewhere (ImportLatencies), in one
  // transaction: each as a job already done by kImportWorker, with its
  // measurement. A job whose ID is present already is skipped, so the same
  // import twice stores nothing new. Returns how many were stored.
  absl::StatusOr<int> ImportMeasurements(const std::vector<std::pair<JobRecord, Measurement>>& items, int64_t now_ms);
  // Jobs per state of a device key (all keys when empty); imported
  // measurements are not jobs anyone ran, and are left out.
  absl::StatusOr<std::map<JobState, int64_t>> JobCounts(const std::string& device_key);
  // How many measurements a device key has.
  absl::StatusOr<int64_t> CountMeasurements(const std::string& device_key);
  // A device's measurements with their architectures, oldest first.
  absl::StatusOr<std::vector<std::pair<Architecture, Measurement>>> Measurements(const std::string& device_key);

 private:
  absl::Mutex& mu_;
  sqlite3* db_;
};

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_JOB_STORE_H_
