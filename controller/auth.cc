#include "controller/auth.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>


#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "common/files.h"
#include "common/token_file.h"

namespace ridge::controller {
namespace {

// Compares in time independent of where the strings differ, so a client
// cannot find a token byte by byte from response times.
bool SameToken(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  return WithContext(ReadFileToString(path, kMaxTokenFileBytes), "token file");
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kClient: return "client";
    case Role::kWorker: return "worker";
    case Role::kAdmin: return "admin";
  }
  return "?";
}

absl::StatusOr<TokenTable> TokenTable::Parse(const std::string& text, const std::string& source) {
  TokenTable table;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    const std::string where = absl::StrCat(source, ":", line_number);
    if (fields.size() != 2) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": expected \"<role> <token>\", got ", fields.size(),
                                                     " fields"));
    }
    Role role;
    if (fields[0] == "client") role = Role::kClient;
    else if (fields[0] == "worker") role = Role::kWorker;
    else if (fields[0] == "admin") role = Role::kAdmin;
    else return absl::InvalidArgumentError(absl::StrCat(where, ": role '", fields[0],
                                                        "' is not one of {client, worker, admin}"));
    if (fields[1].size() < 16) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": token has ", fields[1].size(),
                                                     " characters; at least 16 are required"));
    }
    table.roles_.emplace_back(fields[1], role);
  }
  if (table.roles_.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": holds no tokens"));
  return table;
}

absl::StatusOr<TokenTable> TokenTable::Load(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path));
  return Parse(text, path);
}

absl::StatusOr<std::string> RandomToken() {
  unsigned char bytes[32];
  const int fd = open("/dev/urandom", O_RDONLY);
  if (fd < 0 || read(fd, bytes, sizeof(bytes)) != static_cast<ssize_t>(sizeof(bytes))) {
    if (fd >= 0) close(fd);
    return absl::InternalError("/dev/urandom: cannot read random bytes for a token");
  }
  close(fd);
  std::string hex;
  for (unsigned char b : bytes) absl::StrAppend(&hex, absl::Hex(b, absl::kZeroPad2));
  return hex;
}

absl::StatusOr<std::string> TokenTable::CreateWithAdminToken(const std::string& path) {
  ASSIGN_OR_RETURN(std::string token, RandomToken());
  // O_EXCL: never overwrite a file someone else wrote.
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return absl::AlreadyExistsError(absl::StrCat(path, ": exists"));
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot create the token file"));
  }
  const std::string text = absl::StrCat("# Ridge controller tokens: \"<role> <token>\", roles client, worker, admin.\n",
                                        "admin ", token, "\n");
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok) return absl::DataLossError(absl::StrCat(path, ": cannot write the token file"));
  return token;
}

absl::Status TokenTable::Check(const std::string& authorization, Role needed) const {
  constexpr absl::string_view kBearer = "Bearer ";
  if (authorization.empty()) {
    return absl::UnauthenticatedError("authorization: missing; send \"authorization: Bearer <token>\" metadata");
  }
  if (!absl::StartsWith(authorization, kBearer)) {
    return absl::UnauthenticatedError("authorization: not a Bearer token");
  }
  const std::string token = authorization.substr(kBearer.size());
  for (const auto& [known, role] : roles_) {
    if (!SameToken(token, known)) continue;
    if (role == needed || role == Role::kAdmin) return absl::OkStatus();
    return absl::PermissionDeniedError(absl::StrCat("authorization: a ", RoleName(role), " token may not call this; it needs role ",
                                                    RoleName(needed)));
  }
  return absl::UnauthenticatedError("authorization: unknown token");
}

}  // namespace ridge::controller
