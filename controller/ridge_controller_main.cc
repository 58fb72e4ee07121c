// ridge_controller: the long-lived campaign service (docs/design.md §7).
// SIGTERM or SIGINT stops it cleanly: RPCs drain, running campaigns write a
// checkpoint, and the next start resumes them.
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/log_flag.h"
#include "common/logging.h"
#include "common/signal_waiter.h"
#include "controller/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "host:port to serve on; port 0 picks a free port.");
ABSL_FLAG(std::string, http_listen, "127.0.0.1:0",
          "host:port of the read-only web dashboard (docs/dashboard.md); port 0 picks a free port; empty or "
          "\"off\" serves none.");
ABSL_FLAG(std::string, state_dir, "ridge-data", "Directory of ridge.db, checkpoints/ and the default token file.");
ABSL_FLAG(std::string, data_root, "",
          "Directory whose subdirectories a campaign may name as dataset.dir (a bare name, never a path); "
          "empty: campaigns use the built-in Fashion-MNIST only.");
ABSL_FLAG(std::string, token_file, "",
          "Token file (\"<role> <token>\" per line); default <state_dir>/tokens, created with an admin token.");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate; with --tls_key, serve TLS only.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key for --tls_cert.");
ABSL_FLAG(int, max_concurrent, 1, "Campaigns that run at once; the rest queue.");
ABSL_FLAG(int64_t, checkpoint_every, 100, "Steps between checkpoints when a spec gives none.");
ABSL_FLAG(int64_t, measure_every, 50, "Device-key targets: steps between queueing the trained architecture.");
ABSL_FLAG(int64_t, refit_every, 200, "Device-key targets: steps between refits of the latency model.");

namespace {

// The flags as options; INVALID_ARGUMENT names a flag out of range.
absl::StatusOr<ridge::controller::ControllerOptions> OptionsFromFlags() {
  ridge::controller::ControllerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.http_listen = absl::GetFlag(FLAGS_http_listen);
  options.data_dir = absl::GetFlag(FLAGS_state_dir);
  options.token_file = absl::GetFlag(FLAGS_token_file);
  options.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key = absl::GetFlag(FLAGS_tls_key);
  options.manager.data_root = absl::GetFlag(FLAGS_data_root);
  options.manager.max_concurrent = absl::GetFlag(FLAGS_max_concurrent);
  options.manager.checkpoint_every_steps = absl::GetFlag(FLAGS_checkpoint_every);
  options.manager.device.measure_every_steps = absl::GetFlag(FLAGS_measure_every);
  options.manager.device.refit_every_steps = absl::GetFlag(FLAGS_refit_every);
  if (options.manager.device.measure_every_steps < 1 || options.manager.device.refit_every_steps < 1) {
    return absl::InvalidArgumentError("--measure_every, --refit_every: must be >= 1");
  }
  if (options.manager.max_concurrent < 1 || options.manager.max_concurrent > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_concurrent: ", options.manager.max_concurrent, " must be in [1, 64]"));
  }
  if (options.manager.checkpoint_every_steps < 1) {
    return absl::InvalidArgumentError("--checkpoint_every: must be >= 1");
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("ridge_controller [--listen=HOST:PORT] [--state_dir=DIR] [--token_file=F]");
  absl::ParseCommandLine(argc, argv);
  spdlog::logger* log = ridge::Log(ridge::Component::kController);
  absl::Status level = ridge::ApplyLogLevelFlag();
  absl::StatusOr<ridge::controller::ControllerOptions> options =
      level.ok() ? OptionsFromFlags() : absl::StatusOr<ridge::controller::ControllerOptions>(level);
  if (!options.ok()) {
    log->error("{}", std::string(options.status().message()));
    return 2;
  }
  // Signals go to one thread that shuts down in order; every other thread
  // (gRPC's, the campaigns') inherits the blocked mask.
  ridge::SignalWaiter signals;
  auto controller = ridge::controller::Controller::Start(*options);
  if (!controller.ok()) {
    log->error("cannot start: {}", std::string(controller.status().message()));
    return 1;
  }
  // Output for scripts to read: where the dashboard is, if on, then where
  // gRPC serves (scripts wait for this line).
  if ((*controller)->http_port() != 0) {
    std::printf("ridge_controller: dashboard on http://%s:%d/\n",
                options->http_listen.substr(0, options->http_listen.rfind(':')).c_str(), (*controller)->http_port());
  }
  const std::string host = options->listen.substr(0, options->listen.rfind(':'));
  std::printf("ridge_controller: serving on %s:%d (tokens: %s)\n", host.c_str(), (*controller)->port(),
              (*controller)->token_file().c_str());
  std::fflush(stdout);
  signals.Start([&](int signal) {
    log->info("stopping: checkpointing running campaigns signal={}", signal);
    (*controller)->Shutdown();
  });
  (*controller)->Wait();
  signals.Stop();
  controller->reset();
  log->info("stopped");
  return 0;
}
