#include "supernet/supernet.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "proto/layers.h"
#include "supernet/batcher.h"

namespace ridge::nn {
namespace {

template <typename R>
auto MaxOf(const R& r) {
  return *std::max_element(r.begin(), r.end());
}

// An op-list slot as per-field choice lists (the union over its UIB ops),
// which is all the limits need.
SlotSpec FieldsOfOps(const SlotSpec& slot) {
  SlotSpec out = slot;
  out.clear_ops();
  std::set<int> start, mid;
  std::set<float> expansion;
  for (const SlotOp& op : slot.ops()) {
    if (op.skip()) continue;
    start.insert(op.start_dw_kernel()), mid.insert(op.mid_dw_kernel()), expansion.insert(op.expansion());
  }
  for (int k : start) out.add_start_dw_kernel(k);
  for (int k : mid) out.add_mid_dw_kernel(k);
  for (float e : expansion) out.add_expansion(e);
  return out;
}

// Limits of one slot for one block kind, over all of the slot's choices.
BlockLimits SlotLimits(const SlotSpec& spec, BlockKind kind, int64_t max_in, int64_t max_filters) {
  const SlotSpec slot = spec.ops().empty() ? spec : FieldsOfOps(spec);
  BlockLimits l;
  l.stride = slot.stride();
  l.max_in = max_in;
  l.max_out = max_filters;
  const double max_e = slot.expansion().empty() ? 1.0 : double{MaxOf(slot.expansion())};
  switch (kind) {
    case FUSED_IB:
      l.kind = Block::kFusedIb;
      for (int k : slot.mid_dw_kernel()) {
        if (k > 0) l.kernels.push_back(k);
      }
      l.max_hidden = MakeDivisible(max_in * max_e);
      break;
    case MQA:
      l.kind = Block::kMqa;
      l.max_out = max_in;
      l.max_heads = MaxOf(slot.heads());
      l.max_key_dim = MaxOf(slot.key_dim());
      l.kv_downsample = MaxOf(slot.kv_stride()) > 1;
      l.multi_head = std::any_of(slot.multi_head().begin(), slot.multi_head().end(), [](bool m) { return m; });
      break;
    default: {
      l.kind = Block::kUib;
      l.start_kernels.assign(slot.start_dw_kernel().begin(), slot.start_dw_kernel().end());
      l.mid_kernels.assign(slot.mid_dw_kernel().begin(), slot.mid_dw_kernel().end());
      // The expand conv is needed unless every choice is MobileNetV2's t = 1 without a start DW.
      const bool all_t1 = std::all_of(slot.expansion().begin(), slot.expansion().end(), [](float e) { return e == 1; });
      const bool no_start = std::all_of(slot.start_dw_kernel().begin(), slot.start_dw_kernel().end(),
                                        [](int k) { return k == 0; });
      l.expand = slot.expand_always() || !(all_t1 && no_start);
      l.max_hidden = l.expand ? MakeDivisible(max_in * max_e) : max_in;
      break;
    }
  }
  return l;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Supernet>> Supernet::Create(const SearchSpace& space, uint32_t seed) {
  RETURN_IF_ERROR(ValidateSpaceStructure(space));
  std::unique_ptr<Supernet> net(new Supernet());
  net->space_ = space;
  std::mt19937 rng(seed);
  const BlockOptions options{ActivationOf(space.activation()), space.layer_scale()};
  int64_t channels = space.input().channels();
  auto add_fixed = [&](const Block& b, const std::string& name) -> absl::Status {
    ASSIGN_OR_RETURN(auto m, MakeBlockModule(ExactLimits(b, channels, space.num_classes()), options, &net->store_,
                                             name, rng));
    net->fixed_.push_back(std::move(m));
    net->fixed_names_.push_back(name);
    channels = BlockOutChannels(b, channels, space.num_classes());
    return absl::OkStatus();
  };
  for (int i = 0; i < space.stem_size(); ++i) RETURN_IF_ERROR(add_fixed(space.stem(i), absl::StrCat("stem.", i)));
  net->stem_channels_ = channels;
  for (int s = 0; s < space.stages_size(); ++s) {
    const StageSpec& stage = space.stages(s);
    const int64_t filters = MaxOf(stage.filters());
    std::vector<Slot> slots(stage.slots_size());
    for (int i = 0; i < stage.slots_size(); ++i) {
      const int64_t in = i == 0 ? channels : filters;
      const SlotSpec& spec = stage.slots(i);
      const bool has_skip = OpIndex(spec, SlotChoice{true}) >= 0 && !spec.ops().empty();
      if (has_skip && (spec.stride() != 1 || i == 0)) {
        // Named as a conv block is, so Extract finds "<name>.conv.*".
        const std::string name = absl::StrCat("stages.", s, ".slots.", i, ".skip");
        ASSIGN_OR_RETURN(slots[i].skip_conv,
                         MakeBlockModule(ExactLimits(SkipConvBlock(spec, filters), in, 0), options, &net->store_,
                                         name, rng));
        slots[i].skip_conv_name = name;
      }
      if (spec.ops_size() > 0 && spec.ops_size() == (has_skip ? 1 : 0)) continue;  // Only a skip.
      for (int k : stage.slots(i).kind()) {
        const BlockKind kind = static_cast<BlockKind>(k);
        const std::string name = absl::StrCat("stages.", s, ".slots.", i, ".", absl::AsciiStrToLower(BlockKind_Name(kind)));
        ASSIGN_OR_RETURN(slots[i].modules[kind],
                         MakeBlockModule(SlotLimits(stage.slots(i), kind, in, filters), options, &net->store_, name, rng));
        slots[i].names[kind] = name;
      }
    }
    net->slots_.push_back(std::move(slots));
    channels = filters;
  }
  for (int i = 0; i < space.head_size(); ++i) RETURN_IF_ERROR(add_fixed(space.head(i), absl::StrCat("head.", i)));
  RETURN_IF_ERROR(net->Select(LargestChoice(space)));
  return net;
}

absl::Status Supernet::Select(const SpaceChoice& choice) {
  ASSIGN_OR_RETURN(Architecture arch, BuildArchitecture(space_, choice));
  std::vector<PathStep> path;
  std::vector<std::string> names;
  size_t f = 0;
  for (int i = 0; i < space_.stem_size(); ++i, ++f) {
    path.push_back({fixed_[f].get(), space_.stem(i)});
    names.push_back(fixed_names_[f]);
  }
  int64_t channels = stem_channels_;
  for (int s = 0; s < space_.stages_size(); ++s) {
    const StageChoice& sc = choice.stages[s];
    for (int i = 0; i < space_.stages(s).slots_size(); ++i) {
      const SlotChoice& c = sc.slots[i];
      const Slot& slot = slots_[s][i];
      const SlotSpec& spec = space_.stages(s).slots(i);
      if (c.skip) {
        // As BuildArchitecture does: an op-list skip is a 1x1 conv where the shape changes.
        if (slot.skip_conv && (spec.stride() != 1 || channels != sc.filters)) {
          path.push_back({slot.skip_conv.get(), SkipConvBlock(spec, sc.filters)});
          names.push_back(slot.skip_conv_name);
          channels = sc.filters;
        }
        continue;
      }
      if (c.kind != MQA) channels = sc.filters;
      path.push_back({slot.modules.at(c.kind).get(), SlotBlock(space_.stages(s).slots(i), c, sc.filters)});
      names.push_back(slot.names.at(c.kind));
    }
  }
  for (int i = 0; i < space_.head_size(); ++i, ++f) {
    path.push_back({fixed_[f].get(), space_.head(i)});
    names.push_back(fixed_names_[f]);
  }
  path_ = std::move(path);
  path_names_ = std::move(names);
  selected_arch_ = std::move(arch);
  return absl::OkStatus();
}

absl::Status Supernet::BeforeStep(int64_t step) {
  if (!sampler_) return absl::OkStatus();
  return Select(sampler_(step));
}

absl::Status Supernet::RecalibrateBatchNorm(const Split& train, int64_t images, int64_t batch) {
  images = std::min(images, train.count);
  std::vector<int64_t> indices(images);
  std::iota(indices.begin(), indices.end(), 0);
  Batch b;
  int64_t k = 0;
  for (int64_t begin = 0; begin < images; begin += batch, ++k) {
    const int64_t n = std::min(batch, images - begin);
    FillBatch(train, indices.data() + begin, n, nullptr, &b);
    // Momentum 1/(k+1) keeps the exact average over batches; the first batch
    // overwrites whatever statistics the shared BN held.
    ForwardContext ctx{true, 1.0f / (k + 1)};
    RETURN_IF_ERROR(runner_.Forward(path_, b.images, ctx).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Network>> Supernet::Extract() const {
  ASSIGN_OR_RETURN(std::unique_ptr<Network> net, Network::Create(selected_arch_, 0));
  for (const auto& p : net->params().params()) {
    // "blocks.<i>.<rest>" in the standalone network is "<path name i>.<rest>" here.
    absl::string_view name = p->name;
    name.remove_prefix(std::string("blocks.").size());
    const size_t dot = name.find('.');
    const int step = std::stoi(std::string(name.substr(0, dot)));
    const std::string source_name = absl::StrCat(path_names_[step], name.substr(dot));
    const Param* source = store_.Find(source_name);
    if (source == nullptr) {
      return absl::InternalError(absl::StrCat("extract: no supernet parameter ", source_name, " for ", p->name));
    }
    if (p->shape.size() == 1) {
      std::copy(source->value.begin(), source->value.begin() + p->value.size(), p->value.begin());
      continue;
    }
    int64_t inner = 1;
    for (size_t d = 2; d < p->shape.size(); ++d) inner *= p->shape[d];
    GatherPrefix(source->value.data(), source->shape[1], p->shape[0], p->shape[1], inner, p->value.data());
  }
  return net;
}

int Supernet::CopyWeightsFrom(const Supernet& from,
                              const std::function<std::string(const std::string&)>& source_name) {
  int copied = 0;
  for (const auto& p : store_.params()) {
    const Param* source = from.store_.Find(source_name(p->name));
    if (source == nullptr || source->shape.size() != p->shape.size()) continue;
    bool fits = true;
    for (size_t d = 0; d < p->shape.size(); ++d) {
      fits = fits && (d < 2 ? p->shape[d] <= source->shape[d] : p->shape[d] == source->shape[d]);
    }
    if (!fits) continue;
    if (p->shape.size() == 1) {
      std::copy(source->value.begin(), source->value.begin() + p->value.size(), p->value.begin());
    } else {
      int64_t inner = 1;
      for (size_t d = 2; d < p->shape.size(); ++d) inner *= p->shape[d];
      GatherPrefix(source->value.data(), source->shape[1], p->shape[0], p->shape[1], inner, p->value.data());
    }
    ++copied;
  }
  return copied;
}

}  // namespace ridge::nn
