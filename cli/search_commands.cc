// `ridge search --spec=FILE`: a whole campaign in this process, through the
// same CampaignRun the controller uses: search, then Pareto fronts per
// hardware. With --out it writes JSON, CSV and the search log there, and
// checkpoints to DIR/search.ckpt (or --checkpoint): Ctrl-C stops with a
// checkpoint, and the same command again resumes.
#include <unistd.h>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "cli/search_output.h"
#include "common/files.h"
#include "common/signal_waiter.h"
#include "common/status_macros.h"
#include "proto/textproto.h"
#include "search/campaign_run.h"

ABSL_FLAG(std::string, spec, "", "Campaign spec: a CampaignSpec textproto file (see examples/campaigns/).");
ABSL_FLAG(std::string, baseline, "", "\"random\": run the random-search baseline at the same budget instead.");
ABSL_FLAG(std::string, out, "", "Directory for fronts.json, fronts.csv, search_log.csv and the checkpoint.");

namespace ridge::cli {
namespace {

// The terminal's view of a run: a progress line with each policy's current
// argmax, messages above it, and the search log.
class TerminalSink : public search::ProgressSink {
 public:
  explicit TerminalSink(SearchLog* log) : log_(log), every_(progress_.tty() ? 5 : 100) {}

  absl::Status Started(search::CampaignRun& run, const std::string& message) override {
    progress_.Say(message);
    return log_->Start(run.search().step());
  }
  absl::Status Stepped(search::CampaignRun& run, const search::StepReport& report) override {
    log_->Add(run, report);
    const search::TunasSearch& s = run.search();
    if (s.step() % every_ != 0 && !s.done()) return absl::OkStatus();
    std::string status = CampaignState_Name(s.stage());
    ASSIGN_OR_RETURN(std::vector<search::ArgmaxView> argmaxes, run.Argmaxes());
    for (const search::ArgmaxView& a : argmaxes) {
      absl::StrAppend(&status, " | ", search::TargetLabel(*a.target), " argmax ", a.arch_id.substr(0, 6), " ",
                      FormatDouble(a.latency_ms, 3), "ms R=", FormatDouble(a.last_reward, 3));
    }
    progress_.Update(s.step(), s.total_steps(), status);
    if (s.done()) progress_.Finish();
    return absl::OkStatus();
  }
  absl::Status Said(search::CampaignRun&, CampaignState, const std::string& message) override {
    progress_.Say(message);
    return absl::OkStatus();
  }
  absl::Status Checkpointed(search::CampaignRun&, const std::string&) override { return log_->Flush(); }

 private:
  SearchLog* log_;
  Progress progress_;
  const int64_t every_;
};

// Where the checkpoint goes: --checkpoint, else DIR/search.ckpt with --out,
// else nowhere.
std::string CheckpointPath(const std::string& out_dir) {
  const std::string flag = absl::GetFlag(FLAGS_checkpoint);
  if (!flag.empty() || out_dir.empty()) return flag;
  return out_dir + "/search.ckpt";
}

search::CampaignRunOptions RunOptions(const search::ResolvedCampaign& c, const std::string& out_dir) {
  search::CampaignRunOptions options;
  options.checkpoint_path = CheckpointPath(out_dir);
  const int64_t every = c.spec.checkpoint_every_steps();
  options.checkpoint_every_steps = every > 0 ? every : 100;
  if (!options.checkpoint_path.empty() && access(options.checkpoint_path.c_str(), F_OK) == 0) {
    options.resume_from = options.checkpoint_path;
  }
  return options;
}

absl::Status WriteOutputs(search::CampaignRun& run, const std::string& out_dir, const std::string& mode,
                          const SearchLog& log) {
  if (out_dir.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(WriteFileAtomically(out_dir + "/fronts.json", ResultJson(run, mode)));
  RETURN_IF_ERROR(WriteFileAtomically(out_dir + "/fronts.csv", CandidatesCsv(run.result())));
  return log.Flush();
}

absl::Status Search(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  const std::string baseline = absl::GetFlag(FLAGS_baseline);
  if (!baseline.empty() && baseline != "random") {
    return absl::InvalidArgumentError(absl::StrCat("--baseline: '", baseline.substr(0, 32),
                                                   "' is not one of {random}"));
  }
  search::StopToken stop;  // Before the waiter, whose thread may touch it until it is joined.
  SignalWaiter signals;    // Before any thread starts: see signal_waiter.h.
  ASSIGN_OR_RETURN(search::ResolvedCampaign campaign, LoadCampaign(absl::GetFlag(FLAGS_spec)));
  if (baseline == "random") RETURN_IF_ERROR(search::AsRandomBaseline(&campaign));
  const std::string out_dir = absl::GetFlag(FLAGS_out);
  if (!out_dir.empty()) RETURN_IF_ERROR(MakeDirs(out_dir, "--out"));
  const search::CampaignRunOptions options = RunOptions(campaign, out_dir);

  SearchLog log(out_dir.empty() ? "" : out_dir + "/search_log.csv");
  TerminalSink sink(&log);
  ASSIGN_OR_RETURN(std::unique_ptr<search::CampaignRun> run,
                   search::CampaignRun::Create(std::move(campaign), options, &sink));
  signals.Start([&](int) { stop.Stop(/*checkpoint=*/true); });
  ASSIGN_OR_RETURN(search::RunEnd end, run->Run(stop));
  signals.Stop();
  if (end != search::RunEnd::kDone) {
    RETURN_IF_ERROR(log.Flush());
    if (options.checkpoint_path.empty()) return absl::CancelledError("interrupted; give --out to resume later");
    return absl::CancelledError(absl::StrCat("interrupted at step ", run->search().step(), "; the checkpoint is ",
                                             options.checkpoint_path, "; run the same command again to resume"));
  }
  const std::string mode = baseline.empty() ? "tunas" : "random";
  RETURN_IF_ERROR(WriteOutputs(*run, out_dir, mode, log));
  *out = format == "json" ? ResultJson(*run, mode) : ResultTables(run->result());
  return absl::OkStatus();
}

}  // namespace

void AddSearchCommands(std::vector<Command>* commands) {
  commands->push_back({"search", "",
                       "Run a TuNAS campaign in-process: one policy per (hardware, budget) on one supernet, "
                       "then Pareto fronts per hardware. Ctrl-C checkpoints (with --out or --checkpoint); the "
                       "same command resumes.",
                       {"spec", "baseline", "out", "checkpoint", "format"}, 0, 0, Search});
}

}  // namespace ridge::cli
