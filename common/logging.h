// Logging for every Ridge component, on spdlog (docs/design.md §9). One
// logger per component, all writing to stderr so that a command's own output
// on stdout stays parseable. Messages say what happened first, then
// key=value context:
//   log(Component::kController)->info("campaign launched id={} space={}", id, space);
// Lines look like
//   2026-12-07T01:02:03.456 info controller: campaign launched id=c1 space=fmnist_uib
// Nothing is logged per training step: steps are a hot loop.
#ifndef RIDGE_COMMON_LOGGING_H_
#define RIDGE_COMMON_LOGGING_H_

#include <spdlog/spdlog.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ridge {

enum class Component { kController, kWorker, kSearch, kStore, kEngine, kCli };

// The logger of `component` ("controller", "worker", "search", "store",
// "engine", "cli"), created on first use. Thread-safe; never null.
spdlog::logger* Log(Component component);

// Sets every component's level: trace, debug, info (the default), warn,
// error or off. INVALID_ARGUMENT naming `field` and the value otherwise, and
// nothing changes.
absl::Status SetLogLevel(absl::string_view level, absl::string_view field = "--log_level");

// The level every component logs at now, as SetLogLevel spells it.
std::string LogLevel();

}  // namespace ridge

#endif  // RIDGE_COMMON_LOGGING_H_
