#include "cli/plot_output.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/output.h"
#include "common/files.h"
#include "plots/chart.h"

namespace ridge::cli {

absl::Status CheckSvgOut(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("--out: must name the .svg file to write");
  if (!absl::EndsWith(path, ".svg")) {
    return absl::InvalidArgumentError(absl::StrCat("--out: '", path.substr(0, 200), "' must end in .svg"));
  }
  return absl::OkStatus();
}

absl::Status WriteSvgOut(const std::string& path, const std::string& svg) {
  absl::Status s = WriteFileAtomically(path, svg);
  if (s.ok()) return s;
  return absl::InvalidArgumentError(absl::StrCat("--out: cannot write the plot: ", s.message()));
}

std::string SweepPlotSvg(const std::vector<SweepCurve>& curves, const std::vector<RidgeMark>& marks,
                         const std::string& title, const std::string& subtitle) {
  plots::Panel panel;
  panel.title = "Latency against the ridge point";
  panel.x.label = "ridge point (MACs/byte)";
  panel.x.include_zero = true;
  panel.y.label = "predicted latency (ms, log scale)";
  panel.y.log = true;
  const plots::Marker markers[] = {plots::Marker::kCircle, plots::Marker::kSquare, plots::Marker::kTriangle,
                                   plots::Marker::kDiamond};
  for (size_t i = 0; i < curves.size(); ++i) {
    plots::Series s{curves[i].model, plots::PaletteColor(static_cast<int>(i))};
    s.join = plots::Series::Join::kLine;
    s.marker = markers[i % 4];
    s.marker_size = 3;
    for (const SweepPoint& p : curves[i].points) s.points.push_back({p.ridge_point, p.latency_ms});
    panel.series.push_back(std::move(s));
  }
  for (const RidgeMark& m : marks) {
    panel.vlines.push_back({m.ridge_point, absl::StrCat(m.hardware, " (", FormatDouble(m.ridge_point, 3), ")")});
  }
  plots::Figure figure;
  figure.title = title;
  figure.subtitle = subtitle;
  figure.plot_height = 400;
  figure.panels = {std::move(panel)};
  return plots::RenderSvg(figure);
}

}  // namespace ridge::cli
