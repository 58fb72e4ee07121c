// What a worker does with one job: build the inference executor for the
// job's architecture, time it with the job's protocol against a reference
// network, optionally time every layer, and describe where it ran.
#ifndef RIDGE_WORKERS_MEASURE_H_
#define RIDGE_WORKERS_MEASURE_H_

#include <map>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "proto/services.pb.h"

namespace ridge::workers {

// Every job is timed against a reference network run right beside it (this
// VM's speed drifts by tens of percent over seconds; the ratio does not).
// The Measurer owns those reference networks, one per (batch, threads) for
// the last few seen, each with the baseline time taken when it was built.
//
// Thread-safe: jobs are measured one at a time (two jobs timed at once would
// disturb each other's times anyway).
class Measurer {
 public:
  // `default_threads` applies when a job's protocol leaves threads at 0
  // (0 here: every core).
  explicit Measurer(int default_threads);
  ~Measurer();

  absl::StatusOr<Measurement> Measure(const Job& job);

 private:
  struct Reference;
  // The reference for the protocol's batch and thread count, built (and its
  // baseline timed) on first use.
  absl::StatusOr<Reference*> ReferenceFor(int batch, int threads) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int default_threads_;
  absl::Mutex mu_;
  std::map<std::pair<int, int>, std::unique_ptr<Reference>> references_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ridge::workers

#endif  // RIDGE_WORKERS_MEASURE_H_
