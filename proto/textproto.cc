#include "proto/textproto.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "common/files.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace ridge {
namespace {

// Collects protobuf's parse errors with their positions (1-based for humans).
class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit ErrorCollector(absl::string_view source) : source_(source) {}
  void AddError(int line, int column, const std::string& message) override {
    errors_.push_back(
        absl::StrCat(source_, ":", line + 1, ":", column + 1, ": ", message));
  }
  void AddWarning(int line, int column, const std::string& message) override {
    AddError(line, column, message);
  }
  std::string Joined() const { return absl::StrJoin(errors_, "; "); }

 private:
  std::string source_;
  std::vector<std::string> errors_;
};

}  // namespace

absl::Status ParseTextProto(absl::string_view text, absl::string_view source,
                            google::protobuf::Message* out) {
  out->Clear();
  if (text.size() > kMaxTextProtoBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", text.size(), " bytes exceeds the limit of ",
                     kMaxTextProtoBytes, " bytes"));
  }
  ErrorCollector errors(source);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.AllowUnknownField(false);
  parser.AllowUnknownExtension(false);
  // Protobuf's default is to accept a field given twice; a spec that says two
  // things for one field is ambiguous, so refuse it.
  parser.AllowFieldNumber(false);
  if (!parser.ParseFromString(std::string(text), out)) {
    out->Clear();
    std::string joined = errors.Joined();
    if (joined.empty()) joined = absl::StrCat(source, ": does not parse");
    return absl::InvalidArgumentError(joined);
  }
  return absl::OkStatus();
}

absl::Status ReadTextProtoFile(const std::string& path,
                               google::protobuf::Message* out) {
  out->Clear();
  absl::StatusOr<std::string> text = ReadFileToString(path, kMaxTextProtoBytes);
  if (!text.ok()) return text.status();
  return ParseTextProto(*text, path, out);
}

std::string ToTextProto(const google::protobuf::Message& message) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(message, &text);
  return text;
}

}  // namespace ridge
