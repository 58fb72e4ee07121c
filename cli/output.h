// Output helpers for the `ridge` CLI: aligned text tables, CSV, and a small
// JSON writer. Keys are snake_case; integers print as plain integers.
#ifndef RIDGE_CLI_OUTPUT_H_
#define RIDGE_CLI_OUTPUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ridge::cli {

// Text table: columns right-aligned unless marked left; two spaces between.
class Table {
 public:
  explicit Table(std::vector<std::string> headers, std::vector<bool> left_aligned = {});
  void AddRow(std::vector<std::string> cells);
  // Renders the header, a rule, then the rows.
  std::string Render() const;
  // Renders as CSV (RFC 4180 quoting).
  std::string RenderCsv() const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> left_;
  std::vector<std::vector<std::string>> rows_;
};

// Streaming JSON writer producing indented output. Commas are inserted
// automatically. REQUIRES: calls are balanced (Begin/End) and each value in an
// object is preceded by Key().
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(absl::string_view key);
  JsonWriter& String(absl::string_view value);
  JsonWriter& Int(int64_t value);
  // Non-finite values are written as null, which JSON can represent.
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  // The document, with a trailing newline.
  std::string str() const { return out_ + "\n"; }

 private:
  void BeforeValue();
  void Open(char bracket);
  void Close(char bracket);

  std::string out_;
  std::vector<bool> has_items_;  // Per open container: written anything yet?
  bool after_key_ = false;
};

// A double for humans: up to `digits` significant digits, no exponent for
// ordinary magnitudes.
std::string FormatDouble(double value, int digits = 4);

}  // namespace ridge::cli

#endif  // RIDGE_CLI_OUTPUT_H_
