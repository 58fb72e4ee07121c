// The store's workers, jobs and measurements (schema v2). Leasing, reports
// and failures are each one write transaction, so a crash leaves a job
// either queued, leased or done, never in between, and a report is
// acknowledged only after its measurement row is committed.
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "controller/sqlite_util.h"
#include "controller/job_store.h"

namespace ridge::controller {
namespace {

constexpr char kWorkerColumns[] =
    "worker_id, device_key, environment, profile, registered_ms, last_heartbeat_ms, running_jobs, "
    "consecutive_failures, quarantined, jobs_done, jobs_failed";
constexpr char kJobColumns[] =
    "job_id, device_key, campaign_id, priority, architecture, protocol, state, worker_id, lease_deadline_ms, "
    "attempts, error, created_ms";

absl::StatusOr<WorkerRecord> WorkerFromRow(const Statement& row) {
  WorkerRecord w;
  w.worker_id = row.Text(0);
  w.device_key = row.Text(1);
  RETURN_IF_ERROR(ParseBlob(row.Blob(2), &w.environment, "worker environment"));
  RETURN_IF_ERROR(ParseBlob(row.Blob(3), &w.profile, "worker profile"));
  w.registered_ms = row.Int(4);
  w.last_heartbeat_ms = row.Int(5);
  w.running_jobs = static_cast<int32_t>(row.Int(6));
  w.consecutive_failures = static_cast<int32_t>(row.Int(7));
  w.quarantined = row.Int(8) != 0;
  w.jobs_done = row.Int(9);
  w.jobs_failed = row.Int(10);
  return w;
}

absl::StatusOr<JobRecord> JobFromRow(const Statement& row) {
  JobRecord j;
  j.job_id = row.Text(0);
  j.device_key = row.Text(1);
  j.campaign_id = row.Text(2);
  j.priority = static_cast<int32_t>(row.Int(3));
  RETURN_IF_ERROR(ParseBlob(row.Blob(4), &j.architecture, "job architecture"));
  RETURN_IF_ERROR(ParseBlob(row.Blob(5), &j.protocol, "job protocol"));
  j.state = static_cast<JobState>(row.Int(6));
  j.worker_id = row.Text(7);
  j.lease_deadline_ms = row.Int(8);
  j.attempts = static_cast<int32_t>(row.Int(9));
  j.error = row.Text(10);
  j.created_ms = row.Int(11);
  return j;
}

absl::StatusOr<JobRecord> ReadJob(sqlite3* db, const std::string& job_id, absl::string_view op) {
  Statement select(db, absl::StrCat("SELECT ", kJobColumns, " FROM jobs WHERE job_id = ?1"), op);
  select.BindText(1, job_id);
  ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("job '", job_id, "' not found"));
  return JobFromRow(select);
}

// Only the worker holding a job's lease, within it, may report or fail the
// job: anything else could overwrite another worker's (or another device's)
// results. FAILED_PRECONDITION says which rule failed; nothing changes.
absl::Status RequireLease(const JobRecord& job, const std::string& worker_id, int64_t now_ms) {
  if (job.state != JobState::kLeased || job.worker_id != worker_id) {
    return absl::FailedPreconditionError(absl::StrCat("measurement.job_id: '", job.job_id,
                                                      "' is not leased to this worker (it is ",
                                                      JobStateName(job.state), ")"));
  }
  if (now_ms > job.lease_deadline_ms) {
    return absl::FailedPreconditionError(absl::StrCat("measurement.job_id: '", job.job_id,
                                                      "': the lease ran out ", now_ms - job.lease_deadline_ms,
                                                      " ms ago; the job goes to the next worker that leases"));
  }
  return absl::OkStatus();
}

}  // namespace

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued: return "queued";
    case JobState::kLeased: return "leased";
    case JobState::kDone: return "done";
    case JobState::kFailed: return "failed";
  }
  return "?";
}

