#include "search/pareto.h"

#include <algorithm>
#include <numeric>

namespace ridge::search {

std::vector<int> ParetoFront(const std::vector<FrontPoint>& points) {
  std::vector<int> order(points.size());
  std::iota(order.begin(), order.end(), 0);
  // Fastest first; among equal latencies the most accurate first, then by index.
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    if (points[a].latency_ms != points[b].latency_ms) return points[a].latency_ms < points[b].latency_ms;
    return points[a].accuracy > points[b].accuracy;
  });
  std::vector<int> front;
  double best = -1e300;
  for (int i : order) {
    // Sorted by latency, a point is on the front iff it beats every faster one.
    if (points[i].accuracy > best) {
      front.push_back(i);
      best = points[i].accuracy;
    }
  }
  return front;
}

double Hypervolume(const std::vector<FrontPoint>& points, double ref_latency_ms, double ref_accuracy) {
  std::vector<FrontPoint> inside;
  for (const FrontPoint& p : points) {
    if (p.latency_ms < ref_latency_ms && p.accuracy > ref_accuracy) inside.push_back(p);
  }
  std::vector<int> front = ParetoFront(inside);
  double volume = 0;
  for (size_t k = 0; k < front.size(); ++k) {
    const FrontPoint& p = inside[front[k]];
    const double next = k + 1 < front.size() ? inside[front[k + 1]].latency_ms : ref_latency_ms;
    volume += (p.accuracy - ref_accuracy) * (next - p.latency_ms);
  }
  return volume;
}

}  // namespace ridge::search
