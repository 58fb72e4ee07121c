// gRPC adapters for measurement: WorkerService (role worker) over JobQueue,
// and MeasurementService (role client) for listing workers, queueing jobs
// and scoring latency models.
#ifndef RIDGE_CONTROLLER_WORKER_SERVICES_H_
#define RIDGE_CONTROLLER_WORKER_SERVICES_H_

#include "controller/auth.h"
#include "controller/job_queue.h"
#include "grpcpp/grpcpp.h"
#include "proto/services.grpc.pb.h"

namespace ridge::controller {

class WorkerServiceImpl final : public WorkerService::Service {
 public:
  WorkerServiceImpl(JobQueue* queue, const TokenTable* tokens) : queue_(queue), tokens_(tokens) {}
  grpc::Status Register(grpc::ServerContext* context, const RegisterRequest* request,
                        RegisterResponse* response) override;
  grpc::Status Heartbeat(grpc::ServerContext* context, const HeartbeatRequest* request,
                         HeartbeatResponse* response) override;
  grpc::Status LeaseJobs(grpc::ServerContext* context, const LeaseJobsRequest* request,
                         LeaseJobsResponse* response) override;
  grpc::Status ReportMeasurement(grpc::ServerContext* context, const ReportMeasurementRequest* request,
                                 ReportMeasurementResponse* response) override;

 private:
  JobQueue* queue_;
  const TokenTable* tokens_;
};

class MeasurementServiceImpl final : public MeasurementService::Service {
 public:
  MeasurementServiceImpl(JobQueue* queue, const TokenTable* tokens) : queue_(queue), tokens_(tokens) {}
  grpc::Status ListWorkers(grpc::ServerContext* context, const ListWorkersRequest* request,
                           ListWorkersResponse* response) override;
  grpc::Status Measure(grpc::ServerContext* context, const MeasureRequest* request,
                       MeasureResponse* response) override;
  grpc::Status LatencyReport(grpc::ServerContext* context, const LatencyReportRequest* request,
                             LatencyReportResponse* response) override;
  grpc::Status ImportLatencies(grpc::ServerContext* context, const ImportLatenciesRequest* request,
                               ImportLatenciesResponse* response) override;

 private:
  JobQueue* queue_;
  const TokenTable* tokens_;
};

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_WORKER_SERVICES_H_
