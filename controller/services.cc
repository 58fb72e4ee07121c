#include "controller/services.h"

#include <algorithm>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "latency/costing.h"
#include "latency/hardware_profiles.h"
#include "latency/roofline.h"
#include "proto/architecture.h"
#include "proto/validate.h"

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

absl::Status RequireId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("campaign_id: empty; it must name a campaign");
  if (id.size() > 64) return absl::InvalidArgumentError(absl::StrCat("campaign_id: ", id.size(),
                                                                     " characters; at most 64"));
  return absl::OkStatus();
}

absl::Status CheckPageSize(int32_t page_size) {
  if (page_size < 0 || page_size > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: ", page_size, " must be in [0, 1000]"));
  }
  return absl::OkStatus();
}

absl::Status CheckBounds(const char* name, double lo, double hi, double max) {
  if (!(lo >= 0 && lo <= max)) {
    return absl::InvalidArgumentError(absl::StrCat("min_", name, ": ", lo, " must be in [0, ", max, "]"));
  }
  if (!(hi >= 0 && hi <= max)) {
    return absl::InvalidArgumentError(absl::StrCat("max_", name, ": ", hi, " must be in [0, ", max, "]"));
  }
  if (hi > 0 && lo > hi) {
    return absl::InvalidArgumentError(absl::StrCat("min_", name, ": ", lo, " exceeds max_", name, " ", hi));
  }
  return absl::OkStatus();
}

// A built-in profile by name, or an inline one, validated.
absl::StatusOr<HardwareProfile> RequestProfile(const PredictRequest& request) {
  if (request.has_profile() == !request.hardware().empty()) {
    return absl::InvalidArgumentError("hardware: set exactly one of hardware and profile");
  }
  if (request.has_profile()) {
    RETURN_IF_ERROR(ValidateHardwareProfile(request.profile(), "profile"));
    return request.profile();
  }
  const std::vector<std::string> names = BuiltinHardwareNames();
  if (std::find(names.begin(), names.end(), request.hardware()) == names.end()) {
    return absl::InvalidArgumentError(absl::StrCat("hardware: '", request.hardware(), "' is not a built-in profile"));
  }
  return ResolveHardware(request.hardware(), "hardware");
}

struct Priced {
  NetworkCost cost;
  RooflineResult roofline;
};

absl::StatusOr<std::unique_ptr<Priced>> Price(const PredictRequest& request) {
  ASSIGN_OR_RETURN(HardwareProfile profile, RequestProfile(request));
  RETURN_IF_ERROR(ValidateArchitecture(request.architecture(), "architecture"));
  auto p = std::make_unique<Priced>();
  ASSIGN_OR_RETURN(ElementType type, ElementTypeOfBytes(profile.bytes_per_element()));
  ASSIGN_OR_RETURN(p->cost, CostArchitecture(request.architecture(), type));
  ASSIGN_OR_RETURN(p->roofline, PredictRoofline(p->cost, profile));
  p->roofline.total_sec = p->roofline.total_sec;  // Layers point into p->cost, which stays put.
  return p;
}

}  // namespace

grpc::Status CampaignServiceImpl::Launch(grpc::ServerContext* context, const LaunchRequest* request,
                                         LaunchResponse* response) {
  return Handle(tokens_, context, Role::kClient, [&]() -> absl::Status {
    if (!request->has_spec()) return absl::InvalidArgumentError("spec: missing");
    ASSIGN_OR_RETURN(std::string id, manager_->Launch(request->spec()));
    response->set_campaign_id(id);
    return absl::OkStatus();
  });
}

grpc::Status CampaignServiceImpl::Get(grpc::ServerContext* context, const GetCampaignRequest* request,
                                      Campaign* response) {
  return Handle(tokens_, context, Role::kClient, [&]() -> absl::Status {
    RETURN_IF_ERROR(RequireId(request->campaign_id()));
    ASSIGN_OR_RETURN(*response, manager_->Get(request->campaign_id()));
    return absl::OkStatus();
  });
}

grpc::Status CampaignServiceImpl::List(grpc::ServerContext* context, const ListCampaignsRequest* request,
                                       ListCampaignsResponse* response) {
  return Handle(tokens_, context, Role::kClient, [&]() -> absl::Status {
    RETURN_IF_ERROR(CheckPageSize(request->page_size()));
    std::string next;
    ASSIGN_OR_RETURN(std::vector<Campaign> page,
                     manager_->store()->ListCampaigns(request->page_size(), request->page_token(), &next));
    for (Campaign& c : page) *response->add_campaigns() = std::move(c);
    response->set_next_page_token(next);
    return absl::OkStatus();
  });
}

grpc::Status CampaignServiceImpl::Cancel(grpc::ServerContext* context, const CancelRequest* request,
                                         CancelResponse* response) {
  return Handle(tokens_, context, Role::kClient, [&]() -> absl::Status {
    RETURN_IF_ERROR(RequireId(request->campaign_id()));
    ASSIGN_OR_RETURN(CampaignState state, manager_->Cancel(request->campaign_id()));
    response->set_state(state);
    return absl::OkStatus();
  });
}

grpc::Status CampaignServiceImpl::Watch(grpc::ServerContext* context, const WatchRequest* request,
                                        grpc::ServerWriter<ProgressEvent>* writer) {
  return Handle(tokens_, context, Role::kClient, [&]() -> absl::Status {
    RETURN_IF_ERROR(RequireId(request->campaign_id()));
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
    return absl::OkStatus();
  });
}

