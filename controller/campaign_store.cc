#include "controller/campaign_store.h"

#include "controller/sqlite_util.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iterator>
#include <limits>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace ridge::controller {
namespace {

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

// The columns CampaignFromRow reads, in its order.
constexpr char kCampaignColumns[] =
    "campaign_id, spec, state, step, total_steps, error, created_unix, results";

int64_t NowUnixMs() { return absl::ToUnixMillis(absl::Now()); }

absl::Status NotFound(const std::string& campaign_id) {
  return absl::NotFoundError(absl::StrCat("campaign '", campaign_id, "' not found"));
}

// NOT_FOUND unless the campaign exists. Called inside a write transaction, so
// the answer holds until the commit.
absl::Status RequireCampaign(sqlite3* db, const std::string& campaign_id, absl::string_view op) {
  Statement find(db, "SELECT 1 FROM campaigns WHERE campaign_id = ?1", op);
  find.BindText(1, campaign_id);
  ASSIGN_OR_RETURN(bool found, find.Step());
  return found ? absl::OkStatus() : NotFound(campaign_id);
}

// Per-policy results are stored as one blob: a Campaign holding only
// `results`, because a repeated field needs some message around it.
template <typename Results>
std::string ResultsBlob(const Results& results) {
  Campaign holder;
  for (const PolicyResult& r : results) *holder.add_results() = r;
  return holder.SerializeAsString();
}


// A campaign from a row whose columns are kCampaignColumns.
absl::StatusOr<Campaign> CampaignFromRow(const Statement& row) {
  Campaign c;
  c.set_campaign_id(row.Text(0));
  const std::string what = absl::StrCat("campaign '", c.campaign_id(), "'");
  if (!row.IsNull(1)) RETURN_IF_ERROR(ParseBlob(row.Blob(1), c.mutable_spec(), what + " spec"));
  c.set_state(static_cast<CampaignState>(row.Int(2)));
  c.set_step(row.Int(3));
  c.set_total_steps(row.Int(4));
  c.set_error(row.Text(5));
  c.set_created_unix(row.Int(6));
  Campaign holder;
  RETURN_IF_ERROR(ParseBlob(row.Blob(7), &holder, what + " results"));
  c.mutable_results()->Swap(holder.mutable_results());
  return c;
}

// Reads every remaining row of `select` as a campaign.
absl::StatusOr<std::vector<Campaign>> ReadCampaigns(Statement& select) {
  std::vector<Campaign> campaigns;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return campaigns;
    ASSIGN_OR_RETURN(Campaign c, CampaignFromRow(select));
    campaigns.push_back(std::move(c));
  }
}

}  // namespace

absl::Status CampaignStore::InsertCampaign(const Campaign& campaign) {
  if (campaign.campaign_id().empty()) {
    return absl::InvalidArgumentError("InsertCampaign: campaign_id is empty");
  }
  absl::MutexLock lock(&mu_);
  Statement insert(db_, R"sql(
      INSERT INTO campaigns (campaign_id, spec, state, step, total_steps, error, created_unix,
                             results, updated_unix_ms)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9))sql",
                   "InsertCampaign");
  insert.BindText(1, campaign.campaign_id());
  // Unbound parameters are NULL: an unset spec stays unset when read back.
  if (campaign.has_spec()) insert.BindBlob(2, campaign.spec().SerializeAsString());
  insert.BindInt(3, campaign.state())
      .BindInt(4, campaign.step())
      .BindInt(5, campaign.total_steps())
      .BindText(6, campaign.error())
      .BindInt(7, campaign.created_unix())
      .BindBlob(8, ResultsBlob(campaign.results()))
      .BindInt(9, NowUnixMs());
  absl::Status status = insert.Run();
  if (status.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError(
        absl::StrCat("campaign '", campaign.campaign_id(), "' already exists"));
  }
  return status;
}

absl::StatusOr<Campaign> CampaignStore::GetCampaign(const std::string& campaign_id) {
  absl::MutexLock lock(&mu_);
  Statement select(
      db_, absl::StrCat("SELECT ", kCampaignColumns, " FROM campaigns WHERE campaign_id = ?1"),
      "GetCampaign");
  select.BindText(1, campaign_id);
  ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) return NotFound(campaign_id);
  return CampaignFromRow(select);
}

