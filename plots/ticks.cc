#include "plots/ticks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ridge::plots {

double NiceNumber(double x, bool round) {
  const double exponent = std::floor(std::log10(x));
  const double power = std::pow(10.0, exponent);
  const double fraction = x / power;
  double nice;
  if (round) {
    nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  } else {
    nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  }
  return nice * power;
}

TickRange LinearTicks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo < 1e-12 * std::max(1.0, std::abs(hi))) {
    // One value: a range around it, so it sits mid-axis.
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  TickRange r;
  r.step = NiceNumber((hi - lo) / std::max(1, target - 1), true);
  r.lo = std::floor(lo / r.step + 1e-9) * r.step;
  r.hi = std::ceil(hi / r.step - 1e-9) * r.step;
  for (double t = r.lo; t <= r.hi + r.step * 1e-6; t += r.step) {
    r.ticks.push_back(std::abs(t) < r.step * 1e-9 ? 0 : t);
  }
  return r;
}

TickRange LogTicks(double lo, double hi) {
  if (!(lo > 0) || !std::isfinite(lo)) lo = 1;
  if (!(hi > lo) || !std::isfinite(hi)) hi = lo * 10;
  const int first = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  const int last = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  const bool dense = last - first <= 3;
  TickRange r;
  r.lo = std::pow(10.0, first);
  r.hi = std::pow(10.0, last);
  if (dense) {
    // Tighten to the 1-2-5 values just outside the data.
    for (double m : {2.0, 5.0}) {
      if (m * std::pow(10.0, first) <= lo * (1 + 1e-9)) r.lo = m * std::pow(10.0, first);
    }
    for (double m : {5.0, 2.0, 1.0}) {
      if (m * std::pow(10.0, last - 1) >= hi * (1 - 1e-9)) r.hi = m * std::pow(10.0, last - 1);
    }
  }
  for (int e = first; e <= last; ++e) {
    for (double m : {1.0, 2.0, 5.0}) {
      if (!dense && m != 1.0) continue;
      const double t = m * std::pow(10.0, e);
      if (t >= r.lo * (1 - 1e-9) && t <= r.hi * (1 + 1e-9)) r.ticks.push_back(t);
    }
  }
  return r;
}

std::string TickLabel(double value, double step) {
  if (std::abs(value) < 1e-300) value = 0;
  char buffer[64];
  if (step > 0) {
    const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
    std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  }
  std::string s = buffer;
  if (s == "-0" || s.rfind("-0.", 0) == 0 && s.find_first_not_of("-0.") == std::string::npos) s = s.substr(1);
  return s;
}

}  // namespace ridge::plots
