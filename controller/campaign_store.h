// The campaign part of the controller's store (docs/design.md §7):
// campaigns with their specs, state and per-policy results, progress events,
// Pareto points and hypervolumes, and checkpoint records, in the tables of
// database.h. Every method is one transaction and thread-safe (the
// database's lock); a call that returns OK has committed.
#ifndef RIDGE_CONTROLLER_CAMPAIGN_STORE_H_
#define RIDGE_CONTROLLER_CAMPAIGN_STORE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "controller/database.h"
#include "proto/services.pb.h"

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

class CampaignStore {
 public:
  // REQUIRES: `database` outlives the store.
  explicit CampaignStore(Database* database) : mu_(database->mu()), db_(database->handle()) {}

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
  // The stored point of architecture `arch_id` on any front of the campaign
  // (the first, by hardware and latency). NOT_FOUND if there is none.
  absl::StatusOr<ParetoPoint> FrontPoint(const std::string& campaign_id, const std::string& arch_id);

  // Records the latest checkpoint of a campaign (replacing the previous record).
  absl::Status RecordCheckpoint(const std::string& campaign_id, const CheckpointRecord& record);
  // Forgets the campaign's checkpoint record (the file is the caller's).
  absl::Status DeleteCheckpoint(const std::string& campaign_id);
  // The latest record, or nullopt if none.
  absl::StatusOr<std::optional<CheckpointRecord>> LatestCheckpoint(const std::string& campaign_id);

 private:
  absl::StatusOr<int64_t> WriteEvent(const ProgressEvent& event, bool update_progress, const std::string& error);

  absl::Mutex& mu_;
  sqlite3* db_;
};

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_CAMPAIGN_STORE_H_
