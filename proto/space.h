// Working with a SearchSpace: one concrete choice per slot, the Architecture
// a choice makes, matching an Architecture back to choices, uniform
// sampling, and the structural checks a space must pass before use.
#ifndef RIDGE_PROTO_SPACE_H_
#define RIDGE_PROTO_SPACE_H_

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/architecture.pb.h"
#include "proto/search_space.pb.h"

namespace ridge {

struct SlotChoice {
  bool skip = false;  // Only for optional slots: the identity.
  BlockKind kind = UIB;
  int start_dw_kernel = 0, mid_dw_kernel = 0;  // Fused-IB uses mid_dw_kernel as its kernel.
  float expansion = 0;
  int heads = 0, key_dim = 0, kv_stride = 1;   // MQA.
  int groups = 0;  // UIB from an op list: groups of the 1x1 convs (0 = dense).
  bool multi_head = false;  // MQA: MHSA instead of Mobile MQA.
  bool operator==(const SlotChoice& o) const;
};

struct StageChoice {
  int filters = 0;
  std::vector<SlotChoice> slots;
};

struct SpaceChoice {
  std::vector<StageChoice> stages;
  bool operator==(const SpaceChoice& o) const;
};

// Validates `space` (proto/validate.h) and its structure: a stage's first slot
// may not be optional (it may change the channels), and the largest and the
// smallest architectures must pass shape inference.
absl::Status ValidateSpaceStructure(const SearchSpace& space, absl::string_view path = "search_space");

// Output channels of `b` given its input channels (`classes` for the classifier).
int64_t BlockOutChannels(const Block& b, int64_t in_c, int64_t classes);

// The choice op `i` of an op-list slot makes.
SlotChoice ChoiceOfOp(const SlotSpec& slot, int i);
// Index of `choice` in the slot's op list, or -1.
int OpIndex(const SlotSpec& slot, const SlotChoice& choice);
// A skip in a slot that changes the shape: a 1x1 conv to `filters` at the
// slot's stride (FBNet's skip op; op-list slots only).
Block SkipConvBlock(const SlotSpec& slot, int filters);

// The network `choice` makes. INVALID_ARGUMENT if a value is not among the
// slot's choices (so a choice cannot leave the space).
absl::StatusOr<Architecture> BuildArchitecture(const SearchSpace& space, const SpaceChoice& choice);

// The block a non-skipped slot runs, given its stage's filters.
Block SlotBlock(const SlotSpec& slot, const SlotChoice& choice, int filters);

// Finds the choice that builds `arch` (ignoring its name), matching blocks to
// slots in order and skipping optional slots that do not match.
// INVALID_ARGUMENT names the first block that fits no slot.
absl::StatusOr<SpaceChoice> MatchArchitecture(const SearchSpace& space, const Architecture& arch);

// `space` with its input at `input` and its classifier at `classes`, its
// references reshaped alike. The blocks are unchanged, so a space declared at
// one shape can be searched at another (a 224x224x3, 1,000-class space on
// 32x32 images with 10 classes). Shape-checked as ValidateSpaceStructure does.
absl::StatusOr<SearchSpace> SpaceAtInput(const SearchSpace& space, const Shape& input, int32_t classes);

// Every decision drawn uniformly (TuNAS's supernet warmup sampling).
SpaceChoice SampleUniform(const SearchSpace& space, std::mt19937_64& rng);

// Up to `count` distinct architectures (by ArchitectureId, after `reshape`
// if given) drawn uniformly with `rng`; fewer if 50 * count draws find no
// more (a small space).
absl::StatusOr<std::vector<Architecture>> SampleDistinct(const SearchSpace& space, int count, std::mt19937_64& rng,
                                                         const std::function<void(Architecture*)>& reshape = nullptr);

// The largest (widest, deepest, biggest kernels and expansions) and smallest choices.
SpaceChoice LargestChoice(const SearchSpace& space);
SpaceChoice SmallestChoice(const SearchSpace& space);

}  // namespace ridge

#endif  // RIDGE_PROTO_SPACE_H_
