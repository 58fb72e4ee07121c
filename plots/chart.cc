#include "plots/chart.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "plots/svg.h"
#include "plots/ticks.h"

namespace ridge::plots {
namespace {

// Layout, in pixels. Margins leave room for tick labels and axis labels.
constexpr double kMargin = 12;
constexpr double kLeft = 70;         // Y tick labels and the y-axis label.
constexpr double kPanelTitle = 28;
constexpr double kBottom = 50;       // X tick labels and the x-axis label.
constexpr double kNoteHeight = 16;
constexpr double kLegendGap = 14;
constexpr double kRight = 20;        // Without a legend: room for the last x tick label.
constexpr double kFont = 11;
constexpr char kGrid[] = "#e4e4e4";
constexpr char kInk[] = "#333333";

// Width of `text` at `font` pixels: a sans-serif average, counting UTF-8
// characters rather than bytes. Used only to keep labels apart.
double TextWidth(const std::string& text, double font) {
  int chars = 0;
  for (unsigned char c : text) chars += (c & 0xC0) != 0x80;
  return 0.6 * font * chars;
}

struct Scale {
  TickRange range;
  bool log = false;
  double px0 = 0, px1 = 1;  // Pixels of range.lo and range.hi.

  bool Drawable(double v) const { return std::isfinite(v) && (!log || v > 0); }
  double Map(double v) const {
    const double t = log ? (std::log10(v) - std::log10(range.lo)) / (std::log10(range.hi) - std::log10(range.lo))
                         : (v - range.lo) / (range.hi - range.lo);
    return px0 + t * (px1 - px0);
  }
};

// The data's extent on one axis, padded a little so markers at the ends
// are not cut in half, then widened to nice ticks.
Scale MakeScale(const Axis& axis, const std::vector<double>& values, double px0, double px1) {
  Scale s;
  s.log = axis.log;
  s.px0 = px0;
  s.px1 = px1;
  double lo = INFINITY, hi = -INFINITY;
  for (double v : values) {
    if (!s.Drawable(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (axis.include_zero && !axis.log) lo = std::min(lo, 0.0), hi = std::max(hi, 0.0);
  if (lo > hi) lo = axis.log ? 1 : 0, hi = axis.log ? 10 : 1;
  if (!axis.log && hi > lo) {
    const double pad = 0.05 * (hi - lo);
    if (!(axis.include_zero && lo == 0)) lo -= pad;
    hi += pad;
  }
  if (axis.min) lo = *axis.min;
  if (axis.max) hi = *axis.max;
  s.range = axis.log ? LogTicks(lo, hi) : LinearTicks(lo, hi);
  // A linear axis ends at the padded data (or the fixed ends), not at the
  // next whole tick, which could waste a sixth of the plot.
  if (!axis.log && hi > lo) s.range.lo = lo, s.range.hi = hi;
  if (axis.min) s.range.lo = *axis.min;
  if (axis.max) s.range.hi = *axis.max;
  auto outside = [&](double t) { return t < s.range.lo - 1e-9 * std::abs(t) || t > s.range.hi + 1e-9 * std::abs(t); };
  s.range.ticks.erase(std::remove_if(s.range.ticks.begin(), s.range.ticks.end(), outside), s.range.ticks.end());
  return s;
}

struct PlotArea {
  double x0, y0, x1, y1;  // Left, top, right, bottom.
  Scale x, y;
};

PlotArea MakeArea(const Panel& panel, double left, double top, const Figure& figure) {
  std::vector<double> xs, ys;
  for (const Series& s : panel.series) {
    for (const Point& p : s.points) xs.push_back(p.x), ys.push_back(p.y);
  }
  for (const RefLine& l : panel.vlines) xs.push_back(l.at);
  for (const RefLine& l : panel.hlines) ys.push_back(l.at);
  for (const Annotation& a : panel.annotations) xs.push_back(a.x), ys.push_back(a.y);
  PlotArea a{left, top, left + figure.plot_width, top + figure.plot_height, {}, {}};
  a.x = MakeScale(panel.x, xs, a.x0, a.x1);
  a.y = MakeScale(panel.y, ys, a.y1, a.y0);
  return a;
}

void DrawAxes(const Panel& panel, const PlotArea& a, SvgWriter& svg) {
  svg.Open("g", {{"class", "axes"}, {"font-size", Num(kFont)}, {"fill", kInk}});
  for (double t : a.x.range.ticks) {
    const double px = a.x.Map(t);
    svg.Empty("line", {{"x1", Num(px)}, {"y1", Num(a.y0)}, {"x2", Num(px)}, {"y2", Num(a.y1)}, {"stroke", kGrid}});
    svg.Text("text", {{"x", Num(px)}, {"y", Num(a.y1 + 16)}, {"text-anchor", "middle"}},
             TickLabel(t, a.x.range.step));
  }
  for (double t : a.y.range.ticks) {
    const double py = a.y.Map(t);
    svg.Empty("line", {{"x1", Num(a.x0)}, {"y1", Num(py)}, {"x2", Num(a.x1)}, {"y2", Num(py)}, {"stroke", kGrid}});
    svg.Text("text", {{"x", Num(a.x0 - 6)}, {"y", Num(py + 4)}, {"text-anchor", "end"}},
             TickLabel(t, a.y.range.step));
  }
  svg.Empty("rect", {{"x", Num(a.x0)}, {"y", Num(a.y0)}, {"width", Num(a.x1 - a.x0)}, {"height", Num(a.y1 - a.y0)},
                     {"fill", "none"}, {"stroke", kInk}});
  svg.Text("text", {{"x", Num((a.x0 + a.x1) / 2)}, {"y", Num(a.y1 + 38)}, {"text-anchor", "middle"},
                    {"font-size", "12"}}, panel.x.label);
  const double lx = a.x0 - kLeft + 16, ly = (a.y0 + a.y1) / 2;
  svg.Text("text", {{"x", Num(lx)}, {"y", Num(ly)}, {"text-anchor", "middle"}, {"font-size", "12"},
                    {"transform", absl::StrCat("rotate(-90 ", Num(lx), " ", Num(ly), ")")}}, panel.y.label);
  svg.Close("g");
}

// A marker of class `cls`: "point" for data, so counting them counts data.
void DrawMarker(Marker marker, double x, double y, double size, const std::string& color, double opacity,
                const char* cls, SvgWriter& svg) {
  const std::string fill_opacity = Num(opacity);
  auto shape = [&](const std::string& d) {
    svg.Empty("path", {{"class", cls}, {"d", d}, {"fill", color}, {"fill-opacity", fill_opacity},
                       {"stroke", color}, {"stroke-opacity", fill_opacity}});
  };
  const double s = size;
  switch (marker) {
    case Marker::kNone:
      return;
    case Marker::kCircle:
      svg.Empty("circle", {{"class", cls}, {"cx", Num(x)}, {"cy", Num(y)}, {"r", Num(s)}, {"fill", color},
                           {"fill-opacity", fill_opacity}, {"stroke", color}, {"stroke-opacity", fill_opacity}});
      return;
    case Marker::kSquare:
      return shape(absl::StrCat("M", Num(x - s), " ", Num(y - s), "h", Num(2 * s), "v", Num(2 * s), "h",
                                Num(-2 * s), "Z"));
    case Marker::kTriangle:
      return shape(absl::StrCat("M", Num(x), " ", Num(y - 1.2 * s), "L", Num(x + 1.1 * s), " ", Num(y + 0.8 * s),
                                "L", Num(x - 1.1 * s), " ", Num(y + 0.8 * s), "Z"));
    case Marker::kDiamond:
      return shape(absl::StrCat("M", Num(x), " ", Num(y - 1.3 * s), "L", Num(x + s), " ", Num(y), "L", Num(x), " ",
                                Num(y + 1.3 * s), "L", Num(x - s), " ", Num(y), "Z"));
    case Marker::kCross:
      svg.Empty("path", {{"class", cls}, {"d", absl::StrCat("M", Num(x - s), " ", Num(y - s), "L", Num(x + s),
                                                                 " ", Num(y + s), "M", Num(x - s), " ", Num(y + s),
                                                                 "L", Num(x + s), " ", Num(y - s))},
                         {"stroke", color}, {"stroke-width", "2"}, {"stroke-opacity", fill_opacity}});
      return;
  }
}

// The series' points in pixels, those the axes can show.
std::vector<Point> ToPixels(const Series& s, const PlotArea& a) {
  std::vector<Point> px;
  for (const Point& p : s.points) {
    if (a.x.Drawable(p.x) && a.y.Drawable(p.y)) px.push_back({a.x.Map(p.x), a.y.Map(p.y)});
  }
  return px;
}

// A step path holds its last value to `right`, the plot's edge: a front's
// best accuracy stays reachable at any larger latency.
std::string PathOf(std::vector<Point> px, Series::Join join, double right) {
  if (join == Series::Join::kStep) {
    std::sort(px.begin(), px.end(), [](const Point& l, const Point& r) { return l.x < r.x; });
  }
  std::string d;
  for (size_t i = 0; i < px.size(); ++i) {
    if (i == 0) {
      absl::StrAppend(&d, "M", Num(px[i].x), " ", Num(px[i].y));
    } else if (join == Series::Join::kStep) {
      absl::StrAppend(&d, "H", Num(px[i].x), "V", Num(px[i].y));
    } else {
      absl::StrAppend(&d, "L", Num(px[i].x), " ", Num(px[i].y));
    }
  }
  if (join == Series::Join::kStep && !px.empty() && px.back().x < right) absl::StrAppend(&d, "H", Num(right));
  return d;
}

void DrawSeries(const Series& s, const PlotArea& a, SvgWriter& svg) {
  const std::vector<Point> px = ToPixels(s, a);
  svg.Open("g", {{"class", "series"}, {"data-label", s.label}, {"data-points", absl::StrCat(px.size())}});
  const size_t needed = s.join == Series::Join::kStep ? 1 : 2;
  if (s.join != Series::Join::kNone && px.size() >= needed) {
    Attributes line = {{"d", PathOf(px, s.join, a.x1)}, {"fill", "none"}, {"stroke", s.color},
                       {"stroke-width", Num(s.line_width)}, {"stroke-linejoin", "round"}};
    if (s.dashed) line.push_back({"stroke-dasharray", "6 4"});
    if (s.opacity < 1) line.push_back({"stroke-opacity", Num(s.opacity)});
    svg.Empty("path", line);
  }
  for (const Point& p : px) DrawMarker(s.marker, p.x, p.y, s.marker_size, s.color, s.opacity, "point", svg);
  svg.Close("g");
}

void DrawRefLines(const Panel& panel, const PlotArea& a, SvgWriter& svg) {
  svg.Open("g", {{"class", "reflines"}, {"font-size", "10"}});
  double last_px = -1e9, last_end = a.y0;
  for (const RefLine& l : panel.vlines) {
    if (!a.x.Drawable(l.at)) continue;
    const double px = a.x.Map(l.at);
    svg.Empty("line", {{"x1", Num(px)}, {"y1", Num(a.y0)}, {"x2", Num(px)}, {"y2", Num(a.y1)}, {"stroke", l.color},
                       {"stroke-width", "1.2"}, {"stroke-dasharray", "5 4"}});
    // Along the line, reading upward, ending near the top; below the
    // previous label when the lines are too close for two side by side.
    const double tx = px - 4, ty = std::abs(px - last_px) < 12 ? last_end + 8 : a.y0 + 6;
    last_px = px;
    last_end = ty + TextWidth(l.label, 10);
    svg.Text("text", {{"x", Num(tx)}, {"y", Num(ty)}, {"fill", l.color}, {"text-anchor", "end"},
                      {"transform", absl::StrCat("rotate(-90 ", Num(tx), " ", Num(ty), ")")}}, l.label);
  }
  for (const RefLine& l : panel.hlines) {
    if (!a.y.Drawable(l.at)) continue;
    const double py = a.y.Map(l.at);
    svg.Empty("line", {{"x1", Num(a.x0)}, {"y1", Num(py)}, {"x2", Num(a.x1)}, {"y2", Num(py)}, {"stroke", l.color},
                       {"stroke-width", "1.2"}, {"stroke-dasharray", "5 4"}});
    svg.Text("text", {{"x", Num(a.x1 - 4)}, {"y", Num(py - 4)}, {"fill", l.color}, {"text-anchor", "end"}}, l.label);
  }
  svg.Close("g");
}

struct Box {
  double x0, y0, x1, y1;
  bool Overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

// Each label beside its point, to the right (to the left near the right
// edge), moved up or down in line steps until it overlaps no earlier label;
// a moved label gets a thin leader line back to its point.
void DrawAnnotations(const Panel& panel, const PlotArea& a, SvgWriter& svg) {
  svg.Open("g", {{"class", "annotations"}, {"font-size", "10"}});
  std::vector<Box> placed;
  for (const Annotation& n : panel.annotations) {
    if (!a.x.Drawable(n.x) || !a.y.Drawable(n.y)) continue;
    const double px = a.x.Map(n.x), py = a.y.Map(n.y), w = TextWidth(n.text, 10);
    const bool left = px + 7 + w > a.x1;
    const double tx = left ? px - 7 : px + 7;
    Box box{left ? tx - w : tx, 0, left ? tx : tx + w, 0};
    double ty = py - 5;
    for (int k = 0; k < 24; ++k) {
      const double offset = (k % 2 == 0 ? 1 : -1) * ((k + 1) / 2) * 12.0;
      ty = std::clamp(py - 5 + offset, a.y0 + 11, a.y1 - 3);
      box.y0 = ty - 10, box.y1 = ty + 2;
      if (std::none_of(placed.begin(), placed.end(), [&](const Box& b) { return b.Overlaps(box); })) break;
    }
    placed.push_back(box);
    if (std::abs(ty - (py - 5)) > 6) {
      svg.Empty("line", {{"x1", Num(px)}, {"y1", Num(py)}, {"x2", Num(tx)}, {"y2", Num(ty - 4)},
                         {"stroke", n.color}, {"stroke-width", "0.6"}, {"stroke-opacity", "0.6"}});
    }
    svg.Text("text", {{"x", Num(tx)}, {"y", Num(ty)}, {"fill", n.color}, {"text-anchor", left ? "end" : "start"}},
             n.text);
  }
  svg.Close("g");
}

// `text` in lines of at most `width` pixels, broken at spaces.
std::vector<std::string> Wrap(const std::string& text, double width, double font) {
  std::vector<std::string> lines;
  std::string line;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && TextWidth(line + " " + word, font) > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

double LegendWidth(const Figure& figure) {
  double widest = 0;
  for (const Panel& p : figure.panels) {
    for (const Series& s : p.series) widest = std::max(widest, TextWidth(s.label, kFont));
  }
  return widest > 0 ? widest + 42 : 0;
}

void DrawLegend(const Panel& panel, const PlotArea& a, double width, SvgWriter& svg) {
  int entries = 0;
  for (const Series& s : panel.series) entries += !s.label.empty();
  if (entries == 0) return;
  const double x = a.x1 + kLegendGap, y = a.y0;
  svg.Open("g", {{"class", "legend"}, {"font-size", Num(kFont)}});
  svg.Empty("rect", {{"x", Num(x)}, {"y", Num(y)}, {"width", Num(width)}, {"height", Num(entries * 18 + 8)},
                     {"fill", "white"}, {"stroke", "#cccccc"}});
  double row = y + 4 + 9;
  for (const Series& s : panel.series) {
    if (s.label.empty()) continue;
    if (s.join != Series::Join::kNone) {
      Attributes line = {{"x1", Num(x + 6)}, {"y1", Num(row)}, {"x2", Num(x + 30)}, {"y2", Num(row)},
                         {"stroke", s.color}, {"stroke-width", Num(s.line_width)}};
      if (s.dashed) line.push_back({"stroke-dasharray", "6 4"});
      svg.Empty("line", line);
    }
    DrawMarker(s.marker, x + 18, row, std::min(s.marker_size, 5.0), s.color, std::max(s.opacity, 0.5),
               "legend-point", svg);
    svg.Text("text", {{"x", Num(x + 36)}, {"y", Num(row + 4)}, {"fill", kInk}}, s.label);
    row += 18;
  }
  svg.Close("g");
}

// Notes run under the plot and the legend.
double NoteWidth(const Figure& figure, double legend) {
  return figure.plot_width + (legend > 0 ? kLegendGap + legend : 0);
}

void DrawPanel(const Panel& panel, const Figure& figure, int index, double left, double top, double legend,
               SvgWriter& svg) {
  const PlotArea a = MakeArea(panel, left + kLeft, top + kPanelTitle, figure);
  svg.Open("g", {{"class", "panel"}, {"data-title", panel.title}});
  svg.Text("text", {{"x", Num(a.x0)}, {"y", Num(top + 18)}, {"font-size", "14"}, {"font-weight", "bold"},
                    {"fill", kInk}}, panel.title);
  DrawAxes(panel, a, svg);
  const std::string clip = absl::StrCat("plot", index);
  svg.Open("clipPath", {{"id", clip}});
  // A little beyond the frame, so markers on an edge stay whole.
  svg.Empty("rect", {{"x", Num(a.x0 - 6)}, {"y", Num(a.y0 - 6)}, {"width", Num(a.x1 - a.x0 + 12)},
                     {"height", Num(a.y1 - a.y0 + 12)}});
  svg.Close("clipPath");
  svg.Open("g", {{"clip-path", absl::StrCat("url(#", clip, ")")}});
  DrawRefLines(panel, a, svg);
  for (const Series& s : panel.series) DrawSeries(s, a, svg);
  DrawAnnotations(panel, a, svg);
  svg.Close("g");
  DrawLegend(panel, a, legend, svg);
  double y = a.y1 + kBottom + 10;
  for (const std::string& line : Wrap(panel.note, NoteWidth(figure, legend), 10)) {
    svg.Text("text", {{"x", Num(a.x0)}, {"y", Num(y)}, {"font-size", "10"}, {"fill", "#666666"}}, line);
    y += kNoteHeight;
  }
  svg.Close("g");
}

}  // namespace

const char* PaletteColor(int i) {
  static const char* const kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                         "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return kPalette[((i % 10) + 10) % 10];
}

std::string RenderSvg(const Figure& figure) {
  const double legend = LegendWidth(figure);
  size_t notes = 0;  // Lines of the longest note.
  for (const Panel& p : figure.panels) notes = std::max(notes, Wrap(p.note, NoteWidth(figure, legend), 10).size());
  const double panel_w = kLeft + figure.plot_width + (legend > 0 ? kLegendGap + legend + kMargin : kRight);
  const double panel_h = kPanelTitle + figure.plot_height + kBottom + notes * kNoteHeight + kMargin;
  const int columns = std::max(1, std::min<int>(figure.columns, std::max<size_t>(1, figure.panels.size())));
  const int rows = (static_cast<int>(figure.panels.size()) + columns - 1) / columns;
  const double header = 34 + (figure.subtitle.empty() ? 0 : 18);
  const double width = 2 * kMargin + columns * panel_w, height = header + std::max(rows, 1) * panel_h + kMargin;
  SvgWriter svg(width, height);
  svg.Empty("rect", {{"width", "100%"}, {"height", "100%"}, {"fill", "white"}});
  svg.Text("text", {{"x", Num(kMargin)}, {"y", "24"}, {"font-size", "17"}, {"font-weight", "bold"},
                    {"fill", kInk}}, figure.title);
  if (!figure.subtitle.empty()) {
    svg.Text("text", {{"x", Num(kMargin)}, {"y", "44"}, {"font-size", "12"}, {"fill", "#555555"}},
             figure.subtitle);
  }
  for (size_t i = 0; i < figure.panels.size(); ++i) {
    const double left = kMargin + (i % columns) * panel_w, top = header + (i / columns) * panel_h;
    DrawPanel(figure.panels[i], figure, static_cast<int>(i), left, top, legend, svg);
  }
  return svg.str();
}

}  // namespace ridge::plots
