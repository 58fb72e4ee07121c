// Comma-separated values as people write them (RFC 4180): a header row,
// fields optionally in double quotes, "" for a quote inside one, commas and
// newlines allowed inside quotes, \n, \r\n or \r line ends, and a UTF-8
// byte-order mark (spreadsheets write one) skipped. Read with bounds, since
// the files come from users.
#ifndef RIDGE_COMMON_CSV_H_
#define RIDGE_COMMON_CSV_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ridge {

struct CsvLimits {
  size_t max_rows = 100000;       // Data rows, not counting the header.
  size_t max_columns = 64;
  size_t max_field_bytes = 65536;
};

struct CsvRow {
  int line = 0;  // Where the row starts in the file (the header is line 1).
  std::vector<std::string> fields;
};

struct CsvTable {
  std::vector<std::string> header;  // Trimmed of surrounding spaces.
  int header_line = 1;              // Blank lines may come before it.
  std::vector<CsvRow> rows;         // Each has header.size() fields.
};

// Parses `text`. INVALID_ARGUMENT, naming `name`, the line and the rule, for
// an empty file, an empty or repeated header name, a row with the wrong number
// of fields, an unterminated quote, a stray quote inside an unquoted field,
// or a limit exceeded. Blank lines are skipped.
absl::StatusOr<CsvTable> ParseCsv(absl::string_view text, absl::string_view name, const CsvLimits& limits = {});

}  // namespace ridge

#endif  // RIDGE_COMMON_CSV_H_
