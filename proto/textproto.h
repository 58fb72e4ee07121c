// Reading protobuf text format strictly: unknown fields, syntax errors and
// oversized files are errors that name the source, line and column.
#ifndef RIDGE_PROTO_TEXTPROTO_H_
#define RIDGE_PROTO_TEXTPROTO_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace ridge {

// Files larger than this are refused before parsing (memory-bomb guard).
inline constexpr size_t kMaxTextProtoBytes = 16 << 20;

// Parses `text` into `*out`. On error returns INVALID_ARGUMENT naming
// `source:line:col` and leaves `*out` cleared: nothing is half-applied.
absl::Status ParseTextProto(absl::string_view text, absl::string_view source,
                            google::protobuf::Message* out);

// Reads the file at `path`: NOT_FOUND if it cannot be opened,
// INVALID_ARGUMENT if it is too large or does not parse.
absl::Status ReadTextProtoFile(const std::string& path,
                               google::protobuf::Message* out);

// The canonical text format of `message`, for writing files.
std::string ToTextProto(const google::protobuf::Message& message);

template <typename T>
absl::StatusOr<T> ParseTextProtoAs(absl::string_view text,
                                   absl::string_view source) {
  T message;
  absl::Status status = ParseTextProto(text, source, &message);
  if (!status.ok()) return status;
  return message;
}

}  // namespace ridge

#endif  // RIDGE_PROTO_TEXTPROTO_H_
