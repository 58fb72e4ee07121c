// The hybrid of the lookup table (latency/lookup_table_model.h) and the
// calibrated roofline (latency/calibrated_roofline_model.h).
#ifndef RIDGE_LATENCY_HYBRID_MODEL_H_
#define RIDGE_LATENCY_HYBRID_MODEL_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "latency/calibrated_roofline_model.h"
#include "latency/latency_model.h"
#include "latency/lookup_table_model.h"
#include "proto/architecture.pb.h"
#include "proto/hardware.pb.h"

namespace ridge {

// Table entries where present, the calibrated roofline for other blocks, then
// the table's end-to-end correction.
class HybridModel : public LatencyModel {
 public:
  HybridModel(LookupTableModel table, CalibratedRooflineModel roofline)
      : table_(std::move(table)), roofline_(std::move(roofline)) {}
  absl::StatusOr<double> PredictMs(const Architecture& arch) const override;
  std::string name() const override { return "hybrid:" + roofline_.name(); }

 private:
  LookupTableModel table_;
  CalibratedRooflineModel roofline_;
};

// Needs what both FitLookupTable and FitCalibratedRoofline need.
absl::StatusOr<std::unique_ptr<HybridModel>> FitHybrid(const std::vector<MeasuredArch>& train,
                                                       const HardwareProfile& base_profile);

}  // namespace ridge

#endif  // RIDGE_LATENCY_HYBRID_MODEL_H_
