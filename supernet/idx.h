// IDX files (the MNIST format), gzipped or plain, read with validation: the
// magic number, the element type, the dimensions against the file's length,
// and clear errors for truncated or oversized files.
#ifndef RIDGE_SUPERNET_IDX_H_
#define RIDGE_SUPERNET_IDX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ridge::nn {

struct IdxArray {
  std::vector<int64_t> dims;  // e.g. {60000, 28, 28}
  std::vector<uint8_t> data;  // Row-major, product(dims) bytes.
};

// Largest payload accepted (memory-bomb guard): 1 GiB.
inline constexpr int64_t kMaxIdxBytes = int64_t{1} << 30;

// Reads an unsigned-byte IDX file with `expected_rank` dimensions (1 for
// labels, 3 for images). zlib reads gzipped and plain files alike.
// NOT_FOUND if it cannot be opened; DATA_LOSS if truncated; INVALID_ARGUMENT
// for a bad magic number, type, rank or size. Messages start with the path.
absl::StatusOr<IdxArray> ReadIdx(const std::string& path, int expected_rank);

// The same, accepting any rank in [min_rank, max_rank] (images: 3 for
// N x H x W, 4 for N x H x W x C).
absl::StatusOr<IdxArray> ReadIdx(const std::string& path, int min_rank, int max_rank);

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_IDX_H_
