#include "controller/server.h"

#include <sys/stat.h>

#include <mutex>


#include "common/files.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "google/protobuf/stubs/logging.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"

namespace ridge::controller {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* flag) {
  return WithContext(ReadFileToString(path, 1 << 20), flag);
}

}  // namespace

namespace {

// libprotobuf writes a line to stderr for every request with bad UTF-8 in a
// string field: an unauthenticated client could flood the log. Its lines go
// through the controller's logger instead, at most 20 a minute.
void ProtobufLogHandler(google::protobuf::LogLevel level, const char* file, int line, const std::string& message) {
  static auto* limit = new LogRateLimit(20);
  int64_t suppressed = 0;
  if (!limit->Allow(&suppressed)) return;
  const spdlog::level::level_enum l = level >= google::protobuf::LOGLEVEL_ERROR ? spdlog::level::warn
                                                                                : spdlog::level::debug;
  Log(Component::kController)->log(l, "protobuf: {} file={}:{} suppressed_before={}", message.substr(0, 200), file,
                                   line, suppressed);
}

}  // namespace

absl::Status Controller::LoadTokens(const ControllerOptions& options) {
  token_file_ = options.token_file.empty() ? options.data_dir + "/tokens" : options.token_file;
  if (options.token_file.empty()) {
    absl::StatusOr<std::string> created = TokenTable::CreateWithAdminToken(token_file_);
    if (!created.ok() && created.status().code() != absl::StatusCode::kAlreadyExists) return created.status();
  }
  ASSIGN_OR_RETURN(TokenTable tokens, TokenTable::Load(token_file_));
  tokens_ = std::make_unique<TokenTable>(std::move(tokens));
  return absl::OkStatus();
}

void Controller::MakeServices(ControllerOptions options, PageTokens tokens) {
  options.manager.data_dir = options.data_dir;
  jobs_ = std::make_unique<JobQueue>(&store_->jobs(), options.jobs);
  manager_ = std::make_unique<CampaignManager>(&store_->campaigns(), options.manager, jobs_.get());
  queries_ = std::make_unique<CampaignQueries>(&store_->campaigns(), std::move(tokens));
  workers_ = std::make_unique<WorkerServiceImpl>(jobs_.get(), tokens_.get());
  measurements_ = std::make_unique<MeasurementServiceImpl>(jobs_.get(), tokens_.get());
  campaigns_ = std::make_unique<CampaignServiceImpl>(manager_.get(), queries_.get(), tokens_.get());
  latency_ = std::make_unique<LatencyServiceImpl>(tokens_.get());
  hardware_ = std::make_unique<HardwareServiceImpl>(tokens_.get());
  reflection_v1_ = std::make_unique<ReflectionV1Service>(std::vector<std::string>{
      CampaignService::service_full_name(), LatencyService::service_full_name(), HardwareService::service_full_name(),
      WorkerService::service_full_name(), MeasurementService::service_full_name(), "grpc.health.v1.Health",
      "grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection"});
}

absl::Status Controller::Serve(const ControllerOptions& options) {
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options.tls_cert.empty()) {
    grpc::SslServerCredentialsOptions ssl;
    ASSIGN_OR_RETURN(std::string cert, ReadPem(options.tls_cert, "--tls_cert"));
    ASSIGN_OR_RETURN(std::string key, ReadPem(options.tls_key, "--tls_key"));
    ssl.pem_key_cert_pairs.push_back({key, cert});
    credentials = grpc::SslServerCredentials(ssl);
  }
  // Standard health checking (grpc.health.v1) and reflection stay open
  // without a token, so probes and grpcurl-style tools work.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, credentials, &port_);
  builder.SetMaxReceiveMessageSize(options.max_request_bytes);
  for (grpc::Service* service : std::initializer_list<grpc::Service*>{campaigns_.get(), latency_.get(), hardware_.get(),
                                                                     workers_.get(), measurements_.get(),
                                                                     reflection_v1_.get()}) {
    builder.RegisterService(service);
  }
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("--listen: cannot listen on '", options.listen.substr(0, 64), "' (in use, or not host:port)"));
  }
  // Health answers for the whole server ("") and for each service by name.
  for (const char* name : {CampaignService::service_full_name(), LatencyService::service_full_name(),
                           HardwareService::service_full_name(), WorkerService::service_full_name(),
                           MeasurementService::service_full_name()}) {
    server_->GetHealthCheckService()->SetServingStatus(name, true);
  }
  return absl::OkStatus();
}

absl::Status Controller::ServeDashboard(const std::string& listen) {
  if (listen.empty() || listen == "off") return absl::OkStatus();
  dashboard_data_ = std::make_unique<ServiceDashboardData>(manager_.get(), queries_.get(), jobs_.get());
  dashboard_ = std::make_unique<DashboardHandler>(dashboard_data_.get(), tokens_.get());
  ASSIGN_OR_RETURN(http_, HttpServer::Start(listen, dashboard_.get()));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Controller>> Controller::Start(ControllerOptions options) {
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls_cert, --tls_key: give both or neither");
  }
  if (options.max_request_bytes < 1024) {
    return absl::InvalidArgumentError(absl::StrCat("max_request_bytes: ", options.max_request_bytes,
                                                   " must be at least 1024"));
  }
  std::unique_ptr<Controller> c(new Controller());
  if (mkdir(options.data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::PermissionDeniedError(
        absl::StrCat("--state_dir: '", options.data_dir.substr(0, 200), "' cannot be created"));
  }
  static std::once_flag handler_once;  // SetLogHandler is not thread-safe: once per process.
  std::call_once(handler_once, [] { google::protobuf::SetLogHandler(ProtobufLogHandler); });
  RETURN_IF_ERROR(c->LoadTokens(options));
  ASSIGN_OR_RETURN(c->store_, Store::Open(options.data_dir + "/ridge.db"));
  ASSIGN_OR_RETURN(PageTokens page_tokens, PageTokens::Create());
  c->MakeServices(options, std::move(page_tokens));
  RETURN_IF_ERROR(c->Serve(options));
  RETURN_IF_ERROR(c->ServeDashboard(options.http_listen));
  // Resume only once serving: a broken listen address changes nothing.
  RETURN_IF_ERROR(c->manager_->Start());
  Log(Component::kController)->info("controller started address={}:{} state_dir={} tls={} dashboard_port={}",
                                    options.listen.substr(0, options.listen.rfind(':')), c->port_, options.data_dir,
                                    options.tls_cert.empty() ? "off" : "on", c->http_port());
  return c;
}

void Controller::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (http_ != nullptr) http_->Stop();
  // Open Watch streams end within a second; give them that, then cut.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  manager_->Shutdown(/*checkpoint=*/true);
}

Controller::~Controller() {
  if (server_ != nullptr) Shutdown();
}

}  // namespace ridge::controller
