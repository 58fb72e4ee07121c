// A long series kept within a fixed number of points, for curves over
// thousands of search steps: memory and the drawing stay bounded however
// long the run.
#ifndef RIDGE_PLOTS_DOWNSAMPLE_H_
#define RIDGE_PLOTS_DOWNSAMPLE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "plots/chart.h"

namespace ridge::plots {

// Keeps at most `max_points` points by averaging runs of consecutive
// inputs: when full, each adjacent pair of kept points merges into its mean,
// and from then on each kept point stands for twice as many inputs. A mean
// rather than every k-th input, so a noisy reward curve reads as its trend.
class Downsampler {
 public:
  // `max_points` is rounded up to an even number of at least 2.
  explicit Downsampler(size_t max_points = 1000);
  void Add(double x, double y);
  // The kept points (means of x and of y), oldest first; at most max_points.
  std::vector<Point> points() const;
  // Inputs each full kept point stands for.
  int64_t inputs_per_point() const { return per_bucket_; }
  int64_t inputs() const { return inputs_; }

 private:
  struct Bucket {
    double x = 0, y = 0;  // Sums.
    int64_t n = 0;
  };
  size_t max_;
  int64_t per_bucket_ = 1, inputs_ = 0;
  std::vector<Bucket> full_;
  Bucket pending_;
};

}  // namespace ridge::plots

#endif  // RIDGE_PLOTS_DOWNSAMPLE_H_
