#include "cli/search_output.h"


#include <cstdio>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "plots/front_plot.h"
#include "cli/output.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "proto/architecture.h"
#include "proto/textproto.h"

namespace ridge::cli {
namespace {

constexpr char kLogHeader[] = "step,stage,policy,target,loss,accuracy,latency_ms,reward,arch_id\n";

void WriteFront(const search::HardwareFront& f, JsonWriter& json) {
  json.Key("hypervolume").Double(f.hypervolume);
  json.Key("hypervolume_ref_latency_ms").Double(f.ref_latency_ms);
  json.Key("front").BeginArray();
  for (const search::ScoredCandidate& c : f.candidates) {
    if (!c.on_front) continue;
    json.BeginObject();
    json.Key("accuracy").Double(c.accuracy);
    json.Key("latency_ms").Double(c.latency_ms);
    json.Key("arch_id").String(c.arch_id);
    json.Key("origin").String(c.origin);
    if (c.standalone_accuracy >= 0) json.Key("standalone_accuracy").Double(c.standalone_accuracy);
    json.Key("canonical").String(CanonicalEncoding(c.arch));
    json.EndObject();
  }
  json.EndArray();
}

void WritePolicy(const search::PolicyOutcome& o, const search::CampaignResult& result, JsonWriter& json) {
  json.BeginObject();
  json.Key("hardware").String(o.target->profile.name());
  json.Key("budget_ms").Double(o.target->budget_ms);
  json.Key("argmax").BeginObject();
  json.Key("arch_id").String(o.arch_id);
  json.Key("canonical").String(CanonicalEncoding(o.chosen));
  json.EndObject();
  json.Key("latency_ms").Double(o.latency_ms);
  for (const search::HardwareFront& f : result.fronts) {
    if (f.hardware == o.target->profile.name()) WriteFront(f, json);
  }
  json.EndObject();
}

// A row of an earlier run's log into the curves: policy is the third
// field, latency and reward the third- and second-last (a target label
// never holds a comma, but counting from the end does not rely on it).
void AddToCurves(absl::string_view row, SearchCurves* curves) {
  const std::vector<absl::string_view> f = absl::StrSplit(row, ',');
  int64_t step = 0;
  int policy = 0;
  double latency = 0, reward = 0;
  if (f.size() < 9 || !absl::SimpleAtoi(f[0], &step) || !absl::SimpleAtoi(f[2], &policy) ||
      !absl::SimpleAtod(f[f.size() - 3], &latency) || !absl::SimpleAtod(f[f.size() - 2], &reward)) {
    return;
  }
  curves->Add(policy, step, latency, reward);
}

}  // namespace

std::string ResultJson(search::CampaignRun& run, const std::string& mode) {
  const search::ResolvedCampaign& c = run.campaign();
  JsonWriter json;
  json.BeginObject();
  json.Key("campaign").String(c.spec.name());
  json.Key("space").String(run.search().decisions().space().name());
  json.Key("steps").Int(run.search().total_steps());
  json.Key("fine_steps").Int(c.options.fine_steps);
  json.Key("mode").String(mode);
  json.Key("search_seconds").Double(run.search_seconds());
  json.Key("targets").BeginArray();
  for (const search::PolicyOutcome& o : run.result().policies) WritePolicy(o, run.result(), json);
  json.EndArray();
  json.EndObject();
  return json.str();
}

std::string CandidatesCsv(const search::CampaignResult& result) {
  Table csv({"hardware", "arch_id", "origin", "accuracy", "latency_ms", "on_front", "canonical"});
  for (const search::HardwareFront& f : result.fronts) {
    for (const search::ScoredCandidate& c : f.candidates) {
      csv.AddRow({f.hardware, c.arch_id, c.origin, absl::StrCat(c.accuracy), absl::StrCat(c.latency_ms),
                  c.on_front ? "1" : "0", CanonicalEncoding(c.arch)});
    }
  }
  return csv.RenderCsv();
}

std::string ResultTables(const search::CampaignResult& result) {
  Table argmaxes({"target", "argmax", "latency_ms", "budget_ms"}, {true, true});
  for (const search::PolicyOutcome& o : result.policies) {
    argmaxes.AddRow({search::TargetLabel(*o.target), o.arch_id, FormatDouble(o.latency_ms),
                     FormatDouble(o.target->budget_ms)});
  }
  std::string out = absl::StrCat(argmaxes.Render(), "\n");
  for (const search::HardwareFront& f : result.fronts) {
    Table table({"arch_id", "origin", "proxy_accuracy", "latency_ms", "on_front"}, {true, true});
    for (const search::ScoredCandidate& c : f.candidates) {
      table.AddRow({c.arch_id, c.origin, FormatDouble(c.accuracy), FormatDouble(c.latency_ms), c.on_front ? "*" : ""});
    }
    absl::StrAppend(&out, "== ", f.hardware, ": hypervolume ", FormatDouble(f.hypervolume), " (reference point ",
                    FormatDouble(f.ref_latency_ms), " ms, accuracy 0)\n", table.Render(), "\n");
  }
  return out;
}

absl::Status SearchLog::Start(int64_t first_step) {
  text_ = kLogHeader;
  curves_.Clear();
  if (path_.empty() || first_step == 0) return absl::OkStatus();
  absl::StatusOr<std::string> old = ReadFileToString(path_, 1 << 30);
  if (!old.ok()) return absl::IsNotFound(old.status()) ? absl::OkStatus() : old.status();
  bool header = true;
  for (absl::string_view line : absl::StrSplit(*old, '\n', absl::SkipEmpty())) {
    if (header) {
      header = false;
      continue;
    }
    int64_t step = 0;
    if (!absl::SimpleAtoi(line.substr(0, line.find(',')), &step) || step >= first_step) continue;
    absl::StrAppend(&text_, line, "\n");
    AddToCurves(line, &curves_);
  }
  return absl::OkStatus();
}

void SearchLog::Add(search::CampaignRun& run, const search::StepReport& r) {
  const search::PolicyState& p = run.search().policies()[r.policy];
  absl::StrAppend(&text_, r.step, ",", CampaignState_Name(run.search().stage()), ",", r.policy, ",",
                  search::TargetLabel(p.target), ",", r.loss, ",", r.accuracy, ",", r.latency_ms, ",", r.reward, ",",
                  ArchitectureId(run.search().supernet().selected()), "\n");
  curves_.Add(r.policy, r.step, r.latency_ms, r.reward);
}

absl::Status SearchLog::Flush() const {
  if (path_.empty()) return absl::OkStatus();
  return WriteFileAtomically(path_, text_);
}

namespace {

// A hardware name as part of a file name: a profile file may name its
// hardware anything.
std::string FileSafe(const std::string& name) {
  std::string out = name.substr(0, 64);
  for (char& c : out) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '-' && c != '.') c = '_';
  }
  return out;
}

}  // namespace

