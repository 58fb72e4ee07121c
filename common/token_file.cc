#include "common/token_file.h"

#include <algorithm>
#include <initializer_list>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/files.h"
#include "common/status_macros.h"

namespace ridge {
namespace {

// The first token of `path` whose role is one of `roles` (a bare token counts).
absl::StatusOr<std::string> ReadTokenFor(const std::string& path, std::initializer_list<absl::string_view> roles,
                                         const char* what) {
  ASSIGN_OR_RETURN(std::string text, WithContext(ReadFileToString(path, kMaxTokenFileBytes), "token file"));
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() == 1) return fields[0];
    if (fields.size() == 2 && std::find(roles.begin(), roles.end(), fields[0]) != roles.end()) return fields[1];
  }
  return absl::InvalidArgumentError(absl::StrCat(path, ": has no ", what, " token"));
}

}  // namespace

absl::StatusOr<std::string> ReadClientToken(const std::string& path) {
  return ReadTokenFor(path, {"client", "admin"}, "client or admin");
}

absl::StatusOr<std::string> ReadWorkerToken(const std::string& path) {
  return ReadTokenFor(path, {"worker", "admin"}, "worker or admin");
}

}  // namespace ridge
