// Reading small files whole, with a size bound: every file Ridge reads from a
// user (specs, tokens, certificates, checkpoints) has a limit.
#ifndef RIDGE_COMMON_FILES_H_
#define RIDGE_COMMON_FILES_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace ridge {

// Reads the whole file at `path`. NOT_FOUND if it cannot be opened,
// INVALID_ARGUMENT if it is larger than `max_bytes`, DATA_LOSS on a short
// read. Messages start with the path.
absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes);

// Writes `contents` to `path` so that a crash leaves either the old file or
// the new one, never a mix: a temporary file beside it, fsync, rename, then
// fsync of the directory so the rename itself survives a crash.
// PERMISSION_DENIED if it cannot be created, DATA_LOSS if a write, fsync or
// rename fails; messages start with the path.
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents);

// Creates `dir` and any missing parents (mode 0755), like `mkdir -p`.
// INVALID_ARGUMENT naming `what` (a flag or field) and a prefix of the path
// when it cannot be created or exists and is not a directory.
absl::Status MakeDirectories(const std::string& dir, const std::string& what);

}  // namespace ridge

#endif  // RIDGE_COMMON_FILES_H_