absl::Status WritePlots(search::CampaignRun& run, const std::string& dir, const std::string& mode,
                        const SearchLog& log) {
  const std::string name = run.campaign().spec.name();
  const plots::FrontPlotData data = plots::FrontPlotFromResult(run.result(), run.search().decisions().space(),
                                                 mode == "random" ? "random search" : "TuNAS");
  for (const search::HardwareFront& f : run.result().fronts) {
    const std::string title = absl::StrCat("Pareto front of ", name, " (", mode, ") on ", f.hardware);
    RETURN_IF_ERROR(WriteFileAtomically(absl::StrCat(dir, "/front_", FileSafe(f.hardware), ".svg"),
                                        plots::FrontPlotSvg(data, nullptr, f.hardware, title)));
  }
  std::vector<std::string> labels;
  std::vector<double> budgets;
  for (const search::PolicyState& p : run.search().policies()) {
    labels.push_back(search::TargetLabel(p.target));
    budgets.push_back(p.target.budget_ms);
  }
  return WriteFileAtomically(dir + "/search_curves.svg",
                             log.curves().Svg(labels, budgets, absl::StrCat("Search curves of ", name, " (", mode, ")")));
}

absl::StatusOr<search::ResolvedCampaign> LoadCampaign(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("--spec: must be given");
  CampaignSpec spec;
  RETURN_IF_ERROR(WithContext(ReadTextProtoFile(path, &spec), "--spec"));
  return search::ResolveCampaign(spec, path);
}

}  // namespace ridge::cli
