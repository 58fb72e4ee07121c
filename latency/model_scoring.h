// How latency models are scored: rank agreement and error on held-out
// measurements, the held-out split, and the uncalibrated roofline to compare
// the fitted models with.
#ifndef RIDGE_LATENCY_MODEL_SCORING_H_
#define RIDGE_LATENCY_MODEL_SCORING_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "latency/latency_model.h"
#include "proto/hardware.pb.h"

namespace ridge {

// The uncalibrated roofline of `profile` ("roofline:NAME"), for comparison.
std::unique_ptr<LatencyModel> MakeRooflineModel(const HardwareProfile& profile);

// Rank agreement and error of a model on held-out measurements.
// Architectures the model cannot predict (NOT_FOUND, e.g. a block missing from
// a pure lookup table) are counted in `failed` and left out of every metric;
// other errors are returned. Metrics need n >= 1 (rank ones n >= 2) and are
// NaN otherwise.
struct ModelScore {
  int n = 0;                 // Architectures scored.
  int failed = 0;            // Architectures with a NOT_FOUND prediction.
  double spearman = 0;       // Spearman rho, average ranks for ties (rank_metrics.h).
  double kendall = 0;        // Kendall tau-b (rank_metrics.h).
  double mape = 0;           // Mean |pred - measured| / measured, a fraction.
  double within_10pct = 0;   // Share with |pred - measured| <= 10% of measured.
};

// INVALID_ARGUMENT if `held_out` is empty or has a bad measurement.
absl::StatusOr<ModelScore> ScoreModel(const LatencyModel& model,
                                      const std::vector<MeasuredArch>& held_out);

// The metrics of ModelScore from predictions and measurements of the same
// architectures (equal sizes; measured > 0), with `failed` carried over.
ModelScore ScorePredictions(const std::vector<double>& predicted, const std::vector<double>& measured,
                            int failed);

// `measured` without its per-layer times: what the end-to-end fits see.
std::vector<MeasuredArch> EndToEndOnly(std::vector<MeasuredArch> measured);

// The distinct architecture IDs of `all`, ordered by a hash of `salt` + ID:
// a seeded shuffle that keeps every measurement of one architecture together.
std::vector<std::string> IdsInSeededOrder(const std::vector<MeasuredArch>& all, absl::string_view salt);

// Splits by architecture ID: IDs are ordered by a seeded hash, and the first
// round(fraction * distinct IDs) go to `held_out`. Every measurement of one
// architecture lands on the same side; both outputs keep the input order.
void SplitHeldOut(const std::vector<MeasuredArch>& all, double held_out_fraction, uint64_t seed,
                  std::vector<MeasuredArch>* train, std::vector<MeasuredArch>* held_out);

}  // namespace ridge

#endif  // RIDGE_LATENCY_MODEL_SCORING_H_
