// `ridge worker list`, `ridge latency measure|report|import`:
// the client side of measurement workers and measured latency models.
#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/latency_csv.h"
#include "cli/output.h"
#include "common/files.h"
#include "common/status_macros.h"

ABSL_FLAG(std::string, device, "", "Device key of the measurement workers, e.g. zen5-2c.");
ABSL_FLAG(bool, per_layer, true, "Also time every layer (the lookup-table model needs it).");
ABSL_FLAG(double, held_out, 0.4, "Share of measured architectures held out to score the models.");
ABSL_FLAG(std::string, base_hardware, "",
          "Built-in profile the roofline calibration starts from; default: the workers' self-measured one.");

namespace ridge::cli {
namespace {

absl::Status WorkerList(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  ASSIGN_OR_RETURN(Connection c, ConnectFromFlags());
  ListWorkersRequest request;
  request.set_device_key(absl::GetFlag(FLAGS_device));
  ListWorkersResponse response;
  grpc::Status s = c.measurements->ListWorkers(c.Context().get(), request, &response);
  if (!s.ok()) return RpcError(s, "ListWorkers", c.target);
  if (format == "json") {
    JsonWriter json;
    json.BeginObject().Key("workers").BeginArray();
    for (const WorkerInfo& w : response.workers()) {
      json.BeginObject();
      json.Key("worker_id").String(w.worker_id()).Key("device_key").String(w.device_key());
      json.Key("state").String(w.state()).Key("running_jobs").Int(w.running_jobs());
      json.Key("jobs_done").Int(w.jobs_done()).Key("jobs_failed").Int(w.jobs_failed());
      json.Key("cpu_model").String(w.environment().cpu_model());
      json.EndObject();
    }
    json.EndArray().Key("jobs").BeginObject();
    for (const auto& [state, n] : response.jobs()) json.Key(state).Int(n);
    json.EndObject().EndObject();
    *out = json.str();
    return absl::OkStatus();
  }
  Table table({"worker_id", "device_key", "state", "load", "done", "failed", "last_heartbeat", "cpu"},
              {true, true, true, false, false, false, true, true});
  for (const WorkerInfo& w : response.workers()) {
    table.AddRow({w.worker_id(), w.device_key(), w.state(), absl::StrCat(w.running_jobs()),
                  absl::StrCat(w.jobs_done()), absl::StrCat(w.jobs_failed()),
                  absl::FormatTime("%H:%M:%S", absl::FromUnixMillis(w.last_heartbeat_unix_ms()), absl::UTCTimeZone()),
                  w.environment().cpu_model()});
  }
  std::string jobs;
  for (const char* state : {"queued", "leased", "done", "failed"}) {
    auto it = response.jobs().find(state);
    absl::StrAppend(&jobs, jobs.empty() ? "" : ", ", it == response.jobs().end() ? 0 : it->second, " ", state);
  }
  *out = absl::StrCat(table.Render(), "\njobs: ", jobs, "\n");
  return absl::OkStatus();
}

absl::Status Measure(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(ModelOptions shape, ModelOptionsFlags());
  ASSIGN_OR_RETURN(Connection c, ConnectFromFlags());
  MeasureRequest request;
  request.set_device_key(absl::GetFlag(FLAGS_device));
  request.set_space(absl::GetFlag(FLAGS_space).empty() ? "fmnist_uib" : absl::GetFlag(FLAGS_space));
  request.set_count(absl::GetFlag(FLAGS_count) > 0 ? absl::GetFlag(FLAGS_count) : 60);
  request.set_seed(static_cast<uint64_t>(absl::GetFlag(FLAGS_seed)));
  if (shape.resolution > 0) {
    request.mutable_input()->set_height(shape.resolution);
    request.mutable_input()->set_width(shape.resolution);
    request.mutable_input()->set_channels(3);
  }
  if (shape.num_classes > 0) request.set_num_classes(shape.num_classes);
  request.mutable_protocol()->set_per_layer(absl::GetFlag(FLAGS_per_layer));
  request.mutable_protocol()->set_threads(absl::GetFlag(FLAGS_threads));
  MeasureResponse response;
  grpc::Status s = c.measurements->Measure(c.Context().get(), request, &response);
  if (!s.ok()) return RpcError(s, "Measure", c.target);
  *out = absl::StrCat("queued ", response.job_ids_size(), " measurement jobs for device ", request.device_key(),
                      "; follow them with `ridge worker list`\n");
  return absl::OkStatus();
}

absl::Status Report(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  ASSIGN_OR_RETURN(Connection c, ConnectFromFlags());
  LatencyReportRequest request;
  request.set_device_key(absl::GetFlag(FLAGS_device));
  request.set_held_out_fraction(absl::GetFlag(FLAGS_held_out));
  request.set_seed(static_cast<uint64_t>(absl::GetFlag(FLAGS_seed)));
  request.set_base_hardware(absl::GetFlag(FLAGS_base_hardware));
  LatencyReportResponse response;
  grpc::Status s = c.measurements->LatencyReport(c.Context(300).get(), request, &response);
  if (!s.ok()) return RpcError(s, "LatencyReport", c.target);
  if (format == "json") {
    JsonWriter json;
    json.BeginObject().Key("device_key").String(response.device_key());
    json.Key("measurements").Int(response.measurements()).Key("imported").Int(response.imported());
    json.Key("train").Int(response.train());
    json.Key("held_out").Int(response.held_out()).Key("models").BeginObject();
    for (const ModelReport& m : response.models()) {
      json.Key(m.model()).BeginObject();
      json.Key("n").Int(m.n()).Key("failed").Int(m.failed());
      json.Key("spearman").Double(m.spearman()).Key("kendall").Double(m.kendall());
      json.Key("mape").Double(m.mape()).Key("within_10pct").Double(m.within_10pct());
      if (!m.error().empty()) json.Key("error").String(m.error());
      json.EndObject();
    }
    json.EndObject().EndObject();
    *out = json.str();
    return absl::OkStatus();
  }
  Table table({"model", "n", "spearman", "kendall", "mape_pct", "within_10pct", "failed"}, {true});
  std::string errors;
  for (const ModelReport& m : response.models()) {
    if (!m.error().empty()) absl::StrAppend(&errors, m.model(), ": ", m.error(), "\n");
    table.AddRow({m.model(), absl::StrCat(m.n()), FormatDouble(m.spearman()), FormatDouble(m.kendall()),
                  FormatDouble(m.mape() * 100, 3), FormatDouble(m.within_10pct()), absl::StrCat(m.failed())});
  }
  *out = absl::StrCat("device ", response.device_key(), ": ", response.measurements(), " measured architectures (",
                      response.imported(), " imported), ",
                      response.train(), " to fit, ", response.held_out(), " held out\n\n", table.Render(), errors);
  return absl::OkStatus();
}

absl::Status Import(const std::vector<std::string>& args, std::string* out) {
  if (absl::GetFlag(FLAGS_device).empty()) return absl::InvalidArgumentError("--device: empty; name the device key");
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(args[0], 16 << 20));
  ASSIGN_OR_RETURN(ImportLatenciesRequest request, ParseLatencyCsv(text, args[0], absl::GetFlag(FLAGS_device)));
  ASSIGN_OR_RETURN(Connection c, ConnectFromFlags());
  ImportLatenciesResponse response;
  grpc::Status s = c.measurements->ImportLatencies(c.Context(120).get(), request, &response);
  if (!s.ok()) return RpcError(s, "ImportLatencies", c.target);
  *out = absl::StrCat("device ", request.device_key(), ": ", response.stored(), " of ", response.received(),
                      " measurements stored (", response.already_present(), " already present); ", response.total(),
                      " in all. Score the models with `ridge latency report --device=", request.device_key(),
                      " --base_hardware=NAME`\n");
  return absl::OkStatus();
}

}  // namespace

void AddWorkerCommands(std::vector<Command>* commands) {
  commands->push_back({"worker list", "", "Measurement workers with their state and load, and the job queue.",
                       WithConnectionFlags({"device", "format"}), 0, 0, WorkerList});
  commands->push_back({"latency measure", "",
                       "Queue measurement jobs: --count architectures sampled from --space, at --resolution.",
                       WithConnectionFlags({"device", "space", "count", "seed", "resolution", "classes", "per_layer",
                                  "threads"}),
                       0, 0, Measure});
  commands->push_back({"latency report", "",
                       "Fit the lookup-table, calibrated-roofline and hybrid models of --device on its measurements "
                       "and score them on held-out architectures.",
                       WithConnectionFlags({"device", "held_out", "seed", "base_hardware", "format"}), 0, 0, Report});
  commands->push_back({"latency import", "FILE.csv",
                       "Store latencies measured elsewhere as measurements of --device (columns arch, latency_ms, and "
                       "optionally runtime, threads, precision, repeats); all rows or none, and a row already "
                       "imported is not stored again.",
                       WithConnectionFlags({"device"}), 1, 1, Import});
}

}  // namespace ridge::cli
