// A linear latency model on channel-blocked work: per layer role (1x1 conv,
// k x k conv, depthwise by kernel, classifier, pooling, attention, and a 1x1
// expand with the 3x3 depthwise conv after it, which the executor may fuse), the MACs
// and bytes a CPU kernel really processes once channels are padded to the
// SIMD block, plus a per-layer count and one constant.
//
// Why: oneDNN's CPU kernels keep channels in blocks of 8 (AVX2) or 16
// (AVX-512) floats, so a 24-channel layer costs about what a 32-channel one
// does. On measured 224x224 subnets of fmnist_uib (docs/decisions.md) the
// roofline models, which count exact channels, left 12 to 30% of held-out
// architectures outside +-10%; the same features on padded channels roughly
// halved that. The block is a candidate's parameter, and cross-validation per
// device key picks it (latency/model_selection.h).
#ifndef RIDGE_LATENCY_BLOCKED_LINEAR_MODEL_H_
#define RIDGE_LATENCY_BLOCKED_LINEAR_MODEL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "latency/latency_model.h"
#include "proto/architecture.pb.h"

namespace ridge {

class BlockedLinearModel : public LatencyModel {
 public:
  absl::StatusOr<double> PredictMs(const Architecture& arch) const override;
  // "blocked_linear:16" for a block of 16 channels.
  std::string name() const override;

  // The feature row of `arch` (exposed for tests): per role, padded GMACs,
  // padded MB moved and layer count; then 1.
  static absl::StatusOr<std::vector<double>> Features(const Architecture& arch, int block);

 private:
  friend absl::StatusOr<std::unique_ptr<BlockedLinearModel>> FitBlockedLinear(
      const std::vector<MeasuredArch>& train, int block);
  int block_ = 16;
  std::vector<double> coef_;
};

// Ridge regression on relative error (each row weighted by 1 / latency) over
// standardised features, so that a role no training network has gets a zero
// coefficient rather than a singular fit. Needs at least 3 measurements and
// a block in [1, 64].
absl::StatusOr<std::unique_ptr<BlockedLinearModel>> FitBlockedLinear(const std::vector<MeasuredArch>& train,
                                                                     int block);

}  // namespace ridge

#endif  // RIDGE_LATENCY_BLOCKED_LINEAR_MODEL_H_
