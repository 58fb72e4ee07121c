// The controller process's parts, assembled: store, campaign manager, tokens
// and the gRPC server with health checking and reflection. Used by the
// `ridge_controller` binary, by `ridge up` (in-process) and by tests.
#ifndef RIDGE_CONTROLLER_SERVER_H_
#define RIDGE_CONTROLLER_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "controller/auth.h"
#include "controller/campaign_manager.h"
#include "controller/campaign_queries.h"
#include "controller/dashboard.h"
#include "controller/http_server.h"
#include "controller/reflection_v1.h"
#include "controller/job_queue.h"
#include "controller/services.h"
#include "controller/worker_services.h"
#include "controller/store.h"
#include "grpcpp/grpcpp.h"

namespace ridge::controller {

struct ControllerOptions {
  // host:port; port 0 picks a free one. 127.0.0.1 unless told otherwise.
  std::string listen = "127.0.0.1:50051";
  // Holds ridge.db and checkpoints/.
  std::string data_dir = "ridge-data";
  // Token file; empty means <data_dir>/tokens, created with an admin token
  // if missing. Auth is always on.
  std::string token_file;
  // PEM files; both or neither. With them the server speaks TLS only.
  std::string tls_cert, tls_key;
  // The dashboard's HTTP listener (docs/dashboard.md), host:port with port 0
  // for a free one; empty or "off" serves none.
  std::string http_listen;
  // Larger requests are refused with RESOURCE_EXHAUSTED before parsing.
  int max_request_bytes = 4 << 20;
  ManagerOptions manager;
  JobQueueOptions jobs;
};

class Controller {
 public:
  // Opens the store, loads (or creates) the tokens, resumes unfinished
  // campaigns and starts serving.
  static absl::StatusOr<std::unique_ptr<Controller>> Start(ControllerOptions options);
  // Stops serving, then stops campaigns with a checkpoint each.
  ~Controller();

  // Stops accepting RPCs and checkpoints running campaigns. Idempotent.
  void Shutdown();
  // Blocks until Shutdown is called from elsewhere.
  void Wait() { server_->Wait(); }

  int port() const { return port_; }
  // The dashboard's port; 0 when it is off.
  int http_port() const { return http_ == nullptr ? 0 : http_->port(); }
  const std::string& token_file() const { return token_file_; }
  CampaignManager& manager() { return *manager_; }
  JobQueue& jobs() { return *jobs_; }

 private:
  Controller() = default;
  absl::Status LoadTokens(const ControllerOptions& options);
  void MakeServices(ControllerOptions options, PageTokens tokens);
  absl::Status Serve(const ControllerOptions& options);
  absl::Status ServeDashboard(const std::string& listen);

  std::unique_ptr<Store> store_;
  std::unique_ptr<JobQueue> jobs_;  // Before manager_: campaigns use it until they stop.
  std::unique_ptr<CampaignManager> manager_;
  std::unique_ptr<CampaignQueries> queries_;
  std::unique_ptr<WorkerServiceImpl> workers_;
  std::unique_ptr<MeasurementServiceImpl> measurements_;
  std::unique_ptr<TokenTable> tokens_;
  std::unique_ptr<CampaignServiceImpl> campaigns_;
  std::unique_ptr<LatencyServiceImpl> latency_;
  std::unique_ptr<HardwareServiceImpl> hardware_;
  std::unique_ptr<ReflectionV1Service> reflection_v1_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<DashboardData> dashboard_data_;
  std::unique_ptr<DashboardHandler> dashboard_;
  std::unique_ptr<HttpServer> http_;  // After what it serves: stopped first.
  std::string token_file_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_SERVER_H_
