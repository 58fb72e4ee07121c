#include "latency/hybrid_model.h"

#include <cmath>
#include <limits>
#include <numeric>

#include "common/status_macros.h"
#include "proto/layers.h"

namespace ridge {

using latency_internal::KeysOf;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

absl::StatusOr<double> HybridModel::PredictMs(const Architecture& arch) const {
  ASSIGN_OR_RETURN(NetworkLayers net, InferLayers(arch));
  const std::vector<std::string> keys = KeysOf(arch, net);
  std::vector<double> block_ms(keys.size(), kNaN);
  bool all_found = true;
  for (size_t b = 0; b < keys.size(); ++b) {
    if (const double* ms = table_.BlockMs(keys[b])) {
      block_ms[b] = *ms;
    } else {
      all_found = false;
    }
  }
  if (!all_found) {
    // PredictLayersMs follows CostArchitecture, which expands the same layers.
    ASSIGN_OR_RETURN(std::vector<double> layer_ms, roofline_.PredictLayersMs(arch));
    std::vector<double> roof(keys.size(), 0.0);
    for (size_t i = 0; i < net.layers.size(); ++i) roof[net.layers[i].block] += layer_ms[i];
    for (size_t b = 0; b < keys.size(); ++b) {
      if (std::isnan(block_ms[b])) block_ms[b] = roof[b];
    }
  }
  return table_.correction().Apply(std::accumulate(block_ms.begin(), block_ms.end(), 0.0));
}

absl::StatusOr<std::unique_ptr<HybridModel>> FitHybrid(const std::vector<MeasuredArch>& train,
                                                       const HardwareProfile& base_profile) {
  absl::StatusOr<std::unique_ptr<LookupTableModel>> table = FitLookupTable(train);
  if (!table.ok()) return WithContext(table.status(), "hybrid");
  absl::StatusOr<std::unique_ptr<CalibratedRooflineModel>> roof =
      FitCalibratedRoofline(train, base_profile);
  if (!roof.ok()) return WithContext(roof.status(), "hybrid");
  return std::make_unique<HybridModel>(**table, **roof);
}

}  // namespace ridge
