// `ridge front plot ID --out=FILE.svg`: a finished campaign's Pareto fronts
// from the controller, drawn as SVG (docs/plots.md), with an optional second
// campaign overlaid.
#include <optional>
#include <set>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "plots/front_plot.h"
#include "cli/plot_output.h"
#include "common/status_macros.h"

ABSL_DECLARE_FLAG(std::string, out);
ABSL_DECLARE_FLAG(std::string, baseline);

namespace ridge::cli {
namespace {

// A DONE campaign and its fronts. Errors name `field`, the argument or flag
// that gave `id`.
absl::StatusOr<plots::FrontPlotData> FetchPlotData(const Connection& c, const std::string& id, const std::string& field) {
  ASSIGN_OR_RETURN(Campaign campaign, WithContext(GetCampaign(c, id), field));
  if (campaign.state() != DONE) {
    return absl::FailedPreconditionError(absl::StrCat(field, ": campaign ", id, " is ",
                                                      CampaignState_Name(campaign.state()),
                                                      "; its fronts exist once it is DONE"));
  }
  ASSIGN_OR_RETURN(GetParetoFrontResponse front, WithContext(FetchFront(c, id, ""), field));
  return plots::FrontPlotFromService(front, campaign, campaign.spec().name().empty() ? id : campaign.spec().name());
}

absl::Status CheckHardware(const plots::FrontPlotData& data, const std::string& hardware, const std::string& id) {
  std::set<std::string> names;
  for (const plots::FrontPlotTarget& t : data.targets) names.insert(t.hardware);
  if (hardware.empty() || names.count(hardware) > 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("--hardware: '", hardware.substr(0, 64),
                                                 "' is not a hardware of campaign ", id, " (its fronts: ",
                                                 absl::StrJoin(names, ", "), ")"));
}

absl::Status FrontPlot(const std::vector<std::string>& args, std::string* out) {
  const std::string path = absl::GetFlag(FLAGS_out), hardware = absl::GetFlag(FLAGS_hardware);
  const std::string baseline_id = absl::GetFlag(FLAGS_baseline);
  RETURN_IF_ERROR(CheckSvgOut(path));
  ASSIGN_OR_RETURN(Connection c, ConnectFromFlags());
  ASSIGN_OR_RETURN(plots::FrontPlotData data, FetchPlotData(c, args[0], "ID"));
  RETURN_IF_ERROR(CheckHardware(data, hardware, args[0]));
  std::optional<plots::FrontPlotData> baseline;
  if (!baseline_id.empty()) {
    ASSIGN_OR_RETURN(baseline, FetchPlotData(c, baseline_id, "--baseline"));
    if (baseline->label == data.label) {
      // Two runs of one spec: the IDs tell them apart.
      absl::StrAppend(&data.label, " ", args[0]);
      absl::StrAppend(&baseline->label, " ", baseline_id);
    }
  }
  const std::string title = absl::StrCat("Pareto front of campaign ", args[0],
                                         baseline ? absl::StrCat(" against ", baseline_id) : "");
  RETURN_IF_ERROR(WriteSvgOut(path, plots::FrontPlotSvg(data, baseline ? &*baseline : nullptr, hardware, title)));
  int panels = 0;
  for (const plots::FrontPlotTarget& t : data.targets) panels += hardware.empty() || t.hardware == hardware;
  *out = absl::StrCat("wrote ", panels, " front plot panel(s) to ", path, "\n");
  return absl::OkStatus();
}

}  // namespace

void AddPlotCommands(std::vector<Command>* commands) {
  commands->push_back({"front plot", "ID",
                       "Plot a finished campaign's Pareto fronts as SVG to --out: accuracy against latency per "
                       "hardware, with budgets, argmaxes and references; --baseline=ID overlays a second campaign.",
                       WithConnectionFlags({"hardware", "baseline", "out"}), 1, 1, FrontPlot});
}

}  // namespace ridge::cli
