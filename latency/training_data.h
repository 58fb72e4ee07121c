// Training measurements as the latency models use them: validated, with
// per-layer times aligned to InferLayers, and the end-to-end correction fitted
// on them. Shared by the models in latency/; not a public API.
#ifndef RIDGE_LATENCY_TRAINING_DATA_H_
#define RIDGE_LATENCY_TRAINING_DATA_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "latency/latency_model.h"
#include "proto/architecture.pb.h"
#include "proto/layers.h"

namespace ridge::latency_internal {

// "SET[INDEX] (arch ID)", naming a measurement in error messages.
std::string Where(absl::string_view set, size_t index, const Architecture& arch);

// INVALID_ARGUMENT unless `ms` is finite and > 0.
absl::Status CheckLatency(double ms, absl::string_view where);

struct Sample {
  const MeasuredArch* m = nullptr;
  NetworkLayers net;
  std::vector<double> layer_ms;  // Aligned with net.layers; empty if none given.
  double sum_ms = 0;             // Sum of layer_ms.
};

// Validates one measurement and aligns its layer times with InferLayers.
// The Sample points into `m`, which must outlive it.
absl::StatusOr<Sample> Prepare(const MeasuredArch& m, absl::string_view set, size_t index);

// Prepare for every measurement of `train` (as "train[i]"), errors prefixed
// with `model`; INVALID_ARGUMENT if `train` is empty.
absl::StatusOr<std::vector<Sample>> PrepareAll(const std::vector<MeasuredArch>& train,
                                               absl::string_view model);

// The end-to-end correction T = a S + b, fitted on the measurements that have
// per-layer times (S = their sum, T = the end-to-end median).
//
// Why affine: isolated primitives run with their own weights and inputs hot in
// cache and without the reorders and per-inference set-up of a whole network,
// so the gap has a proportional part (cache state; a) and a per-network
// constant (framework overhead; b). Both are fitted by least squares on
// relative error, sum_n ((a S_n + b - T_n) / T_n)^2, because the models are
// judged by relative error. With fewer than 3 such measurements, or sums too
// alike to separate a from b (< 5% spread), or an affine fit that is not
// physical (a <= 0, or a prediction <= 0), the ratio alone is fitted:
// a = sum(S/T) / sum((S/T)^2), b = 0.
EndToEndCorrection FitCorrection(const std::vector<Sample>& samples);

}  // namespace ridge::latency_internal

#endif  // RIDGE_LATENCY_TRAINING_DATA_H_
