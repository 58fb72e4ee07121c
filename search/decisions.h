// The categorical decisions of a SearchSpace (docs/design.md §2 and §5): every
// field with more than one choice is one decision. A sample assigns an index
// to each decision; only the decisions on the sample's active path count
// (a skipped slot's kernels, or an MQA field of a UIB choice, do not).
#ifndef RIDGE_SEARCH_DECISIONS_H_
#define RIDGE_SEARCH_DECISIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/search_space.pb.h"
#include "proto/space.h"

namespace ridge::search {

// kOp is an op-list slot's one decision (SlotSpec.ops), in place of the rest.
enum class Field { kFilters, kPresent, kKind, kStartDw, kMidDw, kExpansion, kHeads, kKeyDim, kKvStride, kOp, kMultiHead };

struct Decision {
  std::string name;  // e.g. "stages[1].slots[2].mid_dw_kernel"
  Field field;
  int stage = 0, slot = -1;  // slot -1 for stage-level decisions (filters).
  int num_choices = 0;
};

// One index per decision, in the order of Decisions().
using Sample = std::vector<int>;

class DecisionSpace {
 public:
  // REQUIRES: `space` passed ValidateSpaceStructure.
  explicit DecisionSpace(const SearchSpace& space);

  const std::vector<Decision>& decisions() const { return decisions_; }
  const SearchSpace& space() const { return space_; }

  // The concrete choice a sample makes. Fixed fields take their one value.
  SpaceChoice ToChoice(const Sample& sample) const;
  // Whether decision i is on the active path of `sample`.
  std::vector<bool> ActiveMask(const Sample& sample) const;
  // The sample of `choice`; INVALID_ARGUMENT if a value is not a choice.
  absl::StatusOr<Sample> FromChoice(const SpaceChoice& choice) const;
  // The sample that takes the largest filters everywhere, other fields unchanged.
  Sample WithLargestFilters(const Sample& sample) const;

 private:
  SearchSpace space_;
  std::vector<Decision> decisions_;
  // Index of the decision for (stage, slot, field), or -1 when fixed.
  int Find(int stage, int slot, Field field) const;
};

}  // namespace ridge::search

#endif  // RIDGE_SEARCH_DECISIONS_H_