absl::StatusOr<std::vector<Campaign>> CampaignStore::ListCampaigns(int page_size,
                                                           const std::string& page_token,
                                                           std::string* next_page_token) {
  if (page_size <= 0) page_size = kDefaultPageSize;
  page_size = std::min(page_size, kMaxPageSize);
  // The token is the `id` of the last campaign of the previous page, in
  // decimal. CHexEscape keeps whatever a client sent printable in the error.
  const absl::Status bad_token = absl::InvalidArgumentError(absl::StrCat(
      "page_token: '", absl::CHexEscape(page_token), "' is not a token this server issued"));
  int64_t after_id = 0;
  if (!page_token.empty()) {
    const bool digits = std::all_of(page_token.begin(), page_token.end(),
                                    [](unsigned char ch) { return std::isdigit(ch); });
    if (!digits || !absl::SimpleAtoi(page_token, &after_id) || after_id <= 0) return bad_token;
  }

  absl::MutexLock lock(&mu_);
  // One snapshot for the token lookup and the page.
  Transaction txn(db_, "ListCampaigns");
  RETURN_IF_ERROR(txn.BeginRead());
  // Keyset pagination: the page starts strictly after the token's row in
  // (created_unix, id) order, so inserts between pages neither repeat nor
  // skip rows. Without a token, the bound is past every row.
  int64_t after_created = std::numeric_limits<int64_t>::max();
  if (after_id == 0) {
    after_id = std::numeric_limits<int64_t>::max();
  } else {
    Statement last(db_, "SELECT created_unix FROM campaigns WHERE id = ?1",
                   "ListCampaigns: read page token");
    last.BindInt(1, after_id);
    ASSIGN_OR_RETURN(bool found, last.Step());
    if (!found) return bad_token;
    after_created = last.Int(0);
  }
  // One row more than the page tells whether another page follows. `id`
  // comes after kCampaignColumns, so CampaignFromRow reads the row as is.
  Statement select(db_, absl::StrCat("SELECT ", kCampaignColumns, R"sql(, id FROM campaigns
      WHERE (created_unix, id) < (?1, ?2)
      ORDER BY created_unix DESC, id DESC LIMIT ?3)sql"),
                   "ListCampaigns");
  select.BindInt(1, after_created).BindInt(2, after_id).BindInt(3, page_size + 1);
  constexpr int kIdColumn = 8;
  std::vector<Campaign> page;
  bool more = false;
  int64_t last_id = 0;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    if (static_cast<int>(page.size()) == page_size) {
      more = true;
      break;
    }
    ASSIGN_OR_RETURN(Campaign c, CampaignFromRow(select));
    page.push_back(std::move(c));
    last_id = select.Int(kIdColumn);
  }
  RETURN_IF_ERROR(txn.Commit());
  if (next_page_token != nullptr) *next_page_token = more ? absl::StrCat(last_id) : "";
  return page;
}

absl::StatusOr<std::vector<Campaign>> CampaignStore::UnfinishedCampaigns() {
  absl::MutexLock lock(&mu_);
  Statement select(db_, absl::StrCat("SELECT ", kCampaignColumns, R"sql( FROM campaigns
      WHERE state NOT IN (?1, ?2, ?3)
      ORDER BY created_unix, id)sql"),
                   "UnfinishedCampaigns");
  select.BindInt(1, DONE).BindInt(2, FAILED).BindInt(3, CANCELLED);
  return ReadCampaigns(select);
}

absl::Status CampaignStore::UpdateProgress(const std::string& campaign_id, CampaignState state,
                                   int64_t step, int64_t total_steps, const std::string& error) {
  absl::MutexLock lock(&mu_);
  Statement update(db_, R"sql(
      UPDATE campaigns SET state = ?2, step = ?3, total_steps = ?4, error = ?5, updated_unix_ms = ?6
      WHERE campaign_id = ?1)sql",
                   "UpdateProgress");
  update.BindText(1, campaign_id)
      .BindInt(2, state)
      .BindInt(3, step)
      .BindInt(4, total_steps)
      .BindText(5, error)
      .BindInt(6, NowUnixMs());
  RETURN_IF_ERROR(update.Run());
  // One statement, so no transaction: it changed one row or none.
  return sqlite3_changes(db_) == 0 ? NotFound(campaign_id) : absl::OkStatus();
}

