// The latency model report of one device: every model fitted on part of the
// device's measurements and scored on the rest (docs/design.md §4): the
// lookup table, the calibrated roofline, their hybrid, and the uncalibrated
// roofline for comparison.
#ifndef RIDGE_LATENCY_MODEL_REPORT_H_
#define RIDGE_LATENCY_MODEL_REPORT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "latency/latency_model.h"
#include "latency/model_scoring.h"
#include "proto/hardware.pb.h"

namespace ridge {

// One model of the report, or why it could not be fitted or scored.
struct NamedModelScore {
  std::string model;
  absl::StatusOr<ModelScore> score;
};

struct LatencyModelReport {
  int measurements = 0;  // All the device's measurements.
  int train = 0;         // Those the models were fitted on.
  int held_out = 0;      // Those they were scored on.
  // In this order: "lookup_table" (FitLookupTable), "calibrated_roofline"
  // (FitCalibratedRoofline on end-to-end times only), "calibrated_roofline_per_layer"
  // (FitCalibratedRoofline with the per-layer times too), "hybrid" (FitHybrid),
  // "roofline:BASE" (MakeRooflineModel(base_profile)), and "selected:NAME",
  // the model SelectLatencyModel picks from the train side (what a campaign
  // prices with), or "selected" with the reason none could be picked.
  std::vector<NamedModelScore> models;
};

// The report's preconditions, in this order: INVALID_ARGUMENT unless
// 0 < held_out_fraction < 1; NOT_FOUND for 0 measurements and
// FAILED_PRECONDITION for fewer than 5. `device_key` only names the device in
// the messages.
absl::Status CheckLatencyModelReportInput(absl::string_view device_key, size_t measurements,
                                          double held_out_fraction);

// Splits `measurements` by SplitHeldOut(held_out_fraction, seed), fits every
// model on the train side from `base_profile` and scores it on the held-out
// side. Fails only as CheckLatencyModelReportInput does; a model that cannot
// be fitted or scored carries its own error in `models`.
absl::StatusOr<LatencyModelReport> BuildLatencyModelReport(
    absl::string_view device_key, const std::vector<MeasuredArch>& measurements,
    const HardwareProfile& base_profile, double held_out_fraction, uint64_t seed);

}  // namespace ridge

#endif  // RIDGE_LATENCY_MODEL_REPORT_H_
