#include "controller/services.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "latency/hardware_profiles.h"
#include "latency/roofline.h"

namespace ridge::controller {

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

absl::Status Authorize(const TokenTable* tokens, grpc::ServerContext* context, Role needed) {
  if (tokens == nullptr) return absl::OkStatus();
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  const std::string value = it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
  return tokens->Check(value, needed);
}

namespace {

// The request's profile: inline, or a built-in one by name.
absl::StatusOr<std::unique_ptr<PricedArchitecture>> Price(const PredictRequest& request) {
  if (request.has_profile()) return PriceArchitecture(request.architecture(), request.profile());
  ASSIGN_OR_RETURN(HardwareProfile profile, ResolveHardware(request.hardware(), "hardware"));
  return PriceArchitecture(request.architecture(), profile);
}

// How a Watch stream ends: OK for a campaign that is DONE, the campaign's own
// outcome otherwise, so a client that reads only the status still learns it.
absl::Status EndOfWatch(CampaignManager& manager, const std::string& campaign_id) {
  ASSIGN_OR_RETURN(Campaign c, manager.Get(campaign_id));
  if (c.state() == FAILED) return absl::AbortedError(absl::StrCat("campaign ", campaign_id, " failed: ", c.error()));
  if (c.state() == CANCELLED) return absl::CancelledError(absl::StrCat("campaign ", campaign_id, " was cancelled"));
  return absl::OkStatus();
}

std::string ModelName(const PredictRequest& request) {
  return absl::StrCat("roofline:", request.has_profile() ? request.profile().name() : request.hardware());
}

}  // namespace

grpc::Status CampaignServiceImpl::Launch(grpc::ServerContext* context, const LaunchRequest* request,
                                         LaunchResponse* response) {
  return Serve(tokens_, context, Role::kClient, *request, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::string id, manager_->Launch(request->spec()));
    response->set_campaign_id(id);
    return absl::OkStatus();
  });
}

grpc::Status CampaignServiceImpl::Get(grpc::ServerContext* context, const GetCampaignRequest* request,
                                      Campaign* response) {
  return Serve(tokens_, context, Role::kClient, *request, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(*response, manager_->Get(request->campaign_id()));
    return absl::OkStatus();
  });
}

grpc::Status CampaignServiceImpl::List(grpc::ServerContext* context, const ListCampaignsRequest* request,
                                       ListCampaignsResponse* response) {
  return Serve(tokens_, context, Role::kClient, *request, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(*response, queries_->List(*request));
    return absl::OkStatus();
  });
}

grpc::Status CampaignServiceImpl::Cancel(grpc::ServerContext* context, const CancelRequest* request,
                                         CancelResponse* response) {
  return Serve(tokens_, context, Role::kClient, *request, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(CampaignState state, manager_->Cancel(request->campaign_id()));
    response->set_state(state);
    return absl::OkStatus();
  });
}

grpc::Status CampaignServiceImpl::Watch(grpc::ServerContext* context, const WatchRequest* request,
                                        grpc::ServerWriter<ProgressEvent>* writer) {
  return Serve(tokens_, context, Role::kClient, *request, [&]() -> absl::Status {
    int64_t after = 0;
    bool ended = false;
    while (!ended) {
      // Short waits, so a client that leaves frees its handler thread soon.
      if (context->IsCancelled()) return absl::CancelledError("the client left");
      ASSIGN_OR_RETURN(auto events, manager_->WaitEvents(request->campaign_id(), after, absl::Seconds(1), &ended));
      for (auto& [seq, event] : events) {
        if (!writer->Write(event)) return absl::CancelledError("the client left");
        after = seq;
      }
    }
    return EndOfWatch(*manager_, request->campaign_id());
  });
}

grpc::Status CampaignServiceImpl::GetParetoFront(grpc::ServerContext* context, const GetParetoFrontRequest* request,
                                                 GetParetoFrontResponse* response) {
  return Serve(tokens_, context, Role::kClient, *request, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(*response, queries_->Front(*request));
    return absl::OkStatus();
  });
}

