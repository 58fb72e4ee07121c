#include "common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
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

absl::Status WriteFileAtomically(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return absl::PermissionDeniedError(absl::StrCat(tmp, ": cannot create: ", std::strerror(errno)));
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = write(fd, contents.data() + written, contents.size() - written);
    if (n <= 0) {
      close(fd);
      return absl::DataLossError(absl::StrCat(tmp, ": write failed: ", std::strerror(errno)));
    }
    written += n;
  }
  const bool synced = fsync(fd) == 0;
  const bool closed = close(fd) == 0;
  if (!synced || !closed) {
    std::remove(tmp.c_str());
    return absl::DataLossError(absl::StrCat(tmp, ": fsync failed: ", std::strerror(errno)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::DataLossError(absl::StrCat(path, ": rename failed: ", std::strerror(errno)));
  }
  // The rename is durable only once the directory entry is: fsync the
  // directory too, or a crash can bring back the old file.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd < 0) return absl::DataLossError(absl::StrCat(dir, ": cannot open to fsync: ", std::strerror(errno)));
  const bool dir_synced = fsync(dir_fd) == 0;
  close(dir_fd);
  if (!dir_synced) return absl::DataLossError(absl::StrCat(dir, ": fsync failed: ", std::strerror(errno)));
  return absl::OkStatus();
}

absl::Status MakeDirectories(const std::string& dir, const std::string& what) {
  if (dir.empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": an empty path is not a directory"));
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    mkdir(dir.substr(0, slash).c_str(), 0755);  // Failures show in the stat below.
    if (slash == std::string::npos) break;
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": '", dir.substr(0, 200), "' is not a directory that can be created"));
  }
  return absl::OkStatus();
}

}  // namespace ridge
