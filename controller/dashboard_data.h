// What the dashboard (controller/dashboard.h) shows, asked of the same
// classes the gRPC handlers call: CampaignQueries for pages of campaigns and
// fronts, CampaignManager for one campaign and its events, JobQueue for
// workers and latency reports. An interface, so the handler's tests need no
// store. Requests reach it validated.
#ifndef RIDGE_CONTROLLER_DASHBOARD_DATA_H_
#define RIDGE_CONTROLLER_DASHBOARD_DATA_H_

#include <deque>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "controller/campaign_manager.h"
#include "controller/campaign_queries.h"
#include "controller/job_queue.h"
#include "proto/services.pb.h"

namespace ridge::controller {

// One campaign as its live page shows it.
struct CampaignView {
  Campaign campaign;
  // Its newest progress event: each policy's argmax latency and reward.
  std::optional<ProgressEvent> latest;
  // Seconds left in the current stage at the recent rate; negative if unknown.
  double eta_seconds = -1;
  // Its fronts, once the campaign is DONE.
  std::optional<GetParetoFrontResponse> front;
};

class DashboardData {
 public:
  virtual ~DashboardData() = default;
  virtual absl::StatusOr<ListCampaignsResponse> Campaigns(const ListCampaignsRequest& request) = 0;
  // NOT_FOUND for an unknown campaign.
  virtual absl::StatusOr<CampaignView> CampaignPage(const std::string& campaign_id) = 0;
  virtual absl::StatusOr<ListWorkersResponse> Workers(const ListWorkersRequest& request) = 0;
  virtual absl::StatusOr<LatencyReportResponse> LatencyReport(const LatencyReportRequest& request) = 0;
};

// Seconds until `latest` reaches its total, at the rate between the oldest
// event of `recent` in the same training stage and `latest` (the last of
// `recent`); -1 when there is no such rate (one event, a stage change, no
// training stage).
double EstimateEtaSeconds(const std::deque<ProgressEvent>& recent);

// The controller's own answers. Thread-safe.
class ServiceDashboardData final : public DashboardData {
 public:
  // REQUIRES: all three outlive this.
  ServiceDashboardData(CampaignManager* manager, CampaignQueries* queries, JobQueue* jobs)
      : manager_(manager), queries_(queries), jobs_(jobs) {}

  absl::StatusOr<ListCampaignsResponse> Campaigns(const ListCampaignsRequest& request) override;
  absl::StatusOr<CampaignView> CampaignPage(const std::string& campaign_id) override;
  absl::StatusOr<ListWorkersResponse> Workers(const ListWorkersRequest& request) override;
  absl::StatusOr<LatencyReportResponse> LatencyReport(const LatencyReportRequest& request) override;

 private:
  // Where a campaign's event stream was last read, and its newest events: a
  // page polled every second reads only what is new.
  struct EventCursor {
    int64_t after_seq = 0;
    std::deque<ProgressEvent> recent;
  };
  // Reads the campaign's new events into its cursor; returns a copy of the
  // recent ones.
  absl::StatusOr<std::deque<ProgressEvent>> RecentEvents(const std::string& campaign_id);

  CampaignManager* manager_;
  CampaignQueries* queries_;
  JobQueue* jobs_;
  absl::Mutex mu_;
  std::map<std::string, EventCursor> cursors_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_DASHBOARD_DATA_H_
