// The closed loop between a campaign and its measurement workers (docs/design.md
// §4, 6 and 7), for targets that name a device key:
// - at the start, the target is priced by the latency model that
//   cross-validates best on the key's stored measurements (measured by
//   workers or imported), if there are enough, else by its roofline profile;
// - during the search, every `measure_every` steps the architecture just
//   trained is queued for measurement, and every `refit_every` steps the
//   model is refitted on whatever has been measured since;
// - at the end, the front's points are measured for real.
// When no live worker serves a key, the campaign goes on with the model and
// says so in its events.
#ifndef RIDGE_CONTROLLER_DEVICE_LOOP_H_
#define RIDGE_CONTROLLER_DEVICE_LOOP_H_

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/job_queue.h"
#include "latency/latency_model.h"
#include "latency/model_selection.h"
#include "search/tunas.h"

namespace ridge::controller {

struct DeviceLoopOptions {
  int64_t measure_every_steps = 50;
  int64_t refit_every_steps = 200;
  int min_measurements = kMinMeasurementsToPrice;  // Fewer: keep the roofline.
  absl::Duration front_timeout = absl::Minutes(10);
};

class DeviceLoop {
 public:
  // `say` records a human-readable event.
  DeviceLoop(JobQueue* jobs, search::TunasSearch* search, std::string campaign_id, DeviceLoopOptions options,
             std::function<void(const std::string&)> say);

  // Fits each device key's model from the store, before the first step.
  absl::Status Start();
  // After each step: queue the trained architecture, refit when due.
  absl::Status AfterStep();
  // Measures the front points of device targets; sets measured_latency_ms.
  absl::Status MeasureFront(std::vector<ParetoPoint>* points);
  bool has_devices() const { return !keys_.empty(); }

 private:
  // Refits `key`'s model if it has new measurements; returns how many it has.
  absl::StatusOr<size_t> Refit(const std::string& key);

  JobQueue* jobs_;
  search::TunasSearch* search_;
  const std::string campaign_id_;
  const DeviceLoopOptions options_;
  std::function<void(const std::string&)> say_;
  std::set<std::string> keys_;
  std::map<std::string, size_t> fitted_on_;  // Measurements behind each key's model.
  std::set<std::string> told_no_worker_;
};

// Stored (architecture, measurement) pairs as the latency models take them.
std::vector<MeasuredArch> ToMeasuredArchs(const std::vector<std::pair<Architecture, Measurement>>& stored);

// The self-measured profile of the latest worker of `device_key`.
absl::StatusOr<HardwareProfile> DeviceProfile(JobStore* store, const std::string& device_key);

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_DEVICE_LOOP_H_
