// A data file compiled into the binary by common/embed.bzl.
#ifndef RIDGE_COMMON_EMBEDDED_FILE_H_
#define RIDGE_COMMON_EMBEDDED_FILE_H_

#include "absl/strings/string_view.h"
#include <vector>

namespace ridge {

struct EmbeddedFile {
  absl::string_view name;      // Basename, e.g. "mobilenetv2_100.textproto".
  absl::string_view contents;  // The file's bytes.
};

}  // namespace ridge

#endif  // RIDGE_COMMON_EMBEDDED_FILE_H_
