// Bearer-token auth (docs/design.md §7 and §9). A token file holds one token
// per line as "<role> <token>", roles client, worker or admin; blank lines
// and '#' comments are skipped. Admin may do everything. RPCs carry
// "authorization: Bearer <token>" in their metadata.
#ifndef RIDGE_CONTROLLER_AUTH_H_
#define RIDGE_CONTROLLER_AUTH_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ridge::controller {

enum class Role { kClient, kWorker, kAdmin };

const char* RoleName(Role role);

class TokenTable {
 public:
  // Parses a token file; INVALID_ARGUMENT names the line and the rule.
  static absl::StatusOr<TokenTable> Parse(const std::string& text, const std::string& source);
  static absl::StatusOr<TokenTable> Load(const std::string& path);
  // Writes a new file at `path` (mode 0600) with one random admin token and
  // returns the token. ALREADY_EXISTS if the file exists.
  static absl::StatusOr<std::string> CreateWithAdminToken(const std::string& path);

  // OK if `authorization` ("Bearer <token>") names a token with `needed` or
  // admin; UNAUTHENTICATED if it is missing or unknown, PERMISSION_DENIED if
  // the token's role is another.
  absl::Status Check(const std::string& authorization, Role needed) const;
  size_t size() const { return roles_.size(); }

 private:
  std::vector<std::pair<std::string, Role>> roles_;  // Token, role.
};

// 32 random bytes as hex, from the kernel's CSPRNG.
absl::StatusOr<std::string> RandomToken();

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_AUTH_H_
