// `ridge latency import`'s file: a CSV of latencies measured outside Ridge
// (docs/data.md), read into an ImportLatenciesRequest. Columns, in any order:
// `arch` (a zoo name, a space's reference name, a canonical encoding or an
// architecture textproto file) and `latency_ms`, required; `runtime`,
// `threads`, `precision` and `repeats`, optional. Any other column is an
// error, so a misspelt one is not silently dropped.
#ifndef RIDGE_CLI_LATENCY_CSV_H_
#define RIDGE_CLI_LATENCY_CSV_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/services.pb.h"

namespace ridge::cli {

// Parses `text` (the contents of `name`). Each error names the file, the line
// and the column, and nothing is returned. Rows carry their line in `row`, so
// the controller's errors point into the file too.
absl::StatusOr<ImportLatenciesRequest> ParseLatencyCsv(absl::string_view text, absl::string_view name,
                                                       const std::string& device_key);

}  // namespace ridge::cli

#endif  // RIDGE_CLI_LATENCY_CSV_H_
