#include "cli/flags.h"

#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "proto/validate.h"

ABSL_FLAG(std::string, format, "", "Output format (see the command's usage).");
ABSL_FLAG(std::string, arch, "",
          "Architecture: a zoo name, a canonical encoding (\"v1 ...\") or a textproto file.");
ABSL_FLAG(std::string, hardware, "",
          "Hardware profile: a built-in name (see `ridge hardware list`), local_cpu, or a textproto file.");
ABSL_FLAG(int, resolution, 0, "Square input resolution; 0 keeps the model's own.");
ABSL_FLAG(int, classes, 0, "Classifier outputs; 0 keeps the model's own.");
ABSL_FLAG(std::string, dtype, "fp32", "Element type for byte counts: fp32, bf16 or int8.");
ABSL_FLAG(double, min_ridge, 0, "Smallest ridge point of the sweep, MACs/byte.");
ABSL_FLAG(double, max_ridge, 500, "Largest ridge point of the sweep, MACs/byte.");
ABSL_FLAG(double, step, 25, "Step between ridge points of the sweep, MACs/byte.");

namespace ridge::cli {

absl::StatusOr<std::string> FormatFlag(const std::vector<std::string>& allowed) {
  std::string format = absl::GetFlag(FLAGS_format);
  if (format.empty()) return allowed.front();
  if (std::find(allowed.begin(), allowed.end(), format) == allowed.end()) {
    return absl::InvalidArgumentError(absl::StrCat("--format: '", format, "' is not one of {",
                                                   absl::StrJoin(allowed, ", "), "}"));
  }
  return format;
}

absl::StatusOr<ModelOptions> ModelOptionsFlags() {
  ModelOptions options;
  options.resolution = absl::GetFlag(FLAGS_resolution);
  options.num_classes = absl::GetFlag(FLAGS_classes);
  if (options.resolution < 0 || options.resolution > kMaxSpatial) {
    return absl::InvalidArgumentError(absl::StrCat("--resolution: ", options.resolution,
                                                   " must be in [1, ", kMaxSpatial, "] (0 keeps the model's own)"));
  }
  if (options.num_classes < 0 || options.num_classes > kMaxClasses) {
    return absl::InvalidArgumentError(absl::StrCat("--classes: ", options.num_classes,
                                                   " must be in [1, ", kMaxClasses, "] (0 keeps the model's own)"));
  }
  return options;
}

absl::StatusOr<ElementType> DtypeFlag() {
  absl::StatusOr<ElementType> type = ParseElementType(absl::GetFlag(FLAGS_dtype));
  if (!type.ok()) return WithContext(type.status(), "--dtype");
  return type;
}

}  // namespace ridge::cli
