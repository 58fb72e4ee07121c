#include "latency/measured_models.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "latency/roofline.h"
#include "proto/architecture.h"
#include "proto/layers.h"
#include "proto/validate.h"

namespace ridge {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------------------
// Dense least squares on the normal equations G x = h, G = A^T A, h = A^T b.
// Squaring A's condition number is harmless here: at most 13 unknowns, and the
// fits scale every column to unit norm first.

// Solves G x = h for symmetric positive definite G (n x n, row-major) by
// Cholesky, G = L L^T (Golub and Van Loan, Matrix Computations, Alg. 4.2.1).
absl::StatusOr<std::vector<double>> SolveCholesky(std::vector<double> g, std::vector<double> h,
                                                  int n) {
  for (int j = 0; j < n; ++j) {
    double d = g[j * n + j];
    for (int k = 0; k < j; ++k) d -= g[j * n + k] * g[j * n + k];
    // A pivot lost to rounding means G is singular for practical purposes.
    if (!(d > 1e-13 * std::max(1e-300, std::fabs(g[j * n + j])))) {
      return absl::FailedPreconditionError(absl::StrCat(
          "least squares: the normal equations are singular at unknown ", j,
          " (a column is zero or a combination of others); add a ridge"));
    }
    const double l = std::sqrt(d);
    g[j * n + j] = l;
    for (int i = j + 1; i < n; ++i) {
      double s = g[i * n + j];
      for (int k = 0; k < j; ++k) s -= g[i * n + k] * g[j * n + k];
      g[i * n + j] = s / l;
    }
  }
  for (int i = 0; i < n; ++i) {  // L y = h.
    for (int k = 0; k < i; ++k) h[i] -= g[i * n + k] * h[k];
    h[i] /= g[i * n + i];
  }
  for (int i = n - 1; i >= 0; --i) {  // L^T x = y.
    for (int k = i + 1; k < n; ++k) h[i] -= g[k * n + i] * h[k];
    h[i] /= g[i * n + i];
  }
  return h;
}

// Non-negative least squares on the normal equations: Lawson and Hanson's
// active-set method (Solving Least Squares Problems, 1974, Ch. 23) in the
// A^T A form of Bro and De Jong (J. Chemometrics 11:393, 1997).
absl::StatusOr<std::vector<double>> SolveNnlsGram(const std::vector<double>& g,
                                                  const std::vector<double>& h, int n) {
  std::vector<double> x(n, 0.0);
  std::vector<bool> passive(n, false);
  double scale = 0;
  for (double v : h) scale = std::max(scale, std::fabs(v));
  const double tol = 1e-12 * std::max(scale, 1e-300);
  // Each outer step frees one variable; the cap only guards against cycling
  // through rounding, and the iterate is feasible whenever it stops.
  for (int outer = 0; outer < 3 * n + 10; ++outer) {
    int best = -1;
    double best_w = tol;
    for (int j = 0; j < n; ++j) {
      if (passive[j]) continue;
      double w = h[j];
      for (int k = 0; k < n; ++k) w -= g[j * n + k] * x[k];
      if (w > best_w) best = j, best_w = w;
    }
    if (best < 0) break;
    passive[best] = true;
    for (int inner = 0; inner < 3 * n + 10; ++inner) {
      std::vector<int> p;
      for (int j = 0; j < n; ++j) {
        if (passive[j]) p.push_back(j);
      }
      const int m = p.size();
      std::vector<double> gp(m * m), hp(m);
      for (int a = 0; a < m; ++a) {
        hp[a] = h[p[a]];
        for (int b = 0; b < m; ++b) gp[a * m + b] = g[p[a] * n + p[b]];
      }
      ASSIGN_OR_RETURN(std::vector<double> s, SolveCholesky(gp, hp, m));
      double alpha = 1;
      for (int a = 0; a < m; ++a) {
        if (s[a] <= 0) alpha = std::min(alpha, x[p[a]] / (x[p[a]] - s[a]));
      }
      for (int a = 0; a < m; ++a) x[p[a]] += alpha * (s[a] - x[p[a]]);
      if (alpha >= 1) break;  // The unconstrained step stayed feasible.
      for (int j : p) {
        if (x[j] <= 1e-15 * std::max(1.0, std::fabs(x[j]))) passive[j] = false, x[j] = 0;
      }
    }
  }
  return x;
}

// Accumulates weighted rows into G and h.
struct NormalEquations {
  explicit NormalEquations(int n) : n(n), g(n * n, 0.0), h(n, 0.0) {}
  void Add(const std::vector<double>& row, double y, double weight) {
    const double w2 = weight * weight;
    for (int i = 0; i < n; ++i) {
      if (row[i] == 0) continue;
      h[i] += w2 * row[i] * y;
      for (int j = 0; j < n; ++j) g[i * n + j] += w2 * row[i] * row[j];
    }
  }
  int n;
  std::vector<double> g, h;
};

absl::StatusOr<NormalEquations> BuildNormalEquations(const std::vector<std::vector<double>>& rows,
                                                     const std::vector<double>& b, double ridge) {
  if (rows.empty() || rows[0].empty() || rows.size() != b.size() || !(ridge >= 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "least squares: need m >= 1 rows of n >= 1 columns, m right-hand sides and "
        "ridge >= 0; got ",
        rows.size(), " rows, ", b.size(), " right-hand sides, ridge ", ridge));
  }
  NormalEquations ne(rows[0].size());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (static_cast<int>(rows[i].size()) != ne.n) {
      return absl::InvalidArgumentError(absl::StrCat("least squares: row ", i, " has ",
                                                     rows[i].size(), " columns, not ", ne.n));
    }
    ne.Add(rows[i], b[i], 1.0);
  }
  for (int j = 0; j < ne.n; ++j) ne.g[j * ne.n + j] += ridge;
  return ne;
}

