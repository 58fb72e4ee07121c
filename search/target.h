// A search target, one (hardware, latency budget) pair, and how an
// architecture is priced on it (docs/design.md §5): at the campaign's
// deployment shape, by the target's fitted latency model if it has one, else
// by its profile's roofline.
#ifndef RIDGE_SEARCH_TARGET_H_
#define RIDGE_SEARCH_TARGET_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "latency/latency_model.h"
#include "proto/architecture.pb.h"
#include "proto/campaign.pb.h"
#include "proto/hardware.pb.h"

namespace ridge::search {

struct SearchTarget {
  HardwareProfile profile;  // Its name names the target's hardware in fronts.
  double budget_ms = 0;
  RewardType reward = ABS;
  double beta = 0;  // 0: the reward's default.
  // Measurement workers' device key; empty if none.
  std::string device_key;
  // A latency model fitted to measurements (latency/latency_model.h); when
  // null, the roofline of `profile` prices the target.
  std::shared_ptr<const LatencyModel> model;
};

// `arch` reshaped to the deployment input and class count; a zero height
// (or zero classes) keeps the architecture's own.
Architecture AtDeployment(const Architecture& arch, const Shape& input, int32_t classes);

// The latency of `deployed` (already at the deployment shape) on `target`, in
// milliseconds.
absl::StatusOr<double> TargetLatencyMs(const Architecture& deployed, const SearchTarget& target);

}  // namespace ridge::search

#endif  // RIDGE_SEARCH_TARGET_H_
