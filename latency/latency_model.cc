#include "latency/latency_model.h"

namespace ridge {

LatencyModel::~LatencyModel() = default;

}  // namespace ridge
