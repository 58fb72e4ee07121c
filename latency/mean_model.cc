#include "latency/mean_model.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace ridge {

absl::StatusOr<double> MeanModel::PredictMs(const Architecture& arch) const {
  double sum = 0;
  for (const auto& m : models_) {
    ASSIGN_OR_RETURN(double ms, m->PredictMs(arch));
    sum += ms;
  }
  return sum / models_.size();
}

std::string MeanModel::name() const {
  std::vector<std::string> names;
  for (const auto& m : models_) names.push_back(m->name());
  return absl::StrCat("mean(", absl::StrJoin(names, ","), ")");
}

}  // namespace ridge
