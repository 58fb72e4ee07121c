// Which latency model prices a device: every candidate is cross-validated on
// the device's own measurements, and the one with the most held-out
// predictions within +-10% (then the lowest mean relative error) is fitted on
// all of them (docs/design.md §4).
//
// Why choose per device: on this machine the calibrated roofline won on the
// seeds it was tuned on, and the hybrid on a seed it was not (82.5% against
// 95% within +-10%, docs/decisions.md). Neither wins everywhere, and a device
// behind a different runtime may favour either; its own measurements decide.
#ifndef RIDGE_LATENCY_MODEL_SELECTION_H_
#define RIDGE_LATENCY_MODEL_SELECTION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "latency/latency_model.h"
#include "latency/model_scoring.h"
#include "proto/hardware.pb.h"

namespace ridge {

// Fewer measured architectures than this and a device is priced by its
// roofline profile alone: five folds of at least two architectures each.
inline constexpr int kMinMeasurementsToPrice = 10;

// One candidate's cross-validated score, or why it could not take part (a
// lookup table with a block no other fold measured, a hybrid without
// per-layer times, ...).
struct CandidateScore {
  std::string model;
  absl::StatusOr<ModelScore> score;
};

struct ModelChoice {
  std::shared_ptr<const LatencyModel> model;  // Fitted on every measurement.
  std::string name;                           // The winning candidate.
  int folds = 0;
  int measurements = 0;
  std::vector<CandidateScore> candidates;  // Every candidate, in a fixed order.
  const ModelScore& winner_score() const;
};

// Cross-validates the candidates ("calibrated_roofline" on end-to-end times,
// "calibrated_roofline_per_layer", "hybrid", "lookup_table",
// "blocked_linear:8", "blocked_linear:16" and the mean of the hybrid and
// blocked_linear:16) over
// min(5, distinct architectures) folds split by architecture ID (a seeded
// hash, as SplitHeldOut does), and fits the winner on all of `measured`.
// A candidate qualifies only if it priced every held-out architecture.
// FAILED_PRECONDITION below kMinMeasurementsToPrice distinct architectures or
// when no candidate qualifies (with each one's reason).
// The mean of the hybrid and blocked_linear:16, both fitted on `train`.
absl::StatusOr<std::unique_ptr<LatencyModel>> FitHybridAndBlocked(const std::vector<MeasuredArch>& train,
                                                                  const HardwareProfile& base);

absl::StatusOr<ModelChoice> SelectLatencyModel(const std::vector<MeasuredArch>& measured,
                                               const HardwareProfile& base, uint64_t seed = 0);

// "hybrid (5-fold cross-validation on 100 measurements: 96.0% within +-10%,
// MAPE 3.1%)", for events and logs.
std::string DescribeChoice(const ModelChoice& choice);

}  // namespace ridge

#endif  // RIDGE_LATENCY_MODEL_SELECTION_H_
