// The built-in model zoo: the MobileNetV4 and MobileNetV2 networks of
// ../shared/MNV4_ZOO.md, stored as textproto files under zoo/models/ and
// compiled into the binary. Names follow timm.
#ifndef RIDGE_ZOO_ZOO_H_
#define RIDGE_ZOO_ZOO_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/architecture.pb.h"

namespace ridge {

struct ModelOptions {
  // Square input resolution; 0 keeps the model's published resolution.
  int resolution = 0;
  // Classifier outputs; 0 keeps the model's own (1000 for the zoo).
  int num_classes = 0;
};

// Zoo model names, in the order of MNV4_ZOO.md.
std::vector<std::string> ZooModelNames();

// Loads zoo model `name` with `options` applied. NOT_FOUND lists the known
// names; INVALID_ARGUMENT if the options make an impossible network.
absl::StatusOr<Architecture> LoadZooModel(absl::string_view name,
                                          const ModelOptions& options = {});

// Resolves what a user typed for an architecture, in this order: a zoo name,
// a canonical encoding ("v1 ..."), or a textproto file path. The result is
// shape-checked. Errors name `flag` (e.g. "--arch").
absl::StatusOr<Architecture> ResolveArchitecture(absl::string_view spec,
                                                 const ModelOptions& options = {},
                                                 absl::string_view flag = "--arch");

// Applies `options` to `arch` and shape-checks the result.
absl::Status ApplyModelOptions(const ModelOptions& options, Architecture* arch);

}  // namespace ridge

#endif  // RIDGE_ZOO_ZOO_H_
