// A measurement worker's client loop (docs/design.md §8): register with the
// device key, capabilities and self-measured roofline; heartbeat; lease one
// job at a time, measure it and report until the report is acknowledged;
// reconnect with exponential backoff (and jitter) whenever the controller
// is unreachable, and register again if the controller forgot the worker.
#ifndef RIDGE_WORKERS_WORKER_H_
#define RIDGE_WORKERS_WORKER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "proto/services.grpc.pb.h"

namespace ridge::workers {

struct WorkerOptions {
  std::string controller = "127.0.0.1:50051";
  std::string token;        // A worker or admin bearer token.
  std::string tls_ca;       // PEM contents of a CA; empty: no TLS.
  std::string device_key;
  Environment environment;
  HardwareProfile self_profile;
  int initial_backoff_ms = 250;
  int max_backoff_ms = 30000;
};

// Measures one job; the worker fills in the IDs. An error is reported to the
// controller as the job's failure.
using MeasureFn = std::function<absl::StatusOr<Measurement>(const Job& job)>;

class Worker {
 public:
  Worker(WorkerOptions options, MeasureFn measure);
  ~Worker();

  // Runs until Stop() (then OK) or until the controller quarantines this
  // worker (FAILED_PRECONDITION: fix the device, then start it again).
  absl::Status Run();
  // Makes Run return soon; safe from any thread or a signal-handling thread.
  void Stop();

  int64_t jobs_done() const { return jobs_done_; }
  int64_t jobs_failed() const { return jobs_failed_; }
  std::string worker_id();

 private:
  std::unique_ptr<grpc::ClientContext> Context(int deadline_s) const;
  absl::Status Register();
  void HeartbeatLoop();
  // Reports until acknowledged (retrying through outages) or stopped.
  absl::Status Report(const ReportMeasurementRequest& request);
  // Sleeps the current backoff (interruptible by Stop) and doubles it.
  void Backoff();

  const WorkerOptions options_;
  MeasureFn measure_;
  std::unique_ptr<WorkerService::Stub> stub_;
  absl::Mutex mu_;
  absl::CondVar stopped_cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::string worker_id_ ABSL_GUARDED_BY(mu_);
  int heartbeat_ms_ ABSL_GUARDED_BY(mu_) = 5000;
  std::atomic<int> running_{0};
  std::atomic<int64_t> jobs_done_{0}, jobs_failed_{0};
  int backoff_ms_;
};

}  // namespace ridge::workers

#endif  // RIDGE_WORKERS_WORKER_H_
