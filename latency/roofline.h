// The roofline latency model of the MobileNetV4 paper, Sec. 3:
//   time = sum_i max(MACs_i / PeakMACs, (WeightBytes_i + ActivationBytes_i) / PeakMemBW)
// with optional per-op-class compute ceilings and a fixed per-layer overhead.
#ifndef RIDGE_LATENCY_ROOFLINE_H_
#define RIDGE_LATENCY_ROOFLINE_H_

#include <string>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "latency/costing.h"
#include "proto/hardware.pb.h"

namespace ridge {

struct LayerRoofline {
  const LayerCost* cost = nullptr;  // Points into the NetworkCost priced.
  double arithmetic_intensity = 0;  // MACs per byte; 0 for a layer without MACs.
  double compute_sec = 0;           // MACs / (peak * ceiling efficiency).
  double memory_sec = 0;            // bytes / bandwidth.
  double time_sec = 0;              // max of the two, plus the overhead.
  bool compute_bound = false;       // compute_sec >= memory_sec.
  double share = 0;                 // time_sec / total.
};

struct RooflineResult {
  double total_sec = 0;
  std::vector<LayerRoofline> layers;
  double latency_ms() const { return total_sec * 1e3; }
};

// The op class a layer's ceiling is looked up by.
OpClass OpClassOf(const Layer& layer);

// Prices `cost` on `profile`. REQUIRES: `cost` outlives the result.
// INVALID_ARGUMENT if the profile is invalid or `cost` was computed at an
// element width other than the profile's bytes_per_element.
absl::StatusOr<RooflineResult> PredictRoofline(const NetworkCost& cost,
                                               const HardwareProfile& profile);

// An architecture's cost at the profile's element width and its roofline
// there. The roofline's layers point into `cost`, which is why the two travel
// together behind one pointer.
struct PricedArchitecture {
  NetworkCost cost;
  RooflineResult roofline;
};
// INVALID_ARGUMENT if the architecture does not cost (ValidateArchitecture
// first) or the profile's element width is not 1, 2 or 4 bytes.
absl::StatusOr<std::unique_ptr<PricedArchitecture>> PriceArchitecture(const Architecture& arch,
                                                                      const HardwareProfile& profile);

// One point of a ridge-point sweep (MobileNetV4 paper, Fig. 2 and 3).
struct SweepPoint {
  double ridge_point = 0;     // MACs per byte.
  double latency_ms = 0;
  double compute_bound_share = 0;  // Share of time in compute-bound layers.
};

// Prices `cost` at each ridge point in `ridge_points`, keeping `profile`'s
// peak MAC/s and setting bandwidth = peak / ridge (a ridge of 0 means
// unlimited bandwidth: MACs alone).
absl::StatusOr<std::vector<SweepPoint>> RidgeSweep(const NetworkCost& cost,
                                                   const HardwareProfile& profile,
                                                   const std::vector<double>& ridge_points);

// Ridge points from `lo` to `hi` inclusive in `step`s; INVALID_ARGUMENT names
// the flag-like field when the range is empty or has over 10,000 points.
absl::StatusOr<std::vector<double>> SweepRange(double lo, double hi, double step);

// "roofline:NAME", as recorded with predictions.
std::string RooflineModelName(const HardwareProfile& profile);

}  // namespace ridge

#endif  // RIDGE_LATENCY_ROOFLINE_H_
