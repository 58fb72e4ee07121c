#include "search/target.h"

#include "common/status_macros.h"
#include "latency/costing.h"
#include "latency/roofline.h"

namespace ridge::search {

Architecture AtDeployment(const Architecture& arch, const Shape& input, int32_t classes) {
  Architecture out = arch;
  if (input.height() > 0) *out.mutable_input() = input;
  if (classes > 0) out.set_num_classes(classes);
  return out;
}

absl::StatusOr<double> TargetLatencyMs(const Architecture& deployed, const SearchTarget& target) {
  if (target.model != nullptr) return target.model->PredictMs(deployed);
  ASSIGN_OR_RETURN(ElementType type, ElementTypeOfBytes(target.profile.bytes_per_element()));
  ASSIGN_OR_RETURN(NetworkCost cost, CostArchitecture(deployed, type));
  // A device target's profile carries the device key as its name, which
  // profile names may not spell; the name plays no part in the price.
  HardwareProfile profile = target.profile;
  if (!target.device_key.empty()) profile.set_name("device");
  ASSIGN_OR_RETURN(RooflineResult r, PredictRoofline(cost, profile));
  return r.latency_ms();
}

}  // namespace ridge::search
