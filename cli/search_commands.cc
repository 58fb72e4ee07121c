// `ridge search --spec=FILE`: a whole TuNAS campaign in-process: search,
// then Pareto fronts per hardware; writes JSON, CSV and a search log.
#include <chrono>
#include <fstream>
#include <sys/stat.h>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "common/status_macros.h"
#include "latency/hardware_profiles.h"
#include "proto/architecture.h"
#include "proto/textproto.h"
#include "proto/validate.h"
#include "search/campaign.h"
#include "search/tunas.h"
#include "supernet/dnnl_context.h"
#include "zoo/zoo.h"

ABSL_FLAG(std::string, spec, "", "Campaign spec: a CampaignSpec textproto file (see examples/campaigns/).");
ABSL_FLAG(std::string, baseline, "", "\"random\": run the random-search baseline at the same budget instead.");
ABSL_FLAG(std::string, out, "", "Directory for fronts.json, fronts.csv and search_log.csv (created if missing).");

namespace ridge::cli {
namespace {

// Reads the spec file, then validates and resolves it whole.
absl::StatusOr<search::ResolvedCampaign> LoadCampaign(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("--spec: must be given");
  CampaignSpec spec;
  RETURN_IF_ERROR(WithContext(ReadTextProtoFile(path, &spec), "--spec"));
  return search::ResolveCampaign(spec, path);
}

using search::TargetLabel;

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

absl::Status WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
  if (!out) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot write"));
  return absl::OkStatus();
}

absl::Status Search(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  const std::string baseline = absl::GetFlag(FLAGS_baseline);
  if (!baseline.empty() && baseline != "random") {
    return absl::InvalidArgumentError(absl::StrCat("--baseline: '", baseline, "' is not one of {random}"));
  }
  ASSIGN_OR_RETURN(search::ResolvedCampaign campaign, LoadCampaign(absl::GetFlag(FLAGS_spec)));
  if (baseline == "random") RETURN_IF_ERROR(search::AsRandomBaseline(&campaign));
  const std::string out_dir = absl::GetFlag(FLAGS_out);
  if (!out_dir.empty()) {
    // Like mkdir -p: create each missing parent in turn.
    for (size_t slash = out_dir.find('/', 1); ; slash = out_dir.find('/', slash + 1)) {
      mkdir(out_dir.substr(0, slash).c_str(), 0755);
      if (slash == std::string::npos) break;
    }
    struct stat st;
    if (stat(out_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat("--out: '", out_dir, "' is not a directory we can create"));
    }
  }
  nn::SetThreads(campaign.spec.training().threads());
  ASSIGN_OR_RETURN(nn::Dataset data, nn::LoadFashionMnist(campaign.data));
  ASSIGN_OR_RETURN(std::unique_ptr<search::TunasSearch> s,
                   search::TunasSearch::Create(campaign.space, campaign.targets, data, campaign.options));

  Progress progress;
  std::string log = "step,stage,policy,target,loss,accuracy,latency_ms,reward,arch_id\n";
  const int64_t every = progress.tty() ? 5 : 100;
  const auto start = std::chrono::steady_clock::now();
  while (!s->done()) {
    ASSIGN_OR_RETURN(search::StepReport r, s->Step());
    if (!r.stage_began.empty()) progress.Say(r.stage_began);
    const search::PolicyState& p = s->policies()[r.policy];
    const std::string stage = CampaignState_Name(s->stage());
    absl::StrAppend(&log, r.step, ",", stage, ",", r.policy, ",", TargetLabel(p.target), ",", r.loss, ",",
                    r.accuracy, ",", r.latency_ms, ",", r.reward, ",", ArchitectureId(s->supernet().selected()),
                    "\n");
    if (s->step() % every == 0 || s->done()) {
      std::string status = stage;
      for (const search::PolicyState& q : s->policies()) {
        Architecture argmax =
            *BuildArchitecture(s->decisions().space(), s->decisions().ToChoice(q.policy->Argmax()));
        absl::StrAppend(&status, " | ", TargetLabel(q.target), " argmax ", ArchitectureId(argmax).substr(0, 6), " ",
                        FormatDouble(*s->LatencyMs(argmax, q.target), 3), "ms R=", FormatDouble(q.last_reward, 3));
      }
      progress.Update(s->step(), s->total_steps(), status);
    }
  }
  progress.Finish();
  const double search_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "scoring front candidates (proxy accuracy on the valid split after BN recalibration)\n");
  ASSIGN_OR_RETURN(search::CampaignResult result, search::FinishCampaign(s.get()));
  RETURN_IF_ERROR(search::RetrainFront(campaign, data, &result, [](const std::string& message) {
    std::fprintf(stderr, "%s\n", message.c_str());
  }));
  const std::vector<search::HardwareFront>& fronts = result.fronts;