absl::Status CampaignStore::SetResults(const std::string& campaign_id,
                               const std::vector<PolicyResult>& results) {
  absl::MutexLock lock(&mu_);
  Statement update(db_, R"sql(
      UPDATE campaigns SET results = ?2, updated_unix_ms = ?3 WHERE campaign_id = ?1)sql",
                   "SetResults");
  update.BindText(1, campaign_id).BindBlob(2, ResultsBlob(results)).BindInt(3, NowUnixMs());
  RETURN_IF_ERROR(update.Run());
  return sqlite3_changes(db_) == 0 ? NotFound(campaign_id) : absl::OkStatus();
}

absl::StatusOr<int64_t> CampaignStore::AppendEvent(const ProgressEvent& event) {
  return WriteEvent(event, /*update_progress=*/false, "");
}

absl::StatusOr<int64_t> CampaignStore::RecordProgress(const ProgressEvent& event, const std::string& error) {
  return WriteEvent(event, /*update_progress=*/true, error);
}

absl::StatusOr<int64_t> CampaignStore::WriteEvent(const ProgressEvent& event, bool update_progress, const std::string& error) {
  const std::string& campaign_id = event.campaign_id();
  absl::MutexLock lock(&mu_);
  // Reading the last seq and inserting the next are one transaction, so a
  // failed insert cannot leave a gap and no two events share a number; the
  // campaign's progress moves in the same commit as its event.
  Transaction txn(db_, "AppendEvent");
  RETURN_IF_ERROR(txn.BeginWrite());
  RETURN_IF_ERROR(RequireCampaign(db_, campaign_id, "AppendEvent"));
  Statement next(db_, "SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE campaign_id = ?1",
                 "AppendEvent: next seq");
  next.BindText(1, campaign_id);
  ASSIGN_OR_RETURN(bool row, next.Step());
  if (!row) return absl::InternalError("AppendEvent: next seq returned no row");
  const int64_t seq = next.Int(0);
  Statement insert(db_, "INSERT INTO events (campaign_id, seq, event) VALUES (?1, ?2, ?3)",
                   "AppendEvent: insert");
  insert.BindText(1, campaign_id).BindInt(2, seq).BindBlob(3, event.SerializeAsString());
  RETURN_IF_ERROR(insert.Run());
  if (update_progress) {
    Statement update(db_, R"sql(
        UPDATE campaigns SET state = ?2, step = ?3, total_steps = ?4, error = ?5, updated_unix_ms = ?6
        WHERE campaign_id = ?1)sql",
                     "RecordProgress");
    update.BindText(1, campaign_id).BindInt(2, event.state()).BindInt(3, event.step());
    update.BindInt(4, event.total_steps()).BindText(5, error).BindInt(6, NowUnixMs());
    RETURN_IF_ERROR(update.Run());
  }
  RETURN_IF_ERROR(txn.Commit());
  return seq;
}

absl::StatusOr<std::vector<std::pair<int64_t, ProgressEvent>>> CampaignStore::EventsAfter(
    const std::string& campaign_id, int64_t after_seq, int limit) {
  absl::MutexLock lock(&mu_);
  Statement select(db_, R"sql(
      SELECT seq, event FROM events WHERE campaign_id = ?1 AND seq > ?2
      ORDER BY seq LIMIT ?3)sql",
                   "EventsAfter");
  // A negative LIMIT is no limit in sqlite; limit <= 0 means "all" here.
  select.BindText(1, campaign_id).BindInt(2, after_seq).BindInt(3, limit > 0 ? limit : -1);
  std::vector<std::pair<int64_t, ProgressEvent>> events;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return events;
    ProgressEvent event;
    RETURN_IF_ERROR(ParseBlob(select.Blob(1), &event,
                              absl::StrCat("event ", select.Int(0), " of '", campaign_id, "'")));
    events.emplace_back(select.Int(0), std::move(event));
  }
}

