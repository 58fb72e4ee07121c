// ridge_worker: a measurement worker (DESIGN.md Sec. 7). It measures its own
// roofline, registers with the controller under --device_key, then leases
// and measures jobs until SIGTERM or SIGINT. Workers pull; the controller
// never dials them, so a worker behind NAT or a firewall works.
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/signal_waiter.h"
#include "proto/textproto.h"
#include "controller/auth.h"
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
  auto fail = [](const std::string& message) {
    std::fprintf(stderr, "ridge_worker: error: %s\n", message.c_str());
    return 2;
  };
  ridge::workers::WorkerOptions options;
  options.controller = absl::GetFlag(FLAGS_controller);
  options.device_key = absl::GetFlag(FLAGS_device_key);
  if (options.device_key.empty()) return fail("--device_key: must be given");
  absl::StatusOr<std::string> token = ridge::controller::ReadWorkerToken(absl::GetFlag(FLAGS_token_file));
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
  std::fprintf(stderr, "ridge_worker: measuring this machine's roofline\n");
  absl::StatusOr<ridge::LocalCpuMeasurement> cpu = ridge::MeasureLocalCpu();
  if (!cpu.ok()) return fail(std::string(cpu.status().message()));
  options.self_profile = ridge::LocalCpuProfile(*cpu);
  options.self_profile.set_name(ridge::ProfileNameForKey(options.device_key));
  options.environment = ridge::workers::CollectEnvironment(ridge::nn::Threads());

  ridge::SignalWaiter signals;  // Before the worker starts threads: see signal_waiter.h.
  ridge::workers::Worker worker(options, [threads](const ridge::Job& job) {
    return ridge::workers::MeasureJob(job, threads);
  });
  signals.Start([&](int signal) {
    std::fprintf(stderr, "ridge_worker: signal %d: stopping\n", signal);
    worker.Stop();
  });
  absl::Status status = worker.Run();
  signals.Stop();
  std::fprintf(stderr, "ridge_worker: stopped after %lld jobs (%lld failed)%s%s\n",
               static_cast<long long>(worker.jobs_done()), static_cast<long long>(worker.jobs_failed()),
               status.ok() ? "" : ": ", std::string(status.message()).c_str());
  return status.ok() ? 0 : 1;
}
