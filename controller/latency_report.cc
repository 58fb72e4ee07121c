// MeasurementService.LatencyReport: fit the latency models of a device key
// on its stored measurements and score them on held-out architectures
// (DESIGN.md Sec. 4): the lookup table, the calibrated roofline, their
// hybrid, and the uncalibrated roofline for comparison.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "controller/device_loop.h"
#include "controller/services.h"
#include "controller/worker_services.h"
#include "latency/hardware_profiles.h"
#include "latency/measured_models.h"

namespace ridge::controller {
namespace {

// The profile calibration starts from: the named built-in one, or the
// roofline the device's workers measured of themselves.
absl::StatusOr<HardwareProfile> BaseProfile(JobQueue* queue, const LatencyReportRequest& request) {
  if (!request.base_hardware().empty()) {
    const std::vector<std::string> names = BuiltinHardwareNames();
    if (std::find(names.begin(), names.end(), request.base_hardware()) == names.end()) {
      return absl::InvalidArgumentError(absl::StrCat("base_hardware: '", request.base_hardware(),
                                                     "' is not a built-in profile"));
    }
    return ResolveHardware(request.base_hardware(), "base_hardware");
  }
  absl::StatusOr<HardwareProfile> measured = DeviceProfile(queue->store(), request.device_key());
  if (absl::IsNotFound(measured.status())) {
    return absl::FailedPreconditionError(absl::StrCat("device_key: no worker of '", request.device_key(),
                                                      "' sent a self-measured profile; give base_hardware"));
  }
  return measured;
}

std::vector<MeasuredArch> EndToEndOnly(std::vector<MeasuredArch> measured) {
  for (MeasuredArch& a : measured) a.layer_ms.clear();
  return measured;
}

void AddScore(const std::string& name, const absl::StatusOr<ModelScore>& score, LatencyReportResponse* response) {
  ModelReport* r = response->add_models();
  r->set_model(name);
  if (!score.ok()) {
    r->set_error(std::string(score.status().message()));
    return;
  }
  r->set_n(score->n);
  r->set_failed(score->failed);
  r->set_spearman(score->spearman);
  r->set_kendall(score->kendall);
  r->set_mape(score->mape);
  r->set_within_10pct(score->within_10pct);
}

template <typename Model>
void FitAndScore(const std::string& name, const absl::StatusOr<std::unique_ptr<Model>>& model,
                 const std::vector<MeasuredArch>& held_out, LatencyReportResponse* response) {
  if (!model.ok()) return AddScore(name, model.status(), response);
  AddScore(name, ScoreModel(**model, held_out), response);
}

}  // namespace

grpc::Status MeasurementServiceImpl::LatencyReport(grpc::ServerContext* context, const LatencyReportRequest* request,
                                                   LatencyReportResponse* response) {
  return Handle(tokens_, context, Role::kClient, [&]() -> absl::Status {
    RETURN_IF_ERROR(ValidateDeviceKey(request->device_key(), "device_key"));
    const double fraction = request->held_out_fraction() == 0 ? 0.4 : request->held_out_fraction();
    if (!(fraction > 0 && fraction < 1)) {
      return absl::InvalidArgumentError(absl::StrCat("held_out_fraction: ", fraction, " must be in (0, 1)"));
    }
    ASSIGN_OR_RETURN(auto stored, queue_->store()->Measurements(request->device_key()));
    std::vector<MeasuredArch> all = ToMeasuredArchs(stored);
    if (all.empty()) {
      return absl::NotFoundError(absl::StrCat("device_key: '", request->device_key(), "' has 0 measurements; "
                                              "queue some with `ridge latency measure`"));
    }
    if (all.size() < 5) {
      return absl::FailedPreconditionError(absl::StrCat("device_key '", request->device_key(), "' has ", all.size(),
                                                        " measurements; the report needs at least 5 (queue some "
                                                        "with `ridge latency measure`)"));
    }
    ASSIGN_OR_RETURN(HardwareProfile base, BaseProfile(queue_, *request));
    std::vector<MeasuredArch> train, held_out;
    SplitHeldOut(all, fraction, request->seed(), &train, &held_out);
    response->set_device_key(request->device_key());
    response->set_measurements(static_cast<int32_t>(all.size()));
    response->set_train(static_cast<int32_t>(train.size()));
    response->set_held_out(static_cast<int32_t>(held_out.size()));
    FitAndScore("lookup_table", FitLookupTable(train), held_out, response);
    // The calibration from end-to-end times: per-layer times, taken one
    // layer at a time with warm caches, mislead it (see docs/decisions.md);
    // the per-layer fit is scored too, for comparison.
    FitAndScore("calibrated_roofline", FitCalibratedRoofline(EndToEndOnly(train), base), held_out, response);
    FitAndScore("calibrated_roofline_per_layer", FitCalibratedRoofline(train, base), held_out, response);
    FitAndScore("hybrid", FitHybrid(train, base), held_out, response);
    AddScore(absl::StrCat("roofline:", base.name()), ScoreModel(*MakeRooflineModel(base), held_out), response);
    return absl::OkStatus();
  });
}

}  // namespace ridge::controller
