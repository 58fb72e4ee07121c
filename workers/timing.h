// The latency timing protocol of the workers, borrowed from TVM's
// time_evaluator (docs/design.md §8): untimed warmup runs, then `number` runs
// per repeat, raised until one repeat lasts min_repeat_ms so the clock's
// resolution and per-call noise vanish, then `repeat` timed repeats, each one
// raw sample of milliseconds per run.
#ifndef RIDGE_WORKERS_TIMING_H_
#define RIDGE_WORKERS_TIMING_H_

#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/measurement.pb.h"

namespace ridge::workers {

// Ridge's own version, reported in Environment.ridge_version.
inline constexpr char kRidgeVersion[] = "0.1.0";

struct TimingResult {
  std::vector<double> samples_ms;  // One per repeat: repeat time / number.
  double median_ms = 0;
  double mean_ms = 0;
  double p90_ms = 0;    // Linear interpolation between order statistics (numpy's default).
  double stddev_ms = 0; // Population standard deviation (ddof = 0).
  int number = 0;       // Runs per repeat after raising it to min_repeat_ms.
};

// INVALID_ARGUMENT naming the field, its value and the rule when a protocol
// is out of range: repeat in [1, 1000], number >= 0 (0 means start at 1),
// warmup_runs >= 0, min_repeat_ms in [0, 60000], cooldown_ms in [0, 10000],
// threads >= 0, batch >= 0.
absl::Status ValidateProtocol(const TimingProtocol& protocol);

// Times `run` under `protocol`. The first error `run` returns is returned.
// With protocol.pin_threads, every OpenMP thread (and so the calling thread,
// OpenMP's thread 0) is first pinned to one core, thread i to core i modulo
// the cores this process may use; the pinning outlasts the call, which is
// what a worker that only measures wants. protocol.threads and batch are
// recorded by the caller, not applied here.
absl::StatusOr<TimingResult> TimeRuns(const std::function<absl::Status()>& run,
                                      const TimingProtocol& protocol);

// Median, mean, p90 and stddev of `samples_ms` (which it keeps); number is
// left 0. REQUIRES: samples_ms is not empty.
TimingResult Summarize(std::vector<double> samples_ms);

// Pins OpenMP thread i to the i-th core of this process's affinity mask.
// INTERNAL if the kernel refuses.
absl::Status PinOpenMpThreads();

// Where a measurement runs: the CPU model (/proc/cpuinfo "model name"), the
// ISA oneDNN dispatches to, the cores (std::thread::hardware_concurrency),
// `threads`, the oneDNN version and Ridge's version.
Environment CollectEnvironment(int threads);

}  // namespace ridge::workers

#endif  // RIDGE_WORKERS_TIMING_H_
