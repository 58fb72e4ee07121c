#include "workers/measure.h"

#include <algorithm>

#include "common/status_macros.h"
#include "proto/architecture.h"
#include "supernet/dnnl_context.h"
#include "workers/executor.h"
#include "workers/timing.h"

namespace ridge::workers {

absl::StatusOr<Measurement> MeasureJob(const Job& job, int threads) {
  TimingProtocol protocol = job.protocol();
  if (protocol.threads() == 0) protocol.set_threads(threads);
  if (protocol.batch() == 0) protocol.set_batch(1);
  RETURN_IF_ERROR(ValidateProtocol(protocol));
  nn::SetThreads(protocol.threads());
  // Weights do not change the time of dense kernels; a fixed seed keeps runs
  // comparable.
  ASSIGN_OR_RETURN(std::unique_ptr<InferenceExecutor> executor,
                   InferenceExecutor::Create(job.architecture(), protocol.batch(), /*seed=*/1));
  ASSIGN_OR_RETURN(TimingResult t, TimeRuns([&] { return executor->Run(); }, protocol));
  Measurement m;
  m.set_job_id(job.job_id());
  m.set_arch_id(ArchitectureId(job.architecture()));
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
    ASSIGN_OR_RETURN(auto layers, executor->TimeLayers(per_layer));
    for (const auto& [name, ms] : layers) {
      LayerTime* l = m.add_layers();
      l->set_layer(name);
      l->set_median_ms(ms);
    }
  }
  *m.mutable_environment() = CollectEnvironment(nn::Threads());
  return m;
}

}  // namespace ridge::workers
