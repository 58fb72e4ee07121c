// The search curves (docs/plots.md): each policy's reward and sampled
// latency over the steps, kept bounded (at most ~1000 points per series)
// however long the search, and drawn as SVG.
#ifndef RIDGE_CLI_SEARCH_CURVES_H_
#define RIDGE_CLI_SEARCH_CURVES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "plots/downsample.h"

namespace ridge::cli {

class SearchCurves {
 public:
  static constexpr size_t kMaxPoints = 1000;

  // One step of policy `policy` (its index in the search).
  void Add(int policy, int64_t step, double latency_ms, double reward);
  void Clear() { policies_.clear(); }
  // Steps recorded so far, over every policy.
  int64_t steps() const;

  // Two panels: reward, and sampled latency over the policy's budget (1 is
  // on budget, so policies of different hardware share an axis). `labels`
  // and `budgets_ms` are per policy, in the search's order.
  std::string Svg(const std::vector<std::string>& labels, const std::vector<double>& budgets_ms,
                  const std::string& title) const;

 private:
  struct Curves {
    plots::Downsampler reward{kMaxPoints}, latency{kMaxPoints};
  };
  std::vector<Curves> policies_;
};

}  // namespace ridge::cli

#endif  // RIDGE_CLI_SEARCH_CURVES_H_
