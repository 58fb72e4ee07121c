// Built-in hardware profiles and how a user names one.
//
// The built-ins are textproto files under latency/profiles/, compiled in; each
// names the source of its numbers. `local_cpu` is measured at run time
// (latency/local_cpu.h).
#ifndef RIDGE_LATENCY_HARDWARE_PROFILES_H_
#define RIDGE_LATENCY_HARDWARE_PROFILES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/hardware.pb.h"

namespace ridge {

inline constexpr absl::string_view kLocalCpu = "local_cpu";

// Names of the built-in profiles, `local_cpu` last.
std::vector<std::string> BuiltinHardwareNames();

// A valid profile name for a worker's device key: profile names are
// [a-z0-9_], and device keys may also hold '-' and '.'.
std::string ProfileNameForKey(const std::string& device_key);

// Resolves what a user typed: a built-in name, `local_cpu` (measured once per
// process, then reused), or a textproto file. The result is validated.
// NOT_FOUND lists the known names; errors are prefixed with `flag`.
absl::StatusOr<HardwareProfile> ResolveHardware(absl::string_view spec,
                                                absl::string_view flag = "--hardware");

// Every built-in profile; `local_cpu` is measured only if `measure_local`.
absl::StatusOr<std::vector<HardwareProfile>> BuiltinHardwareProfiles(bool measure_local);

// The ridge point, peak MACs / bandwidth, in MACs per byte.
double RidgePoint(const HardwareProfile& profile);

}  // namespace ridge

#endif  // RIDGE_LATENCY_HARDWARE_PROFILES_H_
