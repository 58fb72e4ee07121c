#include "latency/model_report.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "latency/blocked_linear_model.h"
#include "latency/calibrated_roofline_model.h"
#include "latency/hybrid_model.h"
#include "latency/lookup_table_model.h"
#include "latency/model_selection.h"

namespace ridge {
namespace {

template <typename Model>
NamedModelScore FitAndScore(std::string name, const absl::StatusOr<std::unique_ptr<Model>>& model,
                            const std::vector<MeasuredArch>& held_out) {
  if (!model.ok()) return {std::move(name), model.status()};
  return {std::move(name), ScoreModel(**model, held_out)};
}

}  // namespace

absl::Status CheckLatencyModelReportInput(absl::string_view device_key, size_t measurements,
                                          double held_out_fraction) {
  if (!(held_out_fraction > 0 && held_out_fraction < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("held_out_fraction: ", held_out_fraction, " must be in (0, 1)"));
  }
  if (measurements == 0) {
    return absl::NotFoundError(absl::StrCat("device_key: '", device_key, "' has 0 measurements; "
                                            "queue some with `ridge latency measure`"));
  }
  if (measurements < 5) {
    return absl::FailedPreconditionError(
        absl::StrCat("device_key '", device_key, "' has ", measurements,
                     " measurements; the report needs at least 5 (queue some "
                     "with `ridge latency measure`)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<LatencyModelReport> BuildLatencyModelReport(
    absl::string_view device_key, const std::vector<MeasuredArch>& measurements,
    const HardwareProfile& base_profile, double held_out_fraction, uint64_t seed) {
  RETURN_IF_ERROR(
      CheckLatencyModelReportInput(device_key, measurements.size(), held_out_fraction));
  std::vector<MeasuredArch> train, held_out;
  SplitHeldOut(measurements, held_out_fraction, seed, &train, &held_out);
  LatencyModelReport report;
  report.measurements = static_cast<int>(measurements.size());
  report.train = static_cast<int>(train.size());
  report.held_out = static_cast<int>(held_out.size());
  report.models.push_back(FitAndScore("lookup_table", FitLookupTable(train), held_out));
  // The calibration from end-to-end times: per-layer times, taken one
  // layer at a time with warm caches, mislead it (see docs/decisions.md);
  // the per-layer fit is scored too, for comparison.
  report.models.push_back(FitAndScore(
      "calibrated_roofline", FitCalibratedRoofline(EndToEndOnly(train), base_profile), held_out));
  report.models.push_back(FitAndScore("calibrated_roofline_per_layer",
                                      FitCalibratedRoofline(train, base_profile), held_out));
  report.models.push_back(FitAndScore("hybrid", FitHybrid(train, base_profile), held_out));
  for (int block : {8, 16}) {
    report.models.push_back(
        FitAndScore(absl::StrCat("blocked_linear:", block), FitBlockedLinear(train, block), held_out));
  }
  report.models.push_back(
      FitAndScore("mean(hybrid,blocked_linear:16)", FitHybridAndBlocked(train, base_profile), held_out));
  report.models.push_back({absl::StrCat("roofline:", base_profile.name()),
                           ScoreModel(*MakeRooflineModel(base_profile), held_out)});
  // What a campaign would price with: the model chosen by cross-validation
  // on the train side alone, then scored on the held-out side.
  absl::StatusOr<ModelChoice> choice = SelectLatencyModel(train, base_profile, seed);
  if (!choice.ok()) {
    report.models.push_back({"selected", choice.status()});
  } else {
    report.models.push_back({absl::StrCat("selected:", choice->name), ScoreModel(*choice->model, held_out)});
  }
  return report;
}

}  // namespace ridge
