// MeasurementService.ImportLatencies: latencies measured outside Ridge (a
// phone's benchmark tool, a published table) stored as measurements of a
// device key, so a campaign can price that key with no worker online
// (docs/data.md). The request is validated first (controller/requests.h).
#ifndef RIDGE_CONTROLLER_LATENCY_IMPORT_H_
#define RIDGE_CONTROLLER_LATENCY_IMPORT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "controller/job_store.h"
#include "proto/services.pb.h"

namespace ridge::controller {

// The job ID an imported measurement is stored under: a hash of the device
// key, the architecture ID, the latency and the protocol fields, so the same
// row imported again is recognised and skipped.
std::string ImportedJobId(const std::string& device_key, const ImportedLatency& m);

// Stores every measurement of `request`, or none of them. Each is marked as
// imported (Measurement.imported_from = request.source, worker "import").
absl::StatusOr<ImportLatenciesResponse> ImportLatencies(JobStore* store, const ImportLatenciesRequest& request,
                                                        int64_t now_ms);

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_LATENCY_IMPORT_H_
