#include "controller/requests.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "latency/hardware_profiles.h"
#include "proto/layers.h"
#include "proto/validate.h"
#include "zoo/zoo.h"

namespace ridge::controller {
namespace {

constexpr size_t kMaxIdChars = 64;

absl::Status Invalid(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", rule));
}

absl::Status CheckRange(absl::string_view field, double value, double lo, double hi) {
  if (value >= lo && value <= hi) return absl::OkStatus();  // False for NaN.
  return Invalid(field, absl::StrCat(value, " must be in [", lo, ", ", hi, "]"));
}

// A non-empty identifier the server issued (campaign, worker, job,
// architecture IDs).
absl::Status CheckId(absl::string_view field, absl::string_view id) {
  if (id.empty()) return Invalid(field, "empty; it must name one");
  if (id.size() > kMaxIdChars) {
    return Invalid(field, absl::StrCat(Quoted(id), " has ", id.size(), " characters; at most ", kMaxIdChars));
  }
  return absl::OkStatus();
}

// A file or directory name without a path: 1 to 128 of [A-Za-z0-9_.-], and
// not "." or "..", so it cannot leave the directory it is looked up in.
bool IsBareName(const std::string& name) {
  return !name.empty() && name.size() <= 128 && name != "." && name != ".." &&
         std::all_of(name.begin(), name.end(), [](char ch) {
           return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-';
         });
}

// An architecture ID as ArchitectureId makes it: 16 lowercase hex digits. The
// strict form matters where an ID names a file (DownloadWeights).
absl::Status CheckArchId(absl::string_view field, absl::string_view id) {
  const bool hex = id.size() == 16 && std::all_of(id.begin(), id.end(), [](char c) {
                     return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                   });
  if (!hex) return Invalid(field, absl::StrCat(Quoted(id), " is not an architecture ID (16 lowercase hex digits)"));
  return absl::OkStatus();
}

absl::Status CheckPageSize(int32_t page_size) { return CheckRange("page_size", page_size, 0, 1000); }

absl::Status CheckPageToken(absl::string_view token) {
  if (token.size() > kMaxIdChars) return Invalid("page_token", absl::StrCat(Quoted(token), " is not a token this server issued"));
  return absl::OkStatus();
}

absl::Status CheckBounds(absl::string_view name, double lo, double hi, double max) {
  RETURN_IF_ERROR(CheckRange(absl::StrCat("min_", name), lo, 0, max));
  RETURN_IF_ERROR(CheckRange(absl::StrCat("max_", name), hi, 0, max));
  if (hi > 0 && lo > hi) return Invalid(absl::StrCat("min_", name), absl::StrCat(lo, " exceeds max_", name, " ", hi));
  return absl::OkStatus();
}

// A short free-text field a worker reports (names, versions).
absl::Status CheckText(absl::string_view field, absl::string_view value, size_t max_chars) {
  if (value.size() <= max_chars) return absl::OkStatus();
  return Invalid(field, absl::StrCat(Quoted(value), " has ", value.size(), " characters; at most ", max_chars));
}

absl::Status ValidateEnvironment(const Environment& e, absl::string_view field) {
  RETURN_IF_ERROR(CheckText(absl::StrCat(field, ".cpu_model"), e.cpu_model(), 256));
  RETURN_IF_ERROR(CheckText(absl::StrCat(field, ".isa"), e.isa(), 64));
  RETURN_IF_ERROR(CheckText(absl::StrCat(field, ".onednn_version"), e.onednn_version(), 32));
  RETURN_IF_ERROR(CheckText(absl::StrCat(field, ".ridge_version"), e.ridge_version(), 32));
  RETURN_IF_ERROR(CheckRange(absl::StrCat(field, ".cores"), e.cores(), 0, 100000));
  return CheckRange(absl::StrCat(field, ".threads"), e.threads(), 0, 100000);
}

// The order statistics a worker reports must be those of its samples:
// within [min, max], the median the samples' median, p90 >= median.
absl::Status CheckSummary(const Measurement& m) {
  std::vector<double> s(m.samples_ms().begin(), m.samples_ms().end());
  std::sort(s.begin(), s.end());
  const size_t n = s.size();
  const double median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const double slack = 1e-6 * std::max(1.0, s.back());  // Rounding in the worker's arithmetic.
  if (std::fabs(m.median_ms() - median) > slack) {
    return Invalid("measurement.median_ms", absl::StrCat(m.median_ms(), " is not the median of samples_ms (",
                                                         median, ")"));
  }
  for (const auto& [name, v] : {std::pair<const char*, double>{"mean_ms", m.mean_ms()}, {"p90_ms", m.p90_ms()}}) {
    if (v != 0 && (v < s.front() - slack || v > s.back() + slack)) {
      return Invalid(absl::StrCat("measurement.", name),
                     absl::StrCat(v, " lies outside the samples' range [", s.front(), ", ", s.back(), "]"));
    }
  }
  if (m.p90_ms() != 0 && m.p90_ms() < median - slack) {
    return Invalid("measurement.p90_ms", absl::StrCat(m.p90_ms(), " is below the median ", median));
  }
  return absl::OkStatus();
}

absl::Status ValidateMeasurement(const Measurement& m) {
  RETURN_IF_ERROR(CheckId("measurement.job_id", m.job_id()));
  RETURN_IF_ERROR(CheckText("measurement.arch_id", m.arch_id(), kMaxIdChars));
  RETURN_IF_ERROR(CheckRange("measurement.median_ms", m.median_ms(), 1e-6, 3.6e6));
  for (const auto& [name, v] : {std::pair<const char*, double>{"mean_ms", m.mean_ms()},
                                {"p90_ms", m.p90_ms()},
                                {"stddev_ms", m.stddev_ms()},
                                {"reference_ms", m.reference_ms()},
                                {"reference_baseline_ms", m.reference_baseline_ms()}}) {
    RETURN_IF_ERROR(CheckRange(absl::StrCat("measurement.", name), v, 0, 3.6e6));  // Finite, >= 0; 0: unset.
  }
  if ((m.reference_ms() > 0) != (m.reference_baseline_ms() > 0)) {
    return Invalid("measurement.reference_ms", "and reference_baseline_ms come together, or neither");
  }
  if (m.samples_ms_size() == 0 || m.samples_ms_size() > 10000) {
    return Invalid("measurement.samples_ms", absl::StrCat(m.samples_ms_size(), " samples; must be 1 to 10000"));
  }
  for (int i = 0; i < m.samples_ms_size(); ++i) {
    RETURN_IF_ERROR(CheckRange(absl::StrCat("measurement.samples_ms[", i, "]"), m.samples_ms(i), 0, 3.6e6));
  }
  RETURN_IF_ERROR(CheckSummary(m));
  if (m.layers_size() > 10000) return Invalid("measurement.layers", absl::StrCat(m.layers_size(), " layers; at most 10000"));
  for (int i = 0; i < m.layers_size(); ++i) {
    RETURN_IF_ERROR(CheckText(absl::StrCat("measurement.layers[", i, "].layer"), m.layers(i).layer(), 128));
    RETURN_IF_ERROR(
        CheckRange(absl::StrCat("measurement.layers[", i, "].median_ms"), m.layers(i).median_ms(), 0, 3.6e6));
  }
  return ValidateEnvironment(m.environment(), "measurement.environment");
}

}  // namespace

absl::Status CheckOneOf(absl::string_view field, absl::string_view value, const std::vector<std::string>& names,
                        absl::string_view what) {
  if (std::find(names.begin(), names.end(), value) != names.end()) return absl::OkStatus();
  return Invalid(field, absl::StrCat(Quoted(value), " is not a ", what, " (", absl::StrJoin(names, ", "), ")"));
}

absl::Status CheckBuiltinSpace(absl::string_view field, absl::string_view value) {
  return CheckOneOf(field, value, ZooSpaceNames(), "built-in space");
}

absl::Status CheckBuiltinHardware(absl::string_view field, absl::string_view value) {
  return CheckOneOf(field, value, BuiltinHardwareNames(), "built-in profile");
}

absl::Status CheckSpecNamesAreBuiltin(const CampaignSpec& spec) {
  // `field` is "space_ref" or "coarse_space_ref"; the inline field drops "_ref".
  auto check_space = [](absl::string_view field, absl::string_view ref) -> absl::Status {
    if (ref.empty()) return absl::OkStatus();
    absl::Status s = CheckBuiltinSpace(field, ref);
    if (s.ok()) return s;
    return absl::InvalidArgumentError(
        absl::StrCat(s.message(), "; send the space inline as `", field.substr(0, field.size() - 4), "`"));
  };
  RETURN_IF_ERROR(check_space("space_ref", spec.space_ref()));
  RETURN_IF_ERROR(check_space("coarse_space_ref", spec.coarse_space_ref()));
  for (int i = 0; i < spec.targets_size(); ++i) {
    const std::string& h = spec.targets(i).hardware();
    if (!h.empty()) RETURN_IF_ERROR(CheckBuiltinHardware(absl::StrCat("targets[", i, "].hardware"), h));
  }
  // A dataset directory is a name inside the controller's --data_root
  // (CampaignManager::Resolve), never a path the client chooses.
  const std::string& dir = spec.dataset().dir();
  if (!dir.empty() && !IsBareName(dir)) {
    return Invalid("dataset.dir", absl::StrCat(Quoted(dir), " must be a directory name (letters, digits, _ . -) "
                                               "inside the controller's --data_root, not a path"));
  }
  // A teacher's soft labels are a file in the controller's
  // <state_dir>/soft_labels/, named without a directory.
  const std::string& labels = spec.distill().soft_labels();
  if (!labels.empty()) {
    if (!IsBareName(labels)) {
      return Invalid("distill.soft_labels",
                     absl::StrCat(Quoted(labels), " must be a file name (letters, digits, _ . -) inside the "
                                  "controller's <state_dir>/soft_labels/; the controller reads no other files"));
    }
  }
  return absl::OkStatus();
}

absl::Status Validate(const LaunchRequest& request) {
  if (!request.has_spec()) return Invalid("spec", "missing");
  return CheckSpecNamesAreBuiltin(request.spec());
}

absl::Status Validate(const GetCampaignRequest& request) { return CheckId("campaign_id", request.campaign_id()); }

absl::Status Validate(const ListCampaignsRequest& request) {
  RETURN_IF_ERROR(CheckPageSize(request.page_size()));
  return CheckPageToken(request.page_token());
}

absl::Status Validate(const CancelRequest& request) { return CheckId("campaign_id", request.campaign_id()); }

absl::Status Validate(const WatchRequest& request) { return CheckId("campaign_id", request.campaign_id()); }

absl::Status Validate(const GetParetoFrontRequest& request) {
  RETURN_IF_ERROR(CheckId("campaign_id", request.campaign_id()));
  if (request.hardware().size() > kMaxIdChars) {
    return Invalid("hardware", absl::StrCat(Quoted(request.hardware()), " is longer than any hardware name"));
  }
  RETURN_IF_ERROR(CheckPageSize(request.page_size()));
  RETURN_IF_ERROR(CheckPageToken(request.page_token()));
  RETURN_IF_ERROR(CheckBounds("latency_ms", request.min_latency_ms(), request.max_latency_ms(), 1e9));
  return CheckBounds("accuracy", request.min_accuracy(), request.max_accuracy(), 1);
}

absl::Status Validate(const ExportArchitectureRequest& request) {
  RETURN_IF_ERROR(CheckId("campaign_id", request.campaign_id()));
  return CheckId("arch_id", request.arch_id());
}

absl::Status Validate(const DownloadWeightsRequest& request) {
  RETURN_IF_ERROR(CheckId("campaign_id", request.campaign_id()));
  return CheckArchId("arch_id", request.arch_id());
}

absl::Status Validate(const RegisterRequest& request) {
  RETURN_IF_ERROR(ValidateDeviceKey(request.device_key(), "device_key"));
  if (request.has_self_profile()) RETURN_IF_ERROR(ValidateHardwareProfile(request.self_profile(), "self_profile"));
  return ValidateEnvironment(request.environment(), "environment");
}

absl::Status Validate(const HeartbeatRequest& request) {
  RETURN_IF_ERROR(CheckId("worker_id", request.worker_id()));
  return CheckRange("running_jobs", request.running_jobs(), 0, 1024);
}

absl::Status Validate(const LeaseJobsRequest& request) {
  RETURN_IF_ERROR(CheckId("worker_id", request.worker_id()));
  return CheckRange("max_jobs", request.max_jobs(), 1, 64);
}

absl::Status Validate(const ReportMeasurementRequest& request) {
  RETURN_IF_ERROR(CheckId("worker_id", request.worker_id()));
  if (request.error().empty()) return ValidateMeasurement(request.measurement());
  if (request.measurement().job_id().empty()) return Invalid("measurement.job_id", "empty; a failure must name its job");
  return CheckId("measurement.job_id", request.measurement().job_id());
}

absl::Status Validate(const ListWorkersRequest& request) {
  if (request.device_key().empty()) return absl::OkStatus();
  return ValidateDeviceKey(request.device_key(), "device_key");
}

absl::Status Validate(const MeasureRequest& request) {
  RETURN_IF_ERROR(ValidateDeviceKey(request.device_key(), "device_key"));
  const int archs = request.architectures_size();
  if (request.space().empty()) {
    if (archs == 0) return Invalid("architectures", "empty; give architectures or a space");
    if (archs > 1000) return Invalid("architectures", absl::StrCat(archs, " architectures; at most 1000"));
    for (int i = 0; i < archs; ++i) {
      RETURN_IF_ERROR(ValidateArchitecture(request.architectures(i), absl::StrCat("architectures[", i, "]")));
    }
    return absl::OkStatus();
  }
  if (archs > 0) return Invalid("space", "give architectures or a space, not both");
  RETURN_IF_ERROR(CheckRange("count", request.count(), 1, 1000));
  if (request.has_input()) RETURN_IF_ERROR(ValidateShape(request.input(), "input"));
  RETURN_IF_ERROR(CheckRange("num_classes", request.num_classes(), 0, 100000));
  return CheckBuiltinSpace("space", request.space());
}

absl::Status Validate(const LatencyReportRequest& request) {
  RETURN_IF_ERROR(ValidateDeviceKey(request.device_key(), "device_key"));
  const double fraction = request.held_out_fraction();
  if (fraction != 0 && !(fraction > 0 && fraction < 1)) {
    return Invalid("held_out_fraction", absl::StrCat(fraction, " must be in (0, 1)"));
  }
  if (request.base_hardware().empty()) return absl::OkStatus();
  return CheckBuiltinHardware("base_hardware", request.base_hardware());
}

namespace {

// A runtime name: [a-z0-9_.-], at most 32 characters (empty: not given).
absl::Status CheckRuntime(absl::string_view field, const std::string& runtime) {
  RETURN_IF_ERROR(CheckText(field, runtime, 32));
  for (char c : runtime) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '_' || c == '.' || c == '-')) {
      return Invalid(field, absl::StrCat(Quoted(runtime), " may hold only a-z, 0-9, _ . -"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateImported(const ImportedLatency& m, const std::string& field) {
  RETURN_IF_ERROR(ValidateArchitecture(m.architecture(), absl::StrCat(field, ".architecture")));
  RETURN_IF_ERROR(WithContext(InferLayers(m.architecture()).status(), absl::StrCat(field, ".architecture")));
  if (!(m.latency_ms() > 0 && m.latency_ms() <= 1e7)) {
    return Invalid(absl::StrCat(field, ".latency_ms"), absl::StrCat(m.latency_ms(), " must be in (0, 1e7]"));
  }
  RETURN_IF_ERROR(CheckRuntime(absl::StrCat(field, ".runtime"), m.runtime()));
  RETURN_IF_ERROR(CheckRange(absl::StrCat(field, ".threads"), m.threads(), 0, 1024));
  RETURN_IF_ERROR(CheckRange(absl::StrCat(field, ".repeats"), m.repeats(), 0, 1000000));
  if (!m.precision().empty()) {
    RETURN_IF_ERROR(CheckOneOf(absl::StrCat(field, ".precision"), m.precision(), {"fp32", "fp16", "bf16", "int8"},
                               "precision"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Validate(const ImportLatenciesRequest& request) {
  RETURN_IF_ERROR(ValidateDeviceKey(request.device_key(), "device_key"));
  RETURN_IF_ERROR(CheckText("source", request.source(), 256));
  const int n = request.measurements_size();
  if (n == 0) return Invalid("measurements", "empty; give at least one");
  if (n > kMaxImportedLatencies) {
    return Invalid("measurements", absl::StrCat(n, " measurements; at most ", kMaxImportedLatencies, " per import"));
  }
  for (int i = 0; i < n; ++i) {
    const ImportedLatency& m = request.measurements(i);
    // The source row, when given, is what the user can find in their file.
    const std::string field = m.row() > 0 ? absl::StrCat("measurements[", i, "] (row ", m.row(), ")")
                                          : absl::StrCat("measurements[", i, "]");
    RETURN_IF_ERROR(ValidateImported(m, field));
  }
  return absl::OkStatus();
}

absl::Status Validate(const PredictRequest& request) {
  if (request.has_profile() == !request.hardware().empty()) {
    return Invalid("hardware", "set exactly one of hardware and profile");
  }
  if (request.has_profile()) {
    RETURN_IF_ERROR(ValidateHardwareProfile(request.profile(), "profile"));
  } else {
    RETURN_IF_ERROR(CheckBuiltinHardware("hardware", request.hardware()));
  }
  return ValidateArchitecture(request.architecture(), "architecture");
}

absl::Status Validate(const ListHardwareRequest&) { return absl::OkStatus(); }

absl::Status Validate(const GetHardwareRequest& request) { return CheckId("name", request.name()); }

}  // namespace ridge::controller
