// Latency models fitted to measured architectures: the interface they share
// and the measurements they learn from.
//
// Three models learn from MeasuredArch training sets (end-to-end times and,
// when the job asked for them, per-layer times of oneDNN primitives timed in
// isolation):
// - a lookup table of measured per-block times (the approach of ProxylessNAS,
//   Cai et al. 2019, and FBNet, Wu et al. 2019; latency/lookup_table_model.h);
// - the MobileNetV4 roofline (latency/roofline.h) recalibrated by least
//   squares (latency/calibrated_roofline_model.h);
// - a hybrid: table entries where they exist, the calibrated roofline for the
//   rest (latency/hybrid_model.h).
// Isolated layer times do not add up to the end-to-end time, so every model
// maps its per-layer-scale sum S through one fitted correction a * S + b.
// latency/model_scoring.h scores them on held-out measurements.
#ifndef RIDGE_LATENCY_LATENCY_MODEL_H_
#define RIDGE_LATENCY_LATENCY_MODEL_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/architecture.pb.h"

namespace ridge {

// One measured architecture.
struct MeasuredArch {
  Architecture arch;
  double latency_ms = 0;  // End-to-end median; must be finite and > 0.
  // (layer name as InferLayers names it, median ms); empty when the job did
  // not ask for per-layer times, otherwise it must cover every layer once.
  std::vector<std::pair<std::string, double>> layer_ms;
};

class LatencyModel {
 public:
  virtual ~LatencyModel();
  // Predicted end-to-end latency of `arch` in milliseconds.
  virtual absl::StatusOr<double> PredictMs(const Architecture& arch) const = 0;
  virtual std::string name() const = 0;
};

// end_to_end_ms = scale * per_layer_sum_ms + offset_ms.
struct EndToEndCorrection {
  double scale = 1;
  double offset_ms = 0;
  double Apply(double sum_ms) const { return scale * sum_ms + offset_ms; }
};

}  // namespace ridge

#endif  // RIDGE_LATENCY_LATENCY_MODEL_H_
