// The controller's durable state in SQLite (DESIGN.md Sec. 6): campaigns and
// their specs, state and per-policy results, progress events, Pareto points
// and checkpoint metadata. WAL mode with synchronous=FULL: a call that
// returns OK has committed, so whatever the caller acknowledges next
// survives a crash. The schema is versioned: migrations run in order at Open,
// each in its own transaction, and `PRAGMA user_version` records the last.
// One connection, serialised by a mutex; every method is thread-safe.
#ifndef RIDGE_CONTROLLER_STORE_H_
#define RIDGE_CONTROLLER_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "proto/services.pb.h"

struct sqlite3;

namespace ridge::controller {

// Where a campaign's latest checkpoint is.
struct CheckpointRecord {
  std::string path;
  std::string stage;  // "coarse" or "fine".
  int64_t step = 0;
  int64_t time_unix_ms = 0;
};

// A query over one campaign's stored Pareto points.
struct FrontQuery {
  std::string hardware;         // Empty: all.
  double min_latency_ms = 0;    // 0: unbounded.
  double max_latency_ms = 0;    // 0: unbounded.
  double min_accuracy = 0;      // 0: unbounded.
  double max_accuracy = 0;      // 0: unbounded.
  int64_t offset = 0;           // Points skipped (pagination).
  int64_t limit = 100;          // Most points returned.
};

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

class Store {
 public:
  // Opens (creating if missing) the database file at `path` and migrates it
  // to the latest schema. FAILED_PRECONDITION if the file's schema is newer
  // than this binary knows.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path);
  ~Store();

  int schema_version();

  // Inserts a new campaign (spec, state, step, created time...). ALREADY_EXISTS
  // if the ID is taken.
  absl::Status InsertCampaign(const Campaign& campaign);
  // NOT_FOUND if unknown.
  absl::StatusOr<Campaign> GetCampaign(const std::string& campaign_id);
  // Newest first (by creation time, then insertion order). `page_token` is
  // empty or a token this method returned; INVALID_ARGUMENT for a bad token.
  // `next_page_token` is empty at the end.
  absl::StatusOr<std::vector<Campaign>> ListCampaigns(int page_size, const std::string& page_token,
                                                      std::string* next_page_token);
  // Campaigns not in a final state (DONE, FAILED, CANCELLED), oldest first.
  absl::StatusOr<std::vector<Campaign>> UnfinishedCampaigns();
  // Updates state, step, total_steps and error. NOT_FOUND if unknown.
  absl::Status UpdateProgress(const std::string& campaign_id, CampaignState state, int64_t step,
                              int64_t total_steps, const std::string& error);
  // Replaces the per-policy results.
  absl::Status SetResults(const std::string& campaign_id, const std::vector<PolicyResult>& results);

  // Appends an event; returns its sequence number (1, 2, ... per campaign).
  absl::StatusOr<int64_t> AppendEvent(const ProgressEvent& event);
  // Appends an event and sets the campaign's state, step and total steps
  // from it (and `error`), in one transaction: a watcher never sees an event
  // whose state the campaign row does not have yet, nor the reverse.
  absl::StatusOr<int64_t> RecordProgress(const ProgressEvent& event, const std::string& error);
  // Events of a campaign with sequence number > after_seq, oldest first, at
  // most `limit`. Each comes with its sequence number.
  absl::StatusOr<std::vector<std::pair<int64_t, ProgressEvent>>> EventsAfter(const std::string& campaign_id,
                                                                             int64_t after_seq, int limit);

  // Replaces all Pareto points and hypervolumes of a campaign, atomically.
  absl::Status ReplaceFront(const std::string& campaign_id, const std::vector<ParetoPoint>& points,
                            const std::map<std::string, double>& hypervolume_by_hardware);
  // Points matching `query`, sorted by (hardware, predicted latency); sets
  // `total` to the number matching before offset/limit.
  absl::StatusOr<std::vector<ParetoPoint>> QueryFront(const std::string& campaign_id, const FrontQuery& query,
                                                      int64_t* total);
  absl::StatusOr<std::map<std::string, double>> Hypervolumes(const std::string& campaign_id);

  // Records the latest checkpoint of a campaign (replacing the previous record).
  absl::Status RecordCheckpoint(const std::string& campaign_id, const CheckpointRecord& record);
  // The latest record, or nullopt if none.
  absl::StatusOr<std::optional<CheckpointRecord>> LatestCheckpoint(const std::string& campaign_id);

  // ---- Workers, jobs and measurements (store_workers.cc) ----
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
  // streak. Returns true if the job already had a measurement: a duplicate
  // report counts once. NOT_FOUND for an unknown job.
  absl::StatusOr<bool> CompleteJob(const std::string& worker_id, const Measurement& m, int64_t now_ms);
  // Records a failed attempt: the job is queued again, or FAILED after
  // `max_attempts`; the worker's failure streak grows, and at
  // `quarantine_after` in a row it is quarantined. Returns whether the worker
  // is quarantined. A failure of a job already done changes nothing.
  absl::StatusOr<bool> FailJob(const std::string& worker_id, const std::string& job_id, const std::string& error,
                               int max_attempts, int quarantine_after, int64_t now_ms);
  // Jobs per state of a device key (all keys when empty).
  absl::StatusOr<std::map<JobState, int64_t>> JobCounts(const std::string& device_key);
  // A device's measurements with their architectures, oldest first.
  absl::StatusOr<std::vector<std::pair<Architecture, Measurement>>> Measurements(const std::string& device_key);

 private:
  explicit Store(sqlite3* db) : db_(db) {}
  absl::Status Migrate();
  absl::StatusOr<int64_t> WriteEvent(const ProgressEvent& event, bool update_progress, const std::string& error);

  absl::Mutex mu_;
  sqlite3* db_;
};

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_STORE_H_
