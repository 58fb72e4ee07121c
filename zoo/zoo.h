// The built-in model zoo: the MobileNetV4 and MobileNetV2 networks of
// docs/design.md §12, stored as textproto files under zoo/models/ and
// compiled into the binary. Names follow timm.
#ifndef RIDGE_ZOO_ZOO_H_
#define RIDGE_ZOO_ZOO_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/architecture.pb.h"
#include "proto/search_space.pb.h"

namespace ridge {

struct ModelOptions {
  // Square input resolution; 0 keeps the model's published resolution.
  int resolution = 0;
  // Classifier outputs; 0 keeps the model's own (1000 for the zoo).
  int num_classes = 0;
};

// Zoo model names, in the order of docs/design.md §12.
std::vector<std::string> ZooModelNames();

// Loads zoo model `name` with `options` applied. NOT_FOUND lists the known
// names; INVALID_ARGUMENT if the options make an impossible network.
absl::StatusOr<Architecture> LoadZooModel(absl::string_view name,
                                          const ModelOptions& options = {});

// Built-in search spaces (zoo/spaces/), e.g. "fmnist_uib".
std::vector<std::string> ZooSpaceNames();

// Loads a built-in space, structurally validated (proto/space.h).
absl::StatusOr<SearchSpace> LoadZooSpace(absl::string_view name);

// Resolves a space: a built-in name or a textproto file, validated.
absl::StatusOr<SearchSpace> ResolveSearchSpace(absl::string_view spec, absl::string_view flag = "--space");

// Resolves what a user typed for an architecture, in this order: a zoo name,
// the name of a built-in space's reference architecture (e.g.
// "fmnist_reference"), a canonical encoding ("v1 ..."), one op index per
// layer of a built-in space made of op lists ("fbnet:[0,1,8,...]", the form of
// HW-NAS-Bench's op_idx_list, in its op order), or a textproto file. The result is
// shape-checked. Errors name `flag` (e.g. "--arch").
absl::StatusOr<Architecture> ResolveArchitecture(absl::string_view spec,
                                                 const ModelOptions& options = {},
                                                 absl::string_view flag = "--arch");

// Applies `options` to `arch` and shape-checks the result.
absl::Status ApplyModelOptions(const ModelOptions& options, Architecture* arch);

}  // namespace ridge

#endif  // RIDGE_ZOO_ZOO_H_
