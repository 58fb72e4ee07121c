// A lookup table of measured per-block times (the approach of ProxylessNAS,
// Cai et al. 2019, and FBNet, Wu et al. 2019), summed per network and mapped
// through the end-to-end correction of latency/latency_model.h.
#ifndef RIDGE_LATENCY_LOOKUP_TABLE_MODEL_H_
#define RIDGE_LATENCY_LOOKUP_TABLE_MODEL_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "latency/latency_model.h"
#include "proto/architecture.pb.h"
#include "proto/layers.h"

namespace ridge {

// The table key of block `index` of `arch`: its canonical token, its input
// and output shapes, and the network's activation and layer scale, e.g.
//   "uib(3,5,2,64,4) in=56x56x32 out=28x28x64 act=relu ls=0".
// The output shape is there for the classifier, whose token omits the classes.
absl::StatusOr<std::vector<std::string>> BlockKeys(const Architecture& arch);

class LookupTableModel : public LatencyModel {
 public:
  // NOT_FOUND names the first block that has no entry.
  absl::StatusOr<double> PredictMs(const Architecture& arch) const override;
  std::string name() const override { return "lookup_table"; }

  // The mean measured time of a block key, or nullptr.
  const double* BlockMs(const std::string& key) const;
  const std::map<std::string, double>& entries() const { return block_ms_; }
  const EndToEndCorrection& correction() const { return correction_; }

 private:
  friend absl::StatusOr<std::unique_ptr<LookupTableModel>> FitLookupTable(
      const std::vector<MeasuredArch>& train);
  std::map<std::string, double> block_ms_;
  EndToEndCorrection correction_;
};

// Needs at least one measurement with per-layer times.
absl::StatusOr<std::unique_ptr<LookupTableModel>> FitLookupTable(
    const std::vector<MeasuredArch>& train);

namespace latency_internal {

// BlockKeys for an `arch` already expanded into `net` by InferLayers.
std::vector<std::string> KeysOf(const Architecture& arch, const NetworkLayers& net);

}  // namespace latency_internal
}  // namespace ridge

#endif  // RIDGE_LATENCY_LOOKUP_TABLE_MODEL_H_
