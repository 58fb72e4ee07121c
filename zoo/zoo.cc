#include "zoo/zoo.h"

#include <sys/stat.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/embedded_file.h"
#include "common/status_macros.h"
#include "proto/architecture.h"
#include "proto/layers.h"
#include "proto/space.h"
#include "proto/textproto.h"
#include "proto/validate.h"

namespace ridge {

// Defined by the embed_files rules in zoo/BUILD.bazel.
const std::vector<EmbeddedFile>& ZooModelFiles();
const std::vector<EmbeddedFile>& ZooSpaceFiles();

namespace {

constexpr const char* kOrder[] = {
    "mobilenetv4_conv_small",    "mobilenetv4_conv_medium", "mobilenetv4_conv_large",
    "mobilenetv4_hybrid_medium", "mobilenetv4_hybrid_large", "mobilenetv2_100",
};

const EmbeddedFile* FindIn(const std::vector<EmbeddedFile>& files, absl::string_view name) {
  std::string file = absl::StrCat(name, ".textproto");
  for (const EmbeddedFile& f : files) {
    if (f.name == file) return &f;
  }
  return nullptr;
}

const EmbeddedFile* FindFile(absl::string_view name) { return FindIn(ZooModelFiles(), name); }

// A reference architecture of a built-in space, by its name.
const Architecture* FindReference(absl::string_view name) {
  static const auto* references = [] {
    auto* out = new std::vector<Architecture>();
    for (const std::string& space_name : ZooSpaceNames()) {
      absl::StatusOr<SearchSpace> space = LoadZooSpace(space_name);
      if (!space.ok()) continue;
      for (const Architecture& a : space->references()) out->push_back(a);
    }
    return out;
  }();
  for (const Architecture& a : *references) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

// Parses "[i, i, ...]" (brackets optional; commas, spaces or semicolons
// between) into at most `max` non-negative integers.
absl::StatusOr<std::vector<int>> ParseIndexList(absl::string_view text, size_t max, absl::string_view flag) {
  absl::string_view list = absl::StripAsciiWhitespace(text);
  absl::ConsumePrefix(&list, "[");
  absl::ConsumeSuffix(&list, "]");
  std::vector<int> out;
  for (absl::string_view part : absl::StrSplit(list, absl::ByAnyChar(", ;"), absl::SkipEmpty())) {
    int i;
    if (!absl::SimpleAtoi(part, &i) || i < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": '", part.substr(0, 16), "' is not an op index (a non-negative integer)"));
    }
    if (out.size() == max) return absl::InvalidArgumentError(absl::StrCat(flag, ": more than ", max, " op indices"));
    out.push_back(i);
  }
  return out;
}

// "SPACE:[i, ...]": one op index per slot of a built-in space made of op lists,
// in slot order (HW-NAS-Bench's op_idx_list for fbnet).
absl::StatusOr<Architecture> ArchitectureOfOpIndices(absl::string_view space_name, absl::string_view list,
                                                     absl::string_view flag) {
  ASSIGN_OR_RETURN(SearchSpace space, WithContext(LoadZooSpace(space_name), flag));
  SpaceChoice choice;
  int slots = 0;
  for (const StageSpec& stage : space.stages()) {
    if (stage.filters_size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": space '", space_name,
                                                     "' searches widths; op indices need fixed widths"));
    }
    choice.stages.push_back({stage.filters(0), {}});
    for (const SlotSpec& slot : stage.slots()) {
      if (slot.ops().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(flag, ": space '", space_name, "' has slots without op lists; op indices need them"));
      }
      ++slots;
    }
  }
  ASSIGN_OR_RETURN(std::vector<int> index, ParseIndexList(list, slots, flag));
  if (static_cast<int>(index.size()) != slots) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", index.size(), " op indices; space '", space_name, "' has ", slots, " layers"));
  }
  int k = 0;
  for (int s = 0; s < space.stages_size(); ++s) {
    for (const SlotSpec& slot : space.stages(s).slots()) {
      if (index[k] >= slot.ops_size()) {
        return absl::InvalidArgumentError(absl::StrCat(flag, ": op index ", index[k], " of layer ", k,
                                                       " is not below the layer's ", slot.ops_size(), " ops"));
      }
      choice.stages[s].slots.push_back(ChoiceOfOp(slot, index[k++]));
    }
  }
  return BuildArchitecture(space, choice);
}

}  // namespace

std::vector<std::string> ZooModelNames() {
  std::vector<std::string> names;
  for (const char* name : kOrder) {
    if (FindFile(name) != nullptr) names.push_back(name);
  }
  return names;
}

