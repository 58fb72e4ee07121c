#include "latency/model_selection.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "latency/blocked_linear_model.h"
#include "latency/calibrated_roofline_model.h"
#include "latency/hybrid_model.h"
#include "latency/lookup_table_model.h"
#include "latency/mean_model.h"
#include "proto/architecture.h"

namespace ridge {
namespace {

constexpr int kMaxFolds = 5;

using Fitter = std::function<absl::StatusOr<std::unique_ptr<LatencyModel>>(const std::vector<MeasuredArch>&,
                                                                          const HardwareProfile&)>;

template <typename Model>
absl::StatusOr<std::unique_ptr<LatencyModel>> Upcast(absl::StatusOr<std::unique_ptr<Model>> fitted) {
  if (!fitted.ok()) return fitted.status();
  return std::unique_ptr<LatencyModel>(std::move(*fitted));
}

}  // namespace

absl::StatusOr<std::unique_ptr<LatencyModel>> FitHybridAndBlocked(const std::vector<MeasuredArch>& train,
                                                                  const HardwareProfile& base) {
  std::vector<std::unique_ptr<LatencyModel>> models;
  ASSIGN_OR_RETURN(models.emplace_back(), Upcast(FitHybrid(train, base)));
  ASSIGN_OR_RETURN(models.emplace_back(), Upcast(FitBlockedLinear(train, 16)));
  return std::unique_ptr<LatencyModel>(std::make_unique<MeanModel>(std::move(models)));
}

namespace {

// The candidates, in the order reports list them.
std::vector<std::pair<std::string, Fitter>> Candidates() {
  return {
      {"calibrated_roofline",
       [](const auto& m, const auto& base) { return Upcast(FitCalibratedRoofline(EndToEndOnly(m), base)); }},
      {"calibrated_roofline_per_layer",
       [](const auto& m, const auto& base) { return Upcast(FitCalibratedRoofline(m, base)); }},
      {"hybrid", [](const auto& m, const auto& base) { return Upcast(FitHybrid(m, base)); }},
      {"lookup_table", [](const auto& m, const auto&) { return Upcast(FitLookupTable(m)); }},
      // CPU kernels work on 8 (AVX2) or 16 (AVX-512) channels at a time.
      {"blocked_linear:8", [](const auto& m, const auto&) { return Upcast(FitBlockedLinear(m, 8)); }},
      {"blocked_linear:16", [](const auto& m, const auto&) { return Upcast(FitBlockedLinear(m, 16)); }},
      {"mean(hybrid,blocked_linear:16)", [](const auto& m, const auto& base) { return FitHybridAndBlocked(m, base); }},
  };
}

// Fold of each measurement: distinct architecture IDs ordered by a seeded
// hash and dealt round-robin, so every measurement of one architecture lands
// in the same fold.
std::vector<int> AssignFolds(const std::vector<MeasuredArch>& measured, int folds, uint64_t seed) {
  std::map<std::string, int> fold_of;
  int next = 0;
  for (const std::string& id : IdsInSeededOrder(measured, absl::StrCat(seed, "/cv/"))) fold_of[id] = next++ % folds;
  std::vector<int> out;
  for (const MeasuredArch& m : measured) out.push_back(fold_of[ArchitectureId(m.arch)]);
  return out;
}

// Out-of-fold predictions of one candidate, pooled over the folds.
absl::StatusOr<ModelScore> CrossValidate(const Fitter& fit, const std::vector<MeasuredArch>& measured,
                                         const std::vector<int>& fold, int folds, const HardwareProfile& base) {
  std::vector<double> predicted, truth;
  int failed = 0;
  for (int k = 0; k < folds; ++k) {
    std::vector<MeasuredArch> train;
    for (size_t i = 0; i < measured.size(); ++i) {
      if (fold[i] != k) train.push_back(measured[i]);
    }
    ASSIGN_OR_RETURN(std::unique_ptr<LatencyModel> model, WithContext(fit(train, base), absl::StrCat("fold ", k)));
    for (size_t i = 0; i < measured.size(); ++i) {
      if (fold[i] != k) continue;
      absl::StatusOr<double> p = model->PredictMs(measured[i].arch);
      if (absl::IsNotFound(p.status())) {
        ++failed;
        continue;
      }
      RETURN_IF_ERROR(p.status());
      if (!std::isfinite(*p)) return absl::InternalError(absl::StrCat("predicted ", *p, " ms"));
      predicted.push_back(*p);
      truth.push_back(measured[i].latency_ms);
    }
  }
  return ScorePredictions(predicted, truth, failed);
}

bool Better(const ModelScore& a, const ModelScore& b) {
  if (a.within_10pct != b.within_10pct) return a.within_10pct > b.within_10pct;
  return a.mape < b.mape;
}

}  // namespace

const ModelScore& ModelChoice::winner_score() const {
  for (const CandidateScore& c : candidates) {
    if (c.model == name) return *c.score;
  }
  static const ModelScore kNone;
  return kNone;
}

absl::StatusOr<ModelChoice> SelectLatencyModel(const std::vector<MeasuredArch>& measured,
                                               const HardwareProfile& base, uint64_t seed) {
  std::set<std::string> distinct;
  for (const MeasuredArch& m : measured) distinct.insert(ArchitectureId(m.arch));
  if (distinct.size() < static_cast<size_t>(kMinMeasurementsToPrice)) {
    return absl::FailedPreconditionError(absl::StrCat(distinct.size(), " measured architectures; pricing by "
                                                      "measurements needs at least ", kMinMeasurementsToPrice));
  }
  ModelChoice choice;
  choice.folds = std::min<int>(kMaxFolds, distinct.size());
  choice.measurements = measured.size();
  const std::vector<int> fold = AssignFolds(measured, choice.folds, seed);
  const Fitter* best_fit = nullptr;
  std::vector<std::string> reasons;
  const auto candidates = Candidates();
  for (const auto& [name, fit] : candidates) {
    absl::StatusOr<ModelScore> s = CrossValidate(fit, measured, fold, choice.folds, base);
    if (s.ok() && s->failed > 0) {
      s = absl::FailedPreconditionError(absl::StrCat("could not price ", s->failed, " held-out architectures"));
    }
    if (!s.ok()) reasons.push_back(absl::StrCat(name, ": ", s.status().message()));
    if (s.ok() && (best_fit == nullptr || Better(*s, choice.winner_score()))) choice.name = name, best_fit = &fit;
    choice.candidates.push_back({name, std::move(s)});
  }
  if (best_fit == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("no latency model could be cross-validated: ", absl::StrJoin(reasons, "; ")));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<LatencyModel> model, (*best_fit)(measured, base));
  choice.model = std::move(model);
  return choice;
}

std::string DescribeChoice(const ModelChoice& choice) {
  const ModelScore& s = choice.winner_score();
  return absl::StrFormat("%s (%d-fold cross-validation on %d measurements: %.1f%% within +-10%%, MAPE %.1f%%)",
                         choice.name, choice.folds, choice.measurements, 100 * s.within_10pct, 100 * s.mape);
}

}  // namespace ridge