grpc::Status CampaignServiceImpl::GetParetoFront(grpc::ServerContext* context, const GetParetoFrontRequest* request,
                                                 GetParetoFrontResponse* response) {
  return Handle(tokens_, context, Role::kClient, [&]() -> absl::Status {
    RETURN_IF_ERROR(RequireId(request->campaign_id()));
    RETURN_IF_ERROR(CheckPageSize(request->page_size()));
    RETURN_IF_ERROR(CheckBounds("latency_ms", request->min_latency_ms(), request->max_latency_ms(), 1e9));
    RETURN_IF_ERROR(CheckBounds("accuracy", request->min_accuracy(), request->max_accuracy(), 1));
    FrontQuery q;
    q.hardware = request->hardware();
    q.min_latency_ms = request->min_latency_ms(), q.max_latency_ms = request->max_latency_ms();
    q.min_accuracy = request->min_accuracy(), q.max_accuracy = request->max_accuracy();
    q.limit = request->page_size() > 0 ? request->page_size() : 100;
    // The page token is the offset of the page's first point.
    if (!request->page_token().empty() && (!absl::SimpleAtoi(request->page_token(), &q.offset) || q.offset < 0)) {
      return absl::InvalidArgumentError(absl::StrCat("page_token: '", request->page_token(),
                                                     "' is not a token this server issued"));
    }
    ASSIGN_OR_RETURN(Campaign campaign, manager_->Get(request->campaign_id()));
    int64_t total = 0;
    ASSIGN_OR_RETURN(std::vector<ParetoPoint> points,
                     manager_->store()->QueryFront(campaign.campaign_id(), q, &total));
    for (ParetoPoint& p : points) *response->add_points() = std::move(p);
    if (q.offset + static_cast<int64_t>(points.size()) < total) {
      response->set_next_page_token(absl::StrCat(q.offset + points.size()));
    }
    ASSIGN_OR_RETURN(auto hypervolumes, manager_->store()->Hypervolumes(campaign.campaign_id()));
    for (const auto& [hw, hv] : hypervolumes) {
      if (q.hardware.empty() || q.hardware == hw) (*response->mutable_hypervolume())[hw] = hv;
    }
    return absl::OkStatus();
  });
}

grpc::Status CampaignServiceImpl::ExportArchitecture(grpc::ServerContext* context,
                                                     const ExportArchitectureRequest* request,
                                                     ExportArchitectureResponse* response) {
  return Handle(tokens_, context, Role::kClient, [&]() -> absl::Status {
    RETURN_IF_ERROR(RequireId(request->campaign_id()));
    if (request->arch_id().empty()) return absl::InvalidArgumentError("arch_id: empty");
    ASSIGN_OR_RETURN(Campaign campaign, manager_->Get(request->campaign_id()));
    FrontQuery all;
    all.limit = std::numeric_limits<int32_t>::max();
    int64_t total = 0;
    ASSIGN_OR_RETURN(std::vector<ParetoPoint> points, manager_->store()->QueryFront(campaign.campaign_id(), all,
                                                                                    &total));
    for (const ParetoPoint& p : points) {
      if (p.arch_id() != request->arch_id()) continue;
      *response->mutable_architecture() = p.architecture();
      response->set_canonical(CanonicalEncoding(p.architecture()));
      return absl::OkStatus();
    }
    return absl::NotFoundError(absl::StrCat("arch_id: '", request->arch_id(), "' is on no front of campaign ",
                                            campaign.campaign_id()));
  });
}

grpc::Status LatencyServiceImpl::Predict(grpc::ServerContext* context, const PredictRequest* request,
                                         PredictResponse* response) {
  return Handle(tokens_, context, Role::kClient, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::unique_ptr<Priced> p, Price(*request));
    response->set_latency_ms(p->roofline.latency_ms());
    response->set_model(absl::StrCat("roofline:", request->has_profile() ? request->profile().name()
                                                                          : request->hardware()));
    return absl::OkStatus();
  });
}

grpc::Status LatencyServiceImpl::Explain(grpc::ServerContext* context, const PredictRequest* request,
                                         ExplainResponse* response) {
  return Handle(tokens_, context, Role::kClient, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::unique_ptr<Priced> p, Price(*request));
    response->set_latency_ms(p->roofline.latency_ms());
    response->set_model(absl::StrCat("roofline:", request->has_profile() ? request->profile().name()
                                                                          : request->hardware()));
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

grpc::Status HardwareServiceImpl::List(grpc::ServerContext* context, const ListHardwareRequest*,
                                       ListHardwareResponse* response) {
  return Handle(tokens_, context, Role::kClient, [&]() -> absl::Status {
    // The paper profiles; local_cpu would time this server, not the caller.
    ASSIGN_OR_RETURN(std::vector<HardwareProfile> profiles, BuiltinHardwareProfiles(/*measure_local=*/false));
    for (HardwareProfile& p : profiles) *response->add_profiles() = std::move(p);
    return absl::OkStatus();
  });
}

grpc::Status HardwareServiceImpl::Get(grpc::ServerContext* context, const GetHardwareRequest* request,
                                      HardwareProfile* response) {
  return Handle(tokens_, context, Role::kClient, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<HardwareProfile> profiles, BuiltinHardwareProfiles(false));
    for (const HardwareProfile& p : profiles) {
      if (p.name() == request->name()) {
        *response = p;
        return absl::OkStatus();
      }
    }
    return absl::NotFoundError(absl::StrCat("name: '", request->name(), "' is not a known hardware profile"));
  });
}

}  // namespace ridge::controller
