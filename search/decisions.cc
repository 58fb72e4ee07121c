#include "search/decisions.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace ridge::search {
namespace {

const char* FieldName(Field f) {
  switch (f) {
    case Field::kFilters: return "filters";
    case Field::kPresent: return "present";
    case Field::kKind: return "kind";
    case Field::kStartDw: return "start_dw_kernel";
    case Field::kMidDw: return "mid_dw_kernel";
    case Field::kExpansion: return "expansion";
    case Field::kHeads: return "heads";
    case Field::kKeyDim: return "key_dim";
    case Field::kKvStride: return "kv_stride";
    case Field::kOp: return "op";
    case Field::kMultiHead: return "multi_head";
  }
  return "?";
}

template <typename R>
int IndexOf(const R& choices, decltype(*choices.begin()) value) {
  auto it = std::find(choices.begin(), choices.end(), value);
  return it == choices.end() ? -1 : static_cast<int>(it - choices.begin());
}

}  // namespace

DecisionSpace::DecisionSpace(const SearchSpace& space) : space_(space) {
  auto add = [&](int stage, int slot, Field field, int n) {
    if (n <= 1) return;
    std::string name = slot < 0 ? absl::StrCat("stages[", stage, "].", FieldName(field))
                                : absl::StrCat("stages[", stage, "].slots[", slot, "].", FieldName(field));
    decisions_.push_back({name, field, stage, slot, n});
  };
  for (int s = 0; s < space.stages_size(); ++s) {
    const StageSpec& stage = space.stages(s);
    add(s, -1, Field::kFilters, stage.filters_size());
    for (int i = 0; i < stage.slots_size(); ++i) {
      const SlotSpec& slot = stage.slots(i);
      if (!slot.ops().empty()) {
        add(s, i, Field::kOp, slot.ops_size());
        continue;
      }
      add(s, i, Field::kPresent, slot.optional() ? 2 : 1);
      add(s, i, Field::kKind, slot.kind_size());
      add(s, i, Field::kStartDw, slot.start_dw_kernel_size());
      add(s, i, Field::kMidDw, slot.mid_dw_kernel_size());
      add(s, i, Field::kExpansion, slot.expansion_size());
      add(s, i, Field::kHeads, slot.heads_size());
      add(s, i, Field::kKeyDim, slot.key_dim_size());
      add(s, i, Field::kKvStride, slot.kv_stride_size());
      add(s, i, Field::kMultiHead, slot.multi_head_size());
    }
  }
}

int DecisionSpace::Find(int stage, int slot, Field field) const {
  for (size_t d = 0; d < decisions_.size(); ++d) {
    const Decision& x = decisions_[d];
    if (x.stage == stage && x.slot == slot && x.field == field) return static_cast<int>(d);
  }
  return -1;
}

SpaceChoice DecisionSpace::ToChoice(const Sample& sample) const {
  auto pick = [&](int stage, int slot, Field field) {
    const int d = Find(stage, slot, field);
    return d < 0 ? 0 : sample[d];
  };
  SpaceChoice c;
  for (int s = 0; s < space_.stages_size(); ++s) {
    const StageSpec& stage = space_.stages(s);
    StageChoice sc;
    sc.filters = stage.filters(pick(s, -1, Field::kFilters));
    for (int i = 0; i < stage.slots_size(); ++i) {
      const SlotSpec& slot = stage.slots(i);
      if (!slot.ops().empty()) {
        sc.slots.push_back(ChoiceOfOp(slot, pick(s, i, Field::kOp)));
        continue;
      }
      SlotChoice x;
      // "present" index 0 means present, 1 skipped.
      x.skip = slot.optional() && pick(s, i, Field::kPresent) == 1;
      x.kind = static_cast<BlockKind>(slot.kind(pick(s, i, Field::kKind)));
      if (!slot.start_dw_kernel().empty()) x.start_dw_kernel = slot.start_dw_kernel(pick(s, i, Field::kStartDw));
      if (!slot.mid_dw_kernel().empty()) x.mid_dw_kernel = slot.mid_dw_kernel(pick(s, i, Field::kMidDw));
      if (!slot.expansion().empty()) x.expansion = slot.expansion(pick(s, i, Field::kExpansion));
      if (!slot.heads().empty()) x.heads = slot.heads(pick(s, i, Field::kHeads));
      if (!slot.key_dim().empty()) x.key_dim = slot.key_dim(pick(s, i, Field::kKeyDim));
      if (!slot.kv_stride().empty()) x.kv_stride = slot.kv_stride(pick(s, i, Field::kKvStride));
      if (!slot.multi_head().empty()) x.multi_head = slot.multi_head(pick(s, i, Field::kMultiHead));
      if (x.skip) x = SlotChoice{true};
      sc.slots.push_back(x);
    }
    c.stages.push_back(sc);
  }
  return c;
}

