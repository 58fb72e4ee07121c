#include "controller/database.h"

#include <sqlite3.h>

#include <iterator>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "controller/sqlite_util.h"

namespace ridge::controller {
namespace {

// Schema migrations, oldest first: kMigrations[i] takes a database from
// user_version i to i + 1. To change the schema, append a script (v2: workers,
// jobs, measurements); never edit one that has shipped, because databases in
// the field have already run it.
constexpr const char* kMigrations[] = {
    // v1: campaigns, their progress events, Pareto fronts and checkpoints.
    R"sql(
      CREATE TABLE campaigns (
        -- Insertion order: breaks ties in created_unix and keys page tokens.
        -- AUTOINCREMENT never reuses an ID, so an old token cannot point at a
        -- different campaign.
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        campaign_id TEXT NOT NULL UNIQUE,
        spec BLOB,                        -- CampaignSpec; NULL when unset.
        state INTEGER NOT NULL,           -- CampaignState.
        step INTEGER NOT NULL,
        total_steps INTEGER NOT NULL,
        error TEXT NOT NULL,
        created_unix INTEGER NOT NULL,
        results BLOB NOT NULL,            -- A Campaign holding only `results`.
        updated_unix_ms INTEGER NOT NULL  -- Last write, for operators.
      );
      CREATE INDEX campaigns_by_created ON campaigns (created_unix, id);

      CREATE TABLE events (
        campaign_id TEXT NOT NULL
            REFERENCES campaigns (campaign_id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,             -- 1, 2, ... per campaign.
        event BLOB NOT NULL,              -- ProgressEvent.
        PRIMARY KEY (campaign_id, seq)
      );

      CREATE TABLE pareto_points (
        campaign_id TEXT NOT NULL
            REFERENCES campaigns (campaign_id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,             -- Position in ReplaceFront's input.
        hardware TEXT NOT NULL,
        arch_id TEXT NOT NULL,
        proxy_accuracy REAL NOT NULL,
        predicted_latency_ms REAL NOT NULL,
        point BLOB NOT NULL,              -- The whole ParetoPoint.
        PRIMARY KEY (campaign_id, idx)
      );
      CREATE INDEX pareto_points_by_hardware
          ON pareto_points (campaign_id, hardware, predicted_latency_ms);

      CREATE TABLE hypervolumes (
        campaign_id TEXT NOT NULL
            REFERENCES campaigns (campaign_id) ON DELETE CASCADE,
        hardware TEXT NOT NULL,
        hypervolume REAL NOT NULL,
        PRIMARY KEY (campaign_id, hardware)
      );

      CREATE TABLE checkpoints (
        campaign_id TEXT PRIMARY KEY NOT NULL
            REFERENCES campaigns (campaign_id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        stage TEXT NOT NULL,
        step INTEGER NOT NULL,
        time_unix_ms INTEGER NOT NULL
      );
    )sql",
    // v2: measurement workers, their jobs and the measurements they report.
    R"sql(
      CREATE TABLE workers (
        worker_id TEXT PRIMARY KEY NOT NULL,
        device_key TEXT NOT NULL,
        environment BLOB NOT NULL,        -- Environment.
        profile BLOB NOT NULL,            -- HardwareProfile, self-measured.
        registered_ms INTEGER NOT NULL,
        last_heartbeat_ms INTEGER NOT NULL,
        running_jobs INTEGER NOT NULL,
        consecutive_failures INTEGER NOT NULL,
        quarantined INTEGER NOT NULL,
        jobs_done INTEGER NOT NULL,
        jobs_failed INTEGER NOT NULL
      );

      CREATE TABLE jobs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        -- FIFO position; a failed job moves to the back, so one bad job
        -- cannot keep a worker from the others.
        queue_order INTEGER NOT NULL,
        job_id TEXT NOT NULL UNIQUE,
        device_key TEXT NOT NULL,
        campaign_id TEXT NOT NULL,        -- '' outside campaigns.
        priority INTEGER NOT NULL,
        architecture BLOB NOT NULL,       -- Architecture.
        protocol BLOB NOT NULL,           -- TimingProtocol.
        state INTEGER NOT NULL,           -- JobState.
        worker_id TEXT NOT NULL,
        lease_deadline_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL,
        error TEXT NOT NULL,
        created_ms INTEGER NOT NULL
      );
      CREATE INDEX jobs_queue ON jobs (device_key, state, priority DESC, queue_order);

      CREATE TABLE measurements (
        job_id TEXT PRIMARY KEY NOT NULL REFERENCES jobs (job_id),
        device_key TEXT NOT NULL,
        arch_id TEXT NOT NULL,
        median_ms REAL NOT NULL,
        measurement BLOB NOT NULL,        -- Measurement.
        time_ms INTEGER NOT NULL
      );
      CREATE INDEX measurements_by_device ON measurements (device_key, time_ms);
    )sql",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

// Lock waits longer than this (another process holding the file) fail with
// UNAVAILABLE instead of blocking the controller forever.
constexpr int kBusyTimeoutMs = 5000;
absl::StatusOr<int> UserVersion(sqlite3* db) {
  Statement read(db, "PRAGMA user_version", "read user_version");
  ASSIGN_OR_RETURN(bool row, read.Step());
  if (!row) return absl::InternalError("PRAGMA user_version returned no row");
  return static_cast<int>(read.Int(0));
}

// Connection settings; they are per connection, so they run at every Open.
absl::Status Configure(sqlite3* db) {
  sqlite3_extended_result_codes(db, 1);  // Tells UNIQUE from NOT NULL failures.
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // journal_mode answers with the mode in effect, which stays the old one if
  // WAL is unavailable (e.g. no shared memory on the file system).
  Statement wal(db, "PRAGMA journal_mode = WAL", "set journal_mode=WAL");
  ASSIGN_OR_RETURN(bool row, wal.Step());
  const std::string mode = row ? wal.Text(0) : "";
  // An in-memory database (":memory:", tests) has nothing to make durable.
  if (mode != "wal" && mode != "memory") {
    return absl::FailedPreconditionError(
        absl::StrCat("journal_mode is '", mode, "'; the store needs WAL"));
  }
  // FULL syncs the WAL at every commit: an OK return means the data is on
  // disk. foreign_keys is off by default in sqlite.
  return Exec(db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;", "set pragmas");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  sqlite3* db = nullptr;
  // NOMUTEX: mu_ already serialises every use of the connection.
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  // sqlite allocates a handle even when opening fails; the Database closes it.
  std::unique_ptr<Database> database(new Database(db));
  if (rc != SQLITE_OK) return WithContext(SqliteError(db, rc, "open"), path);
  // Errors name the file: the controller may open more than one.
  RETURN_IF_ERROR(WithContext(Configure(db), path));
  RETURN_IF_ERROR(WithContext(database->Migrate(), path));
  return database;
}

Database::~Database() { sqlite3_close_v2(db_); }

absl::Status Database::Migrate() {
  absl::MutexLock lock(&mu_);
  for (;;) {
    // The version is read inside the write transaction that applies the next
    // migration, so two processes opening one file cannot both apply it.
    Transaction txn(db_, "migrate");
    RETURN_IF_ERROR(txn.BeginWrite());
    ASSIGN_OR_RETURN(int version, UserVersion(db_));
    if (version > kSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrCat("database schema version ", version,
                                                        " is newer than version ", kSchemaVersion,
                                                        ", the newest this binary supports"));
    }
    if (version == kSchemaVersion) return txn.Commit();
    const std::string op = absl::StrCat("migrate to schema version ", version + 1);
    RETURN_IF_ERROR(Exec(db_, kMigrations[version], op));
    // PRAGMA takes no bound parameters; the number is our own, not input.
    RETURN_IF_ERROR(Exec(db_, absl::StrCat("PRAGMA user_version = ", version + 1), op));
    RETURN_IF_ERROR(txn.Commit());
    Log(Component::kStore)->info("schema migrated from_version={} to_version={}", version, version + 1);
  }
}

int Database::schema_version() {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<int> version = UserVersion(db_);
  return version.ok() ? *version : -1;  // The API has no status; -1 is never a version.
}

}  // namespace ridge::controller
