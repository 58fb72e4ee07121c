// `ridge up`: the embedded default (docs/design.md §7). One process holds the
// controller (SQLite under --state_dir) and a measurement worker for device
// key "local", and talks to the controller over loopback gRPC
// as any client would: it launches the quickstart campaign, or resumes the
// unfinished one, and watches it to its fronts. Ctrl-C checkpoints; running
// `ridge up` again resumes.

#include <atomic>
#include <cstdio>
#include <thread>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/progress_view.h"
#include "common/embedded_file.h"
#include "common/signal_waiter.h"
#include "common/status_macros.h"
#include "common/logging.h"
#include "common/token_file.h"
#include "controller/server.h"
#include "latency/local_cpu.h"
#include "supernet/dnnl_context.h"
#include "workers/measure.h"
#include "workers/timing.h"
#include "workers/worker.h"
#include "proto/textproto.h"

ABSL_DECLARE_FLAG(std::string, spec);
ABSL_FLAG(std::string, state_dir, "ridge-data", "Directory of the controller's SQLite store, checkpoints and tokens.");
ABSL_FLAG(std::string, http_listen, "127.0.0.1:0",
          "`ridge up`: host:port of the web dashboard (docs/dashboard.md); port 0 picks a free one; \"off\": none.");

namespace ridge {
const std::vector<EmbeddedFile>& EmbeddedCampaigns();
}  // namespace ridge

namespace ridge::cli {
namespace {

absl::StatusOr<CampaignSpec> UpSpec() {
  const std::string path = absl::GetFlag(FLAGS_spec);
  CampaignSpec spec;
  if (!path.empty()) {
    RETURN_IF_ERROR(WithContext(ReadTextProtoFile(path, &spec), "--spec"));
    return spec;
  }
  for (const EmbeddedFile& f : EmbeddedCampaigns()) {
    if (f.name == "quickstart.textproto") {
      RETURN_IF_ERROR(ParseTextProto(f.contents, "quickstart.textproto", &spec));
      return spec;
    }
  }
  return absl::InternalError("the embedded quickstart campaign is missing");
}

// The local measurement path: a worker for device key "local" in this
// process, leasing over loopback like any remote worker.
class LocalWorker {
 public:
  // Starts it; a machine that cannot serve as a worker leaves it off, with a warning.
  void Start(controller::Controller& server, const std::string& target) {
    absl::StatusOr<std::string> token = ReadWorkerToken(server.token_file());
    absl::StatusOr<LocalCpuMeasurement> cpu = token.ok() ? MeasureLocalCpu() : token.status();
    if (!cpu.ok()) {
      Log(Component::kCli)->warn("no local worker: {}", std::string(cpu.status().message()));
      return;
    }
    workers::WorkerOptions w;
    w.controller = target;
    w.token = *token;
    w.device_key = "local";
    w.self_profile = LocalCpuProfile(*cpu);
    w.self_profile.set_name("local");
    w.environment = workers::CollectEnvironment(nn::Threads());
    worker_ = std::make_unique<workers::Worker>(w, [this](const Job& job) { return measurer_.Measure(job); });
    thread_ = std::thread([this] { worker_->Run().IgnoreError(); });
  }
  // Idempotent.
  void Stop() {
    if (worker_ == nullptr) return;
    worker_->Stop();
    thread_.join();
    worker_.reset();
  }
  ~LocalWorker() { Stop(); }

 private:
  workers::Measurer measurer_{/*default_threads=*/0};
  std::unique_ptr<workers::Worker> worker_;
  std::thread thread_;
};

// The unfinished campaign to resume, or a newly launched `spec`; its ID.
absl::StatusOr<std::string> ResumeOrLaunch(controller::Controller& server, const Connection& c,
                                           const CampaignSpec& spec) {
  ASSIGN_OR_RETURN(std::vector<Campaign> unfinished, server.manager().store()->UnfinishedCampaigns());
  if (!unfinished.empty()) {
    const Campaign& first = unfinished.front();
    Log(Component::kCli)->info("resuming the unfinished campaign id={} name={}", first.campaign_id(),
                               first.spec().name());
    return first.campaign_id();
  }
  LaunchRequest request;
  *request.mutable_spec() = spec;
  LaunchResponse response;
  grpc::Status s = c.campaigns->Launch(c.Context().get(), request, &response);
  if (!s.ok()) return RpcError(s, "Launch", c.target);
  return response.campaign_id();
}

// The dashboard's link with the local user's own token in it: opening it
// once sets the token as a cookie (docs/dashboard.md). Printed to this
// terminal only, never logged.
void PrintDashboardLink(const controller::Controller& server, const std::string& listen) {
  if (server.http_port() == 0) return;
  absl::StatusOr<std::string> token = ReadClientToken(server.token_file());
  const std::string url = absl::StrCat("http://", listen.substr(0, listen.rfind(':')), ":", server.http_port(), "/",
                                       token.ok() ? absl::StrCat("?token=", *token) : "");
  std::fprintf(stderr, "dashboard: %s\n", url.c_str());
  std::fflush(stderr);
}

absl::Status Up(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "jsonl"}));
  ASSIGN_OR_RETURN(CampaignSpec spec, UpSpec());
  PrepareLogsForProgress();  // Before the controller's threads log: they print above the progress block.
  // Ctrl-C and SIGTERM go to one thread, which stops the controller in order
  // (checkpoints first); the controller's threads inherit the blocked mask.
  SignalWaiter signals;
  controller::ControllerOptions options;
  options.listen = "127.0.0.1:0";  // A free port: several `ridge up` may run side by side.
  options.data_dir = absl::GetFlag(FLAGS_state_dir);
  options.http_listen = absl::GetFlag(FLAGS_http_listen);
  ASSIGN_OR_RETURN(std::unique_ptr<controller::Controller> server, controller::Controller::Start(options));
  std::atomic<bool> interrupted{false};
  signals.Start([&](int) {
    interrupted = true;
    Log(Component::kCli)->info("stopping; checkpointing the campaign (run `ridge up` again to resume)");
    server->Shutdown();
  });
  const std::string target = absl::StrCat("127.0.0.1:", server->port());
  LocalWorker worker;
  worker.Start(*server, target);
  Log(Component::kCli)->info("ridge up ready address={} state_dir={} tokens={}", target, options.data_dir,
                             server->token_file());
  PrintDashboardLink(*server, options.http_listen);
  absl::StatusOr<Connection> c = Connect(target, server->token_file());
  absl::StatusOr<std::string> id = c.ok() ? ResumeOrLaunch(*server, *c, spec) : c.status();
  absl::Status status = id.ok() ? WatchToEnd(*c, *id, format == "jsonl", out) : id.status();
  if (interrupted) {
    status = absl::CancelledError(
        absl::StrCat("interrupted; campaign ", id.value_or("?"), " resumes from its checkpoint on the next `ridge up`"));
  }
  worker.Stop();
  signals.Stop();
  server.reset();
  if (status.ok() && format != "jsonl") {
    absl::StrAppend(out, "state: ", options.data_dir, "/ridge.db; query it again with `ridge_controller --state_dir=",
                    options.data_dir, "` and `ridge front show ", *id, "`\n");
  }
  return status;
}

}  // namespace

void AddUpCommand(std::vector<Command>* commands) {
  commands->push_back({"up", "",
                       "The embedded default: an in-process controller with SQLite under --state_dir runs the "
                       "quickstart campaign (or --spec) and shows its fronts.",
                       {"spec", "state_dir", "http_listen", "format"}, 0, 0, Up});
}

}  // namespace ridge::cli
