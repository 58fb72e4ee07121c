#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_format.h"

namespace ridge::cli {

Progress::Progress() : tty_(isatty(STDERR_FILENO) == 1) {}

void Progress::Update(long done, long total, const std::string& status) {
  if (tty_) {
    constexpr int kWidth = 24;
    const int filled = total > 0 ? static_cast<int>(kWidth * done / total) : 0;
    std::string bar(filled, '=');
    if (filled < kWidth) bar += '>' + std::string(kWidth - filled - 1, ' ');
    std::fprintf(stderr, "\r[%s] %ld/%ld %s\033[K", bar.c_str(), done, total, status.c_str());
  } else {
    std::fprintf(stderr, "%ld/%ld %s\n", done, total, status.c_str());
  }
  std::fflush(stderr);
  ++calls_;
}

void Progress::Say(const std::string& message) {
  std::fprintf(stderr, tty_ ? "\r%s\033[K\n" : "%s\n", message.c_str());
  std::fflush(stderr);
}

void Progress::Finish() {
  if (tty_) std::fprintf(stderr, "\n");
}

std::string FormatSeconds(double s) {
  if (s < 60) return absl::StrFormat("%.0fs", s);
  if (s < 3600) return absl::StrFormat("%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return absl::StrFormat("%dh%02dm", static_cast<int>(s) / 3600, static_cast<int>(s) / 60 % 60);
}

}  // namespace ridge::cli