absl::Status JobStore::InsertWorker(const WorkerRecord& w) {
  absl::MutexLock lock(&mu_);
  Statement insert(db_, absl::StrCat("INSERT INTO workers (", kWorkerColumns,
                                     ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
                   "InsertWorker");
  insert.BindText(1, w.worker_id).BindText(2, w.device_key).BindBlob(3, w.environment.SerializeAsString());
  insert.BindBlob(4, w.profile.SerializeAsString()).BindInt(5, w.registered_ms).BindInt(6, w.last_heartbeat_ms);
  insert.BindInt(7, w.running_jobs).BindInt(8, w.consecutive_failures).BindInt(9, w.quarantined);
  insert.BindInt(10, w.jobs_done).BindInt(11, w.jobs_failed);
  return insert.Run();
}

absl::StatusOr<WorkerRecord> JobStore::GetWorker(const std::string& worker_id) {
  absl::MutexLock lock(&mu_);
  Statement select(db_, absl::StrCat("SELECT ", kWorkerColumns, " FROM workers WHERE worker_id = ?1"), "GetWorker");
  select.BindText(1, worker_id);
  ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("worker '", worker_id, "' not found"));
  return WorkerFromRow(select);
}

absl::StatusOr<std::vector<WorkerRecord>> JobStore::ListWorkers() {
  absl::MutexLock lock(&mu_);
  Statement select(db_, absl::StrCat("SELECT ", kWorkerColumns, " FROM workers ORDER BY device_key, registered_ms"),
                   "ListWorkers");
  std::vector<WorkerRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return out;
    ASSIGN_OR_RETURN(WorkerRecord w, WorkerFromRow(select));
    out.push_back(std::move(w));
  }
}

absl::Status JobStore::TouchWorker(const std::string& worker_id, int32_t running_jobs, int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  Statement update(db_, "UPDATE workers SET last_heartbeat_ms = ?2, running_jobs = ?3 WHERE worker_id = ?1",
                   "TouchWorker");
  update.BindText(1, worker_id).BindInt(2, now_ms).BindInt(3, running_jobs);
  RETURN_IF_ERROR(update.Run());
  if (sqlite3_changes(db_) == 0) return absl::NotFoundError(absl::StrCat("worker '", worker_id, "' not found"));
  return absl::OkStatus();
}

absl::Status JobStore::EnqueueJobs(const std::vector<JobRecord>& jobs) {
  absl::MutexLock lock(&mu_);
  Transaction txn(db_, "EnqueueJobs");
  RETURN_IF_ERROR(txn.BeginWrite());
  Statement insert(db_, absl::StrCat("INSERT INTO jobs (", kJobColumns, ", queue_order) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                                     "?7, ?8, ?9, ?10, ?11, ?12, (SELECT COALESCE(MAX(queue_order), 0) + 1 FROM jobs))"),
                   "EnqueueJobs");
  for (const JobRecord& j : jobs) {
    insert.Reset();
    insert.BindText(1, j.job_id).BindText(2, j.device_key).BindText(3, j.campaign_id).BindInt(4, j.priority);
    insert.BindBlob(5, j.architecture.SerializeAsString()).BindBlob(6, j.protocol.SerializeAsString());
    insert.BindInt(7, static_cast<int>(JobState::kQueued)).BindText(8, "").BindInt(9, 0).BindInt(10, 0);
    insert.BindText(11, "").BindInt(12, j.created_ms);
    RETURN_IF_ERROR(insert.Run());
  }
  return txn.Commit();
}

absl::StatusOr<JobRecord> JobStore::GetJob(const std::string& job_id) {
  absl::MutexLock lock(&mu_);
  return ReadJob(db_, job_id, "GetJob");
}

