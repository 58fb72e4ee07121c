// Flags shared by the `ridge` subcommands, and their checks.
#ifndef RIDGE_CLI_FLAGS_H_
#define RIDGE_CLI_FLAGS_H_

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "latency/costing.h"
#include "zoo/zoo.h"

ABSL_DECLARE_FLAG(std::string, format);
ABSL_DECLARE_FLAG(std::string, arch);
ABSL_DECLARE_FLAG(std::string, hardware);
ABSL_DECLARE_FLAG(int, resolution);
ABSL_DECLARE_FLAG(int, classes);
ABSL_DECLARE_FLAG(std::string, dtype);
ABSL_DECLARE_FLAG(double, min_ridge);
ABSL_DECLARE_FLAG(double, max_ridge);
ABSL_DECLARE_FLAG(double, step);

namespace ridge::cli {

// --format, checked against `allowed` (the first is the default when unset).
absl::StatusOr<std::string> FormatFlag(const std::vector<std::string>& allowed);

// --resolution and --classes as ModelOptions, range-checked.
absl::StatusOr<ModelOptions> ModelOptionsFlags();

// --dtype as an element type.
absl::StatusOr<ElementType> DtypeFlag();

}  // namespace ridge::cli

#endif  // RIDGE_CLI_FLAGS_H_
