// Coarse then fine (docs/design.md §5, after MobileNetV4's search): the fine
// space freezes the coarse result (filters and depth) and searches each UIB's
// start and middle DW kernels, with the expansion fixed unless the rule widens it.
//
// A campaign has one policy per target, and each ends the coarse stage with
// its own result. So that the policies keep sharing one supernet, the fine
// space is derived from all of their results at once: it holds each of them,
// and each policy's fine stage freezes its own (FineSample in tunas).
#ifndef RIDGE_SEARCH_FINE_SPACE_H_
#define RIDGE_SEARCH_FINE_SPACE_H_

#include <vector>

#include "absl/status/statusor.h"
#include "proto/campaign.pb.h"
#include "proto/space.h"

namespace ridge::search {

struct FineSpace {
  SearchSpace space;
  // coarse_slot[s][i]: the coarse slot that fine slot i of stage s comes from.
  std::vector<std::vector<int>> coarse_slot;
};

// Derives the fine space from `coarse` and the coarse stage's `results`:
// - a stage's filters are the values the results chose;
// - a slot every result skipped is dropped; a slot stays optional only if
//   some result skipped it;
// - a UIB searches start DW in rule.start_dw_kernel (default {0, 3, 5}) and
//   middle DW in rule.mid_dw_kernel (default {0, 3, 5}; at stride 2 the 0 is
//   dropped when start may be 0, so the stride always has a DW);
// - the expansion offers the chosen values, unless rule.expansion lists them;
// - Fused-IB and MQA fields offer the chosen values only;
// - references are kept if they are still inside the fine space.
// The result passes ValidateSpaceStructure. INVALID_ARGUMENT if a result is
// not in `coarse`, or there is none.
absl::StatusOr<FineSpace> DeriveFineSpace(const SearchSpace& coarse, const std::vector<SpaceChoice>& results,
                                          const FineRule& rule = {});

// Every architecture a coarse-then-fine search could end with: `coarse` with
// each UIB searching the rule's kernels and expansions. The random-search
// baseline of a two-stage campaign samples this space.
absl::StatusOr<SearchSpace> WidenToFineKernels(const SearchSpace& coarse, const FineRule& rule = {});

// `result`, a coarse choice, as a choice of `fine`: the same filters, depth,
// kinds and frozen fields. A UIB's kernels and expansion stay as chosen where
// `fine` offers them, else take its first choice. REQUIRES: `result` was one
// of the results `fine` was derived from.
SpaceChoice ToFineChoice(const FineSpace& fine, const SpaceChoice& result);

}  // namespace ridge::search

#endif  // RIDGE_SEARCH_FINE_SPACE_H_
