// Every RPC request the controller serves is checked here, once, before its
// handler calls anything (docs/design.md §7 and §9). Errors are
// INVALID_ARGUMENT and name the field, a short prefix of the bad value and
// the rule. A request that passes may still be refused by the domain (an
// unknown campaign is NOT_FOUND), but never for its shape.
#ifndef RIDGE_CONTROLLER_REQUESTS_H_
#define RIDGE_CONTROLLER_REQUESTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/services.pb.h"
#include "proto/validate.h"  // Quoted, ValidateDeviceKey.

namespace ridge::controller {

// `value` must be one of `names`: "<field>: '<value>' is not a <what> (<names>)".
absl::Status CheckOneOf(absl::string_view field, absl::string_view value, const std::vector<std::string>& names,
                        absl::string_view what);
// The built-in search spaces and hardware profiles, as CheckOneOf takes them.
absl::Status CheckBuiltinSpace(absl::string_view field, absl::string_view value);
absl::Status CheckBuiltinHardware(absl::string_view field, absl::string_view value);

// A spec from a client may name only built-in spaces and profiles: the
// server must not read files of a client's choosing (`ridge campaign launch`
// inlines a space file before sending). The spec's own rules are checked
// when it is resolved (search/campaign.h).
absl::Status CheckSpecNamesAreBuiltin(const CampaignSpec& spec);

// CampaignService.
absl::Status Validate(const LaunchRequest& request);
absl::Status Validate(const GetCampaignRequest& request);
absl::Status Validate(const ListCampaignsRequest& request);
absl::Status Validate(const CancelRequest& request);
absl::Status Validate(const WatchRequest& request);
absl::Status Validate(const GetParetoFrontRequest& request);
absl::Status Validate(const ExportArchitectureRequest& request);
absl::Status Validate(const DownloadWeightsRequest& request);
// WorkerService.
absl::Status Validate(const RegisterRequest& request);
absl::Status Validate(const HeartbeatRequest& request);
absl::Status Validate(const LeaseJobsRequest& request);
absl::Status Validate(const ReportMeasurementRequest& request);
// MeasurementService.
absl::Status Validate(const ListWorkersRequest& request);
absl::Status Validate(const MeasureRequest& request);
absl::Status Validate(const LatencyReportRequest& request);
// At most this many measurements per ImportLatencies call (about 3 MB of
// architectures, under gRPC's 4 MiB message limit).
inline constexpr int kMaxImportedLatencies = 5000;
absl::Status Validate(const ImportLatenciesRequest& request);
// LatencyService (Predict and Explain) and HardwareService.
absl::Status Validate(const PredictRequest& request);
absl::Status Validate(const ListHardwareRequest& request);
absl::Status Validate(const GetHardwareRequest& request);

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_REQUESTS_H_
