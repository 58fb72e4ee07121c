// The --log_level flag that every Ridge binary accepts (ridge, ridge_controller,
// ridge_worker): trace, debug, info (default), warn, error or off.
#ifndef RIDGE_COMMON_LOG_FLAG_H_
#define RIDGE_COMMON_LOG_FLAG_H_

#include "absl/flags/declare.h"
#include "absl/status/status.h"

ABSL_DECLARE_FLAG(std::string, log_level);

namespace ridge {

// Applies --log_level (after absl::ParseCommandLine); INVALID_ARGUMENT names
// the flag and the value.
absl::Status ApplyLogLevelFlag();

}  // namespace ridge

#endif  // RIDGE_COMMON_LOG_FLAG_H_
