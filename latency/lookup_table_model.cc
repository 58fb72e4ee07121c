#include "latency/lookup_table_model.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "latency/training_data.h"
#include "proto/architecture.h"

namespace ridge {

using latency_internal::FitCorrection;
using latency_internal::KeysOf;
using latency_internal::PrepareAll;
using latency_internal::Sample;

namespace {

std::string DimsText(const Dims& d) { return absl::StrCat(d.h, "x", d.w, "x", d.c); }

// Per-block sums of per-layer times.
std::vector<double> BlockSums(const Sample& s, int blocks) {
  std::vector<double> sums(blocks, 0.0);
  for (size_t i = 0; i < s.net.layers.size(); ++i) sums[s.net.layers[i].block] += s.layer_ms[i];
  return sums;
}

}  // namespace

namespace latency_internal {

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

}  // namespace latency_internal

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

}  // namespace ridge
