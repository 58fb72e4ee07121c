#include "common/csv.h"

#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace ridge {
namespace {

// 'value', cut to 40 characters: a header name may be a whole stray line.
std::string Quoted(absl::string_view value) {
  return absl::StrCat("'", value.substr(0, 40), value.size() > 40 ? "...'" : "'");
}

class Parser {
 public:
  Parser(absl::string_view text, absl::string_view name, const CsvLimits& limits)
      : text_(text), name_(name), limits_(limits) {}

  // The next record's fields; false at the end of the text.
  absl::StatusOr<bool> Next(CsvRow* row) {
    row->fields.clear();
    while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {  // Blank lines.
      // \r\n is one line end, as is a \r alone.
      if (text_[pos_] == '\n' || pos_ + 1 == text_.size() || text_[pos_ + 1] != '\n') ++line_;
      ++pos_;
    }
    if (pos_ >= text_.size()) return false;
    row->line = line_;
    while (true) {
      std::string field;
      bool end_of_record = false;
      absl::Status s = Field(&field, &end_of_record);
      if (!s.ok()) return s;
      if (row->fields.size() == limits_.max_columns) {
        return Error(row->line, absl::StrCat("more than ", limits_.max_columns, " fields"));
      }
      row->fields.push_back(std::move(field));
      if (end_of_record) return true;
    }
  }

  absl::Status Error(int line, absl::string_view rule) const {
    return absl::InvalidArgumentError(absl::StrCat(name_, ":", line, ": ", rule));
  }

 private:
  absl::Status Append(std::string* field, char c) {
    if (field->size() == limits_.max_field_bytes) {
      return Error(line_, absl::StrCat("a field longer than ", limits_.max_field_bytes, " bytes"));
    }
    field->push_back(c);
    return absl::OkStatus();
  }

  // One field, quoted or not, and the separator after it.
  absl::Status Field(std::string* field, bool* end_of_record) {
    const bool quoted = pos_ < text_.size() && text_[pos_] == '"';
    const int start_line = line_;
    if (quoted) ++pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (quoted && c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          ++pos_;
          if (absl::Status s = Append(field, '"'); !s.ok()) return s;
          continue;
        }
        return AfterQuote(end_of_record);
      }
      if (!quoted && c == ',') return absl::OkStatus();
      if (!quoted && (c == '\n' || c == '\r')) return EndOfLine(c, end_of_record);
      if (!quoted && c == '"') return Error(line_, "a quote inside an unquoted field (quote the whole field)");
      if (c == '\n') ++line_;
      if (absl::Status s = Append(field, c); !s.ok()) return s;
    }
    if (quoted) return Error(start_line, "a quoted field never closes");
    *end_of_record = true;
    return absl::OkStatus();
  }

  absl::Status AfterQuote(bool* end_of_record) {
    if (pos_ >= text_.size()) {
      *end_of_record = true;
      return absl::OkStatus();
    }
    const char c = text_[pos_++];
    if (c == ',') return absl::OkStatus();
    if (c == '\n' || c == '\r') return EndOfLine(c, end_of_record);
    return Error(line_, "text after a closing quote (a field is either all quoted or not at all)");
  }

  absl::Status EndOfLine(char c, bool* end_of_record) {
    if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
    ++line_;
    *end_of_record = true;
    return absl::OkStatus();
  }

  absl::string_view text_;
  absl::string_view name_;
  const CsvLimits limits_;
  size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

absl::StatusOr<CsvTable> ParseCsv(absl::string_view text, absl::string_view name, const CsvLimits& limits) {
  absl::ConsumePrefix(&text, "\xEF\xBB\xBF");  // A UTF-8 byte-order mark.
  Parser parser(text, name, limits);
  CsvTable table;
  CsvRow header;
  absl::StatusOr<bool> got = parser.Next(&header);
  if (!got.ok()) return got.status();
  if (!*got) return parser.Error(1, "empty; the first line must name the columns");
  table.header_line = header.line;
  std::set<std::string> seen;
  for (std::string& h : header.fields) {
    h = std::string(absl::StripAsciiWhitespace(h));
    if (h.empty()) return parser.Error(header.line, "an empty column name in the header");
    if (!seen.insert(h).second) return parser.Error(header.line, absl::StrCat("column ", Quoted(h), " named twice"));
  }
  table.header = std::move(header.fields);
  CsvRow row;
  while (true) {
    got = parser.Next(&row);
    if (!got.ok()) return got.status();
    if (!*got) return table;
    if (table.rows.size() == limits.max_rows) {
      return parser.Error(row.line, absl::StrCat("more than ", limits.max_rows, " rows"));
    }
    if (row.fields.size() != table.header.size()) {
      return parser.Error(row.line, absl::StrCat(row.fields.size(), " fields; the header has ", table.header.size()));
    }
    table.rows.push_back(std::move(row));
  }
}

}  // namespace ridge
