#include "latency/model_scoring.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "latency/costing.h"
#include "latency/rank_metrics.h"
#include "latency/roofline.h"
#include "latency/training_data.h"
#include "proto/architecture.h"
#include "proto/validate.h"

namespace ridge {

using latency_internal::CheckLatency;
using latency_internal::Where;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

class RooflineModel : public LatencyModel {
 public:
  explicit RooflineModel(HardwareProfile p) : profile_(std::move(p)) {}
  absl::StatusOr<double> PredictMs(const Architecture& arch) const override {
    ASSIGN_OR_RETURN(ElementType type, ElementTypeOfBytes(profile_.bytes_per_element()));
    ASSIGN_OR_RETURN(NetworkCost cost, CostArchitecture(arch, type));
    ASSIGN_OR_RETURN(RooflineResult r, PredictRoofline(cost, profile_));
    return r.latency_ms();
  }
  std::string name() const override { return RooflineModelName(profile_); }

 private:
  HardwareProfile profile_;
};

}  // namespace

std::unique_ptr<LatencyModel> MakeRooflineModel(const HardwareProfile& profile) {
  return std::make_unique<RooflineModel>(profile);
}

absl::StatusOr<ModelScore> ScoreModel(const LatencyModel& model,
                                      const std::vector<MeasuredArch>& held_out) {
  if (held_out.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("score ", model.name(), ": no held-out measurements"));
  }
  ModelScore score;
  std::vector<double> predicted, measured;
  for (size_t i = 0; i < held_out.size(); ++i) {
    const MeasuredArch& m = held_out[i];
    RETURN_IF_ERROR(ValidateArchitecture(m.arch, absl::StrCat("held_out[", i, "].arch")));
    RETURN_IF_ERROR(CheckLatency(m.latency_ms, Where("held_out", i, m.arch)));
    absl::StatusOr<double> p = model.PredictMs(m.arch);
    if (absl::IsNotFound(p.status())) {
      ++score.failed;
      continue;
    }
    if (!p.ok()) return WithContext(p.status(), absl::StrCat("score ", model.name()));
    if (!std::isfinite(*p)) {  // Ranks of NaN are undefined; refuse rather than mis-rank.
      return absl::InternalError(absl::StrCat("score ", model.name(), ": predicted ", *p,
                                              " ms for ", Where("held_out", i, m.arch)));
    }
    predicted.push_back(*p);
    measured.push_back(m.latency_ms);
  }
  return ScorePredictions(predicted, measured, score.failed);
}

ModelScore ScorePredictions(const std::vector<double>& predicted, const std::vector<double>& measured,
                            int failed) {
  ModelScore score;
  score.failed = failed;
  score.n = predicted.size();
  score.spearman = SpearmanRho(predicted, measured);
  score.kendall = KendallTau(predicted, measured);
  double ape = 0;
  int within = 0;
  for (int i = 0; i < score.n; ++i) {
    const double e = std::fabs(predicted[i] - measured[i]) / measured[i];
    ape += e;
    within += e <= 0.1;
  }
  score.mape = score.n > 0 ? ape / score.n : kNaN;
  score.within_10pct = score.n > 0 ? static_cast<double>(within) / score.n : kNaN;
  return score;
}

std::vector<MeasuredArch> EndToEndOnly(std::vector<MeasuredArch> measured) {
  for (MeasuredArch& a : measured) a.layer_ms.clear();
  return measured;
}

std::vector<std::string> IdsInSeededOrder(const std::vector<MeasuredArch>& all, absl::string_view salt) {
  std::set<std::pair<uint64_t, std::string>> order;  // (seeded hash, id): distinct IDs.
  for (const MeasuredArch& m : all) {
    const std::string id = ArchitectureId(m.arch);
    order.insert({Fnv1a64(absl::StrCat(salt, id)), id});
  }
  std::vector<std::string> out;
  for (const auto& [hash, id] : order) out.push_back(id);
  return out;
}

void SplitHeldOut(const std::vector<MeasuredArch>& all, double held_out_fraction, uint64_t seed,
                  std::vector<MeasuredArch>* train, std::vector<MeasuredArch>* held_out) {
  train->clear();
  held_out->clear();
  const std::vector<std::string> order = IdsInSeededOrder(all, absl::StrCat(seed, "/"));
  const double fraction =
      std::isnan(held_out_fraction) ? 0.0 : std::clamp(held_out_fraction, 0.0, 1.0);
  const size_t n_held = std::llround(fraction * order.size());
  const std::set<std::string> held(order.begin(), order.begin() + n_held);
  for (const MeasuredArch& m : all) {
    (held.count(ArchitectureId(m.arch)) ? held_out : train)->push_back(m);
  }
}

}  // namespace ridge
