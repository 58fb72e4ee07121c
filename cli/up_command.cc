// `ridge up`: the embedded default (DESIGN.md Sec. 6). One process holds the
// controller (SQLite under --state_dir) and a measurement worker for device
// key "local", and talks to the controller over loopback gRPC
// as any client would: it launches the quickstart campaign, or resumes the
// unfinished one, and watches it to its fronts. Ctrl-C checkpoints; running
// `ridge up` again resumes.

#include <atomic>
#include <thread>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "cli/client.h"
#include "cli/command.h"
#include "common/embedded_file.h"
#include "common/signal_waiter.h"
#include "common/status_macros.h"
#include "controller/auth.h"
#include "controller/server.h"
#include "latency/local_cpu.h"
#include "supernet/dnnl_context.h"
#include "workers/measure.h"
#include "workers/timing.h"
#include "workers/worker.h"
#include "proto/textproto.h"

ABSL_DECLARE_FLAG(std::string, spec);
ABSL_FLAG(std::string, state_dir, "ridge-data", "Directory of the controller's SQLite store, checkpoints and tokens.");

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

absl::Status Up(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(CampaignSpec spec, UpSpec());
  // Ctrl-C and SIGTERM go to one thread, which stops the controller in order
  // (checkpoints first); the controller's threads inherit the blocked mask.
  SignalWaiter signals;

  controller::ControllerOptions options;
  options.listen = "127.0.0.1:0";  // A free port: several `ridge up` may run side by side.
  options.data_dir = absl::GetFlag(FLAGS_state_dir);
  ASSIGN_OR_RETURN(std::unique_ptr<controller::Controller> server, controller::Controller::Start(options));
  std::atomic<bool> interrupted{false};
  signals.Start([&](int) {
    interrupted = true;
    std::fprintf(stderr, "\nridge up: stopping; checkpointing the campaign (run `ridge up` again to resume)\n");
    server->Shutdown();
  });

  const std::string target = absl::StrCat("127.0.0.1:", server->port());
  // The local measurement path: a worker for device key "local" in this
  // process, leasing over loopback like any remote worker.
  std::unique_ptr<workers::Worker> worker;
  std::thread worker_thread;
  absl::StatusOr<std::string> worker_token = controller::ReadWorkerToken(server->token_file());
  absl::StatusOr<LocalCpuMeasurement> cpu = MeasureLocalCpu();
  if (worker_token.ok() && cpu.ok()) {
    workers::WorkerOptions w;
    w.controller = target;
    w.token = *worker_token;
    w.device_key = "local";
    w.self_profile = LocalCpuProfile(*cpu);
    w.self_profile.set_name("local");
    w.environment = workers::CollectEnvironment(nn::Threads());
    worker = std::make_unique<workers::Worker>(w, [](const Job& job) { return workers::MeasureJob(job, 0); });
    worker_thread = std::thread([&] { worker->Run().IgnoreError(); });
  } else {
    std::fprintf(stderr, "ridge up: no local worker: %s\n",
                 std::string((worker_token.ok() ? cpu.status() : worker_token.status()).message()).c_str());
  }
  auto stop_worker = [&] {
    if (worker == nullptr) return;
    worker->Stop();
    worker_thread.join();
    worker.reset();
  };
  std::fprintf(stderr, "ridge up: controller on %s, state in %s/ (tokens: %s)\n", target.c_str(),
               options.data_dir.c_str(), server->token_file().c_str());
  absl::StatusOr<Connection> c = Connect(target, server->token_file());
  absl::StatusOr<std::vector<Campaign>> unfinished = server->manager().store()->UnfinishedCampaigns();
  absl::Status status = c.status().ok() ? unfinished.status() : c.status();
  std::string id;
  if (status.ok() && !unfinished->empty()) {
    id = unfinished->front().campaign_id();
    std::fprintf(stderr, "ridge up: resuming unfinished campaign %s (%s)\n", id.c_str(),
                 unfinished->front().spec().name().c_str());
  } else if (status.ok()) {
    LaunchRequest request;
    *request.mutable_spec() = spec;
    LaunchResponse response;
    grpc::Status s = c->campaigns->Launch(c->Context().get(), request, &response);
    status = s.ok() ? absl::OkStatus() : RpcError(s, "Launch", target);
    id = response.campaign_id();
    if (status.ok()) std::fprintf(stderr, "ridge up: launched campaign %s (%s)\n", id.c_str(), spec.name().c_str());
  }
  if (status.ok()) status = WatchToEnd(*c, id, out);
  if (interrupted) status = absl::CancelledError(absl::StrCat("interrupted; campaign ", id,
                                                              " resumes from its checkpoint on the next `ridge up`"));
  stop_worker();
  signals.Stop();
  server.reset();
  if (status.ok()) {
    absl::StrAppend(out, "state: ", options.data_dir, "/ridge.db; query it again with `ridge_controller --state_dir=",
                    options.data_dir, "` and `ridge front show ", id, "`\n");
  }
  return status;
}

}  // namespace

void AddUpCommand(std::vector<Command>* commands) {
  commands->push_back({"up", "",
                       "The embedded default: an in-process controller with SQLite under --state_dir runs the "
                       "quickstart campaign (or --spec) and shows its fronts.",
                       {"spec", "state_dir"}, 0, 0, Up});
}

}  // namespace ridge::cli