// Non-negative ridge regression on unit-norm columns, shrunk toward `prior`:
//   minimise ||A x - b||^2 + lambda * sum_j ||A_j||^2 (x_j - prior_j)^2,  x >= 0.
// Scaling makes lambda a relative amount per unknown; an unknown no equation
// touches (a zero column) comes out at its prior.
absl::StatusOr<std::vector<double>> SolveScaledNnls(const NormalEquations& ne,
                                                    const std::vector<double>& prior,
                                                    double lambda) {
  const int n = ne.n;
  std::vector<double> s(n);
  for (int j = 0; j < n; ++j) s[j] = ne.g[j * n + j] > 0 ? std::sqrt(ne.g[j * n + j]) : 1.0;
  std::vector<double> g(n * n), h(n);
  for (int i = 0; i < n; ++i) {
    h[i] = ne.h[i] / s[i] + lambda * s[i] * prior[i];
    for (int j = 0; j < n; ++j) g[i * n + j] = ne.g[i * n + j] / (s[i] * s[j]);
    g[i * n + i] += lambda;
  }
  ASSIGN_OR_RETURN(std::vector<double> z, SolveNnlsGram(g, h, n));
  for (int j = 0; j < n; ++j) z[j] /= s[j];
  return z;
}

// ---------------------------------------------------------------------------
// Training data.

std::string Where(absl::string_view set, size_t index, const Architecture& arch) {
  return absl::StrCat(set, "[", index, "] (arch ", ArchitectureId(arch), ")");
}

absl::Status CheckLatency(double ms, absl::string_view where) {
  if (!std::isfinite(ms) || !(ms > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": latency_ms: ", ms, " must be finite and > 0"));
  }
  return absl::OkStatus();
}

struct Sample {
  const MeasuredArch* m = nullptr;
  NetworkLayers net;
  std::vector<double> layer_ms;  // Aligned with net.layers; empty if none given.
  double sum_ms = 0;             // Sum of layer_ms.
};

// Validates one measurement and aligns its layer times with InferLayers.
absl::StatusOr<Sample> Prepare(const MeasuredArch& m, absl::string_view set, size_t index) {
  RETURN_IF_ERROR(ValidateArchitecture(m.arch, absl::StrCat(set, "[", index, "].arch")));
  const std::string where = Where(set, index, m.arch);
  Sample s;
  s.m = &m;
  absl::StatusOr<NetworkLayers> net = InferLayers(m.arch);
  if (!net.ok()) return WithContext(net.status(), where);
  s.net = *std::move(net);
  RETURN_IF_ERROR(CheckLatency(m.latency_ms, where));
  if (m.layer_ms.empty()) return s;
  absl::flat_hash_map<std::string, int> index_of;
  for (size_t i = 0; i < s.net.layers.size(); ++i) index_of[s.net.layers[i].name] = i;
  s.layer_ms.assign(s.net.layers.size(), kNaN);
  for (const auto& [name, ms] : m.layer_ms) {
    auto it = index_of.find(name);
    if (it == index_of.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": layer_ms: '", name, "' is not a layer of this architecture"));
    }
    if (!std::isfinite(ms) || ms < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": layer_ms['", name, "']: ", ms, " must be finite and >= 0"));
    }
    if (!std::isnan(s.layer_ms[it->second])) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": layer_ms: '", name, "' appears twice"));
    }
    s.layer_ms[it->second] = ms;
    s.sum_ms += ms;
  }
  for (size_t i = 0; i < s.layer_ms.size(); ++i) {
    if (std::isnan(s.layer_ms[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": layer_ms: has no time for '", s.net.layers[i].name,
          "'; per-layer times must cover every layer or be empty"));
    }
  }
  if (!(s.sum_ms > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": layer_ms: all times are 0"));
  }
  return s;
}

