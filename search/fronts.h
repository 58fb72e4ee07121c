// Pareto fronts per hardware after a search (docs/design.md §5): candidates
// are each policy's argmax, its best-rewarded samples and the space's
// reference architectures; each is scored by proxy accuracy (shared weights,
// BN recalibrated, the full valid split) and by latency.
#ifndef RIDGE_SEARCH_FRONTS_H_
#define RIDGE_SEARCH_FRONTS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "search/tunas.h"
#include "supernet/proxy.h"

namespace ridge::search {

struct ScoredCandidate {
  Architecture arch;  // At the proxy shape.
  std::string arch_id;
  // "argmax", "sample", "coarse_argmax", "reference" or "random".
  std::string origin;
  double accuracy = 0;
  double latency_ms = 0;
  bool on_front = false;
  // Test accuracy after standalone retraining (RetrainFront); < 0 if not retrained.
  double standalone_accuracy = -1;
};

struct HardwareFront {
  std::string hardware;
  std::vector<ScoredCandidate> candidates;  // Sorted by latency.
  double hypervolume = 0;
  // The reference point: twice the largest budget of this hardware, and
  // accuracy 0. Fronts of one hardware are comparable; across hardware not.
  double ref_latency_ms = 0;
};

// Scores every candidate by nn::ProxyAccuracy under `proxy` and builds one
// front per hardware, in the order the hardware first appears among the
// policies. `should_stop`, if set, is asked before each candidate: true ends
// the scoring with CANCELLED.
absl::StatusOr<std::vector<HardwareFront>> BuildFronts(TunasSearch* search, const nn::ProxyOptions& proxy,
                                                       const std::function<bool()>& should_stop = nullptr);

}  // namespace ridge::search

#endif  // RIDGE_SEARCH_FRONTS_H_
