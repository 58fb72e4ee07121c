#include "proto/validate.h"

#include <cctype>
#include <cmath>
#include <initializer_list>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ridge {

std::string Quoted(absl::string_view value) {
  constexpr size_t kShown = 32;
  if (value.size() <= kShown) return absl::StrCat("'", value, "'");
  return absl::StrCat("'", value.substr(0, kShown), "...'");
}

absl::Status ValidateDeviceKey(absl::string_view key, absl::string_view field) {
  if (key.empty() || key.size() > 64) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", Quoted(key), " must have 1 to 64 characters"));
  }
  for (char ch : key) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '.' && ch != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", Quoted(key), " may hold only letters, digits, _ . -"));
    }
  }
  return absl::OkStatus();
}

namespace {

// Accumulates violations; each names the path, the value and the rule.
class Checker {
 public:
  void Fail(absl::string_view path, absl::string_view message) {
    errors_.push_back(absl::StrCat(path, ": ", message));
  }
  void InRange(absl::string_view path, int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi) Fail(path, absl::StrCat(v, " must be in [", lo, ", ", hi, "]"));
  }
  void InRangeReal(absl::string_view path, double v, double lo, double hi) {
    if (!(v >= lo && v <= hi)) Fail(path, absl::StrCat(v, " must be in [", lo, ", ", hi, "]"));
  }
  void OneOf(absl::string_view path, int64_t v, std::initializer_list<int64_t> allowed) {
    for (int64_t a : allowed) if (v == a) return;
    Fail(path, absl::StrCat(v, " is not one of {", absl::StrJoin(allowed, ", "), "}"));
  }
  void Positive(absl::string_view path, double v) {
    if (!(v > 0) || !std::isfinite(v)) Fail(path, absl::StrCat(v, " must be > 0"));
  }
  void NonNegative(absl::string_view path, double v) {
    if (!(v >= 0) || !std::isfinite(v)) Fail(path, absl::StrCat(v, " must be >= 0"));
  }
  void Fraction(absl::string_view path, double v, bool allow_one = true) {
    bool ok = v >= 0 && (allow_one ? v <= 1 : v < 1);
    if (!ok) Fail(path, absl::StrCat(v, allow_one ? " must be in [0, 1]" : " must be in [0, 1)"));
  }
  void MaxChars(absl::string_view path, absl::string_view v, size_t max) {
    if (v.size() > max) Fail(path, absl::StrCat(Quoted(v), " has ", v.size(), " characters; at most ", max));
  }
  void Merge(const absl::Status& status) {
    if (!status.ok()) errors_.push_back(std::string(status.message()));
  }
  absl::Status Finish() const {
    if (errors_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrJoin(errors_, "; "));
  }

 private:
  std::vector<std::string> errors_;
};

std::string At(absl::string_view path, absl::string_view field) {
  return absl::StrCat(path, ".", field);
}
std::string At(absl::string_view path, absl::string_view field, int index) {
  return absl::StrCat(path, ".", field, "[", index, "]");
}

constexpr std::initializer_list<int64_t> kDwKernels = {0, 3, 5, 7};
constexpr std::initializer_list<int64_t> kConvKernels = {1, 3, 5, 7};
constexpr std::initializer_list<int64_t> kStrides = {1, 2};
constexpr double kMaxExpansion = 16;
constexpr int64_t kMaxGroups = 64;
constexpr int kMaxSlotOps = 32;

void CheckActivation(Checker& c, absl::string_view path, Activation a) {
  if (a == ACTIVATION_UNSPECIFIED || !Activation_IsValid(a)) {
    c.Fail(path, absl::StrCat(a, " must be one of {RELU, RELU6, HARD_SWISH, GELU}"));
  }
}

