// A device key's latency model report (latency/model_report.h) from its
// stored measurements, as MeasurementService.LatencyReport and the dashboard
// answer it. The request is validated first (controller/requests.h).
#ifndef RIDGE_CONTROLLER_LATENCY_REPORT_H_
#define RIDGE_CONTROLLER_LATENCY_REPORT_H_

#include "absl/status/statusor.h"
#include "controller/job_queue.h"
#include "proto/services.pb.h"

namespace ridge::controller {

// Every latency model fitted on part of the key's measurements and scored on
// the rest. NOT_FOUND or FAILED_PRECONDITION when the key has too few
// measurements, or (without base_hardware) no self-measured profile.
absl::StatusOr<LatencyReportResponse> DeviceLatencyReport(JobQueue* queue, const LatencyReportRequest& request);

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_LATENCY_REPORT_H_
