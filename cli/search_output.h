// What `ridge search` writes: the result as JSON, CSV and text tables, and
// the per-step search log, which survives a stop and a resume.
#ifndef RIDGE_CLI_SEARCH_OUTPUT_H_
#define RIDGE_CLI_SEARCH_OUTPUT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "cli/search_curves.h"
#include "search/campaign_run.h"

namespace ridge::cli {

// The finished run as JSON (`mode` is "tunas" or "random").
std::string ResultJson(search::CampaignRun& run, const std::string& mode);
// Every scored candidate, one row each, as CSV.
std::string CandidatesCsv(const search::CampaignResult& result);
// Each policy's pick, then one table per hardware front.
std::string ResultTables(const search::CampaignResult& result);

// Reads the spec file at `path` (--spec), then validates and resolves it whole.
absl::StatusOr<search::ResolvedCampaign> LoadCampaign(const std::string& path);

// search_log.csv: one row per step. On a resume it keeps the rows of the
// steps before the resumed one, so the log reads as one run; the search
// curves follow the same rows.
class SearchLog {
 public:
  // `path` empty: the log is kept in memory only.
  explicit SearchLog(std::string path) : path_(std::move(path)) {}
  // Starts at `first_step`: rows of earlier steps in an existing file are
  // kept, later ones dropped.
  absl::Status Start(int64_t first_step);
  void Add(search::CampaignRun& run, const search::StepReport& report);
  // Writes the file atomically.
  absl::Status Flush() const;
  const SearchCurves& curves() const { return curves_; }

 private:
  std::string path_;
  std::string text_;
  SearchCurves curves_;
};

// The plots of a finished run into `dir` (docs/plots.md): front_<hardware>.svg
// per hardware, and search_curves.svg from `log`.
absl::Status WritePlots(search::CampaignRun& run, const std::string& dir, const std::string& mode,
                        const SearchLog& log);

}  // namespace ridge::cli

#endif  // RIDGE_CLI_SEARCH_OUTPUT_H_
