#include "cli/search_curves.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "plots/chart.h"

namespace ridge::cli {

void SearchCurves::Add(int policy, int64_t step, double latency_ms, double reward) {
  if (policy < 0) return;
  if (static_cast<size_t>(policy) >= policies_.size()) policies_.resize(policy + 1);
  policies_[policy].reward.Add(step, reward);
  policies_[policy].latency.Add(step, latency_ms);
}

int64_t SearchCurves::steps() const {
  int64_t n = 0;
  for (const Curves& c : policies_) n += c.reward.inputs();
  return n;
}

std::string SearchCurves::Svg(const std::vector<std::string>& labels, const std::vector<double>& budgets_ms,
                              const std::string& title) const {
  plots::Panel reward, latency;
  reward.title = "Reward of each sampled architecture";
  reward.x.label = latency.x.label = "search step";
  reward.y.label = "reward (unitless)";
  latency.title = "Sampled latency relative to the policy's budget";
  latency.y.label = "sampled latency / budget (1 = on budget)";
  latency.y.include_zero = true;
  latency.hlines.push_back({1.0, "budget"});
  int64_t per_point = 1;
  for (size_t i = 0; i < policies_.size(); ++i) {
    const std::string label = i < labels.size() ? labels[i] : absl::StrCat("policy ", i);
    const double budget = i < budgets_ms.size() && budgets_ms[i] > 0 ? budgets_ms[i] : 1;
    plots::Series r{label, plots::PaletteColor(static_cast<int>(i)), policies_[i].reward.points(),
                    plots::Marker::kNone};
    r.join = plots::Series::Join::kLine;
    r.line_width = 1.2;
    plots::Series l = r;
    l.points = policies_[i].latency.points();
    for (plots::Point& p : l.points) p.y /= budget;
    reward.series.push_back(std::move(r));
    latency.series.push_back(std::move(l));
    per_point = std::max(per_point, policies_[i].reward.inputs_per_point());
  }
  plots::Figure figure;
  figure.title = title;
  figure.subtitle = per_point > 1 ? absl::StrCat("Each point is the mean of ", per_point,
                                                 " consecutive steps of its policy (bounded to ", kMaxPoints,
                                                 " points per series)")
                                  : "One point per step of each policy";
  figure.plot_height = 260;
  figure.panels = {std::move(reward), std::move(latency)};
  return plots::RenderSvg(figure);
}

}  // namespace ridge::cli
