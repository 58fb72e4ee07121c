// Read-only questions about stored campaigns, answered from the campaign
// store: pages of campaigns, pages of a front with its hypervolumes, and one
// architecture of a front. The gRPC handlers (and later the dashboard) call
// this; none of them reaches into the store. Requests are validated first
// (controller/requests.h). Thread-safe.
#ifndef RIDGE_CONTROLLER_CAMPAIGN_QUERIES_H_
#define RIDGE_CONTROLLER_CAMPAIGN_QUERIES_H_

#include "absl/status/statusor.h"
#include "controller/campaign_store.h"
#include "controller/page_tokens.h"
#include "proto/services.pb.h"

namespace ridge::controller {

class CampaignQueries {
 public:
  // REQUIRES: `store` outlives this.
  CampaignQueries(CampaignStore* store, PageTokens tokens) : store_(store), tokens_(std::move(tokens)) {}

  // Newest first. INVALID_ARGUMENT for a page token this server did not issue.
  absl::StatusOr<ListCampaignsResponse> List(const ListCampaignsRequest& request);
  // One page of the points matching the request's filters, sorted by
  // hardware then latency, with the hypervolume of each matching hardware's
  // whole front. NOT_FOUND for an unknown campaign, INVALID_ARGUMENT for a
  // page token this server did not issue.
  absl::StatusOr<GetParetoFrontResponse> Front(const GetParetoFrontRequest& request);
  // The architecture of one front point. NOT_FOUND if the campaign is
  // unknown or the architecture is on none of its fronts.
  absl::StatusOr<ExportArchitectureResponse> Export(const ExportArchitectureRequest& request);

 private:
  CampaignStore* store_;
  const PageTokens tokens_;
};

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_CAMPAIGN_QUERIES_H_
