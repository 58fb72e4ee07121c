// The controller's gRPC services (docs/design.md §7): thin adapters that
// authorize, validate the request (controller/requests.h), and call a plain
// C++ class: CampaignManager, CampaignQueries, JobQueue or the latency
// models. No domain logic lives here.
#ifndef RIDGE_CONTROLLER_SERVICES_H_
#define RIDGE_CONTROLLER_SERVICES_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "controller/auth.h"
#include "controller/campaign_manager.h"
#include "controller/campaign_queries.h"
#include "controller/requests.h"
#include "grpcpp/grpcpp.h"
#include "proto/services.grpc.pb.h"

namespace ridge::controller {

// absl and gRPC share code numbers, so the mapping is one cast.
grpc::Status ToGrpc(const absl::Status& status);

// Checks the caller's bearer token; with no table (auth disabled) allows all.
absl::Status Authorize(const TokenTable* tokens, grpc::ServerContext* context, Role needed);

// Runs `body` after the role check and the request's validation; every
// handler has this shape.
template <typename Request, typename Body>
grpc::Status Serve(const TokenTable* tokens, grpc::ServerContext* context, Role role, const Request& request,
                   Body body) {
  absl::Status s = Authorize(tokens, context, role);
  if (s.ok()) s = Validate(request);
  if (s.ok()) s = body();
  return ToGrpc(s);
}

class CampaignServiceImpl final : public CampaignService::Service {
 public:
  CampaignServiceImpl(CampaignManager* manager, CampaignQueries* queries, const TokenTable* tokens)
      : manager_(manager), queries_(queries), tokens_(tokens) {}

  grpc::Status Launch(grpc::ServerContext* context, const LaunchRequest* request, LaunchResponse* response) override;
  grpc::Status Get(grpc::ServerContext* context, const GetCampaignRequest* request, Campaign* response) override;
  grpc::Status List(grpc::ServerContext* context, const ListCampaignsRequest* request,
                    ListCampaignsResponse* response) override;
  grpc::Status Cancel(grpc::ServerContext* context, const CancelRequest* request, CancelResponse* response) override;
  grpc::Status Watch(grpc::ServerContext* context, const WatchRequest* request,
                     grpc::ServerWriter<ProgressEvent>* writer) override;
  grpc::Status GetParetoFront(grpc::ServerContext* context, const GetParetoFrontRequest* request,
                              GetParetoFrontResponse* response) override;
  grpc::Status ExportArchitecture(grpc::ServerContext* context, const ExportArchitectureRequest* request,
                                  ExportArchitectureResponse* response) override;
  grpc::Status DownloadWeights(grpc::ServerContext* context, const DownloadWeightsRequest* request,
                               grpc::ServerWriter<WeightsChunk>* writer) override;

 private:
  CampaignManager* manager_;
  CampaignQueries* queries_;
  const TokenTable* tokens_;
};

class LatencyServiceImpl final : public LatencyService::Service {
 public:
  explicit LatencyServiceImpl(const TokenTable* tokens) : tokens_(tokens) {}
  grpc::Status Predict(grpc::ServerContext* context, const PredictRequest* request,
                       PredictResponse* response) override;
  grpc::Status Explain(grpc::ServerContext* context, const PredictRequest* request,
                       ExplainResponse* response) override;

 private:
  const TokenTable* tokens_;
};

class HardwareServiceImpl final : public HardwareService::Service {
 public:
  explicit HardwareServiceImpl(const TokenTable* tokens) : tokens_(tokens) {}
  grpc::Status List(grpc::ServerContext* context, const ListHardwareRequest* request,
                    ListHardwareResponse* response) override;
  grpc::Status Get(grpc::ServerContext* context, const GetHardwareRequest* request,
                   HardwareProfile* response) override;

 private:
  const TokenTable* tokens_;
};

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_SERVICES_H_
