// `ridge infer`: the inference executor's measured latency on this machine,
// under the workers' timing protocol (workers/timing.h).
#include <random>

#include "absl/flags/flag.h"
#include "absl/flags/internal/parse.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/output.h"
#include "common/status_macros.h"
#include "proto/architecture.h"
#include "supernet/dnnl_context.h"
#include "workers/executor.h"
#include "workers/timing.h"
#include "zoo/zoo.h"

namespace ridge::cli {
namespace {

// The protocol `ridge infer` uses: enough warmup for oneDNN's first-touch
// and cache effects, repeats of at least 200 ms so that timer noise is small.
TimingProtocol DefaultProtocol(int threads, int batch) {
  TimingProtocol p;
  p.set_warmup_runs(5);
  p.set_number(1);
  p.set_repeat(10);
  p.set_min_repeat_ms(200);
  p.set_cooldown_ms(0);
  p.set_threads(threads);
  p.set_batch(batch);
  return p;
}

void WriteEnvironment(const Environment& env, JsonWriter& json) {
  json.BeginObject();
  json.Key("cpu_model").String(env.cpu_model());
  json.Key("isa").String(env.isa());
  json.Key("cores").Int(env.cores());
  json.Key("threads").Int(env.threads());
  json.Key("onednn_version").String(env.onednn_version());
  json.Key("ridge_version").String(env.ridge_version());
  json.EndObject();
}

absl::Status Infer(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  ASSIGN_OR_RETURN(ModelOptions options, ModelOptionsFlags());
  ASSIGN_OR_RETURN(Architecture arch, ResolveArchitecture(absl::GetFlag(FLAGS_arch), options, "--arch"));
  // --batch is shared with training, whose default (128) makes no sense for
  // latency: infer uses 1 unless --batch is given.
  const int batch = absl::flags_internal::WasPresentOnCommandLine("batch") ? absl::GetFlag(FLAGS_batch) : 1;
  if (batch < 1 || batch > 4096) {
    return absl::InvalidArgumentError(absl::StrCat("--batch: ", batch, " must be in [1, 4096]"));
  }
  const int threads_flag = absl::GetFlag(FLAGS_threads);
  if (threads_flag < 0 || threads_flag > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("--threads: ", threads_flag, " must be in [0, 1024] (0 means all cores)"));
  }
  nn::SetThreads(threads_flag);
  const int threads = nn::Threads();
  ASSIGN_OR_RETURN(std::unique_ptr<workers::InferenceExecutor> ex,
                   workers::InferenceExecutor::Create(arch, batch, /*seed=*/1));
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (int64_t i = 0; i < ex->input_size(); ++i) ex->input()[i] = uniform(rng);
  const TimingProtocol protocol = DefaultProtocol(threads, batch);
  ASSIGN_OR_RETURN(workers::TimingResult r, workers::TimeRuns([&] { return ex->Run(); }, protocol));
  const Environment env = workers::CollectEnvironment(threads);
  const double images_per_sec = r.median_ms > 0 ? batch * 1e3 / r.median_ms : 0;
  const std::string name = arch.name().empty() ? ArchitectureId(arch) : arch.name();

  if (format == "json") {
    JsonWriter json;
    json.BeginObject();
    json.Key("arch").String(name);
    json.Key("arch_id").String(ArchitectureId(arch));
    json.Key("resolution").Int(arch.input().height());
    json.Key("batch").Int(batch);
    json.Key("threads").Int(threads);
    json.Key("median_ms").Double(r.median_ms);
    json.Key("p90_ms").Double(r.p90_ms);
    json.Key("mean_ms").Double(r.mean_ms);
    json.Key("stddev_ms").Double(r.stddev_ms);
    json.Key("images_per_sec").Double(images_per_sec);
    json.Key("number").Int(r.number);
    json.Key("samples_ms").BeginArray();
    for (double s : r.samples_ms) json.Double(s);
    json.EndArray();
    json.Key("environment");
    WriteEnvironment(env, json);
    json.EndObject();
    *out = json.str();
    return absl::OkStatus();
  }
  Table table({"arch", "batch", "threads", "median_ms", "p90_ms", "mean_ms", "stddev_ms", "images_per_sec"},
              {true});
  table.AddRow({name, absl::StrCat(batch), absl::StrCat(threads), FormatDouble(r.median_ms),
                FormatDouble(r.p90_ms), FormatDouble(r.mean_ms), FormatDouble(r.stddev_ms),
                FormatDouble(images_per_sec)});
  *out = absl::StrCat(table.Render(), "\n", protocol.repeat(), " repeats of ", r.number, " runs after ",
                      protocol.warmup_runs(), " warmup runs; ", env.cpu_model(), ", ", env.isa(), ", ",
                      env.cores(), " cores, oneDNN ", env.onednn_version(), ", ridge ", env.ridge_version(),
                      "\n");
  return absl::OkStatus();
}

}  // namespace

void AddInferCommands(std::vector<Command>* commands) {
  commands->push_back({"infer", "",
                       "Time inference of an architecture (random weights) with the workers' executor on this "
                       "machine: median, p90, mean and stddev ms per batch (--batch defaults to 1 here).",
                       {"arch", "resolution", "classes", "batch", "threads", "format"}, 0, 0, Infer});
}

}  // namespace ridge::cli
