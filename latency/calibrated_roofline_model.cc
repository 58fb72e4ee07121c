#include "latency/calibrated_roofline_model.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "latency/least_squares.h"
#include "latency/roofline.h"
#include "latency/training_data.h"
#include "proto/validate.h"

namespace ridge {

using latency_internal::FitCorrection;
using latency_internal::NormalEquations;
using latency_internal::PrepareAll;
using latency_internal::Sample;
using latency_internal::SolveScaledNnls;
using latency_internal::Where;

namespace {

// Calibrated roofline features and fit.
//
// Per layer i of op class c (OpClassOf), with C_i = MACs_i / (peak * ceiling_c)
// and M_i = bytes_i / bandwidth priced on the base profile (MobileNetV4 paper,
// Sec. 3, without the base overhead):
//   max form:      t_i = max(kappa_c C_i, mu_c M_i) + omega
//   additive form: t_i = kappa_c C_i + mu_c M_i + omega
// kappa_c rescales class c's compute ceiling, mu_c its effective bandwidth,
// omega is the per-layer overhead (primitive dispatch). The 13 unknowns
// x = (kappa, mu, omega) >= 0 minimise
//   sum_{n with layer times}  sum_i ((t_i(x) - t_ni) / S_n)^2
// + sum_{n without}           ((sum_i t_i(x) - (T_n - b) / a) / ((T_n - b) / a))^2
// + lambda sum_j ||A_j||^2 (x_j - prior_j)^2,
// with S_n the measured per-layer sum, T_n the end-to-end time and (a, b) the
// end-to-end correction; dividing by the network's total makes each network
// count by relative error, as it is scored, while big layers still dominate
// within a network, as they dominate its latency. Layer equations outnumber
// network ones ~40 to 1, so per-layer times are used whenever given.

using Coefficients = CalibratedRooflineModel::Coefficients;
using Form = CalibratedRooflineModel::Form;
constexpr int kClasses = CalibratedRooflineModel::kClasses;
constexpr int kUnknowns = 2 * kClasses + 1;  // kappa_c, mu_c, omega.
constexpr int kOmega = 2 * kClasses;

struct LayerFeature {
  int cls = 0;          // OpClass - 1.
  double c_ms = 0, m_ms = 0;  // Base compute and memory time.
};

absl::StatusOr<std::vector<LayerFeature>> Features(const Architecture& arch,
                                                   const HardwareProfile& base, ElementType type) {
  ASSIGN_OR_RETURN(NetworkCost cost, CostArchitecture(arch, type));
  ASSIGN_OR_RETURN(RooflineResult r, PredictRoofline(cost, base));
  std::vector<LayerFeature> out;
  for (const LayerRoofline& t : r.layers) {
    const int cls = static_cast<int>(OpClassOf(t.cost->layer)) - 1;
    if (cls < 0 || cls >= kClasses) {
      return absl::InternalError(absl::StrCat("no op class for layer ", t.cost->layer.name));
    }
    out.push_back({cls, t.compute_sec * 1e3, t.memory_sec * 1e3});
  }
  return out;
}

double LayerMs(const Coefficients& k, const LayerFeature& f) {
  const double c = k.kappa[f.cls] * f.c_ms, m = k.mu[f.cls] * f.m_ms;
  return (k.form == Form::kMax ? std::max(c, m) : c + m) + k.omega_ms;
}

// One network's equations: per layer when its layer times are known, else one
// for the whole network against its end-to-end time mapped back through the
// correction. Weight 1/T_n makes each network's error relative, as scored.
struct FitNetwork {
  std::vector<LayerFeature> layers;
  std::vector<double> layer_ms;  // Empty for an end-to-end equation.
  double target_ms = 0;          // Per-layer scale total.
  double weight = 0;
};

// Regime per layer for the max form: true when compute-bound.
using Regimes = std::vector<std::vector<char>>;

std::vector<double> Row(const LayerFeature& f, Form form, bool compute) {
  std::vector<double> row(kUnknowns, 0.0);
  if (form == Form::kAdditive || compute) row[f.cls] = f.c_ms;
  if (form == Form::kAdditive || !compute) row[kClasses + f.cls] = f.m_ms;
  row[kOmega] = 1;
  return row;
}

NormalEquations Equations(const std::vector<FitNetwork>& nets, Form form, const Regimes& regimes) {
  NormalEquations ne(kUnknowns);
  for (size_t n = 0; n < nets.size(); ++n) {
    const FitNetwork& net = nets[n];
    std::vector<double> total(kUnknowns, 0.0);
    for (size_t i = 0; i < net.layers.size(); ++i) {
      const bool compute = form == Form::kMax && regimes[n][i];
      std::vector<double> row = Row(net.layers[i], form, compute);
      if (!net.layer_ms.empty()) {
        ne.Add(row, net.layer_ms[i], net.weight);
      } else {
        for (int j = 0; j < kUnknowns; ++j) total[j] += row[j];
      }
    }
    if (net.layer_ms.empty()) ne.Add(total, net.target_ms, net.weight);
  }
  return ne;
}

double Objective(const std::vector<FitNetwork>& nets, const Coefficients& k) {
  double sse = 0;
  for (const FitNetwork& net : nets) {
    double sum = 0;
    for (size_t i = 0; i < net.layers.size(); ++i) {
      const double t = LayerMs(k, net.layers[i]);
      sum += t;
      if (!net.layer_ms.empty()) sse += std::pow((t - net.layer_ms[i]) * net.weight, 2);
    }
    if (net.layer_ms.empty()) sse += std::pow((sum - net.target_ms) * net.weight, 2);
  }
  return sse;
}

Coefficients FromVector(const std::vector<double>& x, Form form) {
  Coefficients k;
  k.form = form;
  for (int c = 0; c < kClasses; ++c) k.kappa[c] = x[c], k.mu[c] = x[kClasses + c];
  k.omega_ms = x[kOmega];
  return k;
}

Regimes RegimesOf(const std::vector<FitNetwork>& nets, const Coefficients& k) {
  Regimes r(nets.size());
  for (size_t n = 0; n < nets.size(); ++n) {
    for (const LayerFeature& f : nets[n].layers) {
      r[n].push_back(k.kappa[f.cls] * f.c_ms >= k.mu[f.cls] * f.m_ms);
    }
  }
  return r;
}

// Ridge toward the prior: small enough not to bias identified coefficients,
// large enough to pin the ones no layer informs (e.g. ATTENTION in a
// conv-only space) to the prior.
constexpr double kRidge = 1e-5;

// Fits the max form by alternating (Magnani and Boyd, "Convex piecewise-linear
// fitting", Optim. Eng. 2009): fix each layer's regime, solve the linear NNLS,
// reassign regimes from the new coefficients; keep the best iterate.
absl::Status AlternateMax(const std::vector<FitNetwork>& nets, Regimes regimes,
                          const std::vector<double>& prior, Coefficients* best,
                          double* best_obj) {
  for (int iter = 0; iter < 50; ++iter) {
    ASSIGN_OR_RETURN(std::vector<double> x,
                     SolveScaledNnls(Equations(nets, Form::kMax, regimes), prior, kRidge));
    const Coefficients k = FromVector(x, Form::kMax);
    const double obj = Objective(nets, k);
    if (obj < *best_obj) *best = k, *best_obj = obj;
    Regimes next = RegimesOf(nets, k);
    if (next == regimes) break;
    regimes = std::move(next);
  }
  return absl::OkStatus();
}

// Model selection for the calibrated roofline. Candidates, each fitted by
// non-negative ridge least squares on the weighted equations above:
//   0. the base roofline scaled: kappa_c = mu_c = s, plus omega (2 unknowns);
//      it is also the prior every per-class coefficient shrinks toward;
//   1. the additive form (linear, so one global optimum);
//   2. the max form from the base profile's regimes;
//   3. the max form from the regimes the additive fit implies.
// The lowest training error wins. The max form is the paper's roofline with
// per-class ceilings; the additive one covers hardware where compute and
// memory traffic overlap poorly (roughly t = C + M rather than max).
absl::StatusOr<Coefficients> FitCoefficients(const std::vector<FitNetwork>& nets) {
  NormalEquations global(2);
  for (const FitNetwork& net : nets) {
    std::vector<double> total(2, 0.0);
    for (size_t i = 0; i < net.layers.size(); ++i) {
      std::vector<double> row = {std::max(net.layers[i].c_ms, net.layers[i].m_ms), 1.0};
      if (!net.layer_ms.empty()) {
        global.Add(row, net.layer_ms[i], net.weight);
      } else {
        total[0] += row[0], total[1] += row[1];
      }
    }
    if (net.layer_ms.empty()) global.Add(total, net.target_ms, net.weight);
  }
  ASSIGN_OR_RETURN(std::vector<double> sw, SolveScaledNnls(global, {1.0, 0.0}, kRidge));
  const double scale = sw[0] > 0 ? sw[0] : 1.0;
  std::vector<double> prior(kUnknowns, scale);
  prior[kOmega] = sw[1];

  Coefficients best = FromVector(prior, Form::kMax);
  double best_obj = Objective(nets, best);
  ASSIGN_OR_RETURN(std::vector<double> xa,
                   SolveScaledNnls(Equations(nets, Form::kAdditive, {}), prior, kRidge));
  const Coefficients additive = FromVector(xa, Form::kAdditive);
  if (const double obj = Objective(nets, additive); obj < best_obj) best = additive, best_obj = obj;
  RETURN_IF_ERROR(AlternateMax(nets, RegimesOf(nets, FromVector(prior, Form::kMax)), prior, &best,
                               &best_obj));
  RETURN_IF_ERROR(AlternateMax(nets, RegimesOf(nets, additive), prior, &best, &best_obj));
  return best;
}

}  // namespace

std::string CalibratedRooflineModel::name() const {
  return absl::StrCat("calibrated_roofline:", base_.name(),
                      coef_.form == Form::kMax ? ":max" : ":additive");
}

absl::StatusOr<std::vector<double>> CalibratedRooflineModel::PredictLayersMs(
    const Architecture& arch) const {
  ASSIGN_OR_RETURN(std::vector<LayerFeature> features, Features(arch, base_, element_type_));
  std::vector<double> out;
  for (const LayerFeature& f : features) out.push_back(LayerMs(coef_, f));
  return out;
}

absl::StatusOr<double> CalibratedRooflineModel::PredictMs(const Architecture& arch) const {
  ASSIGN_OR_RETURN(std::vector<double> layers, PredictLayersMs(arch));
  return correction_.Apply(std::accumulate(layers.begin(), layers.end(), 0.0));
}

absl::StatusOr<std::unique_ptr<CalibratedRooflineModel>> FitCalibratedRoofline(
    const std::vector<MeasuredArch>& train, const HardwareProfile& base_profile) {
  constexpr absl::string_view kModel = "calibrated roofline";
  RETURN_IF_ERROR(WithContext(ValidateHardwareProfile(base_profile, "base_profile"), kModel));
  absl::StatusOr<ElementType> type = ElementTypeOfBytes(base_profile.bytes_per_element());
  if (!type.ok()) return WithContext(type.status(), kModel);
  // Below 3 networks the per-network constant and the scale cannot both be
  // told apart from noise, even with per-layer times.
  if (train.size() < 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        kModel, ": needs at least 3 training measurements, got ", train.size()));
  }
  ASSIGN_OR_RETURN(std::vector<Sample> samples, PrepareAll(train, kModel));
  auto model = std::make_unique<CalibratedRooflineModel>();
  model->base_ = base_profile;
  model->element_type_ = *type;
  model->correction_ = FitCorrection(samples);
  std::vector<FitNetwork> nets;
  for (size_t i = 0; i < samples.size(); ++i) {
    FitNetwork net;
    absl::StatusOr<std::vector<LayerFeature>> f = Features(samples[i].m->arch, base_profile, *type);
    if (!f.ok()) return WithContext(f.status(), absl::StrCat(kModel, ": train[", i, "]"));
    net.layers = *std::move(f);
    net.layer_ms = samples[i].layer_ms;
    const EndToEndCorrection& c = model->correction_;
    net.target_ms = net.layer_ms.empty() ? (samples[i].m->latency_ms - c.offset_ms) / c.scale
                                         : samples[i].sum_ms;
    if (!(net.target_ms > 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          kModel, ": ", Where("train", i, samples[i].m->arch), ": latency_ms ",
          samples[i].m->latency_ms, " is below the fitted per-network offset ", c.offset_ms));
    }
    net.weight = 1 / net.target_ms;
    nets.push_back(std::move(net));
  }
  absl::StatusOr<Coefficients> k = FitCoefficients(nets);
  if (!k.ok()) return WithContext(k.status(), kModel);
  model->coef_ = *k;
  return model;
}

}  // namespace ridge
