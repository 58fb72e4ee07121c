#include "workers/measure.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/status_macros.h"
#include "proto/architecture.h"
#include "supernet/dnnl_context.h"
#include "supernet/executor.h"
#include "workers/timing.h"
#include "zoo/zoo.h"

namespace ridge::workers {

namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds per run of `number` runs of `run`.
absl::StatusOr<double> TimeBatch(nn::InferenceExecutor& run, int number) {
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < number; ++i) RETURN_IF_ERROR(run.Run());
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count() / number;
}

// Runs per batch so that one batch lasts about `ms`.
absl::StatusOr<int> NumberFor(nn::InferenceExecutor& run, double ms) {
  ASSIGN_OR_RETURN(double one, TimeBatch(run, 1));
  return std::max(1, static_cast<int>(ms / std::max(one, 1e-3)));
}

// The reference network: fmnist_reference at 224x224x3 with 1000 classes,
// a few milliseconds per run.
Architecture ReferenceArchitecture() {
  Architecture arch = *ResolveArchitecture("fmnist_reference");
  arch.mutable_input()->set_height(224);
  arch.mutable_input()->set_width(224);
  arch.mutable_input()->set_channels(3);
  arch.set_num_classes(1000);
  return arch;
}

}  // namespace

struct Measurer::Reference {
  std::unique_ptr<nn::InferenceExecutor> executor;
  double baseline_ms = 0;
};

Measurer::Measurer(int default_threads) : default_threads_(default_threads) {}
Measurer::~Measurer() = default;

absl::StatusOr<Measurer::Reference*> Measurer::ReferenceFor(int batch, int threads) {
  auto found = references_.find({batch, threads});
  if (found != references_.end()) return found->second.get();
  // A few shapes at most: each is a 224x224 network at the job's batch, and
  // a client chooses the batch.
  if (references_.size() >= 4) references_.clear();
  std::unique_ptr<Reference>& slot = references_[{batch, threads}];
  auto r = std::make_unique<Reference>();
  ASSIGN_OR_RETURN(r->executor, nn::InferenceExecutor::Create(ReferenceArchitecture(), batch, /*seed=*/1));
  TimingProtocol p;
  p.set_warmup_runs(5);
  p.set_repeat(15);
  p.set_min_repeat_ms(50);
  ASSIGN_OR_RETURN(TimingResult t, TimeRuns([&] { return r->executor->Run(); }, p));
  r->baseline_ms = t.median_ms;
  slot = std::move(r);
  return slot.get();
}

absl::StatusOr<Measurement> Measurer::Measure(const Job& job) {
  absl::MutexLock lock(&mu_);
  TimingProtocol protocol = job.protocol();
  if (protocol.threads() == 0) protocol.set_threads(default_threads_);
  if (protocol.batch() == 0) protocol.set_batch(1);
  RETURN_IF_ERROR(ValidateProtocol(protocol));
  nn::SetThreads(protocol.threads());
  // Weights do not change the time of dense kernels; a fixed seed keeps runs
  // comparable.
  ASSIGN_OR_RETURN(std::unique_ptr<nn::InferenceExecutor> executor,
                   nn::InferenceExecutor::Create(job.architecture(), protocol.batch(), /*seed=*/1));
  // The job's repeats alternate with the reference network's: each sample
  // is the job's time relative to the reference right beside it, times the
  // reference's baseline. This VM's speed drifts by tens of percent over
  // seconds; the ratio does not.
  ASSIGN_OR_RETURN(Reference * reference, ReferenceFor(protocol.batch(), nn::Threads()));
  for (int i = 0; i < protocol.warmup_runs(); ++i) {
    RETURN_IF_ERROR(executor->Run());
    RETURN_IF_ERROR(reference->executor->Run());
  }
  const double half = std::max(1.0, protocol.min_repeat_ms() / 2);
  ASSIGN_OR_RETURN(int number, NumberFor(*executor, half));
  ASSIGN_OR_RETURN(int reference_number, NumberFor(*reference->executor, half));
  if (protocol.number() > number) number = protocol.number();
  std::vector<double> samples, reference_samples;
  for (int r = 0; r < protocol.repeat(); ++r) {
    ASSIGN_OR_RETURN(double ref_before, TimeBatch(*reference->executor, reference_number));
    ASSIGN_OR_RETURN(double ms, TimeBatch(*executor, number));
    ASSIGN_OR_RETURN(double ref_after, TimeBatch(*reference->executor, reference_number));
    const double ref = (ref_before + ref_after) / 2;
    reference_samples.push_back(ref);
    samples.push_back(ms / ref * reference->baseline_ms);
    if (protocol.cooldown_ms() > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(protocol.cooldown_ms()));
    }
  }
  TimingResult t = Summarize(samples);
  t.number = number;
  const double drift = Summarize(reference_samples).median_ms / reference->baseline_ms;
  Measurement m;
  m.set_job_id(job.job_id());
  m.set_arch_id(ArchitectureId(job.architecture()));
  m.set_reference_ms(drift * reference->baseline_ms);
  m.set_reference_baseline_ms(reference->baseline_ms);
  protocol.set_number(t.number);
  *m.mutable_protocol() = protocol;
  for (double s : t.samples_ms) m.add_samples_ms(s);
  m.set_median_ms(t.median_ms);
  m.set_mean_ms(t.mean_ms);
  m.set_p90_ms(t.p90_ms);
  m.set_stddev_ms(t.stddev_ms);
  if (protocol.per_layer()) {
    // Each layer on its own with a lighter protocol: a network has dozens of
    // layers, and the full protocol per layer would take minutes per job.
    TimingProtocol per_layer = protocol;
    per_layer.set_warmup_runs(1);
    per_layer.set_repeat(3);
    per_layer.set_min_repeat_ms(std::min(protocol.min_repeat_ms(), 5.0));
    per_layer.set_cooldown_ms(0);
    ASSIGN_OR_RETURN(auto layers, executor->TimeLayers([&](const std::function<absl::Status()>& run_step)
                                                           -> absl::StatusOr<double> {
      ASSIGN_OR_RETURN(TimingResult r, TimeRuns(run_step, per_layer));
      return r.median_ms;
    }));
    for (const auto& [name, ms] : layers) {
      LayerTime* l = m.add_layers();
      l->set_layer(name);
      l->set_median_ms(ms / drift);  // On the same scale as the samples.
    }
  }
  *m.mutable_environment() = CollectEnvironment(nn::Threads());
  return m;
}

}  // namespace ridge::workers
