// Rank correlations between predicted and measured latencies.
#ifndef RIDGE_LATENCY_RANK_METRICS_H_
#define RIDGE_LATENCY_RANK_METRICS_H_

#include <vector>

namespace ridge {

// Spearman's rho: Pearson's r of the ranks, tied values taking the mean of
// their ranks. NaN if the sizes differ, n < 2, or either side is constant.
double SpearmanRho(const std::vector<double>& x, const std::vector<double>& y);
// Kendall's tau-b (Kendall 1945, "The treatment of ties in ranking problems").
// NaN under the same conditions.
double KendallTau(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace ridge

#endif  // RIDGE_LATENCY_RANK_METRICS_H_
