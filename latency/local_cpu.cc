#include "latency/local_cpu.h"

#include <immintrin.h>
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>

#include "absl/strings/str_format.h"

namespace ridge {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Each kernel runs `iters` rounds of independent FMA chains, enough chains to
// cover the FMA latency on two pipes, and returns a value that depends on all
// of them so the compiler cannot drop the work. MACs = iters * chains * lanes.
constexpr int kChains = 12;

__attribute__((target("avx512f"))) float FmaAvx512(int64_t iters) {
  __m512 acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm512_set1_ps(0.001f * j);
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t i = 0; i < iters; ++i) {
    // Fully unrolled so the chains live in registers, not memory.
#pragma GCC unroll 16
    for (int j = 0; j < kChains; ++j) acc[j] = _mm512_fmadd_ps(acc[j], a, b);
  }
  __m512 sum = acc[0];
  for (int j = 1; j < kChains; ++j) sum = _mm512_add_ps(sum, acc[j]);
  // Summed through memory, as FmaAvx2 does: GCC 12's _mm512_reduce_add_ps
  // warns (-Wuninitialized) inside its own header.
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  float total = 0;
  for (float v : lanes) total += v;
  return total;
}

__attribute__((target("avx2,fma"))) float FmaAvx2(int64_t iters) {
  __m256 acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm256_set1_ps(0.001f * j);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t i = 0; i < iters; ++i) {
    // Fully unrolled so the chains live in registers, not memory.
#pragma GCC unroll 16
    for (int j = 0; j < kChains; ++j) acc[j] = _mm256_fmadd_ps(acc[j], a, b);
  }
  alignas(32) float lanes[8];
  __m256 sum = acc[0];
  for (int j = 1; j < kChains; ++j) sum = _mm256_add_ps(sum, acc[j]);
  _mm256_store_ps(lanes, sum);
  float s = 0;
  for (float v : lanes) s += v;
  return s;
}

float FmaScalar(int64_t iters) {
  float acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = 0.001f * j;
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int j = 0; j < kChains; ++j) acc[j] = acc[j] * 0.999999f + 1e-7f;
  }
  float s = 0;
  for (float v : acc) s += v;
  return s;
}

struct FmaKernel {
  const char* isa;
  int lanes;
  float (*run)(int64_t);
};

FmaKernel PickKernel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return {"avx512f", 16, FmaAvx512};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {"avx2+fma", 8, FmaAvx2};
  return {"scalar", 1, FmaScalar};
}

// The sink keeps results observable so the benchmark loops are not removed.
volatile float g_sink;

double MeasureFma(const FmaKernel& kernel, const LocalCpuOptions& options) {
  // Calibrate the iteration count to the requested wall time.
  int64_t iters = 1 << 14;
  for (;;) {
    auto start = Clock::now();
    g_sink = kernel.run(iters);
    if (Seconds(start) > options.fma_seconds / 4 || iters > (int64_t{1} << 40)) break;
    iters *= 2;
  }
  iters *= 4;
  double best = 0;
  for (int r = 0; r < options.repeats; ++r) {
    auto start = Clock::now();
    g_sink = kernel.run(iters);
    double macs = static_cast<double>(iters) * kChains * kernel.lanes;
    best = std::max(best, macs / Seconds(start));
  }
  return best;
}

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};

std::unique_ptr<float[], FreeDeleter> AllocateHuge(int64_t elements) {
  constexpr size_t kHugePage = 2 << 20;
  size_t bytes = (elements * sizeof(float) + kHugePage - 1) / kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, bytes);
  // Huge pages avoid paying a 4 KiB page fault per page on first touch.
  if (p != nullptr) madvise(p, bytes, MADV_HUGEPAGE);
  return std::unique_ptr<float[], FreeDeleter>(static_cast<float*>(p));
}

}  // namespace

absl::StatusOr<LocalCpuMeasurement> MeasureLocalCpu(const LocalCpuOptions& options) {
  LocalCpuMeasurement m;
  FmaKernel kernel = PickKernel();
  m.isa = kernel.isa;
  m.peak_macs_per_sec = MeasureFma(kernel, options);

  const int64_t n = options.triad_elements;
  auto a = AllocateHuge(n), b = AllocateHuge(n), c = AllocateHuge(n);
  if (!a || !b || !c) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("local_cpu: cannot allocate 3 x %d floats for the triad", n));
  }
  for (int64_t i = 0; i < n; ++i) a[i] = 0, b[i] = 1, c[i] = 2;
  const float s = 0.5f;
  double best = 0;
  for (int r = 0; r < options.repeats + 1; ++r) {
    auto start = Clock::now();
    float* __restrict pa = a.get();
    const float* __restrict pb = b.get();
    const float* __restrict pc = c.get();
    for (int64_t i = 0; i < n; ++i) pa[i] = pb[i] + s * pc[i];
    double sec = Seconds(start);
    g_sink = pa[r % n];
    // STREAM counts the triad as 3 arrays x 4 bytes per element.
    if (r > 0) best = std::max(best, 12.0 * n / sec);
  }
  m.triad_bytes_per_sec = best;
  return m;
}

HardwareProfile LocalCpuProfile(const LocalCpuMeasurement& m) {
  HardwareProfile p;
  p.set_name("local_cpu");
  p.set_source(absl::StrFormat(
      "measured now on this machine, 1 thread: peak FMA %.1f GMAC/s (%s), "
      "STREAM-like triad %.1f GB/s",
      m.peak_macs_per_sec / 1e9, m.isa, m.triad_bytes_per_sec / 1e9));
  p.set_peak_macs_per_sec(m.peak_macs_per_sec);
  p.set_peak_bytes_per_sec(m.triad_bytes_per_sec);
  p.set_bytes_per_element(4);
  return p;
}

}  // namespace ridge
