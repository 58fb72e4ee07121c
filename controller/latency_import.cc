#include "controller/latency_import.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "proto/architecture.h"

namespace ridge::controller {
namespace {

std::pair<JobRecord, Measurement> ToStored(const std::string& device_key, const std::string& source,
                                           const ImportedLatency& in, int64_t now_ms) {
  JobRecord job;
  job.job_id = ImportedJobId(device_key, in);
  job.device_key = device_key;
  job.architecture = in.architecture();
  job.protocol.set_threads(in.threads());
  job.protocol.set_repeat(in.repeats());
  job.state = JobState::kDone;
  job.worker_id = kImportWorker;
  job.created_ms = now_ms;
  Measurement m;
  m.set_arch_id(ArchitectureId(in.architecture()));
  m.set_device_key(device_key);
  m.set_worker_id(kImportWorker);
  m.set_job_id(job.job_id);
  *m.mutable_protocol() = job.protocol;
  // One summary number is all an imported row has.
  m.add_samples_ms(in.latency_ms());
  m.set_median_ms(in.latency_ms());
  m.set_mean_ms(in.latency_ms());
  m.set_p90_ms(in.latency_ms());
  m.mutable_environment()->set_runtime(in.runtime());
  m.mutable_environment()->set_precision(in.precision());
  m.mutable_environment()->set_threads(in.threads());
  m.set_imported_from(source.empty() ? "import" : source);
  return {std::move(job), std::move(m)};
}

}  // namespace

std::string ImportedJobId(const std::string& device_key, const ImportedLatency& m) {
  const std::string key = absl::StrFormat("%s\x1f%s\x1f%.17g\x1f%s\x1f%d\x1f%s\x1f%d", device_key,
                                          ArchitectureId(m.architecture()), m.latency_ms(), m.runtime(), m.threads(),
                                          m.precision(), m.repeats());
  return absl::StrFormat("imp-%016x", Fnv1a64(key));
}

absl::StatusOr<ImportLatenciesResponse> ImportLatencies(JobStore* store, const ImportLatenciesRequest& request,
                                                        int64_t now_ms) {
  std::vector<std::pair<JobRecord, Measurement>> items;
  for (const ImportedLatency& m : request.measurements()) {
    items.push_back(ToStored(request.device_key(), request.source(), m, now_ms));
  }
  ASSIGN_OR_RETURN(int stored, store->ImportMeasurements(items, now_ms));
  ASSIGN_OR_RETURN(int64_t total, store->CountMeasurements(request.device_key()));
  ImportLatenciesResponse response;
  response.set_received(request.measurements_size());
  response.set_stored(stored);
  response.set_already_present(request.measurements_size() - stored);
  response.set_total(static_cast<int32_t>(total));
  Log(Component::kController)
      ->info("latencies imported device_key={} source={} received={} stored={} total={}", request.device_key(),
             request.source(), response.received(), stored, response.total());
  return response;
}

}  // namespace ridge::controller
