#include "controller/dashboard_data.h"

#include <utility>

#include "absl/strings/match.h"
#include "common/status_macros.h"
#include "controller/latency_report.h"

namespace ridge::controller {
namespace {

// Events kept per campaign for the rate: at the default of one event per 10
// steps, the last 320 steps.
constexpr size_t kRecentEvents = 32;
// Campaigns whose cursors are kept; beyond, all are dropped and re-read
// (cheap, and bounded however many IDs are asked for).
constexpr size_t kMaxCursors = 64;
// A front page as large as the store gives: a dashboard shows it whole.
constexpr int kFrontPageSize = 1000;

bool IsTraining(CampaignState state) { return state == COARSE || state == FINE; }

// The event a run starts with (search/campaign_run.cc): events before it
// belong to another process's run, and the time between them to a restart.
bool IsRunStart(const ProgressEvent& e) {
  return e.message() == "search started" || absl::StartsWith(e.message(), "resumed from the checkpoint");
}

}  // namespace

double EstimateEtaSeconds(const std::deque<ProgressEvent>& recent) {
  if (recent.size() < 2) return -1;
  const ProgressEvent& latest = recent.back();
  if (!IsTraining(latest.state())) return -1;
  // The oldest event of the same stage, step count and run, so neither a
  // stage change (coarse to fine restarts the step count) nor a restart
  // mixes two rates.
  const ProgressEvent* first = &latest;
  for (auto it = recent.rbegin(); it != recent.rend(); ++it) {
    if (it->state() != latest.state() || it->total_steps() != latest.total_steps() || it->step() > first->step()) break;
    first = &*it;
    if (IsRunStart(*it)) break;
  }
  const int64_t steps = latest.step() - first->step();
  const int64_t ms = latest.time_unix_ms() - first->time_unix_ms();
  if (steps <= 0 || ms <= 0) return -1;
  return static_cast<double>(latest.total_steps() - latest.step()) * ms / steps / 1000.0;
}

absl::StatusOr<ListCampaignsResponse> ServiceDashboardData::Campaigns(const ListCampaignsRequest& request) {
  return queries_->List(request);
}

absl::StatusOr<std::deque<ProgressEvent>> ServiceDashboardData::RecentEvents(const std::string& campaign_id) {
  absl::MutexLock lock(&mu_);
  if (cursors_.size() >= kMaxCursors && cursors_.count(campaign_id) == 0) cursors_.clear();
  EventCursor& cursor = cursors_[campaign_id];
  bool ended = false;
  while (true) {
    // No wait: the page polls; WaitEvents answers what is stored now.
    ASSIGN_OR_RETURN(auto events, manager_->WaitEvents(campaign_id, cursor.after_seq, absl::ZeroDuration(), &ended));
    for (auto& [seq, event] : events) {
      cursor.after_seq = seq;
      cursor.recent.push_back(std::move(event));
      if (cursor.recent.size() > kRecentEvents) cursor.recent.pop_front();
    }
    if (events.empty() || ended) break;
  }
  return cursor.recent;
}

absl::StatusOr<CampaignView> ServiceDashboardData::CampaignPage(const std::string& campaign_id) {
  CampaignView view;
  ASSIGN_OR_RETURN(view.campaign, manager_->Get(campaign_id));
  ASSIGN_OR_RETURN(std::deque<ProgressEvent> recent, RecentEvents(campaign_id));
  if (!recent.empty()) view.latest = recent.back();
  view.eta_seconds = EstimateEtaSeconds(recent);
  if (view.campaign.state() == DONE) {
    GetParetoFrontRequest request;
    request.set_campaign_id(campaign_id);
    request.set_page_size(kFrontPageSize);
    ASSIGN_OR_RETURN(view.front, queries_->Front(request));
  }
  return view;
}

absl::StatusOr<ListWorkersResponse> ServiceDashboardData::Workers(const ListWorkersRequest& request) {
  return jobs_->Workers(request.device_key());
}

absl::StatusOr<LatencyReportResponse> ServiceDashboardData::LatencyReport(const LatencyReportRequest& request) {
  return DeviceLatencyReport(jobs_, request);
}

}  // namespace ridge::controller
