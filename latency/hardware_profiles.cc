#include "latency/hardware_profiles.h"

#include <cctype>

#include <sys/stat.h>

#include <algorithm>

#include "absl/base/call_once.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/embedded_file.h"
#include "common/status_macros.h"
#include "latency/local_cpu.h"
#include "proto/textproto.h"
#include "proto/validate.h"

namespace ridge {

// Defined by the embed_files rule in latency/BUILD.bazel.
const std::vector<EmbeddedFile>& HardwareProfileFiles();

namespace {

const EmbeddedFile* FindFile(absl::string_view name) {
  std::string file = absl::StrCat(name, ".textproto");
  for (const EmbeddedFile& f : HardwareProfileFiles()) {
    if (f.name == file) return &f;
  }
  return nullptr;
}

absl::StatusOr<HardwareProfile> ParseBuiltin(const EmbeddedFile& file) {
  HardwareProfile profile;
  RETURN_IF_ERROR(ParseTextProto(file.contents, file.name, &profile));
  RETURN_IF_ERROR(ValidateHardwareProfile(profile, file.name));
  return profile;
}

// Measures this machine once per process; later calls reuse the result.
absl::StatusOr<HardwareProfile> LocalCpu() {
  static absl::once_flag once;
  static absl::StatusOr<HardwareProfile>* result = nullptr;
  absl::call_once(once, [] {
    absl::StatusOr<LocalCpuMeasurement> m = MeasureLocalCpu();
    result = m.ok() ? new absl::StatusOr<HardwareProfile>(LocalCpuProfile(*m))
                    : new absl::StatusOr<HardwareProfile>(m.status());
  });
  return *result;
}

}  // namespace

std::string ProfileNameForKey(const std::string& device_key) {
  std::string name;
  for (char ch : device_key) {
    name += std::isalnum(static_cast<unsigned char>(ch)) ? static_cast<char>(std::tolower(ch)) : '_';
  }
  return name;
}

std::vector<std::string> BuiltinHardwareNames() {
  std::vector<std::string> names;
  for (const EmbeddedFile& f : HardwareProfileFiles()) {
    absl::string_view n = f.name;
    n.remove_suffix(absl::string_view(".textproto").size());
    names.emplace_back(n);
  }
  std::sort(names.begin(), names.end());
  names.emplace_back(kLocalCpu);
  return names;
}

double RidgePoint(const HardwareProfile& profile) {
  return profile.peak_macs_per_sec() / profile.peak_bytes_per_sec();
}

absl::StatusOr<HardwareProfile> ResolveHardware(absl::string_view spec, absl::string_view flag) {
  if (spec.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, ": must be given"));
  if (spec == kLocalCpu) {
    absl::StatusOr<HardwareProfile> local = LocalCpu();
    if (!local.ok()) return WithContext(local.status(), flag);
    return local;
  }
  if (const EmbeddedFile* f = FindFile(spec)) return ParseBuiltin(*f);
  struct stat st;
  if (stat(std::string(spec).c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(flag, ": '", spec,
                                            "' is neither a built-in profile (",
                                            absl::StrJoin(BuiltinHardwareNames(), ", "),
                                            ") nor an existing file"));
  }
  HardwareProfile profile;
  RETURN_IF_ERROR(WithContext(ReadTextProtoFile(std::string(spec), &profile), flag));
  RETURN_IF_ERROR(WithContext(ValidateHardwareProfile(profile, std::string(spec)), flag));
  return profile;
}

absl::StatusOr<std::vector<HardwareProfile>> BuiltinHardwareProfiles(bool measure_local) {
  std::vector<HardwareProfile> out;
  for (const std::string& name : BuiltinHardwareNames()) {
    if (name == kLocalCpu && !measure_local) continue;
    ASSIGN_OR_RETURN(HardwareProfile p, ResolveHardware(name));
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace ridge