void CheckBlock(Checker& c, const Block& block, absl::string_view path) {
  switch (block.kind_case()) {
    case Block::kConv: {
      std::string p = At(path, "conv");
      c.OneOf(At(p, "kernel"), block.conv().kernel(), kConvKernels);
      c.OneOf(At(p, "stride"), block.conv().stride(), kStrides);
      c.InRange(At(p, "filters"), block.conv().filters(), 1, kMaxChannels);
      break;
    }
    case Block::kFusedIb: {
      std::string p = At(path, "fused_ib");
      c.OneOf(At(p, "kernel"), block.fused_ib().kernel(), kConvKernels);
      c.OneOf(At(p, "stride"), block.fused_ib().stride(), kStrides);
      c.InRange(At(p, "filters"), block.fused_ib().filters(), 1, kMaxChannels);
      c.InRangeReal(At(p, "expansion"), double{block.fused_ib().expansion()}, 1.0, kMaxExpansion);
      break;
    }
    case Block::kUib: {
      const UIBBlock& u = block.uib();
      std::string p = At(path, "uib");
      c.OneOf(At(p, "start_dw_kernel"), u.start_dw_kernel(), kDwKernels);
      c.OneOf(At(p, "mid_dw_kernel"), u.mid_dw_kernel(), kDwKernels);
      c.OneOf(At(p, "stride"), u.stride(), kStrides);
      if (u.stride() == 2 && u.start_dw_kernel() == 0 && u.mid_dw_kernel() == 0) {
        c.Fail(At(p, "stride"),
               "2 needs a depthwise conv to carry it (start_dw_kernel or mid_dw_kernel must be nonzero)");
      }
      c.InRange(At(p, "filters"), u.filters(), 1, kMaxChannels);
      c.InRangeReal(At(p, "expansion"), double{u.expansion()}, 1.0, kMaxExpansion);
      c.InRange(At(p, "groups"), u.groups(), 0, kMaxGroups);
      break;
    }
    case Block::kMqa: {
      std::string p = At(path, "mqa");
      c.InRange(At(p, "heads"), block.mqa().heads(), 1, 64);
      c.InRange(At(p, "key_dim"), block.mqa().key_dim(), 1, 1024);
      c.OneOf(At(p, "kv_stride"), block.mqa().kv_stride(), kStrides);
      break;
    }
    case Block::kGlobalPool:
    case Block::kClassifier:
      break;
    case Block::KIND_NOT_SET:
      c.Fail(path, "no block kind is set (one of conv, fused_ib, uib, mqa, global_pool, classifier)");
      break;
  }
}

void CheckBlocks(Checker& c, const google::protobuf::RepeatedPtrField<Block>& blocks,
                 absl::string_view path, absl::string_view field, int min_count) {
  c.InRange(absl::StrCat(path, ".", field, " count"), blocks.size(), min_count, kMaxBlocks);
  if (blocks.size() > kMaxBlocks) return;  // Do not emit thousands of messages.
  for (int i = 0; i < blocks.size(); ++i) CheckBlock(c, blocks[i], At(path, field, i));
}

// Repeated choice lists: non-empty when required, each value allowed, no duplicates.
template <typename T, typename CheckOne>
void CheckChoices(Checker& c, const google::protobuf::RepeatedField<T>& choices,
                  absl::string_view path, bool required, CheckOne check_one) {
  if (required && choices.empty()) c.Fail(path, "needs at least one choice");
  std::set<T> seen;
  for (int i = 0; i < choices.size(); ++i) {
    std::string p = absl::StrCat(path, "[", i, "]");
    check_one(p, choices[i]);
    if (!seen.insert(choices[i]).second) c.Fail(p, absl::StrCat(choices[i], " is a duplicate choice"));
  }
}

