// Axis ticks at "nice" numbers (1, 2 or 5 times a power of ten), for linear
// and log axes, and their labels.
#ifndef RIDGE_PLOTS_TICKS_H_
#define RIDGE_PLOTS_TICKS_H_

#include <string>
#include <vector>

namespace ridge::plots {

// An axis range widened to tick boundaries, with the ticks inside it.
struct TickRange {
  double lo = 0, hi = 1;
  std::vector<double> ticks;
  double step = 0;  // Linear axes: the tick spacing; log axes: 0.
};

// A nice number near `x` > 0: 1, 2, 5 or 10 times a power of ten (Heckbert,
// "Nice numbers for graph labels", Graphics Gems 1990). `round` picks the
// nearest; otherwise the smallest that is >= x.
double NiceNumber(double x, bool round);

// About `target` ticks over [lo, hi] at a nice step (the span over
// target - 1, rounded to 1, 2 or 5 times a power of ten), with the range
// widened outward to whole steps. A
// degenerate range (lo == hi) is widened around its value first.
TickRange LinearTicks(double lo, double hi, int target = 6);

// Ticks of a log axis over [lo, hi] (both > 0), widened to 1, 2 or 5 times a
// power of ten: every 1-2-5 value when the range spans few decades, only
// the decades when it spans many.
TickRange LogTicks(double lo, double hi);

// `value` as a tick label: as many decimals as `step` needs (step 0: the
// shortest exact form, for log ticks), and no "-0".
std::string TickLabel(double value, double step);

}  // namespace ridge::plots

#endif  // RIDGE_PLOTS_TICKS_H_
