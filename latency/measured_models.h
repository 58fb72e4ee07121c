// Latency models fitted to measured architectures, and how to score them.
//
// Three models learn from MeasuredArch training sets (end-to-end times and,
// when the job asked for them, per-layer times of oneDNN primitives timed in
// isolation):
// - a lookup table of measured per-block times (the approach of ProxylessNAS,
//   Cai et al. 2019, and FBNet, Wu et al. 2019);
// - the MobileNetV4 roofline (latency/roofline.h) recalibrated by least
//   squares;
// - a hybrid: table entries where they exist, the calibrated roofline for the
//   rest.
// Isolated layer times do not add up to the end-to-end time, so every model
// maps its per-layer-scale sum S through one fitted correction a * S + b.
#ifndef RIDGE_LATENCY_MEASURED_MODELS_H_
#define RIDGE_LATENCY_MEASURED_MODELS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "latency/costing.h"
#include "proto/architecture.pb.h"
#include "proto/hardware.pb.h"

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

// The roofline of `base` recalibrated; measured_models.cc documents the fit.
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

// The uncalibrated roofline of `profile` ("roofline:NAME"), for comparison.
std::unique_ptr<LatencyModel> MakeRooflineModel(const HardwareProfile& profile);

// Rank agreement and error of a model on held-out measurements.
// Architectures the model cannot predict (NOT_FOUND, e.g. a block missing from
// a pure lookup table) are counted in `failed` and left out of every metric;
// other errors are returned. Metrics need n >= 1 (rank ones n >= 2) and are
// NaN otherwise.
struct ModelScore {
  int n = 0;                 // Architectures scored.
  int failed = 0;            // Architectures with a NOT_FOUND prediction.
  double spearman = 0;       // Spearman rho, average ranks for ties.
  double kendall = 0;        // Kendall tau-b.
  double mape = 0;           // Mean |pred - measured| / measured, a fraction.
  double within_10pct = 0;   // Share with |pred - measured| <= 10% of measured.
};

// INVALID_ARGUMENT if `held_out` is empty or has a bad measurement.
absl::StatusOr<ModelScore> ScoreModel(const LatencyModel& model,
                                      const std::vector<MeasuredArch>& held_out);

// Spearman's rho: Pearson's r of the ranks, tied values taking the mean of
// their ranks. NaN if the sizes differ, n < 2, or either side is constant.
double SpearmanRho(const std::vector<double>& x, const std::vector<double>& y);
// Kendall's tau-b (Kendall 1945, "The treatment of ties in ranking problems").
// NaN under the same conditions.
double KendallTau(const std::vector<double>& x, const std::vector<double>& y);

// Splits by architecture ID: IDs are ordered by a seeded hash, and the first
// round(fraction * distinct IDs) go to `held_out`. Every measurement of one
// architecture lands on the same side; both outputs keep the input order.
void SplitHeldOut(const std::vector<MeasuredArch>& all, double held_out_fraction, uint64_t seed,
                  std::vector<MeasuredArch>* train, std::vector<MeasuredArch>* held_out);

// Dense least squares, exposed for tests. `rows` is A, row by row.
// minimise ||A x - b||^2 + ridge * ||x||^2 through the normal equations and a
// Cholesky factorisation. INVALID_ARGUMENT on ragged or empty input,
// FAILED_PRECONDITION if A^T A + ridge I is not positive definite.
absl::StatusOr<std::vector<double>> SolveLeastSquares(const std::vector<std::vector<double>>& rows,
                                                      const std::vector<double>& b,
                                                      double ridge = 0);
// The same subject to x >= 0 (Lawson and Hanson's active-set NNLS).
absl::StatusOr<std::vector<double>> SolveNonNegativeLeastSquares(
    const std::vector<std::vector<double>>& rows, const std::vector<double>& b, double ridge = 0);

}  // namespace ridge

#endif  // RIDGE_LATENCY_MEASURED_MODELS_H_
