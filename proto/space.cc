#include "proto/space.h"

#include <set>

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "proto/architecture.h"
#include "proto/layers.h"
#include "proto/validate.h"

namespace ridge {
namespace {

auto Tie(const SlotChoice& c) {
  return std::tie(c.skip, c.kind, c.start_dw_kernel, c.mid_dw_kernel, c.expansion, c.heads, c.key_dim, c.kv_stride,
                  c.groups, c.multi_head);
}

// An op list's indices from the smallest op to the largest: a skip first,
// then by expansion, middle kernel, start kernel, and fewer groups last.
std::vector<int> OpsBySize(const SlotSpec& slot) {
  auto key = [&](int i) {
    const SlotOp& op = slot.ops(i);
    return std::make_tuple(!op.skip(), op.expansion(), op.mid_dw_kernel(), op.start_dw_kernel(), -op.groups());
  };
  std::vector<int> order(slot.ops_size());
  for (int i = 0; i < slot.ops_size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return key(a) < key(b); });
  return order;
}

template <typename R, typename T>
bool Contains(const R& choices, T value) {
  return std::find(choices.begin(), choices.end(), value) != choices.end();
}

template <typename R>
auto Pick(const R& choices, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> d(0, choices.size() - 1);
  return choices[d(rng)];
}

// Applies `pick` (max, min or random) to each decision of the space.
template <typename Picker>
SpaceChoice Choose(const SearchSpace& space, Picker pick, bool skip_optional) {
  SpaceChoice c;
  for (const StageSpec& stage : space.stages()) {
    StageChoice sc;
    sc.filters = pick(stage.filters());
    for (const SlotSpec& slot : stage.slots()) {
      if (!slot.ops().empty()) {
        // Ranks stand in for the ops, so max and min pick the largest and smallest.
        std::vector<int> order = OpsBySize(slot), ranks(order.size());
        for (size_t r = 0; r < ranks.size(); ++r) ranks[r] = static_cast<int>(r);
        sc.slots.push_back(ChoiceOfOp(slot, order[pick(ranks)]));
        continue;
      }
      SlotChoice s;
      s.skip = slot.optional() && skip_optional;
      s.kind = static_cast<BlockKind>(pick(slot.kind()));
      if (!slot.start_dw_kernel().empty()) s.start_dw_kernel = pick(slot.start_dw_kernel());
      if (!slot.mid_dw_kernel().empty()) s.mid_dw_kernel = pick(slot.mid_dw_kernel());
      if (!slot.expansion().empty()) s.expansion = pick(slot.expansion());
      if (!slot.heads().empty()) s.heads = pick(slot.heads());
      if (!slot.key_dim().empty()) s.key_dim = pick(slot.key_dim());
      if (!slot.kv_stride().empty()) s.kv_stride = pick(slot.kv_stride());
      if (!slot.multi_head().empty()) s.multi_head = pick(slot.multi_head());
      // A stride-2 UIB needs a DW; the smallest (0, 0) is not a choice then.
      if (s.kind == UIB && slot.stride() == 2 && s.start_dw_kernel == 0 && s.mid_dw_kernel == 0) {
        for (int m : slot.mid_dw_kernel()) {
          if (m > 0) s.mid_dw_kernel = s.mid_dw_kernel == 0 ? m : std::min(s.mid_dw_kernel, m);
        }
      }
      sc.slots.push_back(s);
    }
    c.stages.push_back(sc);
  }
  return c;
}

// Matches `block` to one of an op-list slot's ops: a UIB op, or the 1x1 conv
// a skip becomes where the shape changes (BuildArchitecture checks which).
bool MatchOp(const SlotSpec& slot, const Block& block, SlotChoice* c, int* filters) {
  if (block.has_conv() && block.conv().kernel() == 1 && block.conv().stride() == slot.stride()) {
    *c = SlotChoice{true};
    *filters = block.conv().filters();
    return OpIndex(slot, *c) >= 0;
  }
  if (!block.has_uib() || block.uib().stride() != slot.stride()) return false;
  const UIBBlock& u = block.uib();
  c->kind = UIB, c->start_dw_kernel = u.start_dw_kernel(), c->mid_dw_kernel = u.mid_dw_kernel();
  c->expansion = u.expansion(), c->groups = u.groups() > 1 ? u.groups() : 0;
  *filters = u.filters();
  return OpIndex(slot, *c) >= 0 && u.expand_always() == slot.expand_always();
}

// An empty multi_head list offers Mobile MQA only.
bool MultiHeadOffered(const SlotSpec& slot, bool multi_head) {
  return slot.multi_head().empty() ? !multi_head : Contains(slot.multi_head(), multi_head);
}

// Matches `block` to `slot`'s choices, setting the choice and the block's
// filters (an MQA block keeps the stage's `stage_filters`).
bool MatchBlock(const SlotSpec& slot, const Block& block, int stage_filters, SlotChoice* c, int* filters) {
  if (!slot.ops().empty()) return MatchOp(slot, block, c, filters);
  if (block.has_uib() && Contains(slot.kind(), UIB) && block.uib().stride() == slot.stride()) {
    const UIBBlock& u = block.uib();
    c->kind = UIB, c->start_dw_kernel = u.start_dw_kernel(), c->mid_dw_kernel = u.mid_dw_kernel();
    c->expansion = u.expansion(), *filters = u.filters();
    return Contains(slot.start_dw_kernel(), c->start_dw_kernel) && Contains(slot.mid_dw_kernel(), c->mid_dw_kernel) &&
           Contains(slot.expansion(), c->expansion) && u.groups() <= 1 && u.expand_always() == slot.expand_always();
  }
  if (block.has_fused_ib() && Contains(slot.kind(), FUSED_IB) && block.fused_ib().stride() == slot.stride()) {
    c->kind = FUSED_IB, c->mid_dw_kernel = block.fused_ib().kernel(), c->expansion = block.fused_ib().expansion();
    *filters = block.fused_ib().filters();
    return Contains(slot.mid_dw_kernel(), c->mid_dw_kernel) && Contains(slot.expansion(), c->expansion);
  }
  if (block.has_mqa() && Contains(slot.kind(), MQA)) {
    c->kind = MQA, c->heads = block.mqa().heads(), c->key_dim = block.mqa().key_dim();
    c->kv_stride = block.mqa().kv_stride(), c->multi_head = block.mqa().multi_head();
    *filters = stage_filters;
    return Contains(slot.heads(), c->heads) && Contains(slot.key_dim(), c->key_dim) &&
           Contains(slot.kv_stride(), c->kv_stride) && MultiHeadOffered(slot, c->multi_head);
  }
  return false;
}

absl::Status Outside(int stage, int slot, absl::string_view field, double value) {
  return absl::InvalidArgumentError(absl::StrCat("choice: stages[", stage, "].slots[", slot, "].", field, ": ", value,
                                                 " is not among the slot's choices"));
}

}  // namespace

