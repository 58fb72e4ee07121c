#include "zoo/zoo.h"

#include <sys/stat.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/embedded_file.h"
#include "common/status_macros.h"
#include "proto/architecture.h"
#include "proto/layers.h"
#include "proto/textproto.h"
#include "proto/validate.h"

namespace ridge {

// Defined by the embed_files rule in zoo/BUILD.bazel.
const std::vector<EmbeddedFile>& ZooModelFiles();

namespace {

constexpr const char* kOrder[] = {
    "mobilenetv4_conv_small",    "mobilenetv4_conv_medium", "mobilenetv4_conv_large",
    "mobilenetv4_hybrid_medium", "mobilenetv4_hybrid_large", "mobilenetv2_100",
};

const EmbeddedFile* FindFile(absl::string_view name) {
  std::string file = absl::StrCat(name, ".textproto");
  for (const EmbeddedFile& f : ZooModelFiles()) {
    if (f.name == file) return &f;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> ZooModelNames() {
  std::vector<std::string> names;
  for (const char* name : kOrder) {
    if (FindFile(name) != nullptr) names.push_back(name);
  }
  return names;
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
  if (absl::StartsWith(spec, "v1 ")) {
    absl::StatusOr<Architecture> parsed = ParseCanonicalEncoding(spec);
    if (!parsed.ok()) return WithContext(parsed.status(), flag);
    arch = *std::move(parsed);
  } else {
    struct stat st;
    if (stat(std::string(spec).c_str(), &st) != 0) {
      return absl::NotFoundError(absl::StrCat(
          flag, ": '", spec, "' is neither a zoo model (", absl::StrJoin(ZooModelNames(), ", "),
          "), a canonical encoding (v1 ...) nor an existing file"));
    }
    RETURN_IF_ERROR(WithContext(ReadTextProtoFile(std::string(spec), &arch), flag));
  }
  RETURN_IF_ERROR(WithContext(ApplyModelOptions(options, &arch), flag));
  return arch;
}

}  // namespace ridge
