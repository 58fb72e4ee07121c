#include "cli/latency_csv.h"

#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/csv.h"
#include "common/status_macros.h"
#include "proto/validate.h"
#include "zoo/zoo.h"

namespace ridge::cli {
namespace {

const std::set<std::string>& KnownColumns() {
  static const auto* known =
      new std::set<std::string>{"arch", "latency_ms", "runtime", "threads", "precision", "repeats"};
  return *known;
}

struct Cell {
  std::string where;  // "FILE:LINE, column NAME"
  std::string value;
};

absl::Status Bad(const Cell& c, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(c.where, ": ", Quoted(c.value), " ", rule));
}

absl::StatusOr<int32_t> IntCell(const Cell& c) {
  int32_t v = 0;
  if (c.value.empty()) return 0;
  if (!absl::SimpleAtoi(c.value, &v)) return Bad(c, "is not a whole number");
  return v;
}

// One data row into `out`; `column` maps each header name to its index.
absl::Status ReadRow(const CsvRow& row, const std::map<std::string, size_t>& column, absl::string_view name,
                     ImportedLatency* out) {
  auto cell = [&](const std::string& col) -> Cell {
    auto it = column.find(col);
    if (it == column.end()) return {"", ""};
    return {absl::StrCat(name, ":", row.line, ", column ", col), row.fields[it->second]};
  };
  out->set_row(row.line);
  const Cell arch = cell("arch");
  if (arch.value.empty()) return Bad(arch, "is empty; give a zoo name, a canonical encoding, op indices (fbnet:[...]) or a file");
  absl::StatusOr<Architecture> a = ResolveArchitecture(arch.value, {}, arch.where);
  if (!a.ok()) return absl::InvalidArgumentError(a.status().message());  // The file is at fault, whatever the code.
  *out->mutable_architecture() = *std::move(a);
  const Cell latency = cell("latency_ms");
  double ms = 0;
  if (!absl::SimpleAtod(latency.value, &ms)) return Bad(latency, "is not a number of milliseconds");
  if (!(ms > 0 && ms <= 1e7)) return Bad(latency, "must be in (0, 1e7] milliseconds");
  out->set_latency_ms(ms);
  out->set_runtime(cell("runtime").value);
  out->set_precision(cell("precision").value);
  ASSIGN_OR_RETURN(int32_t threads, IntCell(cell("threads")));
  ASSIGN_OR_RETURN(int32_t repeats, IntCell(cell("repeats")));
  out->set_threads(threads);
  out->set_repeats(repeats);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ImportLatenciesRequest> ParseLatencyCsv(absl::string_view text, absl::string_view name,
                                                       const std::string& device_key) {
  CsvLimits limits;
  limits.max_rows = 5000;  // The controller's bound on one import.
  ASSIGN_OR_RETURN(CsvTable table, ParseCsv(text, name, limits));
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < table.header.size(); ++i) {
    if (!KnownColumns().count(table.header[i])) {
      return absl::InvalidArgumentError(absl::StrCat(name, ":", table.header_line, ": column ",
                                                     Quoted(table.header[i]), " is not one of ",
                                                     absl::StrJoin(KnownColumns(), ", ")));
    }
    column[table.header[i]] = i;
  }
  for (const char* required : {"arch", "latency_ms"}) {
    if (!column.count(required)) {
      return absl::InvalidArgumentError(absl::StrCat(name, ":", table.header_line, ": no '", required, "' column"));
    }
  }
  if (table.rows.empty()) return absl::InvalidArgumentError(absl::StrCat(name, ": no rows after the header"));
  ImportLatenciesRequest request;
  request.set_device_key(device_key);
  request.set_source(std::string(name.substr(name.rfind('/') + 1)));
  for (const CsvRow& row : table.rows) {
    RETURN_IF_ERROR(ReadRow(row, column, name, request.add_measurements()));
  }
  return request;
}

}  // namespace ridge::cli