bool SlotChoice::operator==(const SlotChoice& o) const { return Tie(*this) == Tie(o); }

int64_t BlockOutChannels(const Block& b, int64_t in_c, int64_t classes) {
  switch (b.kind_case()) {
    case Block::kConv: return b.conv().filters();
    case Block::kFusedIb: return b.fused_ib().filters();
    case Block::kUib: return b.uib().filters();
    case Block::kClassifier: return classes;
    default: return in_c;
  }
}

SlotChoice ChoiceOfOp(const SlotSpec& slot, int i) {
  const SlotOp& op = slot.ops(i);
  SlotChoice c;
  c.skip = op.skip();
  if (c.skip) return c;
  c.kind = UIB;
  c.start_dw_kernel = op.start_dw_kernel(), c.mid_dw_kernel = op.mid_dw_kernel();
  c.expansion = op.expansion(), c.groups = op.groups() > 1 ? op.groups() : 0;
  return c;
}

int OpIndex(const SlotSpec& slot, const SlotChoice& choice) {
  for (int i = 0; i < slot.ops_size(); ++i) {
    if (ChoiceOfOp(slot, i) == choice) return i;
  }
  return -1;
}

Block SkipConvBlock(const SlotSpec& slot, int filters) {
  Block b;
  b.mutable_conv()->set_kernel(1), b.mutable_conv()->set_stride(slot.stride()), b.mutable_conv()->set_filters(filters);
  return b;
}

bool SpaceChoice::operator==(const SpaceChoice& o) const {
  if (stages.size() != o.stages.size()) return false;
  for (size_t i = 0; i < stages.size(); ++i) {
    if (stages[i].filters != o.stages[i].filters || !(stages[i].slots == o.stages[i].slots)) return false;
  }
  return true;
}

