// Pareto fronts of (accuracy, latency) points and their hypervolume.
#ifndef RIDGE_SEARCH_PARETO_H_
#define RIDGE_SEARCH_PARETO_H_

#include <vector>

namespace ridge::search {

struct FrontPoint {
  double accuracy = 0;    // Higher is better.
  double latency_ms = 0;  // Lower is better.
};

// Indices of the non-dominated points, sorted by latency. A point is
// dominated if another is at least as accurate and at least as fast, and
// strictly better in one; of exact duplicates the first is kept.
std::vector<int> ParetoFront(const std::vector<FrontPoint>& points);

// The area dominated by `points` (any set; dominated points add nothing)
// inside the box bounded by the reference point (ref_latency_ms, ref_accuracy):
// only points faster than ref_latency_ms and more accurate than ref_accuracy
// count. Units: accuracy x milliseconds.
double Hypervolume(const std::vector<FrontPoint>& points, double ref_latency_ms, double ref_accuracy = 0);

}  // namespace ridge::search

#endif  // RIDGE_SEARCH_PARETO_H_
