#include "plots/front_plot.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_format.h"
#include "plots/chart.h"
#include "proto/architecture.h"
#include "zoo/zoo.h"

namespace ridge::plots {
namespace {

// A number for a label: `digits` significant digits, no exponent for the
// ranges plotted here (latencies in ms, hypervolumes).
std::string Short(double value, int digits = 4) { return absl::StrFormat("%.*g", digits, value); }

constexpr char kFront[] = "#1f77b4";
constexpr char kBaseline[] = "#ff7f0e";
constexpr char kArgmax[] = "#d62728";
constexpr char kReference[] = "#2ca02c";
constexpr char kBudget[] = "#666666";

std::string ShortName(const FrontPlotPoint& p) { return p.name.empty() ? p.arch_id.substr(0, 6) : p.name; }

const FrontPlotTarget* FindTarget(const FrontPlotData& data, const std::string& hardware) {
  for (const FrontPlotTarget& t : data.targets) {
    if (t.hardware == hardware) return &t;
  }
  return nullptr;
}

const FrontPlotPoint* FindPoint(const FrontPlotTarget& t, const std::string& arch_id) {
  for (const FrontPlotPoint& p : t.points) {
    if (p.arch_id == arch_id) return &p;
  }
  return nullptr;
}

// A campaign's points: those off the front as light dots (drawn first,
// underneath), the front as a staircase with markers.
void AddCampaign(const FrontPlotTarget& t, const FrontPlotData& data, const char* color, bool baseline,
                 plots::Panel* panel) {
  plots::Series off{absl::StrCat(data.label, ": scored, off the front"), color};
  off.opacity = 0.45;
  off.marker_size = 3.5;
  plots::Series front{absl::StrCat(data.label, ": Pareto front"), color};
  front.join = plots::Series::Join::kStep;
  front.marker = baseline ? plots::Marker::kSquare : plots::Marker::kCircle;
  front.dashed = baseline;
  for (const FrontPlotPoint& p : t.points) {
    (p.on_front ? front : off).points.push_back({p.latency_ms, p.accuracy * 100});
  }
  if (!off.points.empty()) panel->series.insert(panel->series.begin(), off);
  panel->series.push_back(front);
}

// Budgets as dashed lines, and each policy's argmax where its accuracy is
// known; the others are listed in `missing`.
void AddPolicies(const FrontPlotTarget& t, plots::Panel* panel, std::vector<std::string>* missing) {
  plots::Series argmax{"policy argmax (label: its budget)", kArgmax, {}, plots::Marker::kTriangle};
  argmax.marker_size = 6;
  std::set<double> budgets;
  for (const FrontPlotPolicy& p : t.policies) {
    if (budgets.insert(p.budget_ms).second) {
      panel->vlines.push_back({p.budget_ms, absl::StrCat("budget ", p.budget_ms, " ms"), kBudget});
    }
    const FrontPlotPoint* point = FindPoint(t, p.arch_id);
    if (point == nullptr) {
      missing->push_back(absl::StrCat(p.arch_id.substr(0, 6), " (", Short(p.latency_ms, 3), " ms)"));
      continue;
    }
    argmax.points.push_back({point->latency_ms, point->accuracy * 100});
    panel->annotations.push_back({point->latency_ms, point->accuracy * 100,
                                  absl::StrCat("argmax @", p.budget_ms, " ms"), kArgmax});
  }
  if (!argmax.points.empty()) panel->series.push_back(argmax);
}

void AddReferences(const FrontPlotTarget& t, plots::Panel* panel) {
  plots::Series refs{"reference architecture", kReference, {}, plots::Marker::kDiamond};
  refs.marker_size = 5;
  for (const FrontPlotPoint& p : t.points) {
    if (p.origin != "reference") continue;
    refs.points.push_back({p.latency_ms, p.accuracy * 100});
    panel->annotations.push_back({p.latency_ms, p.accuracy * 100, ShortName(p), kReference});
  }
  if (!refs.points.empty()) panel->series.push_back(refs);
}

std::string Note(const FrontPlotData& data, const std::vector<std::string>& missing) {
  std::string note;
  if (data.front_only) {
    note = "The controller serves only the front's points: candidates and references off the front are not shown.";
  }
  if (!missing.empty()) {
    absl::StrAppend(&note, note.empty() ? "" : " ", "Argmax off the front (accuracy unknown): ",
                    absl::StrJoin(missing, ", "), ".");
  }
  return note;
}

plots::Panel TargetPanel(const FrontPlotTarget& t, const FrontPlotData& data, const FrontPlotData* baseline) {
  plots::Panel panel;
  panel.title = absl::StrCat(t.hardware, ": hypervolume ", Short(t.hypervolume));
  panel.x.label = "predicted latency (ms)";
  panel.y.label = "proxy accuracy (%)";
  AddCampaign(t, data, kFront, false, &panel);
  const FrontPlotTarget* base = baseline == nullptr ? nullptr : FindTarget(*baseline, t.hardware);
  if (base != nullptr) {
    absl::StrAppend(&panel.title, " (", baseline->label, ": ", Short(base->hypervolume), ")");
    AddCampaign(*base, *baseline, kBaseline, true, &panel);
  }
  std::vector<std::string> missing;
  AddPolicies(t, &panel, &missing);
  AddReferences(t, &panel);
  panel.note = Note(data, missing);
  if (baseline != nullptr && base == nullptr) {
    absl::StrAppend(&panel.note, panel.note.empty() ? "" : " ", baseline->label, " has no front on ", t.hardware,
                    ".");
  }
  return panel;
}

// Names of the space's reference architectures by ID: scored candidates
// carry only their blocks, which give the same ID.
std::map<std::string, std::string> ReferenceNames(const SearchSpace& space) {
  std::map<std::string, std::string> names;
  for (const Architecture& ref : space.references()) names[ArchitectureId(ref)] = ref.name();
  return names;
}

std::string NameOf(const std::map<std::string, std::string>& names, const std::string& arch_id) {
  auto it = names.find(arch_id);
  return it == names.end() ? "" : it->second;
}

}  // namespace

FrontPlotData FrontPlotFromResult(const search::CampaignResult& result, const SearchSpace& space,
                                  const std::string& label) {
  const std::map<std::string, std::string> names = ReferenceNames(space);
  FrontPlotData data;
  data.label = label;
  for (const search::HardwareFront& f : result.fronts) {
    FrontPlotTarget t;
    t.hardware = f.hardware;
    t.hypervolume = f.hypervolume;
    for (const search::ScoredCandidate& c : f.candidates) {
      t.points.push_back({c.latency_ms, c.accuracy, c.arch_id, NameOf(names, c.arch_id), c.origin, c.on_front});
    }
    for (const search::PolicyOutcome& o : result.policies) {
      if (o.target->profile.name() == f.hardware) t.policies.push_back({o.target->budget_ms, o.latency_ms, o.arch_id});
    }
    data.targets.push_back(std::move(t));
  }
  return data;
}

FrontPlotData FrontPlotFromService(const GetParetoFrontResponse& front, const Campaign& campaign,
                                   const std::string& label) {
  // The references' names come from the spec's space: inline, or built in.
  const CampaignSpec& spec = campaign.spec();
  const std::string ref = spec.space_ref().empty() ? spec.coarse_space_ref() : spec.space_ref();
  absl::StatusOr<SearchSpace> space = spec.has_space() ? spec.space() : spec.has_coarse_space() ? spec.coarse_space()
                                                                                                : LoadZooSpace(ref);
  const std::map<std::string, std::string> names = space.ok() ? ReferenceNames(*space)
                                                              : std::map<std::string, std::string>();
  FrontPlotData data;
  data.label = label;
  data.front_only = true;
  // Proto maps have no order: panels come sorted by hardware name.
  const std::set<std::string> hardware = [&] {
    std::set<std::string> names;
    for (const auto& [name, hv] : front.hypervolume()) names.insert(name);
    for (const ParetoPoint& p : front.points()) names.insert(p.hardware());
    return names;
  }();
  for (const std::string& name : hardware) {
    FrontPlotTarget t;
    t.hardware = name;
    auto hv = front.hypervolume().find(name);
    t.hypervolume = hv == front.hypervolume().end() ? 0 : hv->second;
    for (const ParetoPoint& p : front.points()) {
      if (p.hardware() != name) continue;
      t.points.push_back({p.predicted_latency_ms(), p.proxy_accuracy(), p.arch_id(), NameOf(names, p.arch_id()),
                          p.origin(), true});
    }
    for (const PolicyResult& r : campaign.results()) {
      if (r.hardware() == name) t.policies.push_back({r.budget_ms(), r.latency_ms(), r.arch_id()});
    }
    data.targets.push_back(std::move(t));
  }
  return data;
}

std::string FrontPlotSvg(const FrontPlotData& data, const FrontPlotData* baseline, const std::string& hardware,
                         const std::string& title) {
  plots::Figure figure;
  figure.title = title;
  figure.subtitle =
      "Proxy accuracy (valid split, shared weights after BN recalibration) against latency predicted at the "
      "deployment shape";
  for (const FrontPlotTarget& t : data.targets) {
    if (hardware.empty() || t.hardware == hardware) figure.panels.push_back(TargetPanel(t, data, baseline));
  }
  return plots::RenderSvg(figure);
}

}  // namespace ridge::plots
