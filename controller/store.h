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

 private:
  explicit Store(sqlite3* db) : db_(db) {}
  absl::Status Migrate();

  absl::Mutex mu_;
  sqlite3* db_;
};

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_STORE_H_
