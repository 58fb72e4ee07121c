#include "search/fine_space.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace ridge::search {

absl::StatusOr<SearchSpace> DeriveFineSpace(const SearchSpace& coarse, const SpaceChoice& result,
                                            const FineRule& rule) {
  RETURN_IF_ERROR(BuildArchitecture(coarse, result).status());  // The result must be in the space.
  const std::vector<int> start = rule.start_dw_kernel().empty()
                                     ? std::vector<int>{0, 3, 5}
                                     : std::vector<int>(rule.start_dw_kernel().begin(), rule.start_dw_kernel().end());
  const std::vector<int> mid = rule.mid_dw_kernel().empty()
                                   ? std::vector<int>{0, 3, 5}
                                   : std::vector<int>(rule.mid_dw_kernel().begin(), rule.mid_dw_kernel().end());
  SearchSpace fine = coarse;
  fine.set_name(absl::StrCat(coarse.name(), "_fine"));
  fine.clear_stages();
  fine.clear_references();
  for (int s = 0; s < coarse.stages_size(); ++s) {
    const StageChoice& sc = result.stages[s];
    StageSpec* stage = fine.add_stages();
    stage->add_filters(sc.filters);
    for (int i = 0; i < coarse.stages(s).slots_size(); ++i) {
      const SlotSpec& from = coarse.stages(s).slots(i);
      const SlotChoice& c = sc.slots[i];
      if (c.skip) continue;
      SlotSpec* slot = stage->add_slots();
      slot->set_stride(from.stride());
      slot->add_kind(c.kind);
      if (c.kind == MQA) {
        slot->add_heads(c.heads), slot->add_key_dim(c.key_dim), slot->add_kv_stride(c.kv_stride);
        continue;
      }
      if (c.kind == FUSED_IB) {
        slot->add_mid_dw_kernel(c.mid_dw_kernel), slot->add_expansion(c.expansion);
        continue;
      }
      const bool start_may_be_zero = std::find(start.begin(), start.end(), 0) != start.end();
      for (int k : start) slot->add_start_dw_kernel(k);
      for (int k : mid) {
        if (k == 0 && from.stride() == 2 && start_may_be_zero) continue;
        slot->add_mid_dw_kernel(k);
      }
      if (rule.expansion().empty()) {
        slot->add_expansion(c.expansion);
      } else {
        for (float e : rule.expansion()) slot->add_expansion(e);
      }
    }
  }
  for (const Architecture& ref : coarse.references()) {
    if (MatchArchitecture(fine, ref).ok()) *fine.add_references() = ref;
  }
  RETURN_IF_ERROR(WithContext(ValidateSpaceStructure(fine, "fine_space"), "deriving the fine space"));
  return fine;
}

}  // namespace ridge::search