absl::Status CampaignStore::ReplaceFront(const std::string& campaign_id,
                                 const std::vector<ParetoPoint>& points,
                                 const std::map<std::string, double>& hypervolume_by_hardware) {
  absl::MutexLock lock(&mu_);
  // Readers see the old front or the new one, never a mix; any failure
  // (e.g. a NaN, which sqlite stores as NULL) rolls the deletes back too.
  Transaction txn(db_, "ReplaceFront");
  RETURN_IF_ERROR(txn.BeginWrite());
  RETURN_IF_ERROR(RequireCampaign(db_, campaign_id, "ReplaceFront"));
  for (const char* sql : {"DELETE FROM pareto_points WHERE campaign_id = ?1",
                          "DELETE FROM hypervolumes WHERE campaign_id = ?1"}) {
    Statement clear(db_, sql, "ReplaceFront: delete old front");
    clear.BindText(1, campaign_id);
    RETURN_IF_ERROR(clear.Run());
  }
  Statement insert_point(db_, R"sql(
      INSERT INTO pareto_points (campaign_id, idx, hardware, arch_id, proxy_accuracy,
                                 predicted_latency_ms, point)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))sql",
                         "ReplaceFront: insert point");
  for (size_t i = 0; i < points.size(); ++i) {
    const ParetoPoint& p = points[i];
    insert_point.Reset();
    insert_point.BindText(1, campaign_id)
        .BindInt(2, static_cast<int64_t>(i))
        .BindText(3, p.hardware())
        .BindText(4, p.arch_id())
        .BindDouble(5, p.proxy_accuracy())
        .BindDouble(6, p.predicted_latency_ms())
        .BindBlob(7, p.SerializeAsString());
    RETURN_IF_ERROR(insert_point.Run());
  }
  Statement insert_volume(db_, R"sql(
      INSERT INTO hypervolumes (campaign_id, hardware, hypervolume) VALUES (?1, ?2, ?3))sql",
                          "ReplaceFront: insert hypervolume");
  for (const auto& [hardware, volume] : hypervolume_by_hardware) {
    insert_volume.Reset();
    insert_volume.BindText(1, campaign_id).BindText(2, hardware).BindDouble(3, volume);
    RETURN_IF_ERROR(insert_volume.Run());
  }
  return txn.Commit();
}

absl::StatusOr<std::vector<ParetoPoint>> CampaignStore::QueryFront(const std::string& campaign_id,
                                                           const FrontQuery& query,
                                                           int64_t* total) {
  if (query.offset < 0 || query.limit < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "QueryFront: offset ", query.offset, " and limit ", query.limit, " must not be negative"));
  }
  // Bounds are inclusive; a bound of 0 (or an empty hardware) matches all.
  constexpr char kWhere[] = R"sql(
      WHERE campaign_id = ?1 AND (?2 = '' OR hardware = ?2)
        AND (?3 = 0 OR predicted_latency_ms >= ?3) AND (?4 = 0 OR predicted_latency_ms <= ?4)
        AND (?5 = 0 OR proxy_accuracy >= ?5) AND (?6 = 0 OR proxy_accuracy <= ?6))sql";
  auto bind_filter = [&](Statement& s) {
    s.BindText(1, campaign_id)
        .BindText(2, query.hardware)
        .BindDouble(3, query.min_latency_ms)
        .BindDouble(4, query.max_latency_ms)
        .BindDouble(5, query.min_accuracy)
        .BindDouble(6, query.max_accuracy);
  };

  absl::MutexLock lock(&mu_);
  // One snapshot, so `total` counts the same front the page comes from.
  Transaction txn(db_, "QueryFront");
  RETURN_IF_ERROR(txn.BeginRead());
  if (total != nullptr) {
    Statement count(db_, absl::StrCat("SELECT COUNT(*) FROM pareto_points", kWhere),
                    "QueryFront: count");
    bind_filter(count);
    ASSIGN_OR_RETURN(bool row, count.Step());
    *total = row ? count.Int(0) : 0;
  }
  // idx last keeps ties in the order ReplaceFront was given.
  Statement select(db_, absl::StrCat("SELECT point FROM pareto_points", kWhere, R"sql(
      ORDER BY hardware, predicted_latency_ms, idx LIMIT ?7 OFFSET ?8)sql"),
                   "QueryFront");
  bind_filter(select);
  select.BindInt(7, query.limit).BindInt(8, query.offset);
  std::vector<ParetoPoint> points;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    ParetoPoint p;
    RETURN_IF_ERROR(
        ParseBlob(select.Blob(0), &p, absl::StrCat("Pareto point of '", campaign_id, "'")));
    points.push_back(std::move(p));
  }
  RETURN_IF_ERROR(txn.Commit());
  return points;
}

