#include "supernet/idx.h"

#include <zlib.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"

namespace ridge::nn {
namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

// Reads exactly n bytes; returns how many were read.
int64_t ReadFully(gzFile f, uint8_t* out, int64_t n) {
  int64_t got = 0;
  while (got < n) {
    int chunk = static_cast<int>(std::min<int64_t>(n - got, 1 << 30));
    int r = gzread(f, out + got, chunk);
    if (r <= 0) break;
    got += r;
  }
  return got;
}

}  // namespace

absl::StatusOr<IdxArray> ReadIdx(const std::string& path, int expected_rank) {
  return ReadIdx(path, expected_rank, expected_rank);
}

absl::StatusOr<IdxArray> ReadIdx(const std::string& path, int min_rank, int max_rank) {
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  if (!f) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  uint8_t header[4];
  if (ReadFully(f.get(), header, 4) != 4) {
    return absl::DataLossError(absl::StrCat(path, ": truncated: no 4-byte IDX header"));
  }
  if (header[0] != 0 || header[1] != 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": bad magic number: the first two bytes must be 0 (not an IDX file)"));
  }
  if (header[2] != 0x08) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": element type 0x", absl::Hex(header[2]), " is not unsigned byte (0x08)"));
  }
  const int rank = header[3];
  if (rank < min_rank || rank > max_rank) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": has ", rank, " dimensions, expected ", min_rank,
                                                   min_rank == max_rank ? "" : absl::StrCat(" to ", max_rank)));
  }
  IdxArray out;
  int64_t total = 1;
  for (int i = 0; i < rank; ++i) {
    uint8_t b[4];
    if (ReadFully(f.get(), b, 4) != 4) {
      return absl::DataLossError(absl::StrCat(path, ": truncated in the size of dimension ", i));
    }
    const int64_t d = (int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | b[3];
    if (d <= 0) return absl::InvalidArgumentError(absl::StrCat(path, ": dimension ", i, " is ", d, ", must be > 0"));
    out.dims.push_back(d);
    total *= d;
    if (total > kMaxIdxBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": dimensions give over ", kMaxIdxBytes, " bytes, the limit"));
    }
  }
  // Grown as the data arrives: a short file that claims a gigabyte costs
  // no more memory than it holds (plus one chunk).
  constexpr int64_t kChunk = int64_t{16} << 20;
  int64_t got = 0;
  while (got < total) {
    const int64_t want = std::min(kChunk, total - got);
    out.data.resize(got + want);
    const int64_t read = ReadFully(f.get(), out.data.data() + got, want);
    got += read;
    if (read < want) break;
  }
  if (got != total) {
    return absl::DataLossError(
        absl::StrCat(path, ": truncated: expected ", total, " bytes of data, got ", got));
  }
  uint8_t extra;
  if (ReadFully(f.get(), &extra, 1) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": has trailing bytes after ", total, " bytes of data"));
  }
  return out;
}

}  // namespace ridge::nn