std::vector<bool> DecisionSpace::ActiveMask(const Sample& sample) const {
  const SpaceChoice c = ToChoice(sample);
  std::vector<bool> active(decisions_.size(), true);
  for (size_t d = 0; d < decisions_.size(); ++d) {
    const Decision& x = decisions_[d];
    if (x.slot < 0 || x.field == Field::kPresent || x.field == Field::kOp) continue;
    const SlotChoice& slot = c.stages[x.stage].slots[x.slot];
    if (slot.skip) {
      active[d] = false;
      continue;
    }
    const bool uib = slot.kind == UIB, fused = slot.kind == FUSED_IB, mqa = slot.kind == MQA;
    switch (x.field) {
      case Field::kStartDw: active[d] = uib; break;
      case Field::kMidDw:
      case Field::kExpansion: active[d] = uib || fused; break;
      case Field::kHeads:
      case Field::kKeyDim:
      case Field::kKvStride:
      case Field::kMultiHead: active[d] = mqa; break;
      default: break;
    }
  }
  return active;
}

absl::StatusOr<Sample> DecisionSpace::FromChoice(const SpaceChoice& choice) const {
  Sample sample(decisions_.size(), 0);
  for (size_t d = 0; d < decisions_.size(); ++d) {
    const Decision& x = decisions_[d];
    const StageChoice& sc = choice.stages[x.stage];
    int index = 0;
    if (x.field == Field::kFilters) {
      index = IndexOf(space_.stages(x.stage).filters(), sc.filters);
    } else {
      const SlotSpec& slot = space_.stages(x.stage).slots(x.slot);
      const SlotChoice& c = sc.slots[x.slot];
      if (x.field == Field::kOp) {
        index = OpIndex(slot, c);
      } else if (x.field == Field::kPresent) {
        index = c.skip ? 1 : 0;
      } else if (c.skip) {
        index = 0;  // Inactive: any index will do.
      } else {
        switch (x.field) {
          case Field::kKind: index = IndexOf(slot.kind(), c.kind); break;
          case Field::kStartDw: index = c.kind == UIB ? IndexOf(slot.start_dw_kernel(), c.start_dw_kernel) : 0; break;
          case Field::kMidDw: index = c.kind != MQA ? IndexOf(slot.mid_dw_kernel(), c.mid_dw_kernel) : 0; break;
          case Field::kExpansion: index = c.kind != MQA ? IndexOf(slot.expansion(), c.expansion) : 0; break;
          case Field::kHeads: index = c.kind == MQA ? IndexOf(slot.heads(), c.heads) : 0; break;
          case Field::kKeyDim: index = c.kind == MQA ? IndexOf(slot.key_dim(), c.key_dim) : 0; break;
          case Field::kKvStride: index = c.kind == MQA ? IndexOf(slot.kv_stride(), c.kv_stride) : 0; break;
          case Field::kMultiHead: index = c.kind == MQA ? IndexOf(slot.multi_head(), c.multi_head) : 0; break;
          default: break;
        }
      }
    }
    if (index < 0) return absl::InvalidArgumentError(absl::StrCat(x.name, ": the value is not one of its choices"));
    sample[d] = index;
  }
  return sample;
}

Sample DecisionSpace::WithLargestFilters(const Sample& sample) const {
  Sample out = sample;
  for (size_t d = 0; d < decisions_.size(); ++d) {
    if (decisions_[d].field != Field::kFilters) continue;
    const auto& f = space_.stages(decisions_[d].stage).filters();
    out[d] = static_cast<int>(std::max_element(f.begin(), f.end()) - f.begin());
  }
  return out;
}

}  // namespace ridge::search