// An explicit op list replaces the per-field choices of a UIB slot.
void CheckSlotOps(Checker& c, const SlotSpec& slot, absl::string_view path) {
  const std::string p = At(path, "ops");
  c.InRange(absl::StrCat(p, " count"), slot.ops_size(), 1, kMaxSlotOps);
  if (slot.ops_size() > kMaxSlotOps) return;
  if (slot.kind_size() != 1 || slot.kind(0) != UIB) c.Fail(At(path, "kind"), "must be [UIB] when ops are given");
  if (!slot.start_dw_kernel().empty() || !slot.mid_dw_kernel().empty() || !slot.expansion().empty() ||
      slot.optional()) {
    c.Fail(p, "replaces start_dw_kernel, mid_dw_kernel, expansion and optional, which must be unset");
  }
  std::set<std::string> seen;
  for (int i = 0; i < slot.ops_size(); ++i) {
    const SlotOp& op = slot.ops(i);
    const std::string q = At(path, "ops", i);
    if (op.skip()) {
      if (op.start_dw_kernel() != 0 || op.mid_dw_kernel() != 0 || op.expansion() != 0 || op.groups() != 0) {
        c.Fail(q, "a skip op takes no other field");
      }
    } else {
      c.OneOf(At(q, "start_dw_kernel"), op.start_dw_kernel(), kDwKernels);
      c.OneOf(At(q, "mid_dw_kernel"), op.mid_dw_kernel(), kDwKernels);
      c.InRangeReal(At(q, "expansion"), double{op.expansion()}, 1.0, kMaxExpansion);
      c.InRange(At(q, "groups"), op.groups(), 0, kMaxGroups);
      if (slot.stride() == 2 && op.start_dw_kernel() == 0 && op.mid_dw_kernel() == 0) {
        c.Fail(At(q, "mid_dw_kernel"), "0 with start_dw_kernel 0 cannot carry the slot's stride 2");
      }
    }
    if (!seen.insert(op.SerializeAsString()).second) c.Fail(q, "is a duplicate op");
  }
}

void CheckSlot(Checker& c, const SlotSpec& slot, absl::string_view path) {
  bool has_uib = false, has_fused = false, has_mqa = false;
  if (slot.kind().empty()) c.Fail(At(path, "kind"), "needs at least one choice");
  for (int i = 0; i < slot.kind_size(); ++i) {
    int k = slot.kind(i);
    if (k == UIB) has_uib = true;
    else if (k == FUSED_IB) has_fused = true;
    else if (k == MQA) has_mqa = true;
    else c.Fail(At(path, "kind", i), absl::StrCat(k, " must be one of {UIB, FUSED_IB, MQA}"));
  }
  auto dw = [&](const std::string& p, int32_t v) { c.OneOf(p, v, kDwKernels); };
  const bool fields = slot.ops().empty();  // An op list replaces the UIB fields.
  CheckChoices(c, slot.start_dw_kernel(), At(path, "start_dw_kernel"), fields && has_uib, dw);
  CheckChoices(c, slot.mid_dw_kernel(), At(path, "mid_dw_kernel"), fields && (has_uib || has_fused), dw);
  CheckChoices(c, slot.expansion(), At(path, "expansion"), fields && (has_uib || has_fused),
               [&](const std::string& p, float v) { c.InRangeReal(p, double{v}, 1.0, kMaxExpansion); });
  c.OneOf(At(path, "stride"), slot.stride(), kStrides);
  if (!slot.ops().empty()) CheckSlotOps(c, slot, path);
  if (slot.optional() && slot.stride() != 1) {
    c.Fail(At(path, "optional"), "true needs stride 1 (a skipped slot is the identity)");
  }
  if (slot.stride() == 2 && has_uib) {
    for (int i = 0; i < slot.start_dw_kernel_size(); ++i) {
      for (int j = 0; j < slot.mid_dw_kernel_size(); ++j) {
        if (slot.start_dw_kernel(i) == 0 && slot.mid_dw_kernel(j) == 0) {
          c.Fail(At(path, "stride"), "2 needs every UIB choice to have a depthwise conv, but start 0 with mid 0 is a choice");
          i = slot.start_dw_kernel_size();
          break;
        }
      }
    }
  }
  if (slot.stride() == 2 && has_mqa) c.Fail(At(path, "stride"), "2 is not allowed for an MQA slot");
  CheckChoices(c, slot.heads(), At(path, "heads"), has_mqa,
               [&](const std::string& p, int32_t v) { c.InRange(p, int64_t{v}, 1, 64); });
  CheckChoices(c, slot.key_dim(), At(path, "key_dim"), has_mqa,
               [&](const std::string& p, int32_t v) { c.InRange(p, int64_t{v}, 1, 1024); });
  CheckChoices(c, slot.kv_stride(), At(path, "kv_stride"), has_mqa,
               [&](const std::string& p, int32_t v) { c.OneOf(p, v, kStrides); });
  CheckChoices(c, slot.multi_head(), At(path, "multi_head"), false, [](const std::string&, bool) {});
  if (!has_mqa && !slot.multi_head().empty()) c.Fail(At(path, "multi_head"), "is for MQA slots only");
}

}  // namespace

