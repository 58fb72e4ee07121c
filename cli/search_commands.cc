// `ridge search --spec=FILE`: a whole campaign in this process, through the
// same CampaignRun the controller uses: search, then Pareto fronts per
// hardware. With --out it writes JSON, CSV, the search log and SVG plots there, and
// checkpoints to DIR/search.ckpt (or --checkpoint): Ctrl-C stops with a
// checkpoint, and the same command again resumes.
#include <unistd.h>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/output.h"
#include "cli/progress_view.h"
#include "cli/search_output.h"
#include "common/files.h"
#include "common/signal_waiter.h"
#include "common/status_macros.h"
#include "proto/textproto.h"
#include "search/campaign_run.h"

ABSL_FLAG(std::string, spec, "", "Campaign spec: a CampaignSpec textproto file (see examples/campaigns/).");
ABSL_FLAG(std::string, baseline, "",
          "search: \"random\" runs the random-search baseline at the same budget instead. front plot: the ID of "
          "a second campaign to overlay.");
ABSL_FLAG(std::string, out, "",
          "search: directory for fronts.json, fronts.csv, search_log.csv, the SVG plots and the checkpoint. "
          "export: the directory (pytorch) or the file (onnx, textproto) to write. front plot, latency sweep: the "
          ".svg file.");

namespace ridge::cli {
namespace {

// A run as the progress view shows it (each policy's current argmax, the
// run's messages), and the search log.
class ViewSink : public search::ProgressSink {
 public:
  ViewSink(SearchLog* log, ProgressView* view) : log_(log), view_(view) {}

  absl::Status Started(search::CampaignRun& run, const std::string& message) override {
    view_->Say(CampaignState_Name(run.state()), message, absl::Now());
    return log_->Start(run.search().step());
  }
  absl::Status Stepped(search::CampaignRun& run, const search::StepReport& report) override {
    log_->Add(run, report);
    const search::TunasSearch& s = run.search();
    ProgressFrame frame{CampaignState_Name(s.stage()), s.step(), s.total_steps(), {}, "", absl::Now()};
    // Pricing the argmaxes costs more than a step of a small campaign: only for frames shown.
    if (!view_->Due(frame.stage, frame.time, s.done())) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::vector<search::ArgmaxView> argmaxes, run.Argmaxes());
    for (const search::ArgmaxView& a : argmaxes) {
      frame.policies.push_back({a.target->profile.name(), a.target->budget_ms, a.latency_ms, a.last_reward, a.arch_id});
    }
    view_->Step(frame, s.done());
    return absl::OkStatus();
  }
  absl::Status Said(search::CampaignRun&, CampaignState state, const std::string& message) override {
    view_->Say(CampaignState_Name(state), message, absl::Now());
    return absl::OkStatus();
  }
  absl::Status Checkpointed(search::CampaignRun&, const std::string&) override { return log_->Flush(); }

 private:
  SearchLog* log_;
  ProgressView* view_;
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
  // With retrain_epochs, the retrained front members' weights, for `ridge export --checkpoint`.
  if (!out_dir.empty()) options.weights_dir = out_dir + "/weights";
  return options;
}

absl::Status WriteOutputs(search::CampaignRun& run, const std::string& out_dir, const std::string& mode,
                          const SearchLog& log) {
  if (out_dir.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(WriteFileAtomically(out_dir + "/fronts.json", ResultJson(run, mode)));
  RETURN_IF_ERROR(WriteFileAtomically(out_dir + "/fronts.csv", CandidatesCsv(run.result())));
  RETURN_IF_ERROR(WritePlots(run, out_dir, mode, log));
  return log.Flush();
}

absl::Status Search(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json", "jsonl"}));
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
  if (!out_dir.empty()) RETURN_IF_ERROR(MakeDirectories(out_dir, "--out"));
  const search::CampaignRunOptions options = RunOptions(campaign, out_dir);

  SearchLog log(out_dir.empty() ? "" : out_dir + "/search_log.csv");
  ProgressView view(ProgressOptionsForStderr(format == "jsonl"));
  ViewSink sink(&log, &view);
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
  if (format == "jsonl") *out = JsonResultLine(ResultJson(*run, mode));
  else *out = format == "json" ? ResultJson(*run, mode) : ResultTables(run->result());
  return absl::OkStatus();
}

}  // namespace

void AddSearchCommands(std::vector<Command>* commands) {
  commands->push_back({"search", "",
                       "Run a TuNAS campaign in-process: one policy per (hardware, budget) on one supernet, "
                       "then Pareto fronts per hardware. Ctrl-C checkpoints (with --out or --checkpoint); the "
                       "same command resumes. Progress goes to stderr; --format=jsonl streams it as JSON Lines "
                       "on stdout instead, the result last.",
                       {"spec", "baseline", "out", "checkpoint", "format"}, 0, 0, Search});
}

}  // namespace ridge::cli
