// The front plot (docs/plots.md): accuracy against latency, one panel per
// hardware, with the Pareto front as a staircase, each budget as a dashed
// line, each policy's argmax and the references marked, and optionally a
// second campaign overlaid. Built from a local run (`ridge search --out`)
// or from the controller's answers (`ridge front plot`, the dashboard),
// which carry less.
#ifndef RIDGE_PLOTS_FRONT_PLOT_H_
#define RIDGE_PLOTS_FRONT_PLOT_H_

#include <string>
#include <vector>

#include "proto/services.pb.h"
#include "search/campaign.h"

namespace ridge::plots {

struct FrontPlotPoint {
  double latency_ms = 0, accuracy = 0;  // Accuracy in [0, 1].
  std::string arch_id, name, origin;    // `name`: the architecture's own, if any.
  bool on_front = false;
};

struct FrontPlotPolicy {
  double budget_ms = 0, latency_ms = 0;
  std::string arch_id;
};

// One hardware target of one campaign.
struct FrontPlotTarget {
  std::string hardware;
  double hypervolume = 0;
  std::vector<FrontPlotPoint> points;
  std::vector<FrontPlotPolicy> policies;
};

struct FrontPlotData {
  std::string label;  // The campaign as the legend names it.
  std::vector<FrontPlotTarget> targets;
  // Only the front's points are known (the controller serves no others).
  bool front_only = false;
};

// From a finished local run: every scored candidate. `space` names the
// references.
FrontPlotData FrontPlotFromResult(const search::CampaignResult& result, const SearchSpace& space,
                                  const std::string& label);
// From the controller: the front's points and the policies' results.
FrontPlotData FrontPlotFromService(const GetParetoFrontResponse& front, const Campaign& campaign,
                                   const std::string& label);

// The plot of `hardware` (empty: every hardware of `data`, one panel each)
// as SVG; `baseline`, if not null, is overlaid in another colour.
std::string FrontPlotSvg(const FrontPlotData& data, const FrontPlotData* baseline, const std::string& hardware,
                         const std::string& title);

}  // namespace ridge::plots

#endif  // RIDGE_PLOTS_FRONT_PLOT_H_
