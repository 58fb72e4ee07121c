// The MobileNetV4 roofline (latency/roofline.h) recalibrated by least squares
// on measured architectures, with the end-to-end correction of
// latency/latency_model.h.
#ifndef RIDGE_LATENCY_CALIBRATED_ROOFLINE_MODEL_H_
#define RIDGE_LATENCY_CALIBRATED_ROOFLINE_MODEL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "latency/costing.h"
#include "latency/latency_model.h"
#include "proto/architecture.pb.h"
#include "proto/hardware.pb.h"

namespace ridge {

// The roofline of `base` recalibrated; calibrated_roofline_model.cc documents
// the fit.
// Per layer i of op class c, with C_i and M_i the base profile's compute and
// memory seconds (PredictRoofline, without the base overhead):
//   kMax:      t_i = max(kappa_c * C_i, mu_c * M_i) + omega
//   kAdditive: t_i = kappa_c * C_i + mu_c * M_i + omega
// and the network's latency is correction.Apply(sum_i t_i).
class CalibratedRooflineModel : public LatencyModel {
 public:
  enum class Form { kMax, kAdditive };
  static constexpr int kClasses = 6;  // OpClass CONV .. POOLING.
  struct Coefficients {
    Form form = Form::kMax;
    double kappa[kClasses] = {1, 1, 1, 1, 1, 1};  // Indexed by OpClass - 1.
    double mu[kClasses] = {1, 1, 1, 1, 1, 1};
    double omega_ms = 0;
  };

  absl::StatusOr<double> PredictMs(const Architecture& arch) const override;
  // "calibrated_roofline:BASE:max" or ":additive".
  std::string name() const override;

  // Per-layer-scale times (before the correction), aligned with the layers of
  // CostArchitecture(arch).
  absl::StatusOr<std::vector<double>> PredictLayersMs(const Architecture& arch) const;
  const Coefficients& coefficients() const { return coef_; }
  const EndToEndCorrection& correction() const { return correction_; }

 private:
  friend absl::StatusOr<std::unique_ptr<CalibratedRooflineModel>> FitCalibratedRoofline(
      const std::vector<MeasuredArch>& train, const HardwareProfile& base_profile);
  HardwareProfile base_;
  ElementType element_type_ = ElementType::kFp32;
  Coefficients coef_;
  EndToEndCorrection correction_;
};

// Fits on per-layer times where given and on end-to-end times otherwise.
// Needs at least 3 measurements and a valid base profile.
absl::StatusOr<std::unique_ptr<CalibratedRooflineModel>> FitCalibratedRoofline(
    const std::vector<MeasuredArch>& train, const HardwareProfile& base_profile);

}  // namespace ridge

#endif  // RIDGE_LATENCY_CALIBRATED_ROOFLINE_MODEL_H_
