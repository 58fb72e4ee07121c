// What a worker does with one job: build the inference executor for the
// job's architecture, time it with the job's protocol, optionally time every
// layer, and describe where it ran.
#ifndef RIDGE_WORKERS_MEASURE_H_
#define RIDGE_WORKERS_MEASURE_H_

#include "absl/status/statusor.h"
#include "proto/services.pb.h"

namespace ridge::workers {

// `threads` applies when the job's protocol leaves threads at 0.
absl::StatusOr<Measurement> MeasureJob(const Job& job, int threads);

}  // namespace ridge::workers

#endif  // RIDGE_WORKERS_MEASURE_H_
