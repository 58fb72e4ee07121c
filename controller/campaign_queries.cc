#include "controller/campaign_queries.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "controller/requests.h"
#include "proto/architecture.h"

namespace ridge::controller {
namespace {

constexpr int kDefaultPageSize = 100;

// A front page token is the offset of the page's first point, in decimal as
// this server writes it: "07" or "+7" are not tokens it issued.
absl::StatusOr<int64_t> OffsetOfToken(const std::string& token) {
  if (token.empty()) return 0;
  int64_t offset = 0;
  if (!absl::SimpleAtoi(token, &offset) || offset < 0 || absl::StrCat(offset) != token) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token: ", Quoted(token), " is not a token this server issued"));
  }
  return offset;
}

}  // namespace

absl::StatusOr<ListCampaignsResponse> CampaignQueries::List(const ListCampaignsRequest& request) {
  ListCampaignsResponse response;
  std::string next;
  ASSIGN_OR_RETURN(std::vector<Campaign> page, store_->ListCampaigns(request.page_size(), request.page_token(), &next));
  for (Campaign& c : page) *response.add_campaigns() = std::move(c);
  response.set_next_page_token(next);
  return response;
}

absl::StatusOr<GetParetoFrontResponse> CampaignQueries::Front(const GetParetoFrontRequest& request) {
  FrontQuery q;
  q.hardware = request.hardware();
  q.min_latency_ms = request.min_latency_ms(), q.max_latency_ms = request.max_latency_ms();
  q.min_accuracy = request.min_accuracy(), q.max_accuracy = request.max_accuracy();
  q.limit = request.page_size() > 0 ? request.page_size() : kDefaultPageSize;
  ASSIGN_OR_RETURN(q.offset, OffsetOfToken(request.page_token()));
  ASSIGN_OR_RETURN(Campaign campaign, store_->GetCampaign(request.campaign_id()));
  GetParetoFrontResponse response;
  int64_t total = 0;
  ASSIGN_OR_RETURN(std::vector<ParetoPoint> points, store_->QueryFront(campaign.campaign_id(), q, &total));
  for (ParetoPoint& p : points) *response.add_points() = std::move(p);
  if (q.offset + response.points_size() < total) response.set_next_page_token(absl::StrCat(q.offset + response.points_size()));
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
