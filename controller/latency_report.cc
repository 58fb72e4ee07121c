#include "controller/latency_report.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "controller/device_loop.h"
#include "latency/hardware_profiles.h"
#include "latency/model_report.h"

namespace ridge::controller {
namespace {

// The profile calibration starts from: the named built-in one, or the
// roofline the device's workers measured of themselves.
absl::StatusOr<HardwareProfile> BaseProfile(JobQueue* queue, const LatencyReportRequest& request) {
  if (!request.base_hardware().empty()) return ResolveHardware(request.base_hardware(), "base_hardware");
  absl::StatusOr<HardwareProfile> measured = DeviceProfile(queue->store(), request.device_key());
  if (absl::IsNotFound(measured.status())) {
    return absl::FailedPreconditionError(absl::StrCat("device_key: no worker of '", request.device_key(),
                                                      "' sent a self-measured profile; give base_hardware"));
  }
  return measured;
}

void ToProto(const LatencyModelReport& report, LatencyReportResponse* response) {
  response->set_measurements(report.measurements);
  response->set_train(report.train);
  response->set_held_out(report.held_out);
  for (const NamedModelScore& m : report.models) {
    ModelReport* r = response->add_models();
    r->set_model(m.model);
    if (!m.score.ok()) {
      r->set_error(std::string(m.score.status().message()));
      continue;
    }
    r->set_n(m.score->n);
    r->set_failed(m.score->failed);
    r->set_spearman(m.score->spearman);
    r->set_kendall(m.score->kendall);
    r->set_mape(m.score->mape);
    r->set_within_10pct(m.score->within_10pct);
  }
}

}  // namespace

absl::StatusOr<LatencyReportResponse> DeviceLatencyReport(JobQueue* queue, const LatencyReportRequest& request) {
  const double fraction = request.held_out_fraction() == 0 ? 0.4 : request.held_out_fraction();
  ASSIGN_OR_RETURN(auto stored, queue->store()->Measurements(request.device_key()));
  const std::vector<MeasuredArch> all = ToMeasuredArchs(stored);
  RETURN_IF_ERROR(CheckLatencyModelReportInput(request.device_key(), all.size(), fraction));
  ASSIGN_OR_RETURN(HardwareProfile base, BaseProfile(queue, request));
  ASSIGN_OR_RETURN(LatencyModelReport report,
                   BuildLatencyModelReport(request.device_key(), all, base, fraction, request.seed()));
  LatencyReportResponse response;
  response.set_device_key(request.device_key());
  ToProto(report, &response);
  int imported = 0;
  for (const auto& [arch, m] : stored) imported += !m.imported_from().empty();
  response.set_imported(imported);
  return response;
}

}  // namespace ridge::controller
