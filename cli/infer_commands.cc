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
#include "supernet/executor.h"
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

// What `ridge infer` measured.
struct InferResult {
  std::string name;
  Architecture arch;
  int batch = 1, threads = 1;
  TimingProtocol protocol;
  workers::TimingResult timing;
  Environment env;
  double images_per_sec() const { return timing.median_ms > 0 ? batch * 1e3 / timing.median_ms : 0; }
};

std::string InferJson(const InferResult& r) {
  JsonWriter json;
  json.BeginObject();
  json.Key("arch").String(r.name);
  json.Key("arch_id").String(ArchitectureId(r.arch));
  json.Key("resolution").Int(r.arch.input().height());
  json.Key("batch").Int(r.batch);
  json.Key("threads").Int(r.threads);
  json.Key("median_ms").Double(r.timing.median_ms);
  json.Key("p90_ms").Double(r.timing.p90_ms);
  json.Key("mean_ms").Double(r.timing.mean_ms);
  json.Key("stddev_ms").Double(r.timing.stddev_ms);
  json.Key("images_per_sec").Double(r.images_per_sec());
  json.Key("number").Int(r.timing.number);
  json.Key("samples_ms").BeginArray();
  for (double s : r.timing.samples_ms) json.Double(s);
  json.EndArray();
  json.Key("environment");
  WriteEnvironment(r.env, json);
  json.EndObject();
  return json.str();
}

std::string InferTable(const InferResult& r) {
  Table table({"arch", "batch", "threads", "median_ms", "p90_ms", "mean_ms", "stddev_ms", "images_per_sec"},
              {true});
  table.AddRow({r.name, absl::StrCat(r.batch), absl::StrCat(r.threads), FormatDouble(r.timing.median_ms),
                FormatDouble(r.timing.p90_ms), FormatDouble(r.timing.mean_ms), FormatDouble(r.timing.stddev_ms),
                FormatDouble(r.images_per_sec())});
  return absl::StrCat(table.Render(), "\n", r.protocol.repeat(), " repeats of ", r.timing.number, " runs after ",
                      r.protocol.warmup_runs(), " warmup runs; ", r.env.cpu_model(), ", ", r.env.isa(), ", ",
                      r.env.cores(), " cores, oneDNN ", r.env.onednn_version(), ", ridge ", r.env.ridge_version(),
                      "\n");
}

// --batch (1 unless given: the training default of 128 makes no sense for
// latency) and --threads, checked.
absl::Status BatchAndThreadsFlags(int* batch, int* threads) {
  *batch = absl::flags_internal::WasPresentOnCommandLine("batch") ? absl::GetFlag(FLAGS_batch) : 1;
  if (*batch < 1 || *batch > 4096) {
    return absl::InvalidArgumentError(absl::StrCat("--batch: ", *batch, " must be in [1, 4096]"));
  }
  *threads = absl::GetFlag(FLAGS_threads);
  if (*threads < 0 || *threads > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("--threads: ", *threads, " must be in [0, 1024] (0 means all cores)"));
  }
  return absl::OkStatus();
}

absl::Status Infer(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  ASSIGN_OR_RETURN(ModelOptions options, ModelOptionsFlags());
  InferResult r;
  ASSIGN_OR_RETURN(r.arch, ResolveArchitecture(absl::GetFlag(FLAGS_arch), options, "--arch"));
  int threads_flag = 0;
  RETURN_IF_ERROR(BatchAndThreadsFlags(&r.batch, &threads_flag));
  nn::SetThreads(threads_flag);
  r.threads = nn::Threads();
  ASSIGN_OR_RETURN(std::unique_ptr<nn::InferenceExecutor> ex,
                   nn::InferenceExecutor::Create(r.arch, r.batch, /*seed=*/1));
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (int64_t i = 0; i < ex->input_size(); ++i) ex->input()[i] = uniform(rng);
  r.protocol = DefaultProtocol(r.threads, r.batch);
  ASSIGN_OR_RETURN(r.timing, workers::TimeRuns([&] { return ex->Run(); }, r.protocol));
  r.env = workers::CollectEnvironment(r.threads);
  r.name = r.arch.name().empty() ? ArchitectureId(r.arch) : r.arch.name();
  *out = format == "json" ? InferJson(r) : InferTable(r);
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
