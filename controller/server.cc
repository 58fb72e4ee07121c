#include "controller/server.h"

#include <sys/stat.h>


#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "proto/textproto.h"

namespace ridge::controller {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* flag) {
  return WithContext(ReadFileToString(path, 1 << 20), flag);
}

}  // namespace

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
    return absl::PermissionDeniedError(absl::StrCat("--state_dir: '", options.data_dir, "' cannot be created"));
  }
  c->token_file_ = options.token_file.empty() ? options.data_dir + "/tokens" : options.token_file;
  if (options.token_file.empty()) {
    absl::StatusOr<std::string> created = TokenTable::CreateWithAdminToken(c->token_file_);
    if (!created.ok() && created.status().code() != absl::StatusCode::kAlreadyExists) return created.status();
  }
  ASSIGN_OR_RETURN(TokenTable tokens, TokenTable::Load(c->token_file_));
  c->tokens_ = std::make_unique<TokenTable>(std::move(tokens));

  ASSIGN_OR_RETURN(c->store_, Store::Open(options.data_dir + "/ridge.db"));
  options.manager.data_dir = options.data_dir;
  c->jobs_ = std::make_unique<JobQueue>(c->store_.get(), options.jobs);
  c->manager_ = std::make_unique<CampaignManager>(c->store_.get(), options.manager, c->jobs_.get());
  c->workers_ = std::make_unique<WorkerServiceImpl>(c->jobs_.get(), c->tokens_.get());
  c->measurements_ = std::make_unique<MeasurementServiceImpl>(c->jobs_.get(), c->tokens_.get());
  c->campaigns_ = std::make_unique<CampaignServiceImpl>(c->manager_.get(), c->tokens_.get());
  c->latency_ = std::make_unique<LatencyServiceImpl>(c->tokens_.get());
  c->hardware_ = std::make_unique<HardwareServiceImpl>(c->tokens_.get());

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
  builder.AddListeningPort(options.listen, credentials, &c->port_);
  builder.SetMaxReceiveMessageSize(options.max_request_bytes);
  builder.RegisterService(c->campaigns_.get());
  builder.RegisterService(c->latency_.get());
  builder.RegisterService(c->hardware_.get());
  builder.RegisterService(c->workers_.get());
  builder.RegisterService(c->measurements_.get());
  c->server_ = builder.BuildAndStart();
  if (c->server_ == nullptr || c->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("--listen: cannot listen on '", options.listen,
                                               "' (in use, or not host:port)"));
  }
  // Resume only once serving: a broken listen address changes nothing.
  RETURN_IF_ERROR(c->manager_->Start());
  return c;
}

void Controller::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  // Open Watch streams end within a second; give them that, then cut.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  manager_->Shutdown(/*checkpoint=*/true);
}

Controller::~Controller() {
  if (server_ != nullptr) Shutdown();
}

}  // namespace ridge::controller