absl::StatusOr<std::vector<Sample>> PrepareAll(const std::vector<MeasuredArch>& train,
                                               absl::string_view model) {
  if (train.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(model, ": the training set is empty"));
  }
  std::vector<Sample> out;
  for (size_t i = 0; i < train.size(); ++i) {
    absl::StatusOr<Sample> s = Prepare(train[i], "train", i);
    if (!s.ok()) return WithContext(s.status(), model);
    out.push_back(*std::move(s));
  }
  return out;
}

// The end-to-end correction T = a S + b, fitted on the measurements that have
// per-layer times (S = their sum, T = the end-to-end median).
//
// Why affine: isolated primitives run with their own weights and inputs hot in
// cache and without the reorders and per-inference set-up of a whole network,
// so the gap has a proportional part (cache state; a) and a per-network
// constant (framework overhead; b). Both are fitted by least squares on
// relative error, sum_n ((a S_n + b - T_n) / T_n)^2, because the models are
// judged by relative error. With fewer than 3 such measurements, or sums too
// alike to separate a from b (< 5% spread), or an affine fit that is not
// physical (a <= 0, or a prediction <= 0), the ratio alone is fitted:
// a = sum(S/T) / sum((S/T)^2), b = 0.
EndToEndCorrection FitCorrection(const std::vector<Sample>& samples) {
  std::vector<std::vector<double>> rows;
  std::vector<double> ones;
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (const Sample& s : samples) {
    if (s.layer_ms.empty()) continue;
    const double t = s.m->latency_ms;
    rows.push_back({s.sum_ms / t, 1 / t});
    ones.push_back(1.0);
    lo = std::min(lo, s.sum_ms), hi = std::max(hi, s.sum_ms);
  }
  EndToEndCorrection c;
  if (rows.empty()) return c;
  if (rows.size() >= 3 && hi > 1.05 * lo) {
    absl::StatusOr<std::vector<double>> ab = SolveLeastSquares(rows, ones);
    if (ab.ok() && (*ab)[0] > 0 && (*ab)[0] * lo + (*ab)[1] > 0) {
      c.scale = (*ab)[0], c.offset_ms = (*ab)[1];
      return c;
    }
  }
  double num = 0, den = 0;
  for (const auto& r : rows) num += r[0], den += r[0] * r[0];
  c.scale = num / den;
  return c;
}

std::string DimsText(const Dims& d) { return absl::StrCat(d.h, "x", d.w, "x", d.c); }

std::vector<std::string> KeysOf(const Architecture& arch, const NetworkLayers& net) {
  const std::string suffix = absl::StrCat(" act=", ActivationName(arch.activation()),
                                          " ls=", arch.layer_scale() ? 1 : 0);
  std::vector<std::string> keys;
  Dims in{arch.input().height(), arch.input().width(), arch.input().channels()};
  for (int b = 0; b < arch.blocks_size(); ++b) {
    keys.push_back(absl::StrCat(BlockToken(arch.blocks(b)), " in=", DimsText(in),
                                " out=", DimsText(net.block_outputs[b]), suffix));
    in = net.block_outputs[b];
  }
  return keys;
}

// Per-block sums of per-layer times.
std::vector<double> BlockSums(const Sample& s, int blocks) {
  std::vector<double> sums(blocks, 0.0);
  for (size_t i = 0; i < s.net.layers.size(); ++i) sums[s.net.layers[i].block] += s.layer_ms[i];
  return sums;
}

// ---------------------------------------------------------------------------
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

LatencyModel::~LatencyModel() = default;

// ---------------------------------------------------------------------------
// Solvers.

absl::StatusOr<std::vector<double>> SolveLeastSquares(const std::vector<std::vector<double>>& rows,
                                                      const std::vector<double>& b, double ridge) {
  ASSIGN_OR_RETURN(NormalEquations ne, BuildNormalEquations(rows, b, ridge));
  return SolveCholesky(ne.g, ne.h, ne.n);
}

absl::StatusOr<std::vector<double>> SolveNonNegativeLeastSquares(
    const std::vector<std::vector<double>>& rows, const std::vector<double>& b, double ridge) {
  ASSIGN_OR_RETURN(NormalEquations ne, BuildNormalEquations(rows, b, ridge));
  return SolveNnlsGram(ne.g, ne.h, ne.n);
}

// ---------------------------------------------------------------------------
// Lookup table.

absl::StatusOr<std::vector<std::string>> BlockKeys(const Architecture& arch) {
  ASSIGN_OR_RETURN(NetworkLayers net, InferLayers(arch));
  return KeysOf(arch, net);
}