  JsonWriter json;
  json.BeginObject();
  json.Key("campaign").String(campaign.spec.name());
  json.Key("space").String(s->decisions().space().name());
  json.Key("steps").Int(s->total_steps());
  json.Key("fine_steps").Int(campaign.options.fine_steps);
  json.Key("mode").String(baseline.empty() ? "tunas" : "random");
  json.Key("search_seconds").Double(search_seconds);
  json.Key("targets").BeginArray();
  std::string tables;
  for (const search::PolicyOutcome& o : result.policies) {
    json.BeginObject();
    json.Key("hardware").String(o.target->profile.name());
    json.Key("budget_ms").Double(o.target->budget_ms);
    json.Key("argmax").BeginObject();
    json.Key("arch_id").String(o.arch_id);
    json.Key("canonical").String(CanonicalEncoding(o.chosen));
    json.EndObject();
    json.Key("latency_ms").Double(o.latency_ms);
    for (const search::HardwareFront& f : fronts) {
      if (f.hardware == o.target->profile.name()) WriteFront(f, json);
    }
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();

  Table csv({"hardware", "arch_id", "origin", "accuracy", "latency_ms", "on_front", "canonical"});
  for (const search::HardwareFront& f : fronts) {
    Table table({"arch_id", "origin", "proxy_accuracy", "latency_ms", "on_front"}, {true, true});
    for (const search::ScoredCandidate& c : f.candidates) {
      table.AddRow({c.arch_id, c.origin, FormatDouble(c.accuracy), FormatDouble(c.latency_ms), c.on_front ? "*" : ""});
      csv.AddRow({f.hardware, c.arch_id, c.origin, absl::StrCat(c.accuracy), absl::StrCat(c.latency_ms),
                  c.on_front ? "1" : "0", CanonicalEncoding(c.arch)});
    }
    absl::StrAppend(&tables, "== ", f.hardware, ": hypervolume ", FormatDouble(f.hypervolume), " (reference point ",
                    FormatDouble(f.ref_latency_ms), " ms, accuracy 0)\n", table.Render(), "\n");
  }
  Table argmaxes({"target", "argmax", "latency_ms", "budget_ms"}, {true, true});
  for (const search::PolicyOutcome& o : result.policies) {
    argmaxes.AddRow({TargetLabel(*o.target), o.arch_id, FormatDouble(o.latency_ms), FormatDouble(o.target->budget_ms)});
  }
  if (!out_dir.empty()) {
    RETURN_IF_ERROR(WriteFile(out_dir + "/fronts.json", json.str()));
    RETURN_IF_ERROR(WriteFile(out_dir + "/fronts.csv", csv.RenderCsv()));
    RETURN_IF_ERROR(WriteFile(out_dir + "/search_log.csv", log));
  }
  *out = format == "json" ? json.str() : absl::StrCat(argmaxes.Render(), "\n", tables);
  return absl::OkStatus();
}

}  // namespace

void AddSearchCommands(std::vector<Command>* commands) {
  commands->push_back({"search", "",
                       "Run a TuNAS campaign in-process: one policy per (hardware, budget) on one supernet, "
                       "then Pareto fronts per hardware.",
                       {"spec", "baseline", "out", "format"}, 0, 0, Search});
}

}  // namespace ridge::cli