std::vector<std::string> ZooSpaceNames() {
  std::vector<std::string> names;
  for (const EmbeddedFile& f : ZooSpaceFiles()) {
    absl::string_view n = f.name;
    n.remove_suffix(absl::string_view(".textproto").size());
    names.emplace_back(n);
  }
  return names;
}

absl::StatusOr<SearchSpace> LoadZooSpace(absl::string_view name) {
  const EmbeddedFile* file = FindIn(ZooSpaceFiles(), name);
  if (file == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown search space '", name, "'; built in: ",
                                            absl::StrJoin(ZooSpaceNames(), ", ")));
  }
  SearchSpace space;
  RETURN_IF_ERROR(ParseTextProto(file->contents, file->name, &space));
  RETURN_IF_ERROR(ValidateSpaceStructure(space, file->name));
  return space;
}

absl::StatusOr<SearchSpace> ResolveSearchSpace(absl::string_view spec, absl::string_view flag) {
  if (spec.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, ": must be given"));
  if (FindIn(ZooSpaceFiles(), spec) != nullptr) return LoadZooSpace(spec);
  struct stat st;
  if (stat(std::string(spec).c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(flag, ": '", spec, "' is neither a built-in space (",
                                            absl::StrJoin(ZooSpaceNames(), ", "), ") nor an existing file"));
  }
  SearchSpace space;
  RETURN_IF_ERROR(WithContext(ReadTextProtoFile(std::string(spec), &space), flag));
  RETURN_IF_ERROR(WithContext(ValidateSpaceStructure(space, std::string(spec)), flag));
  return space;
}

absl::Status ApplyModelOptions(const ModelOptions& options, Architecture* arch) {
  if (options.resolution != 0) {
    if (options.resolution < 1 || options.resolution > kMaxSpatial) {
      return absl::InvalidArgumentError(absl::StrCat(
          "resolution: ", options.resolution, " must be in [1, ", kMaxSpatial, "]"));
    }
    arch->mutable_input()->set_height(options.resolution);
    arch->mutable_input()->set_width(options.resolution);
  }
  if (options.num_classes != 0) {
    if (options.num_classes < 1 || options.num_classes > kMaxClasses) {
      return absl::InvalidArgumentError(absl::StrCat(
          "classes: ", options.num_classes, " must be in [1, ", kMaxClasses, "]"));
    }
    arch->set_num_classes(options.num_classes);
  }
  return InferLayers(*arch).status();
}

absl::StatusOr<Architecture> LoadZooModel(absl::string_view name, const ModelOptions& options) {
  const EmbeddedFile* file = FindFile(name);
  if (file == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown model '", name, "'; the zoo has: ",
                                            absl::StrJoin(ZooModelNames(), ", ")));
  }
  Architecture arch;
  RETURN_IF_ERROR(ParseTextProto(file->contents, file->name, &arch));
  RETURN_IF_ERROR(ApplyModelOptions(options, &arch));
  return arch;
}

absl::StatusOr<Architecture> ResolveArchitecture(absl::string_view spec,
                                                 const ModelOptions& options,
                                                 absl::string_view flag) {
  if (spec.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, ": must be given"));
  if (FindFile(spec) != nullptr) return LoadZooModel(spec, options);
  Architecture arch;
  if (const Architecture* reference = FindReference(spec)) {
    arch = *reference;
  } else if (absl::StartsWith(spec, "v1 ")) {
    absl::StatusOr<Architecture> parsed = ParseCanonicalEncoding(spec);
    if (!parsed.ok()) return WithContext(parsed.status(), flag);
    arch = *std::move(parsed);
  } else if (const size_t colon = spec.find(':');
             colon != absl::string_view::npos && LoadZooSpace(spec.substr(0, colon)).ok()) {
    ASSIGN_OR_RETURN(arch, ArchitectureOfOpIndices(spec.substr(0, colon), spec.substr(colon + 1), flag));
  } else {
    struct stat st;
    if (stat(std::string(spec).c_str(), &st) != 0) {
      return absl::NotFoundError(absl::StrCat(
          flag, ": '", spec.substr(0, 64), "' is neither a zoo model (", absl::StrJoin(ZooModelNames(), ", "),
          "), a reference architecture, a canonical encoding (v1 ...), op indices of an op-list space "
          "(fbnet:[0,1,...]) nor an existing file"));
    }
    RETURN_IF_ERROR(WithContext(ReadTextProtoFile(std::string(spec), &arch), flag));
  }
  RETURN_IF_ERROR(WithContext(ApplyModelOptions(options, &arch), flag));
  return arch;
}

}  // namespace ridge