absl::StatusOr<std::map<std::string, double>> CampaignStore::Hypervolumes(const std::string& campaign_id) {
  absl::MutexLock lock(&mu_);
  Statement select(db_, "SELECT hardware, hypervolume FROM hypervolumes WHERE campaign_id = ?1",
                   "Hypervolumes");
  select.BindText(1, campaign_id);
  std::map<std::string, double> volumes;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return volumes;
    volumes[select.Text(0)] = select.Double(1);
  }
}

absl::StatusOr<ParetoPoint> CampaignStore::FrontPoint(const std::string& campaign_id, const std::string& arch_id) {
  absl::MutexLock lock(&mu_);
  Statement select(db_, R"sql(
      SELECT point FROM pareto_points WHERE campaign_id = ?1 AND arch_id = ?2
      ORDER BY hardware, predicted_latency_ms, idx LIMIT 1)sql",
                   "FrontPoint");
  select.BindText(1, campaign_id).BindText(2, arch_id);
  ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) {
    return absl::NotFoundError(absl::StrCat("arch_id: '", arch_id, "' is on no front of campaign ", campaign_id));
  }
  ParetoPoint p;
  RETURN_IF_ERROR(ParseBlob(select.Blob(0), &p, absl::StrCat("Pareto point of '", campaign_id, "'")));
  return p;
}

absl::Status CampaignStore::RecordCheckpoint(const std::string& campaign_id,
                                     const CheckpointRecord& record) {
  absl::MutexLock lock(&mu_);
  // The existence check and the write are one transaction, for a clear
  // NOT_FOUND rather than a foreign-key error.
  Transaction txn(db_, "RecordCheckpoint");
  RETURN_IF_ERROR(txn.BeginWrite());
  RETURN_IF_ERROR(RequireCampaign(db_, campaign_id, "RecordCheckpoint"));
  // One row per campaign: REPLACE overwrites the previous record.
  Statement upsert(db_, R"sql(
      INSERT OR REPLACE INTO checkpoints (campaign_id, path, stage, step, time_unix_ms)
      VALUES (?1, ?2, ?3, ?4, ?5))sql",
                   "RecordCheckpoint");
  upsert.BindText(1, campaign_id)
      .BindText(2, record.path)
      .BindText(3, record.stage)
      .BindInt(4, record.step)
      .BindInt(5, record.time_unix_ms);
  RETURN_IF_ERROR(upsert.Run());
  return txn.Commit();
}

absl::Status CampaignStore::DeleteCheckpoint(const std::string& campaign_id) {
  absl::MutexLock lock(&mu_);
  Statement remove(db_, "DELETE FROM checkpoints WHERE campaign_id = ?1", "DeleteCheckpoint");
  return remove.BindText(1, campaign_id).Run();
}

absl::StatusOr<std::optional<CheckpointRecord>> CampaignStore::LatestCheckpoint(
    const std::string& campaign_id) {
  absl::MutexLock lock(&mu_);
  Statement select(db_, R"sql(
      SELECT path, stage, step, time_unix_ms FROM checkpoints WHERE campaign_id = ?1)sql",
                   "LatestCheckpoint");
  select.BindText(1, campaign_id);
  ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) return std::optional<CheckpointRecord>();
  CheckpointRecord record;
  record.path = select.Text(0);
  record.stage = select.Text(1);
  record.step = select.Int(2);
  record.time_unix_ms = select.Int(3);
  return std::optional<CheckpointRecord>(std::move(record));
}

}  // namespace ridge::controller
