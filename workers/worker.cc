#include "workers/worker.h"

#include <cstdio>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace ridge::workers {
namespace {

absl::Status FromGrpc(const grpc::Status& s, const char* call) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), absl::StrCat(call, ": ", s.error_message()));
}

// Worth retrying: the controller is down, restarting or overloaded.
bool Transient(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) || absl::IsResourceExhausted(s) ||
         absl::IsAborted(s) || absl::IsInternal(s) || absl::IsUnknown(s);
}

}  // namespace

Worker::Worker(WorkerOptions options, MeasureFn measure)
    : options_(std::move(options)), measure_(std::move(measure)), backoff_ms_(options_.initial_backoff_ms) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!options_.tls_ca.empty()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options_.tls_ca;
    credentials = grpc::SslCredentials(ssl);
  }
  stub_ = WorkerService::NewStub(grpc::CreateChannel(options_.controller, credentials));
}

Worker::~Worker() { Stop(); }

std::unique_ptr<grpc::ClientContext> Worker::Context(int deadline_s) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + options_.token);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(deadline_s));
  return context;
}

std::string Worker::worker_id() {
  absl::MutexLock lock(&mu_);
  return worker_id_;
}

void Worker::Stop() {
  absl::MutexLock lock(&mu_);
  stop_ = true;
  stopped_cv_.SignalAll();
}

void Worker::Backoff() {
  // Full jitter: workers that lost the controller together do not return together.
  static thread_local std::mt19937 rng(std::random_device{}());
  const int ms = std::uniform_int_distribution<int>(backoff_ms_ / 2, backoff_ms_)(rng);
  backoff_ms_ = std::min(backoff_ms_ * 2, options_.max_backoff_ms);
  absl::MutexLock lock(&mu_);
  if (!stop_) stopped_cv_.WaitWithTimeout(&mu_, absl::Milliseconds(ms));
}

absl::Status Worker::Register() {
  RegisterRequest request;
  request.set_device_key(options_.device_key);
  *request.mutable_environment() = options_.environment;
  if (options_.self_profile.peak_macs_per_sec() > 0) *request.mutable_self_profile() = options_.self_profile;
  RegisterResponse response;
  RETURN_IF_ERROR(FromGrpc(stub_->Register(Context(10).get(), request, &response), "Register"));
  absl::MutexLock lock(&mu_);
  worker_id_ = response.worker_id();
  heartbeat_ms_ = std::max(100, response.heartbeat_interval_ms());
  Log(Component::kWorker)->info("registered worker={} device_key={} controller={}", worker_id_,
                                options_.device_key, options_.controller);
  return absl::OkStatus();
}

void Worker::HeartbeatLoop() {
  while (true) {
    HeartbeatRequest request;
    {
      absl::MutexLock lock(&mu_);
      stopped_cv_.WaitWithTimeout(&mu_, absl::Milliseconds(heartbeat_ms_));
      if (stop_) return;
      if (worker_id_.empty()) continue;
      request.set_worker_id(worker_id_);
    }
    request.set_running_jobs(running_);
    HeartbeatResponse response;
    grpc::Status s = stub_->Heartbeat(Context(5).get(), request, &response);
    if (s.ok() && !response.known()) {
      // The controller lost this worker (e.g. a fresh store): register again.
      absl::MutexLock lock(&mu_);
      if (worker_id_ == request.worker_id()) worker_id_.clear();
    }
  }
}

absl::Status Worker::Report(const ReportMeasurementRequest& request) {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return absl::CancelledError("stopped before the report was acknowledged");
    }
    ReportMeasurementResponse response;
    absl::Status s = FromGrpc(stub_->ReportMeasurement(Context(30).get(), request, &response), "ReportMeasurement");
    if (s.ok() || !Transient(s)) return s;
    Backoff();  // Reports are idempotent by job ID, so resending is safe.
  }
}

absl::Status Worker::Run() {
  std::thread heartbeats([this] { HeartbeatLoop(); });
  absl::Status result = absl::OkStatus();
  while (true) {
    std::string id;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) break;
      id = worker_id_;
    }
    if (id.empty()) {
      absl::Status s = Register();
      if (!s.ok()) {
        if (Transient(s)) {
          Log(Component::kWorker)->warn("cannot register; retrying error={}", std::string(s.message()));
        } else {
          Log(Component::kWorker)->error("cannot register error={}", std::string(s.message()));
        }
        if (!Transient(s)) {
          result = s;  // Bad token or device key: retrying cannot help.
          break;
        }
        Backoff();
      }
      continue;
    }
    LeaseJobsRequest lease;
    lease.set_worker_id(id);
    lease.set_max_jobs(1);
    LeaseJobsResponse jobs;
    absl::Status s = FromGrpc(stub_->LeaseJobs(Context(30).get(), lease, &jobs), "LeaseJobs");
    if (absl::IsNotFound(s)) {
      absl::MutexLock lock(&mu_);
      worker_id_.clear();
      continue;
    }
    if (absl::IsFailedPrecondition(s)) {
      result = s;  // Quarantined.
      break;
    }
    if (!s.ok()) {
      Backoff();
      continue;
    }
    backoff_ms_ = options_.initial_backoff_ms;
    for (const Job& job : jobs.jobs()) {
      running_ = 1;
      absl::StatusOr<Measurement> m = measure_(job);
      running_ = 0;
      ReportMeasurementRequest report;
      report.set_worker_id(id);
      if (m.ok()) {
        *report.mutable_measurement() = *m;
      } else {
        report.set_error(std::string(m.status().message()));
      }
      report.mutable_measurement()->set_job_id(job.job_id());
      report.mutable_measurement()->set_worker_id(id);
      report.mutable_measurement()->set_device_key(options_.device_key);
      absl::Status reported = Report(report);
      if (!reported.ok()) {
        Log(Component::kWorker)->warn("report not acknowledged job={} error={}", job.job_id(),
                                      std::string(reported.message()));
      }
      (m.ok() ? jobs_done_ : jobs_failed_) += 1;
    }
  }
  Stop();
  heartbeats.join();
  return result;
}

}  // namespace ridge::workers
