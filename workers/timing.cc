#include "workers/timing.h"

#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "supernet/dnnl_context.h"

namespace ridge::workers {
namespace {

using Clock = std::chrono::steady_clock;

absl::Status OutOfRange(absl::string_view field, double value, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat("protocol.", field, ": ", value, " ", rule));
}

// Runs `run` `number` times; returns the elapsed milliseconds.
absl::StatusOr<double> TimeBatch(const std::function<absl::Status()>& run, int64_t number) {
  const Clock::time_point start = Clock::now();
  for (int64_t i = 0; i < number; ++i) RETURN_IF_ERROR(run());
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string IsaName(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_mic: return "avx512_mic";
    case dnnl::cpu_isa::avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case dnnl::cpu_isa::all: return "all";
  }
  return "unknown";
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (!absl::StartsWith(line, "model name")) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    return std::string(absl::StripAsciiWhitespace(absl::string_view(line).substr(colon + 1)));
  }
  return "unknown";
}

}  // namespace

absl::Status ValidateProtocol(const TimingProtocol& p) {
  if (p.repeat() < 1 || p.repeat() > 1000) return OutOfRange("repeat", p.repeat(), "must be in [1, 1000]");
  if (p.number() < 0) return OutOfRange("number", p.number(), "must be >= 0 (0 starts at 1)");
  if (p.warmup_runs() < 0) return OutOfRange("warmup_runs", p.warmup_runs(), "must be >= 0");
  // The negated comparisons also refuse NaN.
  if (!(p.min_repeat_ms() >= 0 && p.min_repeat_ms() <= 60000)) {
    return OutOfRange("min_repeat_ms", p.min_repeat_ms(), "must be in [0, 60000]");
  }
  if (!(p.cooldown_ms() >= 0 && p.cooldown_ms() <= 10000)) {
    return OutOfRange("cooldown_ms", p.cooldown_ms(), "must be in [0, 10000]");
  }
  if (p.threads() < 0) return OutOfRange("threads", p.threads(), "must be >= 0 (0 means all cores)");
  if (p.batch() < 0) return OutOfRange("batch", p.batch(), "must be >= 0");
  return absl::OkStatus();
}

TimingResult Summarize(std::vector<double> samples_ms) {
  TimingResult r;
  r.samples_ms = std::move(samples_ms);
  std::vector<double> s = r.samples_ms;
  std::sort(s.begin(), s.end());
  const size_t n = s.size();
  if (n == 0) return r;
  r.median_ms = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  double sum = 0;
  for (double v : s) sum += v;
  r.mean_ms = sum / n;
  double squares = 0;
  for (double v : s) squares += (v - r.mean_ms) * (v - r.mean_ms);
  r.stddev_ms = std::sqrt(squares / n);
  const double rank = 0.9 * (n - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, n - 1);
  r.p90_ms = s[lo] + (rank - lo) * (s[hi] - s[lo]);
  return r;
}

absl::Status PinOpenMpThreads() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
    return absl::InternalError("pin_threads: sched_getaffinity failed");
  }
  std::vector<int> cores;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &allowed)) cores.push_back(c);
  }
  if (cores.empty()) return absl::InternalError("pin_threads: no core in the affinity mask");
  // Each thread pins itself: sched_setaffinity(0, ...) applies to the caller,
  // and OpenMP reuses the same pool of threads for later parallel regions.
  std::atomic<int> failures{0};
#pragma omp parallel
  {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cores[omp_get_thread_num() % cores.size()], &one);
    if (sched_setaffinity(0, sizeof(one), &one) != 0) failures++;
  }
  if (failures > 0) return absl::InternalError(absl::StrCat("pin_threads: ", failures.load(), " thread(s) not pinned"));
  return absl::OkStatus();
}

absl::StatusOr<TimingResult> TimeRuns(const std::function<absl::Status()>& run, const TimingProtocol& protocol) {
  RETURN_IF_ERROR(ValidateProtocol(protocol));
  if (protocol.pin_threads()) RETURN_IF_ERROR(PinOpenMpThreads());
  for (int i = 0; i < protocol.warmup_runs(); ++i) RETURN_IF_ERROR(run());
  // Calibration repeats are not samples: they only find `number`. Doubling
  // overshoots by at most 2x, and the cap keeps a run that takes no time at
  // all from looping forever.
  int64_t number = std::max(protocol.number(), 1);
  constexpr int64_t kMaxNumber = int64_t{1} << 30;
  while (protocol.min_repeat_ms() > 0 && number < kMaxNumber) {
    ASSIGN_OR_RETURN(double ms, TimeBatch(run, number));
    if (ms >= protocol.min_repeat_ms()) break;
    number *= 2;
  }
  std::vector<double> samples;
  samples.reserve(protocol.repeat());
  for (int r = 0; r < protocol.repeat(); ++r) {
    if (r > 0 && protocol.cooldown_ms() > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(protocol.cooldown_ms()));
    }
    ASSIGN_OR_RETURN(double ms, TimeBatch(run, number));
    samples.push_back(ms / number);
  }
  TimingResult result = Summarize(std::move(samples));
  result.number = static_cast<int>(number);
  return result;
}

Environment CollectEnvironment(int threads) {
  Environment env;
  env.set_cpu_model(CpuModel());
  env.set_isa(IsaName(dnnl::get_effective_cpu_isa()));
  env.set_cores(static_cast<int>(std::thread::hardware_concurrency()));
  env.set_threads(threads);
  env.set_onednn_version(nn::OneDnnVersion());
  env.set_ridge_version(kRidgeVersion);
  return env;
}

}  // namespace ridge::workers
