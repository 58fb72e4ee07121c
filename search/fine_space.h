// Coarse then fine (DESIGN.md Sec. 5, after MobileNetV4's search): the fine
// space freezes the coarse result (filters and depth) and searches each UIB's
// start and middle DW kernels, with the expansion fixed unless the rule widens it.
#ifndef RIDGE_SEARCH_FINE_SPACE_H_
#define RIDGE_SEARCH_FINE_SPACE_H_

#include "absl/status/statusor.h"
#include "proto/campaign.pb.h"
#include "proto/space.h"

namespace ridge::search {

// Derives the fine space from `coarse` and the coarse stage's chosen `result`:
// - every stage's filters become the chosen value;
// - skipped slots are dropped and kept slots stop being optional;
// - each UIB slot searches start DW in rule.start_dw_kernel (default {0, 3, 5})
//   and middle DW in rule.mid_dw_kernel (default {0, 3, 5}; at stride 2 the
//   0 is dropped when start may be 0, so the stride always has a DW);
// - expansion stays the coarse choice unless rule.expansion lists choices;
// - non-UIB slots (Fused-IB, MQA) are frozen as chosen;
// - references are kept if they are still inside the fine space.
// The result passes ValidateSpaceStructure.
absl::StatusOr<SearchSpace> DeriveFineSpace(const SearchSpace& coarse, const SpaceChoice& result,
                                            const FineRule& rule = {});

}  // namespace ridge::search

#endif  // RIDGE_SEARCH_FINE_SPACE_H_