Block SlotBlock(const SlotSpec& slot, const SlotChoice& c, int filters) {
  Block b;
  switch (c.kind) {
    case FUSED_IB: {
      FusedIBBlock* f = b.mutable_fused_ib();
      f->set_kernel(c.mid_dw_kernel), f->set_stride(slot.stride()), f->set_filters(filters);
      f->set_expansion(c.expansion);
      break;
    }
    case MQA: {
      MQABlock* q = b.mutable_mqa();
      q->set_heads(c.heads), q->set_key_dim(c.key_dim), q->set_kv_stride(c.kv_stride);
      q->set_multi_head(c.multi_head);
      break;
    }
    default: {
      UIBBlock* u = b.mutable_uib();
      u->set_start_dw_kernel(c.start_dw_kernel), u->set_mid_dw_kernel(c.mid_dw_kernel);
      u->set_stride(slot.stride()), u->set_filters(filters), u->set_expansion(c.expansion);
      if (c.groups > 1) u->set_groups(c.groups);
      u->set_expand_always(slot.expand_always());
      break;
    }
  }
  return b;
}

absl::StatusOr<Architecture> BuildArchitecture(const SearchSpace& space, const SpaceChoice& choice) {
  if (static_cast<int>(choice.stages.size()) != space.stages_size()) {
    return absl::InvalidArgumentError(absl::StrCat("choice: has ", choice.stages.size(), " stages; the space has ",
                                                   space.stages_size()));
  }
  Architecture arch;
  *arch.mutable_input() = space.input();
  arch.set_num_classes(space.num_classes());
  arch.set_activation(space.activation());
  arch.set_layer_scale(space.layer_scale());
  int64_t channels = space.input().channels();
  for (const Block& b : space.stem()) {
    *arch.add_blocks() = b;
    channels = BlockOutChannels(b, channels, space.num_classes());
  }
  for (int s = 0; s < space.stages_size(); ++s) {
    const StageSpec& stage = space.stages(s);
    const StageChoice& sc = choice.stages[s];
    if (!Contains(stage.filters(), sc.filters)) return Outside(s, 0, "filters", sc.filters);
    if (static_cast<int>(sc.slots.size()) != stage.slots_size()) {
      return absl::InvalidArgumentError(absl::StrCat("choice: stages[", s, "] has ", sc.slots.size(),
                                                     " slots; the space has ", stage.slots_size()));
    }
    for (int i = 0; i < stage.slots_size(); ++i) {
      const SlotSpec& slot = stage.slots(i);
      const SlotChoice& c = sc.slots[i];
      if (!slot.ops().empty()) {
        if (OpIndex(slot, c) < 0) return Outside(s, i, "ops", c.skip ? -1 : c.expansion);
        if (!c.skip) {
          *arch.add_blocks() = SlotBlock(slot, c, sc.filters);
        } else if (slot.stride() != 1 || channels != sc.filters) {
          *arch.add_blocks() = SkipConvBlock(slot, sc.filters);
        }
        if (!c.skip || slot.stride() != 1 || channels != sc.filters) channels = sc.filters;
        continue;
      }
      if (c.skip) {
        if (!slot.optional()) return Outside(s, i, "skip", 1);
        continue;
      }
      if (!Contains(slot.kind(), c.kind)) return Outside(s, i, "kind", c.kind);
      if (c.kind == UIB && !Contains(slot.start_dw_kernel(), c.start_dw_kernel)) {
        return Outside(s, i, "start_dw_kernel", c.start_dw_kernel);
      }
      if (c.kind != MQA && !Contains(slot.mid_dw_kernel(), c.mid_dw_kernel)) {
        return Outside(s, i, "mid_dw_kernel", c.mid_dw_kernel);
      }
      if (c.kind != MQA && !Contains(slot.expansion(), c.expansion)) return Outside(s, i, "expansion", c.expansion);
      if (c.kind == MQA && (!Contains(slot.heads(), c.heads) || !Contains(slot.key_dim(), c.key_dim) ||
                            !Contains(slot.kv_stride(), c.kv_stride))) {
        return Outside(s, i, "heads/key_dim/kv_stride", c.heads);
      }
      if (c.kind == MQA && !MultiHeadOffered(slot, c.multi_head)) return Outside(s, i, "multi_head", c.multi_head);
      *arch.add_blocks() = SlotBlock(slot, c, sc.filters);
      if (c.kind != MQA) channels = sc.filters;
    }
  }
  for (const Block& b : space.head()) *arch.add_blocks() = b;
  return arch;
}