const double* LookupTableModel::BlockMs(const std::string& key) const {
  auto it = block_ms_.find(key);
  return it == block_ms_.end() ? nullptr : &it->second;
}

absl::StatusOr<double> LookupTableModel::PredictMs(const Architecture& arch) const {
  ASSIGN_OR_RETURN(std::vector<std::string> keys, BlockKeys(arch));
  double sum = 0;
  for (size_t b = 0; b < keys.size(); ++b) {
    const double* ms = BlockMs(keys[b]);
    if (ms == nullptr) {
      return absl::NotFoundError(absl::StrCat("lookup table: no entry for blocks[", b, "] '",
                                              keys[b], "'"));
    }
    sum += *ms;
  }
  return correction_.Apply(sum);
}

absl::StatusOr<std::unique_ptr<LookupTableModel>> FitLookupTable(
    const std::vector<MeasuredArch>& train) {
  ASSIGN_OR_RETURN(std::vector<Sample> samples, PrepareAll(train, "lookup table"));
  // Duplicates (the same block in one or many networks) are averaged.
  std::map<std::string, std::pair<double, int>> acc;
  for (const Sample& s : samples) {
    if (s.layer_ms.empty()) continue;
    const std::vector<std::string> keys = KeysOf(s.m->arch, s.net);
    const std::vector<double> sums = BlockSums(s, keys.size());
    for (size_t b = 0; b < keys.size(); ++b) {
      acc[keys[b]].first += sums[b];
      acc[keys[b]].second += 1;
    }
  }
  if (acc.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lookup table: none of the ", train.size(),
        " training measurements has per-layer times (layer_ms); the table needs them"));
  }
  auto model = std::make_unique<LookupTableModel>();
  for (const auto& [key, sum_count] : acc) {
    model->block_ms_[key] = sum_count.first / sum_count.second;
  }
  model->correction_ = FitCorrection(samples);
  return model;
}

// ---------------------------------------------------------------------------
// Calibrated roofline.

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

// ---------------------------------------------------------------------------
// Hybrid.

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

// ---------------------------------------------------------------------------
// The plain roofline.

namespace {

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

// 1-based ranks, ties taking the mean of the ranks they span.
std::vector<double> AverageRanks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> ranks(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) ranks[order[k]] = (i + j) / 2.0 + 1;
    i = j + 1;
  }
  return ranks;
}

double Pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = x.size();
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : kNaN;
}

}  // namespace

std::unique_ptr<LatencyModel> MakeRooflineModel(const HardwareProfile& profile) {
  return std::make_unique<RooflineModel>(profile);
}

// ---------------------------------------------------------------------------
// Scoring.

double SpearmanRho(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 2) return kNaN;
  return Pearson(AverageRanks(x), AverageRanks(y));
}

double KendallTau(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 2) return kNaN;
  // tau_b = (n_c - n_d) / sqrt((n_0 - n_x)(n_0 - n_y)), where n_x and n_y
  // count the pairs tied in x and in y. O(n^2), fine for held-out sets.
  const int64_t n = x.size();
  int64_t concordant = 0, discordant = 0, tied_x = 0, tied_y = 0;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) {
      const int sx = (x[i] > x[j]) - (x[i] < x[j]);
      const int sy = (y[i] > y[j]) - (y[i] < y[j]);
      if (sx * sy > 0) ++concordant;
      if (sx * sy < 0) ++discordant;
      if (sx == 0) ++tied_x;
      if (sy == 0) ++tied_y;
    }
  }
  const double n0 = n * (n - 1) / 2.0;
  const double den = std::sqrt((n0 - tied_x) * (n0 - tied_y));
  return den > 0 ? (concordant - discordant) / den : kNaN;
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

void SplitHeldOut(const std::vector<MeasuredArch>& all, double held_out_fraction, uint64_t seed,
                  std::vector<MeasuredArch>* train, std::vector<MeasuredArch>* held_out) {
  train->clear();
  held_out->clear();
  std::vector<std::string> ids;
  for (const MeasuredArch& m : all) ids.push_back(ArchitectureId(m.arch));
  std::set<std::pair<uint64_t, std::string>> order;  // (seeded hash, id): distinct IDs.
  for (const std::string& id : ids) order.insert({Fnv1a64(absl::StrCat(seed, "/", id)), id});
  const double fraction =
      std::isnan(held_out_fraction) ? 0.0 : std::clamp(held_out_fraction, 0.0, 1.0);
  const size_t n_held = std::llround(fraction * order.size());
  std::set<std::string> held;
  for (const auto& [hash, id] : order) {
    if (held.size() == n_held) break;
    held.insert(id);
  }
  for (size_t i = 0; i < all.size(); ++i) {
    (held.count(ids[i]) ? held_out : train)->push_back(all[i]);
  }
}

}  // namespace ridge
