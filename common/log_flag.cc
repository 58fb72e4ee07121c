#include "common/log_flag.h"

#include <string>

#include "absl/flags/flag.h"
#include "common/logging.h"

ABSL_FLAG(std::string, log_level, "info",
          "Least severe log level shown on stderr: trace, debug, info, warn, error or off.");

namespace ridge {

absl::Status ApplyLogLevelFlag() { return SetLogLevel(absl::GetFlag(FLAGS_log_level), "--log_level"); }

}  // namespace ridge
