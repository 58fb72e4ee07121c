// What the plotting commands share: the --out check and write for SVG
// files, and the ridge-point sweep figure of `ridge latency sweep
// --format=svg` (docs/plots.md).
#ifndef RIDGE_CLI_PLOT_OUTPUT_H_
#define RIDGE_CLI_PLOT_OUTPUT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "latency/roofline.h"

namespace ridge::cli {

// --out for an SVG: given, and ending in .svg. Checked before any work.
absl::Status CheckSvgOut(const std::string& path);
// Writes `svg` to `path` atomically; INVALID_ARGUMENT naming --out if it
// cannot.
absl::Status WriteSvgOut(const std::string& path, const std::string& svg);

// One model's latency over the swept ridge points.
struct SweepCurve {
  std::string model;
  std::vector<SweepPoint> points;
};
// A hardware whose ridge point the figure marks.
struct RidgeMark {
  std::string hardware;
  double ridge_point = 0;
};

// Latency (log scale) against ridge point, one line per model, with each
// mark as a dashed vertical line: the MobileNetV4 paper's ridge-point view.
std::string SweepPlotSvg(const std::vector<SweepCurve>& curves, const std::vector<RidgeMark>& marks,
                         const std::string& title, const std::string& subtitle);

}  // namespace ridge::cli

#endif  // RIDGE_CLI_PLOT_OUTPUT_H_
