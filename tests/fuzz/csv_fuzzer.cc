// The CSV reader `ridge latency import` parses users' files with: any bytes
// either parse into rows of the header's width, on increasing lines, or fail
// with a message that names the file.
#include <cstdint>

#include "absl/strings/match.h"
#include "common/csv.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ridge::CsvLimits limits;
  limits.max_rows = 200, limits.max_columns = 16, limits.max_field_bytes = 256;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ridge::CsvTable> t = ridge::ParseCsv(text, "f.csv", limits);
  if (!t.ok()) {
    ridge::fuzz::Check(absl::StartsWith(t.status().message(), "f.csv:"));
    return 0;
  }
  int line = t->header_line;
  for (const ridge::CsvRow& row : t->rows) {
    ridge::fuzz::Check(row.fields.size() == t->header.size() && row.line > line);
    line = row.line;
    for (const std::string& f : row.fields) ridge::fuzz::Check(f.size() <= limits.max_field_bytes);
  }
  ridge::fuzz::Check(t->rows.size() <= limits.max_rows);
  return 0;
}
