#include "latency/roofline.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "proto/validate.h"

namespace ridge {
namespace {

double CeilingEfficiency(const HardwareProfile& profile, OpClass op_class) {
  for (const OpClassCeiling& c : profile.ceilings()) {
    if (c.op_class() == op_class) return c.efficiency();
  }
  return 1.0;
}

}  // namespace

OpClass OpClassOf(const Layer& layer) {
  switch (layer.kind) {
    case LayerKind::kConv: return layer.kernel == 1 ? POINTWISE : CONV;
    case LayerKind::kDepthwise: return DEPTHWISE;
    case LayerKind::kFullyConnected: return FULLY_CONNECTED;
    case LayerKind::kGlobalPool: return POOLING;
    case LayerKind::kAttentionScores:
    case LayerKind::kAttentionValues: return ATTENTION;
  }
  return OP_CLASS_UNSPECIFIED;
}

std::string RooflineModelName(const HardwareProfile& profile) {
  return absl::StrCat("roofline:", profile.name());
}

absl::StatusOr<RooflineResult> PredictRoofline(const NetworkCost& cost,
                                               const HardwareProfile& profile) {
  RETURN_IF_ERROR(ValidateHardwareProfile(profile));
  if (ElementBytes(cost.element_type) != profile.bytes_per_element()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hardware.bytes_per_element: ", profile.bytes_per_element(), " does not match the ",
        ElementTypeName(cost.element_type), " costing (", ElementBytes(cost.element_type),
        " bytes)"));
  }
  RooflineResult result;
  result.layers.reserve(cost.layers.size());
  for (const LayerCost& c : cost.layers) {
    LayerRoofline t;
    t.cost = &c;
    const double bytes = static_cast<double>(c.bytes());
    t.arithmetic_intensity = bytes > 0 ? c.macs / bytes : 0;
    const double peak = profile.peak_macs_per_sec() * CeilingEfficiency(profile, OpClassOf(c.layer));
    t.compute_sec = c.macs / peak;
    t.memory_sec = bytes / profile.peak_bytes_per_sec();
    t.compute_bound = t.compute_sec >= t.memory_sec;
    t.time_sec = std::max(t.compute_sec, t.memory_sec) + profile.per_layer_overhead_sec();
    result.total_sec += t.time_sec;
    result.layers.push_back(t);
  }
  for (LayerRoofline& t : result.layers) {
    t.share = result.total_sec > 0 ? t.time_sec / result.total_sec : 0;
  }
  return result;
}

absl::StatusOr<std::vector<SweepPoint>> RidgeSweep(const NetworkCost& cost,
                                                   const HardwareProfile& profile,
                                                   const std::vector<double>& ridge_points) {
  std::vector<SweepPoint> points;
  for (double ridge : ridge_points) {
    if (!(ridge >= 0) || !std::isfinite(ridge)) {
      return absl::InvalidArgumentError(absl::StrCat("ridge point: ", ridge, " must be >= 0"));
    }
    HardwareProfile p = profile;
    // A ridge of 0 is unlimited bandwidth; the largest double keeps it valid.
    p.set_peak_bytes_per_sec(ridge == 0 ? std::numeric_limits<double>::max()
                                        : profile.peak_macs_per_sec() / ridge);
    ASSIGN_OR_RETURN(RooflineResult r, PredictRoofline(cost, p));
    SweepPoint point;
    point.ridge_point = ridge;
    point.latency_ms = r.latency_ms();
    for (const LayerRoofline& t : r.layers) {
      if (t.compute_bound) point.compute_bound_share += t.share;
    }
    points.push_back(point);
  }
  return points;
}

absl::StatusOr<std::vector<double>> SweepRange(double lo, double hi, double step) {
  if (!(lo >= 0) || !std::isfinite(lo)) {
    return absl::InvalidArgumentError(absl::StrCat("--min_ridge: ", lo, " must be >= 0"));
  }
  if (!(hi >= lo) || !std::isfinite(hi)) {
    return absl::InvalidArgumentError(absl::StrCat("--max_ridge: ", hi, " must be >= --min_ridge (", lo, ")"));
  }
  if (!(step > 0) || (hi - lo) / step > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("--step: ", step, " must be > 0 and give at most 10000 points"));
  }
  std::vector<double> out;
  const int64_t n = static_cast<int64_t>(std::floor((hi - lo) / step + 1e-9));
  for (int64_t i = 0; i <= n; ++i) out.push_back(lo + i * step);
  return out;
}

absl::StatusOr<std::unique_ptr<PricedArchitecture>> PriceArchitecture(const Architecture& arch,
                                                                      const HardwareProfile& profile) {
  auto priced = std::make_unique<PricedArchitecture>();
  ASSIGN_OR_RETURN(ElementType type, ElementTypeOfBytes(profile.bytes_per_element()));
  ASSIGN_OR_RETURN(priced->cost, CostArchitecture(arch, type));
  ASSIGN_OR_RETURN(priced->roofline, PredictRoofline(priced->cost, profile));
  return priced;
}

}  // namespace ridge
