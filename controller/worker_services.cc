#include "controller/worker_services.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "controller/latency_import.h"
#include "controller/latency_report.h"
#include "controller/services.h"

namespace ridge::controller {

grpc::Status WorkerServiceImpl::Register(grpc::ServerContext* context, const RegisterRequest* request,
                                         RegisterResponse* response) {
  return Serve(tokens_, context, Role::kWorker, *request, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(*response, queue_->Register(*request));
    return absl::OkStatus();
  });
}

grpc::Status WorkerServiceImpl::Heartbeat(grpc::ServerContext* context, const HeartbeatRequest* request,
                                          HeartbeatResponse* response) {
  return Serve(tokens_, context, Role::kWorker, *request, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(bool known, queue_->Heartbeat(*request));
    response->set_known(known);
    return absl::OkStatus();
  });
}

grpc::Status WorkerServiceImpl::LeaseJobs(grpc::ServerContext* context, const LeaseJobsRequest* request,
                                          LeaseJobsResponse* response) {
  return Serve(tokens_, context, Role::kWorker, *request, [&]() -> absl::Status {
    // Long poll: an idle worker hears of a new job within this wait.
    ASSIGN_OR_RETURN(std::vector<Job> jobs, queue_->Lease(*request, absl::Seconds(2)));
    for (Job& j : jobs) *response->add_jobs() = std::move(j);
    return absl::OkStatus();
  });
}

grpc::Status WorkerServiceImpl::ReportMeasurement(grpc::ServerContext* context,
                                                  const ReportMeasurementRequest* request,
                                                  ReportMeasurementResponse* response) {
  return Serve(tokens_, context, Role::kWorker, *request, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(bool duplicate, queue_->Report(*request));
    response->set_duplicate(duplicate);
    return absl::OkStatus();
  });
}

grpc::Status MeasurementServiceImpl::ListWorkers(grpc::ServerContext* context, const ListWorkersRequest* request,
                                                 ListWorkersResponse* response) {
  return Serve(tokens_, context, Role::kClient, *request, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(*response, queue_->Workers(request->device_key()));
    return absl::OkStatus();
  });
}

grpc::Status MeasurementServiceImpl::Measure(grpc::ServerContext* context, const MeasureRequest* request,
                                             MeasureResponse* response) {
  return Serve(tokens_, context, Role::kClient, *request, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<Architecture> archs, ArchitecturesToMeasure(*request));
    ASSIGN_OR_RETURN(std::vector<std::string> ids,
                     queue_->Submit(request->device_key(), archs, request->protocol(), request->priority()));
    for (std::string& id : ids) response->add_job_ids(std::move(id));
    return absl::OkStatus();
  });
}

grpc::Status MeasurementServiceImpl::LatencyReport(grpc::ServerContext* context, const LatencyReportRequest* request,
                                                   LatencyReportResponse* response) {
  return Serve(tokens_, context, Role::kClient, *request, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(*response, DeviceLatencyReport(queue_, *request));
    return absl::OkStatus();
  });
}

grpc::Status MeasurementServiceImpl::ImportLatencies(grpc::ServerContext* context,
                                                     const ImportLatenciesRequest* request,
                                                     ImportLatenciesResponse* response) {
  return Serve(tokens_, context, Role::kClient, *request, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(*response, controller::ImportLatencies(queue_->store(), *request, absl::ToUnixMillis(absl::Now())));
    return absl::OkStatus();
  });
}

}  // namespace ridge::controller
