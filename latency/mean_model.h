// The mean of several fitted latency models' predictions. Models that err
// in different ways (a per-block lookup with a calibrated roofline, and a
// linear model on channel-padded work) partly cancel each other's errors.
#ifndef RIDGE_LATENCY_MEAN_MODEL_H_
#define RIDGE_LATENCY_MEAN_MODEL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "latency/latency_model.h"

namespace ridge {

class MeanModel : public LatencyModel {
 public:
  // REQUIRES: at least one model.
  explicit MeanModel(std::vector<std::unique_ptr<LatencyModel>> models) : models_(std::move(models)) {}
  // The mean of every model's prediction; the first error if one fails.
  absl::StatusOr<double> PredictMs(const Architecture& arch) const override;
  // "mean(NAME,NAME)".
  std::string name() const override;

 private:
  std::vector<std::unique_ptr<LatencyModel>> models_;
};

}  // namespace ridge

#endif  // RIDGE_LATENCY_MEAN_MODEL_H_
