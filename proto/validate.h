// Validation of every user-written message, at the edge and in one place.
// Each error names the field path, the bad value and the rule, e.g.
//   architecture.blocks[3].uib.mid_dw_kernel: 4 is not one of {0, 3, 5, 7}
// All violations are reported together, separated by "; ".
#ifndef RIDGE_PROTO_VALIDATE_H_
#define RIDGE_PROTO_VALIDATE_H_

#include <string>

#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "proto/architecture.pb.h"
#include "proto/campaign.pb.h"
#include "proto/hardware.pb.h"
#include "proto/search_space.pb.h"

namespace ridge {

// Limits that keep every derived count inside int64 and every allocation sane.
inline constexpr int kMaxSpatial = 8192;
inline constexpr int kMaxChannels = 65536;
inline constexpr int kMaxBlocks = 1024;
inline constexpr int kMaxClasses = 1000000;

// Longest free-text fields a user writes (names, paths).
inline constexpr size_t kMaxNameChars = 256;
inline constexpr size_t kMaxPathChars = 4096;

// `value` as error messages quote it: whole if short, else its first 32
// characters and "...", so an error never echoes a huge input.
std::string Quoted(absl::string_view value);

// Device keys: 1 to 64 of [A-Za-z0-9_.-].
absl::Status ValidateDeviceKey(absl::string_view key, absl::string_view field);

// Each returns OK or INVALID_ARGUMENT listing every violation under `path`.
// They check fields one by one; whole-network shape rules (block order,
// strides on shapes) are checked by InferLayers in proto/layers.h.
absl::Status ValidateShape(const Shape& shape, absl::string_view path);
absl::Status ValidateArchitecture(const Architecture& arch,
                                  absl::string_view path = "architecture");
absl::Status ValidateHardwareProfile(const HardwareProfile& profile,
                                     absl::string_view path = "hardware");
absl::Status ValidateSearchSpace(const SearchSpace& space,
                                 absl::string_view path = "search_space");
absl::Status ValidateCampaignSpec(const CampaignSpec& spec,
                                  absl::string_view path = "campaign");

}  // namespace ridge

#endif  // RIDGE_PROTO_VALIDATE_H_
