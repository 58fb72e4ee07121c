// Line and scatter charts as SVG: a figure of one or more panels, each with
// axes at nice ticks, axis labels, a legend, markers, lines or steps,
// dashed reference lines and text annotations. No external library: the
// output is plain SVG 1.1 that browsers and xml parsers read.
#ifndef RIDGE_PLOTS_CHART_H_
#define RIDGE_PLOTS_CHART_H_

#include <optional>
#include <string>
#include <vector>

namespace ridge::plots {

enum class Marker { kNone, kCircle, kSquare, kTriangle, kDiamond, kCross };

struct Point {
  double x = 0, y = 0;
};

struct Series {
  std::string label;  // The legend entry; empty: not in the legend.
  std::string color = "#1f77b4";
  std::vector<Point> points;
  Marker marker = Marker::kCircle;
  double marker_size = 4;  // Radius-like size in pixels.
  double opacity = 1;
  // How points connect: not at all (scatter), by straight lines, or as a
  // staircase that holds each y until the next x, and the last to the
  // plot's right edge (a Pareto front: the best accuracy reachable within a
  // latency).
  enum class Join { kNone, kLine, kStep } join = Join::kNone;
  double line_width = 1.5;
  bool dashed = false;
};

// A dashed line across the plot at x (vertical) or y (horizontal), labelled
// along it.
struct RefLine {
  double at = 0;
  std::string label;
  std::string color = "#555555";
};

// Text at a data point, offset so it does not cover the marker.
struct Annotation {
  double x = 0, y = 0;
  std::string text;
  std::string color = "#222222";
};

struct Axis {
  std::string label;  // With its unit, e.g. "latency (ms)".
  bool log = false;   // Log scale; values <= 0 are not drawn.
  bool include_zero = false;
  std::optional<double> min, max;  // Fixed ends; else from the data.
};

struct Panel {
  std::string title;
  Axis x, y;
  std::vector<Series> series;
  std::vector<RefLine> vlines, hlines;
  std::vector<Annotation> annotations;
  // A note under the plot area, e.g. what the data lacks.
  std::string note;
};

struct Figure {
  std::string title;
  std::string subtitle;
  std::vector<Panel> panels;
  int columns = 1;
  double plot_width = 560, plot_height = 330;  // Of each panel's plot area.
};

// The first colours of the Tableau 10 palette, distinct in print and for
// the common colour-vision deficiencies; wraps around.
const char* PaletteColor(int i);

// The figure as a standalone SVG document. Every marker drawn is an element
// of class "point"; each series is a <g class="series"> whose data-points
// attribute counts the points it draws (those inside a log axis's domain).
std::string RenderSvg(const Figure& figure);

}  // namespace ridge::plots

#endif  // RIDGE_PLOTS_CHART_H_