absl::Status ValidateShape(const Shape& shape, absl::string_view path) {
  Checker c;
  c.InRange(At(path, "height"), shape.height(), 1, kMaxSpatial);
  c.InRange(At(path, "width"), shape.width(), 1, kMaxSpatial);
  c.InRange(At(path, "channels"), shape.channels(), 1, kMaxChannels);
  return c.Finish();
}

absl::Status ValidateArchitecture(const Architecture& arch, absl::string_view path) {
  Checker c;
  c.Merge(ValidateShape(arch.input(), At(path, "input")));
  c.InRange(At(path, "num_classes"), arch.num_classes(), 1, kMaxClasses);
  CheckActivation(c, At(path, "activation"), arch.activation());
  CheckBlocks(c, arch.blocks(), path, "blocks", 1);
  return c.Finish();
}

absl::Status ValidateHardwareProfile(const HardwareProfile& profile, absl::string_view path) {
  Checker c;
  const std::string& name = profile.name();
  bool name_ok = !name.empty() && name.size() <= 64;
  for (char ch : name) name_ok &= (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
  if (!name_ok) c.Fail(At(path, "name"), absl::StrCat("'", name, "' must match [a-z0-9_]{1,64}"));
  c.Positive(At(path, "peak_macs_per_sec"), profile.peak_macs_per_sec());
  c.Positive(At(path, "peak_bytes_per_sec"), profile.peak_bytes_per_sec());
  c.OneOf(At(path, "bytes_per_element"), profile.bytes_per_element(), {1, 2, 4});
  c.NonNegative(At(path, "per_layer_overhead_sec"), profile.per_layer_overhead_sec());
  std::set<int> classes;
  for (int i = 0; i < profile.ceilings_size(); ++i) {
    const OpClassCeiling& ceiling = profile.ceilings(i);
    std::string p = At(path, "ceilings", i);
    if (ceiling.op_class() == OP_CLASS_UNSPECIFIED) c.Fail(At(p, "op_class"), "must be set");
    if (!classes.insert(ceiling.op_class()).second) {
      c.Fail(At(p, "op_class"), absl::StrCat(OpClass_Name(ceiling.op_class()), " has a ceiling already"));
    }
    double e = ceiling.efficiency();
    if (!(e > 0 && e <= 1)) c.Fail(At(p, "efficiency"), absl::StrCat(e, " must be in (0, 1]"));
  }
  return c.Finish();
}

absl::Status ValidateSearchSpace(const SearchSpace& space, absl::string_view path) {
  Checker c;
  c.Merge(ValidateShape(space.input(), At(path, "input")));
  c.InRange(At(path, "num_classes"), space.num_classes(), 1, kMaxClasses);
  CheckActivation(c, At(path, "activation"), space.activation());
  CheckBlocks(c, space.stem(), path, "stem", 0);
  CheckBlocks(c, space.head(), path, "head", 2);
  c.InRange(At(path, "stages count"), space.stages_size(), 1, 64);
  for (int s = 0; s < space.stages_size() && s < 64; ++s) {
    const StageSpec& stage = space.stages(s);
    std::string sp = At(path, "stages", s);
    CheckChoices(c, stage.filters(), At(sp, "filters"), true,
                 [&](const std::string& p, int32_t v) { c.InRange(p, int64_t{v}, 1, kMaxChannels); });
    c.InRange(At(sp, "slots count"), stage.slots_size(), 1, kMaxBlocks);
    for (int i = 0; i < stage.slots_size() && i < kMaxBlocks; ++i) {
      CheckSlot(c, stage.slots(i), At(sp, "slots", i));
    }
  }
  for (int i = 0; i < space.references_size(); ++i) {
    c.Merge(ValidateArchitecture(space.references(i), At(path, "references", i)));
  }
  return c.Finish();
}

namespace {

// The campaign's stages: one space, or a coarse space with its fine stage.
void CheckStages(const CampaignSpec& spec, const std::string& path, bool two_stage, Checker& c) {
  if (int{spec.has_space()} + int{!spec.space_ref().empty()} + int{spec.has_coarse_space()} +
          int{!spec.coarse_space_ref().empty()} != 1) {
    c.Fail(path, "exactly one of space, space_ref, coarse_space and coarse_space_ref must be set");
  }
  if (spec.has_space()) c.Merge(ValidateSearchSpace(spec.space(), At(path, "space")));
  if (spec.has_coarse_space()) c.Merge(ValidateSearchSpace(spec.coarse_space(), At(path, "coarse_space")));
  if (!two_stage && spec.has_fine()) {
    c.Fail(At(path, "fine"), "is set, but only a coarse_space or coarse_space_ref has a fine stage");
  }
  if (spec.fine().has_from()) {
    c.Merge(ValidateArchitecture(spec.fine().from(), At(path, "fine.from")));
    if (spec.training().coarse_steps() != 0 || spec.training().fine_steps() <= 0) {
      c.Fail(At(path, "fine.from"), absl::StrCat("runs the fine stage alone, so training.coarse_steps (",
                                                 spec.training().coarse_steps(), ") must be 0 and ",
                                                 "training.fine_steps (", spec.training().fine_steps(),
                                                 ") must be > 0"));
    }
  }
  auto dw = [&](const std::string& p, int32_t v) { c.OneOf(p, v, kDwKernels); };
  CheckChoices(c, spec.fine().start_dw_kernel(), At(path, "fine.start_dw_kernel"), false, dw);
  CheckChoices(c, spec.fine().mid_dw_kernel(), At(path, "fine.mid_dw_kernel"), false, dw);
  CheckChoices(c, spec.fine().expansion(), At(path, "fine.expansion"), false,
               [&](const std::string& p, float v) { c.InRangeReal(p, double{v}, 1.0, kMaxExpansion); });
}

// The fields that only some formats read: image_folder's target size and
// IDX's class count. Set for another format, they would be silently
// ignored, so they are refused.
void CheckDatasetFormatFields(const DatasetSpec& data, const std::string& path, Checker& c) {
  const bool folder = data.format() == DatasetSpec::IMAGE_FOLDER, idx = data.format() == DatasetSpec::IDX;
  const std::pair<const char*, int32_t> sides[] = {{"height", data.height()}, {"width", data.width()}};
  for (const auto& [field, v] : sides) {
    const std::string p = At(path, absl::StrCat("dataset.", field));
    if (folder) c.InRange(p, v, 0, 4096);
    if (!folder && v != 0) c.Fail(p, absl::StrCat(v, ": only format IMAGE_FOLDER resizes; leave it 0"));
  }
  if (folder) c.OneOf(At(path, "dataset.channels"), data.channels(), {0, 1, 3});
  if (!folder && data.channels() != 0) {
    c.Fail(At(path, "dataset.channels"), absl::StrCat(data.channels(), ": only format IMAGE_FOLDER converts channels; leave it 0"));
  }
  if (idx) c.InRange(At(path, "dataset.num_classes"), data.num_classes(), 0, 256);  // IDX labels are bytes.
  if (!idx && data.num_classes() != 0) {
    c.Fail(At(path, "dataset.num_classes"), absl::StrCat(data.num_classes(), ": only format IDX reads it; leave it 0"));
  }
  // IDX has its own test split and takes valid from the end of train: no
  // shuffle, so a split seed would change nothing.
  if (idx && data.split_seed() != 0) {
    c.Fail(At(path, "dataset.split_seed"),
           absl::StrCat(data.split_seed(), ": format IDX splits by position, not by a seed; leave it 0"));
  }
  if (!idx && data.dir().empty()) {
    c.Fail(At(path, "dataset.dir"), absl::StrCat("must be given for format ", DatasetSpec::Format_Name(data.format())));
  }
}

// The dataset's fields one by one; what only the files can tell (the
// images, the classes, the split sizes) is checked when they are loaded.
void CheckDataset(const CampaignSpec& spec, const std::string& path, Checker& c) {
  const DatasetSpec& data = spec.dataset();
  if (!data.name().empty()) {
    bool ok = data.name().size() <= 64;
    for (char ch : data.name()) ok &= std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-';
    if (!ok) c.Fail(At(path, "dataset.name"), absl::StrCat(Quoted(data.name()), " must be 1 to 64 of [A-Za-z0-9_.-]"));
  }
  if (!DatasetSpec::Format_IsValid(data.format())) {
    c.Fail(At(path, "dataset.format"), absl::StrCat(data.format(), " is not a known format"));
    return;
  }
  constexpr int kMaxImages = 10000000;
  c.InRange(At(path, "dataset.train_images"), data.train_images(), 0, kMaxImages);
  c.InRange(At(path, "dataset.valid_images"), data.valid_images(), 0, kMaxImages);
  c.InRange(At(path, "dataset.test_images"), data.test_images(), 0, kMaxImages);
  const bool fashion_mnist = data.format() == DatasetSpec::IDX && data.dir().empty();
  if (fashion_mnist && int64_t{data.train_images()} + data.valid_images() > 60000) {
    c.Fail(At(path, "dataset"), absl::StrCat("train_images + valid_images = ",
                                             int64_t{data.train_images()} + data.valid_images(),
                                             " must be <= 60000"));
  }
  CheckDatasetFormatFields(data, path, c);
}

void CheckTraining(const CampaignSpec& spec, const std::string& path, bool two_stage, Checker& c) {
  const TrainingSpec& t = spec.training();
  std::string tp = At(path, "training");
  c.InRange(At(tp, "coarse_steps"), t.coarse_steps(), 0, 10000000);
  c.InRange(At(tp, "fine_steps"), t.fine_steps(), 0, 10000000);
  if (t.fine_steps() > 0 && !two_stage) {
    c.Fail(At(tp, "fine_steps"), absl::StrCat(t.fine_steps(), ": only a coarse_space or coarse_space_ref has a ",
                                             "fine stage; space and space_ref are searched in one stage"));
  }
  c.InRange(At(tp, "batch_size"), t.batch_size(), 0, 4096);
  c.NonNegative(At(tp, "learning_rate"), t.learning_rate());
  c.NonNegative(At(tp, "weight_decay"), t.weight_decay());
  c.NonNegative(At(tp, "policy_learning_rate"), t.policy_learning_rate());
  c.Fraction(At(tp, "warmup_fraction"), t.warmup_fraction());
  c.Fraction(At(tp, "label_smoothing"), t.label_smoothing(), /*allow_one=*/false);
  c.Fraction(At(tp, "baseline_momentum"), t.baseline_momentum(), /*allow_one=*/false);
  c.Fraction(At(tp, "policy_delay_fraction"), t.policy_delay_fraction());
  c.Fraction(At(tp, "op_warmup_fraction"), t.op_warmup_fraction());
  c.Fraction(At(tp, "filter_warmup_fraction"), t.filter_warmup_fraction());
  c.InRange(At(tp, "threads"), t.threads(), 0, 1024);
  if (!Optimizer_IsValid(t.optimizer())) c.Fail(At(tp, "optimizer"), absl::StrCat(t.optimizer(), " is not a known optimizer"));
}

void CheckTargets(const CampaignSpec& spec, const std::string& path, Checker& c) {
  c.InRange(At(path, "targets count"), spec.targets_size(), 1, 64);
  std::set<std::string> keys;
  for (int i = 0; i < spec.targets_size(); ++i) {
    const Target& target = spec.targets(i);
    std::string p = At(path, "targets", i);
    if (target.hardware().empty() && target.device_key().empty()) {
      c.Fail(p, "needs hardware or device_key");
    }
    if (!keys.insert(absl::StrCat(target.hardware(), "/", target.device_key())).second) {
      c.Fail(p, absl::StrCat("hardware '", target.hardware(), "' with device_key '",
                             target.device_key(), "' appears twice"));
    }
    if (target.budget_ms().empty()) c.Fail(At(p, "budget_ms"), "needs at least one budget");
    c.InRange(At(p, "budget_ms count"), target.budget_ms_size(), 0, 64);
    // Budgets beyond 1000 s price no network this engine can train.
    for (int j = 0; j < target.budget_ms_size(); ++j) {
      c.Positive(At(p, "budget_ms", j), target.budget_ms(j));
      if (target.budget_ms(j) > 1e6) c.Fail(At(p, "budget_ms", j), absl::StrCat(target.budget_ms(j), " must be <= 1e6"));
    }
    if (!RewardType_IsValid(target.reward())) c.Fail(At(p, "reward"), absl::StrCat(target.reward(), " is not a known reward"));
    c.InRangeReal(At(p, "beta"), target.beta(), -100, 100);
    c.MaxChars(At(p, "hardware"), target.hardware(), kMaxPathChars);
    if (!target.device_key().empty()) c.Merge(ValidateDeviceKey(target.device_key(), At(p, "device_key")));
  }
}

}  // namespace

absl::Status ValidateCampaignSpec(const CampaignSpec& spec, absl::string_view path) {
  Checker c;
  const std::string p(path);
  const bool two_stage = spec.has_coarse_space() || !spec.coarse_space_ref().empty();
  CheckStages(spec, p, two_stage, c);
  CheckDataset(spec, p, c);
  CheckTraining(spec, p, two_stage, c);
  CheckTargets(spec, p, c);
  if (spec.has_deployment()) {
    c.Merge(ValidateShape(spec.deployment().input(), At(path, "deployment.input")));
    c.InRange(At(path, "deployment.num_classes"), spec.deployment().num_classes(), 1, kMaxClasses);
  }
  c.InRange(At(path, "checkpoint_every_steps"), spec.checkpoint_every_steps(), 0, 10000000);
  c.InRange(At(path, "retrain_epochs"), spec.retrain_epochs(), 0, 1000);
  c.InRange(At(path, "scoring.finetune_steps"), spec.scoring().finetune_steps(), 0, 10000);
  c.InRange(At(path, "top_samples"), spec.top_samples(), 0, 1000);
  c.MaxChars(At(path, "name"), spec.name(), kMaxNameChars);
  c.MaxChars(At(path, "space_ref"), spec.space_ref(), kMaxPathChars);
  c.MaxChars(At(path, "coarse_space_ref"), spec.coarse_space_ref(), kMaxPathChars);
  c.MaxChars(At(path, "dataset.dir"), spec.dataset().dir(), kMaxPathChars);
  if (spec.distill().soft_labels().size() > 4096) {
    c.Fail(At(path, "distill.soft_labels"), absl::StrCat("'", spec.distill().soft_labels().substr(0, 32),
                                                         "...' is longer than 4096 characters"));
  }
  c.Fraction(At(path, "distill.alpha"), spec.distill().alpha());
  return c.Finish();
}

}  // namespace ridge
