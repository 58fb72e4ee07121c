// The client side of the controller's token files: which token a client or a
// worker sends. A token file holds one "<role> <token>" per line (roles
// client, worker, admin; '#' starts a comment), or just a bare token. The
// controller's own reading of the file, with its checks, is
// controller/auth.h; clients and workers need only this, and must not link
// the controller.
#ifndef RIDGE_COMMON_TOKEN_FILE_H_
#define RIDGE_COMMON_TOKEN_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace ridge {

// Token files are small; larger ones are refused.
inline constexpr size_t kMaxTokenFileBytes = 1 << 20;

// The token a client sends: the first line of role client or admin, or a
// file holding just the token. INVALID_ARGUMENT if there is none.
absl::StatusOr<std::string> ReadClientToken(const std::string& path);

// The token a worker sends: the first line of role worker or admin, or a
// file holding just the token.
absl::StatusOr<std::string> ReadWorkerToken(const std::string& path);

}  // namespace ridge

#endif  // RIDGE_COMMON_TOKEN_FILE_H_
