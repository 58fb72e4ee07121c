// ridge_worker: a measurement worker (docs/design.md §8). It measures its own
// roofline, registers with the controller under --device_key, then leases
// and measures jobs until SIGTERM or SIGINT. Workers pull; the controller
// never dials them, so a worker behind NAT or a firewall works.
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/log_flag.h"
#include "common/logging.h"
#include "common/signal_waiter.h"
#include "common/token_file.h"
#include "latency/hardware_profiles.h"
#include "latency/local_cpu.h"
#include "supernet/dnnl_context.h"
#include "workers/measure.h"
#include "workers/timing.h"
#include "workers/worker.h"

ABSL_FLAG(std::string, controller, "127.0.0.1:50051", "Controller address host:port.");
ABSL_FLAG(std::string, token_file, "ridge-data/tokens", "File with a worker (or admin) token.");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA certificate: talk TLS to the controller.");
ABSL_FLAG(std::string, device_key, "", "The device key jobs are matched on, e.g. zen5-2c. Required.");
ABSL_FLAG(int, threads, 0, "Threads per measurement when a job does not say; 0 means all cores.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("ridge_worker --device_key=KEY [--controller=HOST:PORT] [--token_file=F]");
  absl::ParseCommandLine(argc, argv);
  spdlog::logger* log = ridge::Log(ridge::Component::kWorker);
  auto fail = [&](const std::string& message) {
    log->error("ridge_worker cannot start: {}", message);
    return 2;
  };
  if (absl::Status s = ridge::ApplyLogLevelFlag(); !s.ok()) return fail(std::string(s.message()));
  ridge::workers::WorkerOptions options;
  options.controller = absl::GetFlag(FLAGS_controller);
  options.device_key = absl::GetFlag(FLAGS_device_key);
  if (options.device_key.empty()) return fail("--device_key: must be given");
  absl::StatusOr<std::string> token = ridge::ReadWorkerToken(absl::GetFlag(FLAGS_token_file));
  if (!token.ok()) return fail(std::string(token.status().message()));
  options.token = *token;
  if (!absl::GetFlag(FLAGS_tls_ca).empty()) {
    absl::StatusOr<std::string> pem = ridge::ReadFileToString(absl::GetFlag(FLAGS_tls_ca), 1 << 20);
    if (!pem.ok()) return fail(absl::StrCat("--tls_ca: ", pem.status().message()));
    options.tls_ca = *pem;
  }
  const int threads = absl::GetFlag(FLAGS_threads);
  if (threads < 0 || threads > 1024) return fail("--threads: must be in [0, 1024]");
  ridge::nn::SetThreads(threads);
  log->info("measuring this machine's roofline device_key={}", options.device_key);
  absl::StatusOr<ridge::LocalCpuMeasurement> cpu = ridge::MeasureLocalCpu();
  if (!cpu.ok()) return fail(std::string(cpu.status().message()));
  options.self_profile = ridge::LocalCpuProfile(*cpu);
  options.self_profile.set_name(ridge::ProfileNameForKey(options.device_key));
  options.environment = ridge::workers::CollectEnvironment(ridge::nn::Threads());

  ridge::SignalWaiter signals;  // Before the worker starts threads: see signal_waiter.h.
  ridge::workers::Measurer measurer(threads);
  ridge::workers::Worker worker(options, [&measurer](const ridge::Job& job) { return measurer.Measure(job); });
  signals.Start([&](int signal) {
    log->info("stopping signal={}", signal);
    worker.Stop();
  });
  absl::Status status = worker.Run();
  signals.Stop();
  if (status.ok()) {
    log->info("stopped jobs_done={} jobs_failed={}", worker.jobs_done(), worker.jobs_failed());
  } else {
    log->error("stopped jobs_done={} jobs_failed={} error={}", worker.jobs_done(), worker.jobs_failed(),
               std::string(status.message()));
  }
  return status.ok() ? 0 : 1;
}
