#include "latency/blocked_linear_model.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "latency/least_squares.h"
#include "proto/layers.h"

namespace ridge {
namespace {

// Layer roles, each with its own rates: kernels of one role share a code path.
// A 1x1 expand right before a 3x3 depthwise conv in one block has roles of
// its own: the inference executor runs such pairs as one fused oneDNN
// primitive where oneDNN's heuristics allow, and the pair costs less.
enum Role {
  kPointwise, kConv, kDw3, kDw5, kDw7, kFullyConnected, kPool, kAttention, kPointwiseBeforeDw3, kDw3AfterPointwise,
  kRoles
};
constexpr int kPerRole = 3;  // GMACs, MB, count.
constexpr double kRidge = 1.0;

// Whether layers a then b are a 1x1 conv and a 3x3 depthwise conv of one block.
bool FusablePair(const Layer& a, const Layer& b) {
  return a.kind == LayerKind::kConv && a.kernel == 1 && a.groups <= 1 && a.shuffle_groups <= 1 &&
         b.kind == LayerKind::kDepthwise && b.kernel == 3 && a.block == b.block;
}

Role RoleOf(const std::vector<Layer>& layers, size_t i) {
  const Layer& l = layers[i];
  if (i + 1 < layers.size() && FusablePair(l, layers[i + 1])) return kPointwiseBeforeDw3;
  if (i > 0 && FusablePair(layers[i - 1], l)) return kDw3AfterPointwise;
  switch (l.kind) {
    case LayerKind::kConv: return l.kernel == 1 ? kPointwise : kConv;
    case LayerKind::kDepthwise: return l.kernel <= 3 ? kDw3 : l.kernel <= 5 ? kDw5 : kDw7;
    case LayerKind::kFullyConnected: return kFullyConnected;
    case LayerKind::kGlobalPool: return kPool;
    default: return kAttention;
  }
}

int64_t Padded(int64_t channels, int block) { return (channels + block - 1) / block * block; }

// MACs and elements moved with every channel count padded to the block.
void AddLayer(const Layer& l, Role role, int block, double* row) {
  const int64_t in = Padded(l.in.c, block), out = Padded(l.out.c, block), k2 = int64_t{l.kernel} * l.kernel;
  const double out_spatial = static_cast<double>(l.out.h) * l.out.w;
  double macs = 0;
  switch (l.kind) {
    case LayerKind::kConv: macs = out_spatial * out * (in / std::max(1, l.groups)) * k2; break;
    case LayerKind::kDepthwise: macs = out_spatial * out * k2; break;
    case LayerKind::kFullyConnected: macs = static_cast<double>(in) * out; break;
    case LayerKind::kGlobalPool: macs = static_cast<double>(l.in.h) * l.in.w * in; break;
    default: macs = static_cast<double>(l.heads) * l.in.h * l.in.w * l.kv_tokens * l.key_dim; break;
  }
  const double elements = static_cast<double>(l.in.h) * l.in.w * in + out_spatial * out;
  double* r = row + role * kPerRole;
  r[0] += macs / 1e9;
  r[1] += elements * 4 / 1e6;
  r[2] += 1;
}

}  // namespace

absl::StatusOr<std::vector<double>> BlockedLinearModel::Features(const Architecture& arch, int block) {
  ASSIGN_OR_RETURN(NetworkLayers net, InferLayers(arch));
  std::vector<double> row(kRoles * kPerRole + 1, 0.0);
  for (size_t i = 0; i < net.layers.size(); ++i) {
    AddLayer(net.layers[i], RoleOf(net.layers, i), block, row.data());
  }
  row.back() = 1;
  return row;
}

absl::StatusOr<double> BlockedLinearModel::PredictMs(const Architecture& arch) const {
  ASSIGN_OR_RETURN(std::vector<double> row, Features(arch, block_));
  double ms = 0;
  for (size_t j = 0; j < row.size(); ++j) ms += coef_[j] * row[j];
  // A linear fit can dip below zero far outside its data; latency cannot.
  return std::max(ms, 1e-6);
}

std::string BlockedLinearModel::name() const { return absl::StrCat("blocked_linear:", block_); }

absl::StatusOr<std::unique_ptr<BlockedLinearModel>> FitBlockedLinear(const std::vector<MeasuredArch>& train,
                                                                     int block) {
  if (train.size() < 3) {
    return absl::InvalidArgumentError(absl::StrCat("blocked_linear: ", train.size(), " measurements; needs 3"));
  }
  if (block < 1 || block > 64) return absl::InvalidArgumentError(absl::StrCat("blocked_linear: block ", block));
  std::vector<std::vector<double>> rows;
  std::vector<double> b;
  for (const MeasuredArch& m : train) {
    if (!(m.latency_ms > 0) || !std::isfinite(m.latency_ms)) {
      return absl::InvalidArgumentError(absl::StrCat("blocked_linear: a latency of ", m.latency_ms,
                                                     " ms; latencies must be finite and > 0"));
    }
    ASSIGN_OR_RETURN(std::vector<double> row, BlockedLinearModel::Features(m.arch, block));
    for (double& x : row) x /= m.latency_ms;  // Weight 1 / latency: fit relative error.
    rows.push_back(std::move(row));
    b.push_back(1.0);
  }
  // Standardise columns so one ridge weight suits GMACs, MB and counts alike.
  const size_t n = rows[0].size();
  std::vector<double> scale(n, 0.0);
  for (const auto& row : rows) {
    for (size_t j = 0; j < n; ++j) scale[j] += row[j] * row[j];
  }
  for (double& s : scale) s = s > 0 ? std::sqrt(s / rows.size()) : 1.0;
  for (auto& row : rows) {
    for (size_t j = 0; j < n; ++j) row[j] /= scale[j];
  }
  ASSIGN_OR_RETURN(std::vector<double> x, SolveLeastSquares(rows, b, kRidge));
  auto model = std::make_unique<BlockedLinearModel>();
  model->block_ = block;
  for (size_t j = 0; j < n; ++j) model->coef_.push_back(x[j] / scale[j]);
  return model;
}

}  // namespace ridge
