// `local_cpu`: a roofline profile of the machine Ridge runs on, measured at
// run time with a peak-FMA microbenchmark and a STREAM-like triad, both on one
// thread (batch-1 latency is timed on one thread; docs/design.md §10).
#ifndef RIDGE_LATENCY_LOCAL_CPU_H_
#define RIDGE_LATENCY_LOCAL_CPU_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/hardware.pb.h"

namespace ridge {

struct LocalCpuMeasurement {
  std::string isa;          // Vector ISA of the FMA kernel: "avx512f", "avx2+fma" or "scalar".
  double peak_macs_per_sec = 0;   // Best of several runs of independent FMA chains.
  double triad_bytes_per_sec = 0; // Best of several a[i] = b[i] + s * c[i] passes.
};

struct LocalCpuOptions {
  // Wall time spent in each FMA run, in seconds.
  double fma_seconds = 0.05;
  // Floats per triad array; three arrays must exceed the last-level cache.
  int64_t triad_elements = 8 << 20;
  // Repeats of each benchmark; the best is kept.
  int repeats = 3;
};

// Runs both microbenchmarks. Takes about half a second with the defaults.
// RESOURCE_EXHAUSTED if the triad arrays cannot be allocated.
absl::StatusOr<LocalCpuMeasurement> MeasureLocalCpu(const LocalCpuOptions& options = {});

// The `local_cpu` profile from a measurement, at fp32 (the engine's type).
HardwareProfile LocalCpuProfile(const LocalCpuMeasurement& m);

}  // namespace ridge

#endif  // RIDGE_LATENCY_LOCAL_CPU_H_