grpc::Status CampaignServiceImpl::ExportArchitecture(grpc::ServerContext* context,
                                                     const ExportArchitectureRequest* request,
                                                     ExportArchitectureResponse* response) {
  return Serve(tokens_, context, Role::kClient, *request, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(*response, queries_->Export(*request));
    return absl::OkStatus();
  });
}

grpc::Status CampaignServiceImpl::DownloadWeights(grpc::ServerContext* context, const DownloadWeightsRequest* request,
                                                  grpc::ServerWriter<WeightsChunk>* writer) {
  return Serve(tokens_, context, Role::kClient, *request, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::string file, manager_->RetrainedWeights(request->campaign_id(), request->arch_id()));
    constexpr size_t kChunkBytes = 1 << 20;  // Well under gRPC's 4 MiB default message limit.
    for (size_t offset = 0; offset == 0 || offset < file.size(); offset += kChunkBytes) {
      WeightsChunk chunk;
      chunk.set_data(file.substr(offset, kChunkBytes));
      if (offset == 0) chunk.set_total_bytes(static_cast<int64_t>(file.size()));
      if (!writer->Write(chunk)) return absl::CancelledError("the client left");
    }
    return absl::OkStatus();
  });
}

grpc::Status LatencyServiceImpl::Predict(grpc::ServerContext* context, const PredictRequest* request,
                                         PredictResponse* response) {
  return Serve(tokens_, context, Role::kClient, *request, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::unique_ptr<PricedArchitecture> p, Price(*request));
    response->set_latency_ms(p->roofline.latency_ms());
    response->set_model(ModelName(*request));
    return absl::OkStatus();
  });
}

grpc::Status LatencyServiceImpl::Explain(grpc::ServerContext* context, const PredictRequest* request,
                                         ExplainResponse* response) {
  return Serve(tokens_, context, Role::kClient, *request, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::unique_ptr<PricedArchitecture> p, Price(*request));
    response->set_latency_ms(p->roofline.latency_ms());
    response->set_model(ModelName(*request));
    for (const LayerRoofline& t : p->roofline.layers) {
      LayerExplanation* l = response->add_layers();
      l->set_layer(t.cost->layer.name);
      l->set_macs(t.cost->macs);
      l->set_bytes(t.cost->bytes());
      l->set_arithmetic_intensity(t.arithmetic_intensity);
      l->set_compute_bound(t.compute_bound);
      l->set_time_ms(t.time_sec * 1e3);
      l->set_share(t.share);
    }
    return absl::OkStatus();
  });
}

grpc::Status HardwareServiceImpl::List(grpc::ServerContext* context, const ListHardwareRequest* request,
                                       ListHardwareResponse* response) {
  return Serve(tokens_, context, Role::kClient, *request, [&]() -> absl::Status {
    // The paper profiles; local_cpu would time this server, not the caller.
    ASSIGN_OR_RETURN(std::vector<HardwareProfile> profiles, BuiltinHardwareProfiles(/*measure_local=*/false));
    for (HardwareProfile& p : profiles) *response->add_profiles() = std::move(p);
    return absl::OkStatus();
  });
}

grpc::Status HardwareServiceImpl::Get(grpc::ServerContext* context, const GetHardwareRequest* request,
                                      HardwareProfile* response) {
  return Serve(tokens_, context, Role::kClient, *request, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<HardwareProfile> profiles, BuiltinHardwareProfiles(/*measure_local=*/false));
    for (const HardwareProfile& p : profiles) {
      if (p.name() != request->name()) continue;
      *response = p;
      return absl::OkStatus();
    }
    return absl::NotFoundError(absl::StrCat("name: '", request->name(), "' is not a known hardware profile"));
  });
}

}  // namespace ridge::controller
