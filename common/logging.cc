#include "common/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <array>
#include <atomic>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ridge {
namespace {

constexpr std::array<const char*, 6> kNames = {"controller", "worker", "search", "store", "engine", "cli"};
struct LevelName {
  const char* name;
  spdlog::level::level_enum level;
};
constexpr std::array<LevelName, 6> kLevels = {{{"trace", spdlog::level::trace},
                                               {"debug", spdlog::level::debug},
                                               {"info", spdlog::level::info},
                                               {"warn", spdlog::level::warn},
                                               {"error", spdlog::level::err},
                                               {"off", spdlog::level::off}}};

std::atomic<spdlog::level::level_enum> g_level{spdlog::level::info};

// One sink for all: lines of different components never interleave
// mid-line. Colours only on a terminal.
struct Loggers {
  Loggers() {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    for (size_t i = 0; i < kNames.size(); ++i) {
      all[i] = std::make_shared<spdlog::logger>(kNames[i], sink);
      all[i]->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %n: %v");
      all[i]->set_level(g_level.load());
      all[i]->flush_on(spdlog::level::warn);
    }
  }
  std::array<std::shared_ptr<spdlog::logger>, kNames.size()> all;
};

Loggers& All() {
  static Loggers* loggers = new Loggers();  // Never destroyed: logging may outlive main's statics.
  return *loggers;
}

}  // namespace

spdlog::logger* Log(Component component) { return All().all[static_cast<size_t>(component)].get(); }

absl::Status SetLogLevel(absl::string_view level, absl::string_view field) {
  for (const LevelName& l : kLevels) {
    if (level != l.name) continue;
    g_level = l.level;
    for (auto& logger : All().all) logger->set_level(l.level);
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(field, ": '", level.substr(0, 32),
                                                 "' is not one of {trace, debug, info, warn, error, off}"));
}

std::string LogLevel() {
  for (const LevelName& l : kLevels) {
    if (l.level == g_level.load()) return l.name;
  }
  return "info";
}

bool LogRateLimit::Allow(int64_t* suppressed) {
  const int64_t now = absl::ToUnixMillis(absl::Now());
  absl::MutexLock lock(&mu_);
  if (now - window_start_ms_ >= 60000) window_start_ms_ = now, in_window_ = 0;
  if (in_window_ >= per_minute_) {
    ++dropped_;
    return false;
  }
  ++in_window_;
  *suppressed = dropped_;
  dropped_ = 0;
  return true;
}

}  // namespace ridge
