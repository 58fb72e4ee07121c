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
#include "absl/synchronization/mutex.h"

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

// Lets through at most `per_minute` calls of Allow() in any minute, for log
// lines a remote client can trigger (a flood must not fill the disk or drown
// the real messages). Each minute's first refusal count is reported by the
// next allowed call. Thread-safe.
class LogRateLimit {
 public:
  explicit LogRateLimit(int per_minute) : per_minute_(per_minute) {}
  // True if this line may be logged; `suppressed` gets how many were dropped
  // since the last allowed one.
  bool Allow(int64_t* suppressed);

 private:
  const int per_minute_;
  absl::Mutex mu_;
  int64_t window_start_ms_ ABSL_GUARDED_BY(mu_) = 0;
  int in_window_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ridge

#endif  // RIDGE_COMMON_LOGGING_H_