absl::StatusOr<std::vector<JobRecord>> JobStore::LeaseJobs(const std::string& worker_id, const std::string& device_key,
                                                        int max_jobs, int64_t now_ms, int64_t deadline_ms) {
  absl::MutexLock lock(&mu_);
  Transaction txn(db_, "LeaseJobs");
  RETURN_IF_ERROR(txn.BeginWrite());
  // A lease that ran out puts its job back at its old place in the queue.
  Statement expire(db_, "UPDATE jobs SET state = ?1, worker_id = '' WHERE state = ?2 AND lease_deadline_ms < ?3",
                   "LeaseJobs: expire");
  expire.BindInt(1, static_cast<int>(JobState::kQueued)).BindInt(2, static_cast<int>(JobState::kLeased));
  RETURN_IF_ERROR(expire.BindInt(3, now_ms).Run());
  Statement select(db_, absl::StrCat("SELECT ", kJobColumns, " FROM jobs WHERE device_key = ?1 AND state = ?2 "
                                     "ORDER BY priority DESC, queue_order LIMIT ?3"),
                   "LeaseJobs: select");
  select.BindText(1, device_key).BindInt(2, static_cast<int>(JobState::kQueued)).BindInt(3, max_jobs);
  std::vector<JobRecord> jobs;
  while (true) {
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    ASSIGN_OR_RETURN(JobRecord j, JobFromRow(select));
    jobs.push_back(std::move(j));
  }
  Statement lease(db_, "UPDATE jobs SET state = ?2, worker_id = ?3, lease_deadline_ms = ?4, attempts = attempts + 1 "
                       "WHERE job_id = ?1",
                  "LeaseJobs: lease");
  for (JobRecord& j : jobs) {
    lease.Reset();
    lease.BindText(1, j.job_id).BindInt(2, static_cast<int>(JobState::kLeased)).BindText(3, worker_id);
    RETURN_IF_ERROR(lease.BindInt(4, deadline_ms).Run());
    j.state = JobState::kLeased, j.worker_id = worker_id, j.lease_deadline_ms = deadline_ms, ++j.attempts;
  }
  RETURN_IF_ERROR(txn.Commit());
  return jobs;
}

