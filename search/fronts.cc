#include "search/fronts.h"

#include <algorithm>
#include <map>

#include "common/status_macros.h"
#include "proto/architecture.h"
#include "search/pareto.h"
#include "supernet/trainer.h"

namespace ridge::search {

namespace {

using Choices = std::vector<std::pair<SpaceChoice, std::string>>;  // With their origins.

// The hardware of the policies, in the order each first appears.
std::vector<std::string> HardwareOrder(const TunasSearch& search) {
  std::vector<std::string> order;
  for (const PolicyState& p : search.policies()) {
    if (std::find(order.begin(), order.end(), p.target.profile.name()) == order.end()) {
      order.push_back(p.target.profile.name());
    }
  }
  return order;
}

// The candidates of one hardware's front, and the reference point's
// latency; `target` is one of the hardware's targets (they share a price).
absl::StatusOr<Choices> CandidateChoices(const TunasSearch& search, HardwareFront* front,
                                         const SearchTarget** target) {
  const SearchSpace& space = search.decisions().space();
  Choices choices;
  // The random baseline scores as many uniformly random architectures as
  // the search scores candidates, from its own seeded stream.
  std::mt19937_64 random(search.options().seed + 7919);
  for (const PolicyState& p : search.policies()) {
    if (p.target.profile.name() != front->hardware) continue;
    *target = &p.target;
    front->ref_latency_ms = std::max(front->ref_latency_ms, 2 * p.target.budget_ms);
    if (search.options().random_baseline) {
      for (int i = 0; i <= search.options().top_samples; ++i) choices.emplace_back(SampleUniform(space, random), "random");
      continue;
    }
    choices.emplace_back(search.decisions().ToChoice(p.policy->Argmax()), "argmax");
    for (const TopSample& t : p.top) choices.emplace_back(search.decisions().ToChoice(t.sample), "sample");
    // After a fine stage, the coarse result it started from, so the front
    // shows what the fine stage changed.
    if (p.coarse_result.has_value()) {
      absl::StatusOr<SpaceChoice> coarse = MatchArchitecture(space, *p.coarse_result);
      if (coarse.ok()) choices.emplace_back(*coarse, "coarse_argmax");
    }
  }
  for (const Architecture& ref : space.references()) {
    ASSIGN_OR_RETURN(SpaceChoice c, MatchArchitecture(space, ref));
    choices.emplace_back(c, "reference");
  }
  return choices;
}

// Proxy accuracy (supernet/proxy.h, on the whole valid split) and latency of
// each distinct candidate; `accuracy` caches by architecture across hardware.
absl::Status ScoreCandidates(TunasSearch* search, const Choices& choices, const SearchTarget& target,
                             const nn::ProxyOptions& proxy, const std::function<bool()>& should_stop,
                             std::map<std::string, double>* accuracy, HardwareFront* front) {
  nn::Supernet& net = search->supernet();
  std::map<std::string, bool> seen;
  for (const auto& [choice, origin] : choices) {
    if (should_stop && should_stop()) return absl::CancelledError("scoring stopped");
    RETURN_IF_ERROR(net.Select(choice));
    ScoredCandidate c;
    c.arch = net.selected();
    c.arch_id = ArchitectureId(c.arch);
    if (seen[c.arch_id]) continue;
    seen[c.arch_id] = true;
    c.origin = origin;
    auto it = accuracy->find(c.arch_id);
    if (it == accuracy->end()) {
      ASSIGN_OR_RETURN(double acc,
                       nn::ProxyAccuracy(&net, search->supernet_data().train, search->supernet_data().valid, proxy));
      it = accuracy->emplace(c.arch_id, acc).first;
    }
    c.accuracy = it->second;
    ASSIGN_OR_RETURN(c.latency_ms, search->LatencyMs(c.arch, target));
    front->candidates.push_back(std::move(c));
  }
  return absl::OkStatus();
}

// Sorts by latency, marks the non-dominated candidates and measures the
// front's hypervolume.
void MarkFront(HardwareFront* front) {
  std::sort(front->candidates.begin(), front->candidates.end(),
            [](const ScoredCandidate& a, const ScoredCandidate& b) { return a.latency_ms < b.latency_ms; });
  std::vector<FrontPoint> points;
  for (const ScoredCandidate& c : front->candidates) points.push_back({c.accuracy, c.latency_ms});
  for (int i : ParetoFront(points)) front->candidates[i].on_front = true;
  front->hypervolume = Hypervolume(points, front->ref_latency_ms, 0.0);
}

}  // namespace

absl::StatusOr<std::vector<HardwareFront>> BuildFronts(TunasSearch* search, const nn::ProxyOptions& proxy,
                                                       const std::function<bool()>& should_stop) {
  std::map<std::string, double> accuracy;  // By arch id: independent of hardware.
  std::vector<HardwareFront> fronts;
  for (const std::string& hw : HardwareOrder(*search)) {
    HardwareFront front;
    front.hardware = hw;
    const SearchTarget* target = nullptr;
    ASSIGN_OR_RETURN(Choices choices, CandidateChoices(*search, &front, &target));
    RETURN_IF_ERROR(ScoreCandidates(search, choices, *target, proxy, should_stop, &accuracy, &front));
    MarkFront(&front);
    fronts.push_back(std::move(front));
  }
  return fronts;
}

}  // namespace ridge::search
