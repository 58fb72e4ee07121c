#include "controller/worker_services.h"

#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "controller/services.h"
#include "proto/architecture.h"
#include "proto/space.h"
#include "zoo/zoo.h"

namespace ridge::controller {

grpc::Status WorkerServiceImpl::Register(grpc::ServerContext* context, const RegisterRequest* request,
                                         RegisterResponse* response) {
  return Handle(tokens_, context, Role::kWorker, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(*response, queue_->Register(*request));
    return absl::OkStatus();
  });
}

grpc::Status WorkerServiceImpl::Heartbeat(grpc::ServerContext* context, const HeartbeatRequest* request,
                                          HeartbeatResponse* response) {
  return Handle(tokens_, context, Role::kWorker, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(bool known, queue_->Heartbeat(*request));
    response->set_known(known);
    return absl::OkStatus();
  });
}

grpc::Status WorkerServiceImpl::LeaseJobs(grpc::ServerContext* context, const LeaseJobsRequest* request,
                                          LeaseJobsResponse* response) {
  return Handle(tokens_, context, Role::kWorker, [&]() -> absl::Status {
    // Long poll: an idle worker hears of a new job within this wait.
    ASSIGN_OR_RETURN(std::vector<Job> jobs, queue_->Lease(*request, absl::Seconds(2)));
    for (Job& j : jobs) *response->add_jobs() = std::move(j);
    return absl::OkStatus();
  });
}

grpc::Status WorkerServiceImpl::ReportMeasurement(grpc::ServerContext* context,
                                                  const ReportMeasurementRequest* request,
                                                  ReportMeasurementResponse* response) {
  return Handle(tokens_, context, Role::kWorker, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(bool duplicate, queue_->Report(*request));
    response->set_duplicate(duplicate);
    return absl::OkStatus();
  });
}

grpc::Status MeasurementServiceImpl::ListWorkers(grpc::ServerContext* context, const ListWorkersRequest* request,
                                                 ListWorkersResponse* response) {
  return Handle(tokens_, context, Role::kClient, [&]() -> absl::Status {
    if (!request->device_key().empty()) RETURN_IF_ERROR(ValidateDeviceKey(request->device_key(), "device_key"));
    ASSIGN_OR_RETURN(*response, queue_->Workers(request->device_key()));
    return absl::OkStatus();
  });
}

namespace {

// The architectures a Measure request names, or samples from a space.
absl::StatusOr<std::vector<Architecture>> RequestedArchitectures(const MeasureRequest& request) {
  std::vector<Architecture> archs(request.architectures().begin(), request.architectures().end());
  if (request.space().empty()) {
    if (archs.empty()) return absl::InvalidArgumentError("architectures: empty; give architectures or a space");
    if (archs.size() > 1000) return absl::InvalidArgumentError("architectures: more than 1000");
    return archs;
  }
  if (!archs.empty()) return absl::InvalidArgumentError("space: give architectures or a space, not both");
  if (request.count() < 1 || request.count() > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("count: ", request.count(), " must be in [1, 1000]"));
  }
  const std::vector<std::string> names = ZooSpaceNames();
  if (std::find(names.begin(), names.end(), request.space()) == names.end()) {
    return absl::InvalidArgumentError(absl::StrCat("space: '", request.space(), "' is not a built-in space"));
  }
  ASSIGN_OR_RETURN(SearchSpace space, LoadZooSpace(request.space()));
  std::mt19937_64 rng(request.seed());
  std::set<std::string> seen;
  // Distinct samples: a duplicate would weigh one architecture twice.
  for (int tries = 0; static_cast<int>(archs.size()) < request.count() && tries < 100 * request.count(); ++tries) {
    ASSIGN_OR_RETURN(Architecture a, BuildArchitecture(space, SampleUniform(space, rng)));
    if (request.has_input()) *a.mutable_input() = request.input();
    if (request.num_classes() > 0) a.set_num_classes(request.num_classes());
    if (seen.insert(ArchitectureId(a)).second) archs.push_back(std::move(a));
  }
  return archs;
}

}  // namespace

grpc::Status MeasurementServiceImpl::Measure(grpc::ServerContext* context, const MeasureRequest* request,
                                             MeasureResponse* response) {
  return Handle(tokens_, context, Role::kClient, [&]() -> absl::Status {
    RETURN_IF_ERROR(ValidateDeviceKey(request->device_key(), "device_key"));
    ASSIGN_OR_RETURN(std::vector<Architecture> archs, RequestedArchitectures(*request));
    ASSIGN_OR_RETURN(std::vector<std::string> ids,
                     queue_->Submit(request->device_key(), archs, request->protocol(), request->priority()));
    for (std::string& id : ids) response->add_job_ids(std::move(id));
    return absl::OkStatus();
  });
}

}  // namespace ridge::controller
