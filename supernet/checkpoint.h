// Checkpoints of weights and optimizer state: a versioned header, named
// float arrays and a CRC-32 of everything before it. Written to a temporary
// file, fsync'ed and renamed into place, so a crash leaves the old file or
// the new one, never half of one. A corrupt, truncated or mismatched file is
// refused with a clear error and nothing is applied.
#ifndef RIDGE_SUPERNET_CHECKPOINT_H_
#define RIDGE_SUPERNET_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "supernet/optimizer.h"
#include "supernet/param.h"

namespace ridge::nn {

inline constexpr uint32_t kCheckpointVersion = 1;

struct CheckpointHeader {
  std::string kind;     // "standalone" or "supernet".
  std::string spec;     // Architecture canonical encoding, or SearchSpace textproto.
  std::string options;  // Free-form training options (key=value lines).
  int64_t step = 0;
  int64_t epoch = 0;
};

// Writes params (values) and optimizer state (if not null) to `path`.
absl::Status WriteCheckpoint(const std::string& path, const CheckpointHeader& header,
                             const ParamStore& params, Optimizer* optimizer);

// Reads only the header, checking the magic, version and checksum.
absl::StatusOr<CheckpointHeader> ReadCheckpointHeader(const std::string& path);

// Reads `path` into `params` (and `optimizer` if not null). Every array must
// match by name and size; otherwise INVALID_ARGUMENT names the first mismatch
// and nothing is changed. DATA_LOSS for a bad checksum or truncation.
absl::StatusOr<CheckpointHeader> ReadCheckpoint(const std::string& path, ParamStore* params,
                                                Optimizer* optimizer);

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_CHECKPOINT_H_
