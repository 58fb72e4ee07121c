#include "controller/campaign_queries.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "controller/requests.h"
#include "proto/architecture.h"

namespace ridge::controller {
namespace {

constexpr int kDefaultPageSize = 100;
constexpr char kCampaignsScope[] = "campaigns";

// What a front page token is bound to: the campaign and every filter, so a
// token cannot be replayed against another query.
std::string FrontScope(const GetParetoFrontRequest& r) {
  return absl::StrCat("front/", r.campaign_id(), "/", r.hardware(), "/", r.min_latency_ms(), "/", r.max_latency_ms(),
                      "/", r.min_accuracy(), "/", r.max_accuracy());
}

}  // namespace

absl::StatusOr<ListCampaignsResponse> CampaignQueries::List(const ListCampaignsRequest& request) {
  // The store pages by row; the client sees that row only inside a signed token.
  std::string after_row;
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(int64_t row, tokens_.Check(kCampaignsScope, request.page_token()));
    after_row = absl::StrCat(row);
  }
  ListCampaignsResponse response;
  std::string next;
  ASSIGN_OR_RETURN(std::vector<Campaign> page, store_->ListCampaigns(request.page_size(), after_row, &next));
  for (Campaign& c : page) *response.add_campaigns() = std::move(c);
  int64_t next_row = 0;
  if (!next.empty() && absl::SimpleAtoi(next, &next_row)) response.set_next_page_token(tokens_.Issue(kCampaignsScope, next_row));
  return response;
}

absl::StatusOr<GetParetoFrontResponse> CampaignQueries::Front(const GetParetoFrontRequest& request) {
  FrontQuery q;
  q.hardware = request.hardware();
  q.min_latency_ms = request.min_latency_ms(), q.max_latency_ms = request.max_latency_ms();
  q.min_accuracy = request.min_accuracy(), q.max_accuracy = request.max_accuracy();
  q.limit = request.page_size() > 0 ? request.page_size() : kDefaultPageSize;
  const std::string scope = FrontScope(request);
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(q.offset, tokens_.Check(scope, request.page_token()));
  }
  ASSIGN_OR_RETURN(Campaign campaign, store_->GetCampaign(request.campaign_id()));
  GetParetoFrontResponse response;
  int64_t total = 0;
  ASSIGN_OR_RETURN(std::vector<ParetoPoint> points, store_->QueryFront(campaign.campaign_id(), q, &total));
  for (ParetoPoint& p : points) *response.add_points() = std::move(p);
  if (q.offset + response.points_size() < total) {
    response.set_next_page_token(tokens_.Issue(scope, q.offset + response.points_size()));
  }
  ASSIGN_OR_RETURN(auto hypervolumes, store_->Hypervolumes(campaign.campaign_id()));
  for (const auto& [hardware, volume] : hypervolumes) {
    if (q.hardware.empty() || q.hardware == hardware) (*response.mutable_hypervolume())[hardware] = volume;
  }
  return response;
}

absl::StatusOr<ExportArchitectureResponse> CampaignQueries::Export(const ExportArchitectureRequest& request) {
  ASSIGN_OR_RETURN(Campaign campaign, store_->GetCampaign(request.campaign_id()));
  ASSIGN_OR_RETURN(ParetoPoint point, store_->FrontPoint(campaign.campaign_id(), request.arch_id()));
  ExportArchitectureResponse response;
  *response.mutable_architecture() = point.architecture();
  response.set_canonical(CanonicalEncoding(point.architecture()));
  return response;
}

}  // namespace ridge::controller