absl::StatusOr<bool> JobStore::CompleteJob(const std::string& worker_id, const Measurement& m, int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  Transaction txn(db_, "CompleteJob");
  RETURN_IF_ERROR(txn.BeginWrite());
  ASSIGN_OR_RETURN(JobRecord job, ReadJob(db_, m.job_id(), "CompleteJob"));
  // The same worker's report again: counted already; the rollback changes nothing.
  if (job.state == JobState::kDone && job.worker_id == worker_id) return true;
  RETURN_IF_ERROR(RequireLease(job, worker_id, now_ms));
  Statement insert(db_, "INSERT INTO measurements (job_id, device_key, arch_id, median_ms, measurement, time_ms) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                   "CompleteJob: insert");
  insert.BindText(1, job.job_id).BindText(2, job.device_key).BindText(3, m.arch_id()).BindDouble(4, m.median_ms());
  RETURN_IF_ERROR(insert.BindBlob(5, m.SerializeAsString()).BindInt(6, now_ms).Run());
  Statement done(db_, "UPDATE jobs SET state = ?2, worker_id = ?3 WHERE job_id = ?1", "CompleteJob: job");
  done.BindText(1, job.job_id).BindInt(2, static_cast<int>(JobState::kDone)).BindText(3, worker_id);
  RETURN_IF_ERROR(done.Run());
  Statement streak(db_, "UPDATE workers SET consecutive_failures = 0, jobs_done = jobs_done + 1 WHERE worker_id = ?1",
                   "CompleteJob: worker");
  RETURN_IF_ERROR(streak.BindText(1, worker_id).Run());
  RETURN_IF_ERROR(txn.Commit());
  return false;
}

absl::StatusOr<bool> JobStore::FailJob(const std::string& worker_id, const std::string& job_id, const std::string& error,
                                    int max_attempts, int quarantine_after, int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  Transaction txn(db_, "FailJob");
  RETURN_IF_ERROR(txn.BeginWrite());
  ASSIGN_OR_RETURN(JobRecord job, ReadJob(db_, job_id, "FailJob"));
  RETURN_IF_ERROR(RequireLease(job, worker_id, now_ms));
  const JobState next = job.attempts >= max_attempts ? JobState::kFailed : JobState::kQueued;
  Statement update(db_, "UPDATE jobs SET state = ?2, worker_id = '', error = ?3, "
                        "queue_order = (SELECT MAX(queue_order) + 1 FROM jobs) WHERE job_id = ?1",
                   "FailJob: job");
  RETURN_IF_ERROR(update.BindText(1, job_id).BindInt(2, static_cast<int>(next)).BindText(3, error).Run());
  Statement streak(db_, "UPDATE workers SET consecutive_failures = consecutive_failures + 1, "
                        "jobs_failed = jobs_failed + 1, quarantined = (consecutive_failures + 1 >= ?2) OR quarantined "
                        "WHERE worker_id = ?1",
                   "FailJob: worker");
  RETURN_IF_ERROR(streak.BindText(1, worker_id).BindInt(2, quarantine_after).Run());
  Statement read(db_, "SELECT quarantined FROM workers WHERE worker_id = ?1", "FailJob: read");
  ASSIGN_OR_RETURN(bool row, read.BindText(1, worker_id).Step());
  const bool quarantined = row && read.Int(0) != 0;
  RETURN_IF_ERROR(txn.Commit());
  return quarantined;
}

absl::StatusOr<int> JobStore::ImportMeasurements(const std::vector<std::pair<JobRecord, Measurement>>& items,
                                                 int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  Transaction txn(db_, "ImportMeasurements");
  RETURN_IF_ERROR(txn.BeginWrite());
  // Only a job ID already present is skipped; any other constraint
  // violation fails the import (INSERT OR IGNORE would skip those too).
  Statement job(db_, absl::StrCat("INSERT INTO jobs (", kJobColumns, ", queue_order) VALUES (?1, ?2, '', 0, ",
                                  "?3, ?4, ?5, ?6, 0, 0, '', ?7, 0) ON CONFLICT (job_id) DO NOTHING"),
                "ImportMeasurements: job");
  Statement measurement(db_, "INSERT INTO measurements (job_id, device_key, arch_id, median_ms, measurement, time_ms) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        "ImportMeasurements: measurement");
  int stored = 0;
  for (const auto& [j, m] : items) {
    job.Reset();
    job.BindText(1, j.job_id).BindText(2, j.device_key).BindBlob(3, j.architecture.SerializeAsString());
    job.BindBlob(4, j.protocol.SerializeAsString()).BindInt(5, static_cast<int>(JobState::kDone));
    RETURN_IF_ERROR(job.BindText(6, kImportWorker).BindInt(7, now_ms).Run());
    if (sqlite3_changes(db_) == 0) continue;  // Imported before.
    measurement.Reset();
    measurement.BindText(1, j.job_id).BindText(2, j.device_key).BindText(3, m.arch_id()).BindDouble(4, m.median_ms());
    RETURN_IF_ERROR(measurement.BindBlob(5, m.SerializeAsString()).BindInt(6, now_ms).Run());
    ++stored;
  }
  RETURN_IF_ERROR(txn.Commit());
  return stored;
}

absl::StatusOr<std::map<JobState, int64_t>> JobStore::JobCounts(const std::string& device_key) {
  absl::MutexLock lock(&mu_);
  Statement select(db_, "SELECT state, COUNT(*) FROM jobs WHERE (?1 = '' OR device_key = ?1) AND worker_id != ?2 "
                        "GROUP BY state",
                   "JobCounts");
  select.BindText(1, device_key).BindText(2, kImportWorker);
  std::map<JobState, int64_t> counts;
  while (true) {
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return counts;
    counts[static_cast<JobState>(select.Int(0))] = select.Int(1);
  }
}

absl::StatusOr<int64_t> JobStore::CountMeasurements(const std::string& device_key) {
  absl::MutexLock lock(&mu_);
  Statement count(db_, "SELECT COUNT(*) FROM measurements WHERE device_key = ?1", "CountMeasurements");
  ASSIGN_OR_RETURN(bool row, count.BindText(1, device_key).Step());
  return row ? count.Int(0) : 0;
}

absl::StatusOr<std::vector<std::pair<Architecture, Measurement>>> JobStore::Measurements(const std::string& device_key) {
  absl::MutexLock lock(&mu_);
  Statement select(db_, "SELECT j.architecture, m.measurement FROM measurements m JOIN jobs j USING (job_id) "
                        "WHERE m.device_key = ?1 ORDER BY m.time_ms, j.seq",
                   "Measurements");
  select.BindText(1, device_key);
  std::vector<std::pair<Architecture, Measurement>> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return out;
    std::pair<Architecture, Measurement> item;
    RETURN_IF_ERROR(ParseBlob(select.Blob(0), &item.first, "job architecture"));
    RETURN_IF_ERROR(ParseBlob(select.Blob(1), &item.second, "measurement"));
    out.push_back(std::move(item));
  }
}

}  // namespace ridge::controller