absl::StatusOr<SpaceChoice> MatchArchitecture(const SearchSpace& space, const Architecture& arch) {
  SpaceChoice choice;
  int b = space.stem_size();
  for (int s = 0; s < space.stages_size(); ++s) {
    const StageSpec& stage = space.stages(s);
    StageChoice sc;
    sc.filters = 0;
    for (int i = 0; i < stage.slots_size(); ++i) {
      const SlotSpec& slot = stage.slots(i);
      SlotChoice c;
      bool matched = false;
      if (b < arch.blocks_size() - space.head_size()) {
        const Block& block = arch.blocks(b);
        int filters = 0;
        matched = MatchBlock(slot, block, sc.filters, &c, &filters);
        if (matched && filters != 0) {
          matched = Contains(stage.filters(), filters) && (sc.filters == 0 || sc.filters == filters);
          if (matched) sc.filters = filters;
        }
      }
      if (matched) {
        ++b;
      } else if (slot.optional() || OpIndex(slot, SlotChoice{true}) >= 0) {
        c = SlotChoice();
        c.skip = true;  // The identity; a rebuilt skip conv is checked below.
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "architecture '", arch.name(), "' is not in the space '", space.name(), "': block ", b,
            b < arch.blocks_size() ? absl::StrCat(" ", BlockToken(arch.blocks(b))) : std::string(" (none)"),
            " does not fit stages[", s, "].slots[", i, "]"));
      }
      sc.slots.push_back(c);
    }
    if (sc.filters == 0) sc.filters = stage.filters(0);
    choice.stages.push_back(sc);
  }
  ASSIGN_OR_RETURN(Architecture rebuilt, BuildArchitecture(space, choice));
  if (CanonicalEncoding(rebuilt) != CanonicalEncoding(arch)) {
    return absl::InvalidArgumentError(absl::StrCat("architecture '", arch.name(), "' is not in the space '",
                                                   space.name(), "': its stem, head or shape differ"));
  }
  return choice;
}

SpaceChoice SampleUniform(const SearchSpace& space, std::mt19937_64& rng) {
  SpaceChoice c = Choose(space, [&](const auto& choices) { return Pick(choices, rng); }, false);
  // Optional slots are skipped with probability 1/2: skipping is one more
  // decision. An op list's skip is one of its ops, drawn as often as each.
  for (int s = 0; s < space.stages_size(); ++s) {
    for (int i = 0; i < space.stages(s).slots_size(); ++i) {
      if (space.stages(s).slots(i).optional()) c.stages[s].slots[i].skip = rng() & 1;
    }
  }
  return c;
}

SpaceChoice LargestChoice(const SearchSpace& space) {
  return Choose(space, [](const auto& c) { return *std::max_element(c.begin(), c.end()); }, false);
}

SpaceChoice SmallestChoice(const SearchSpace& space) {
  return Choose(space, [](const auto& c) { return *std::min_element(c.begin(), c.end()); }, true);
}

absl::Status ValidateSpaceStructure(const SearchSpace& space, absl::string_view path) {
  RETURN_IF_ERROR(ValidateSearchSpace(space, path));
  for (int s = 0; s < space.stages_size(); ++s) {
    if (space.stages(s).slots(0).optional()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".stages[", s,
                                                     "].slots[0].optional: true is not allowed on a stage's first "
                                                     "slot, which may change the channels"));
    }
  }
  for (const SpaceChoice& c : {LargestChoice(space), SmallestChoice(space)}) {
    ASSIGN_OR_RETURN(Architecture arch, BuildArchitecture(space, c));
    RETURN_IF_ERROR(WithContext(InferLayers(arch, path).status(), "a network of the space"));
  }
  for (int i = 0; i < space.references_size(); ++i) {
    RETURN_IF_ERROR(WithContext(MatchArchitecture(space, space.references(i)).status(),
                                absl::StrCat(path, ".references[", i, "]")));
  }
  return absl::OkStatus();
}

absl::StatusOr<SearchSpace> SpaceAtInput(const SearchSpace& space, const Shape& input, int32_t classes) {
  SearchSpace out = space;
  *out.mutable_input() = input;
  out.set_num_classes(classes);
  for (Architecture& r : *out.mutable_references()) {
    *r.mutable_input() = input;
    r.set_num_classes(classes);
  }
  RETURN_IF_ERROR(WithContext(
      ValidateSpaceStructure(out, space.name()),
      absl::StrCat("at ", input.height(), "x", input.width(), "x", input.channels(), " with ", classes, " classes")));
  return out;
}

absl::StatusOr<std::vector<Architecture>> SampleDistinct(const SearchSpace& space, int count, std::mt19937_64& rng,
                                                         const std::function<void(Architecture*)>& reshape) {
  std::vector<Architecture> out;
  std::set<std::string> seen;
  for (int tries = 0; static_cast<int>(out.size()) < count && tries < 50 * count; ++tries) {
    ASSIGN_OR_RETURN(Architecture a, BuildArchitecture(space, SampleUniform(space, rng)));
    if (reshape) reshape(&a);
    if (seen.insert(ArchitectureId(a)).second) out.push_back(std::move(a));
  }
  return out;
}

}  // namespace ridge
