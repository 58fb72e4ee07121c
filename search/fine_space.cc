#include "search/fine_space.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace ridge::search {
namespace {

template <typename T, typename Field>
void SetChoices(const std::set<T>& values, Field* field) {
  field->Clear();
  for (T v : values) field->Add(v);
}

template <typename T, typename Field>
bool Offers(const Field& field, T value) {
  return std::find(field.begin(), field.end(), value) != field.end();
}

// The kernels a fine-stage UIB searches under `rule`.
struct UibKernels {
  std::vector<int> start, mid;
};

UibKernels KernelsOf(const FineRule& rule, int stride) {
  UibKernels k;
  k.start = rule.start_dw_kernel().empty()
                ? std::vector<int>{0, 3, 5}
                : std::vector<int>(rule.start_dw_kernel().begin(), rule.start_dw_kernel().end());
  const std::vector<int> mid = rule.mid_dw_kernel().empty()
                                   ? std::vector<int>{0, 3, 5}
                                   : std::vector<int>(rule.mid_dw_kernel().begin(), rule.mid_dw_kernel().end());
  const bool start_may_be_zero = std::find(k.start.begin(), k.start.end(), 0) != k.start.end();
  for (int m : mid) {
    if (m == 0 && stride == 2 && start_may_be_zero) continue;  // The stride needs a DW.
    k.mid.push_back(m);
  }
  return k;
}

// The choices of one fine slot: the union, over the coarse results, of what
// they chose in coarse slot `from`, with each UIB's kernels widened by
// `rule`. `skipped` says whether some result skipped the slot.
struct SlotUnion {
  std::set<int> kinds, start_dw, mid_dw, heads, key_dim, kv_stride;
  std::set<float> expansion;
  std::set<bool> multi_head;
  bool skipped = false;
};

SlotUnion UnionOfSlot(const std::vector<SpaceChoice>& results, int s, int i, const SlotSpec& from,
                      const FineRule& rule) {
  SlotUnion u;
  for (const SpaceChoice& r : results) {
    const SlotChoice& c = r.stages[s].slots[i];
    if (c.skip) {
      u.skipped = true;
      continue;
    }
    u.kinds.insert(c.kind);
    if (c.kind == MQA) {
      u.heads.insert(c.heads), u.key_dim.insert(c.key_dim), u.kv_stride.insert(c.kv_stride);
      if (!from.multi_head().empty()) u.multi_head.insert(c.multi_head);
    } else if (c.kind == FUSED_IB) {
      u.mid_dw.insert(c.mid_dw_kernel), u.expansion.insert(c.expansion);
    } else {
      const UibKernels k = KernelsOf(rule, from.stride());
      u.start_dw.insert(k.start.begin(), k.start.end());
      u.mid_dw.insert(k.mid.begin(), k.mid.end());
      if (rule.expansion().empty()) {
        u.expansion.insert(c.expansion);
      } else {
        u.expansion.insert(rule.expansion().begin(), rule.expansion().end());
      }
    }
  }
  return u;
}

void SetSlot(const SlotUnion& u, const SlotSpec& from, SlotSpec* slot) {
  slot->set_stride(from.stride());
  slot->set_optional(u.skipped);
  for (int k : u.kinds) slot->add_kind(static_cast<BlockKind>(k));
  SetChoices(u.start_dw, slot->mutable_start_dw_kernel());
  SetChoices(u.mid_dw, slot->mutable_mid_dw_kernel());
  SetChoices(u.expansion, slot->mutable_expansion());
  SetChoices(u.heads, slot->mutable_heads());
  SetChoices(u.key_dim, slot->mutable_key_dim());
  SetChoices(u.kv_stride, slot->mutable_kv_stride());
  SetChoices(u.multi_head, slot->mutable_multi_head());
}

// A fine stage widens kernel and expansion lists; an op list (FBNet) is one
// decision with nothing to widen, so its spaces search in one stage.
absl::Status RefuseOpLists(const SearchSpace& space) {
  for (int s = 0; s < space.stages_size(); ++s) {
    for (int i = 0; i < space.stages(s).slots_size(); ++i) {
      if (space.stages(s).slots(i).ops_size() > 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "fine stage: space '", space.name(), "' has op lists (stages[", s, "].slots[", i,
            "].ops), which a fine stage cannot widen; search it in one stage (no fine stage in the spec)"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FineSpace> DeriveFineSpace(const SearchSpace& coarse, const std::vector<SpaceChoice>& results,
                                          const FineRule& rule) {
  if (results.empty()) return absl::InvalidArgumentError("deriving the fine space: no coarse result");
  RETURN_IF_ERROR(RefuseOpLists(coarse));
  for (size_t r = 0; r < results.size(); ++r) {
    // Every result must be in the coarse space.
    RETURN_IF_ERROR(WithContext(BuildArchitecture(coarse, results[r]).status(),
                                absl::StrCat("deriving the fine space: coarse result ", r)));
  }
  FineSpace fine;
  fine.space = coarse;
  fine.space.set_name(absl::StrCat(coarse.name(), "_fine"));
  fine.space.clear_stages();
  fine.space.clear_references();
  for (int s = 0; s < coarse.stages_size(); ++s) {
    StageSpec* stage = fine.space.add_stages();
    std::set<int> filters;
    for (const SpaceChoice& r : results) filters.insert(r.stages[s].filters);
    SetChoices(filters, stage->mutable_filters());
    fine.coarse_slot.emplace_back();
    for (int i = 0; i < coarse.stages(s).slots_size(); ++i) {
      const SlotSpec& from = coarse.stages(s).slots(i);
      const SlotUnion u = UnionOfSlot(results, s, i, from, rule);
      if (u.kinds.empty()) continue;  // Every result skipped it.
      fine.coarse_slot.back().push_back(i);
      SetSlot(u, from, stage->add_slots());
    }
  }
  for (const Architecture& ref : coarse.references()) {
    if (MatchArchitecture(fine.space, ref).ok()) *fine.space.add_references() = ref;
  }
  RETURN_IF_ERROR(WithContext(ValidateSpaceStructure(fine.space, "fine_space"), "deriving the fine space"));
  return fine;
}

absl::StatusOr<SearchSpace> WidenToFineKernels(const SearchSpace& coarse, const FineRule& rule) {
  RETURN_IF_ERROR(RefuseOpLists(coarse));
  SearchSpace wide = coarse;
  wide.set_name(absl::StrCat(coarse.name(), "_widened"));
  for (StageSpec& stage : *wide.mutable_stages()) {
    for (SlotSpec& slot : *stage.mutable_slots()) {
      if (!Offers(slot.kind(), UIB)) continue;
      const UibKernels k = KernelsOf(rule, slot.stride());
      std::set<int> mid(k.mid.begin(), k.mid.end());
      if (Offers(slot.kind(), FUSED_IB)) mid.insert(slot.mid_dw_kernel().begin(), slot.mid_dw_kernel().end());
      SetChoices(std::set<int>(k.start.begin(), k.start.end()), slot.mutable_start_dw_kernel());
      SetChoices(mid, slot.mutable_mid_dw_kernel());
      if (!rule.expansion().empty()) {
        std::set<float> expansion(rule.expansion().begin(), rule.expansion().end());
        if (Offers(slot.kind(), FUSED_IB)) expansion.insert(slot.expansion().begin(), slot.expansion().end());
        SetChoices(expansion, slot.mutable_expansion());
      }
    }
  }
  RETURN_IF_ERROR(WithContext(ValidateSpaceStructure(wide, "widened_space"), "widening the coarse space"));
  return wide;
}

SpaceChoice ToFineChoice(const FineSpace& fine, const SpaceChoice& result) {
  SpaceChoice out;
  for (int s = 0; s < fine.space.stages_size(); ++s) {
    StageChoice stage;
    stage.filters = result.stages[s].filters;
    for (int i = 0; i < fine.space.stages(s).slots_size(); ++i) {
      const SlotSpec& spec = fine.space.stages(s).slots(i);
      SlotChoice c = result.stages[s].slots[fine.coarse_slot[s][i]];
      if (!c.skip && c.kind == UIB) {
        if (!Offers(spec.start_dw_kernel(), c.start_dw_kernel)) c.start_dw_kernel = spec.start_dw_kernel(0);
        if (!Offers(spec.mid_dw_kernel(), c.mid_dw_kernel)) c.mid_dw_kernel = spec.mid_dw_kernel(0);
        if (!Offers(spec.expansion(), c.expansion)) c.expansion = spec.expansion(0);
      }
      stage.slots.push_back(c);
    }
    out.stages.push_back(std::move(stage));
  }
  return out;
}

}  // namespace ridge::search
