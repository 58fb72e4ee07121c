#include "cli/search_output.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

absl::Status MakeDirs(const std::string& dir, const std::string& flag) {
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    mkdir(dir.substr(0, slash).c_str(), 0755);
    if (slash == std::string::npos) break;
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": '", dir.substr(0, 200),
                                                   "' is not a directory we can create"));
  }
  return absl::OkStatus();
}

absl::Status SearchLog::Start(int64_t first_step) {
  text_ = kLogHeader;
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
  }
  return absl::OkStatus();
}

void SearchLog::Add(search::CampaignRun& run, const search::StepReport& r) {
  const search::PolicyState& p = run.search().policies()[r.policy];
  absl::StrAppend(&text_, r.step, ",", CampaignState_Name(run.search().stage()), ",", r.policy, ",",
                  search::TargetLabel(p.target), ",", r.loss, ",", r.accuracy, ",", r.latency_ms, ",", r.reward, ",",
                  ArchitectureId(run.search().supernet().selected()), "\n");
}

absl::Status SearchLog::Flush() const {
  if (path_.empty()) return absl::OkStatus();
  return WriteFileAtomically(path_, text_);
}

absl::StatusOr<search::ResolvedCampaign> LoadCampaign(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("--spec: must be given");
  CampaignSpec spec;
  RETURN_IF_ERROR(WithContext(ReadTextProtoFile(path, &spec), "--spec"));
  return search::ResolveCampaign(spec, path);
}

}  // namespace ridge::cli
