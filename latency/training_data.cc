#include "latency/training_data.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "latency/least_squares.h"
#include "proto/architecture.h"
#include "proto/validate.h"

namespace ridge::latency_internal {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

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

}  // namespace ridge::latency_internal
