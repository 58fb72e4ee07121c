#include "common/files.h"

#include <fstream>

#include "absl/strings/str_cat.h"

namespace ridge {

absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < 0) return absl::InvalidArgumentError(absl::StrCat(path, ": cannot read"));
  if (static_cast<size_t>(size) > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", size, " bytes exceeds the limit of ", max_bytes, " bytes"));
  }
  in.seekg(0);
  std::string contents(static_cast<size_t>(size), '\0');
  if (!in.read(contents.data(), size)) return absl::DataLossError(absl::StrCat(path, ": short read"));
  return contents;
}

}  // namespace ridge
