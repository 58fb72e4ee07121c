// `ridge space sample`: distinct architectures drawn from a search space,
// uniformly or spread evenly over its MACs range, with their costs and, given
// a campaign spec, their latency on each of its hardware targets priced as the
// search prices them (at the deployment shape). For benchmarks, for picking
// architectures to measure, and for seeing what a space holds.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/output.h"
#include "cli/search_output.h"
#include "common/status_macros.h"
#include "latency/costing.h"
#include "proto/architecture.h"
#include "proto/space.h"
#include "proto/textproto.h"
#include "search/campaign.h"
#include "search/target.h"

ABSL_DECLARE_FLAG(std::string, spec);
ABSL_FLAG(std::string, stratify, "none",
          "\"macs\": spread the samples evenly over the space's log-MACs range (one per bin); \"none\": uniform.");

namespace ridge::cli {
namespace {

struct Sampled {
  Architecture arch;
  std::string arch_id;
  NetworkCost cost;
  std::map<std::string, double> latency_ms;  // By hardware.
};

// The space, and the targets to price on (one per hardware), from --spec or --space.
struct SampleSource {
  SearchSpace space;
  std::vector<search::SearchTarget> targets;
  Shape deployment_input;
  int32_t deployment_classes = 0;
};

absl::StatusOr<SampleSource> SourceFromFlags() {
  SampleSource source;
  const std::string spec_path = absl::GetFlag(FLAGS_spec);
  if (spec_path.empty()) {
    ASSIGN_OR_RETURN(source.space, ResolveSearchSpace(absl::GetFlag(FLAGS_space)));
    return source;
  }
  ASSIGN_OR_RETURN(search::ResolvedCampaign c, LoadCampaign(spec_path));
  source.space = c.space;
  std::set<std::string> seen;
  for (const search::SearchTarget& t : c.targets) {
    if (seen.insert(t.profile.name()).second) source.targets.push_back(t);
  }
  source.deployment_input = c.options.deployment_input;
  source.deployment_classes = c.options.deployment_classes;
  return source;
}

absl::StatusOr<Sampled> Describe(const SampleSource& source, const SpaceChoice& choice) {
  Sampled s;
  ASSIGN_OR_RETURN(s.arch, BuildArchitecture(source.space, choice));
  s.arch_id = ArchitectureId(s.arch);
  ASSIGN_OR_RETURN(s.cost, CostArchitecture(s.arch));
  const Architecture deployed = search::AtDeployment(s.arch, source.deployment_input, source.deployment_classes);
  for (const search::SearchTarget& t : source.targets) {
    ASSIGN_OR_RETURN(s.latency_ms[t.profile.name()], search::TargetLatencyMs(deployed, t));
  }
  return s;
}

// Up to `n` distinct architectures, drawn uniformly with `rng`, described.
absl::StatusOr<std::vector<Sampled>> DrawDistinct(const SampleSource& source, int n, std::mt19937_64& rng) {
  ASSIGN_OR_RETURN(std::vector<Architecture> archs, SampleDistinct(source.space, n, rng));
  std::vector<Sampled> out;
  for (const Architecture& a : archs) {
    ASSIGN_OR_RETURN(SpaceChoice choice, MatchArchitecture(source.space, a));
    ASSIGN_OR_RETURN(Sampled s, Describe(source, choice));
    out.push_back(std::move(s));
  }
  return out;
}

// One architecture per bin of equal width in log MACs over a large uniform
// pool's range, so the small and large tails are covered; bins the pool left
// empty are made up from the fullest ones.
std::vector<Sampled> Stratify(std::vector<Sampled> pool, int n, std::mt19937_64& rng) {
  if (static_cast<int>(pool.size()) <= n) return pool;
  std::sort(pool.begin(), pool.end(), [](const Sampled& a, const Sampled& b) { return a.cost.macs < b.cost.macs; });
  const double lo = std::log(static_cast<double>(pool.front().cost.macs));
  const double hi = std::log(static_cast<double>(pool.back().cost.macs));
  std::vector<std::vector<int>> bins(n);
  for (size_t i = 0; i < pool.size(); ++i) {
    const double x = hi > lo ? (std::log(static_cast<double>(pool[i].cost.macs)) - lo) / (hi - lo) : 0;
    bins[std::min(n - 1, static_cast<int>(x * n))].push_back(static_cast<int>(i));
  }
  std::vector<Sampled> out;
  auto take = [&](std::vector<int>& bin) {
    const size_t pick = std::uniform_int_distribution<size_t>(0, bin.size() - 1)(rng);
    out.push_back(pool[bin[pick]]);
    bin.erase(bin.begin() + pick);
  };
  for (std::vector<int>& bin : bins) {
    if (!bin.empty()) take(bin);
  }
  while (static_cast<int>(out.size()) < n) {
    take(*std::max_element(bins.begin(), bins.end(),
                           [](const std::vector<int>& a, const std::vector<int>& b) { return a.size() < b.size(); }));
  }
  std::sort(out.begin(), out.end(), [](const Sampled& a, const Sampled& b) { return a.cost.macs < b.cost.macs; });
  return out;
}

std::string Render(const std::vector<Sampled>& samples, const SampleSource& source, const std::string& format) {
  std::vector<std::string> headers = {"arch_id", "macs", "params"};
  for (const search::SearchTarget& t : source.targets) headers.push_back(t.profile.name() + "_ms");
  headers.push_back("canonical");
  Table table(headers, {true});
  JsonWriter json;
  json.BeginArray();
  for (const Sampled& s : samples) {
    std::vector<std::string> row = {s.arch_id, absl::StrCat(s.cost.macs), absl::StrCat(s.cost.params)};
    json.BeginObject().Key("arch_id").String(s.arch_id).Key("macs").Int(s.cost.macs).Key("params").Int(s.cost.params);
    json.Key("latency_ms").BeginObject();
    for (const auto& [hardware, ms] : s.latency_ms) json.Key(hardware).Double(ms);
    json.EndObject();
    for (const search::SearchTarget& t : source.targets) row.push_back(FormatDouble(s.latency_ms.at(t.profile.name())));
    row.push_back(CanonicalEncoding(s.arch));
    json.Key("canonical").String(row.back()).EndObject();
    table.AddRow(row);
  }
  json.EndArray();
  if (format == "json") return json.str();
  return format == "csv" ? table.RenderCsv() : table.Render();
}

absl::Status SpaceSample(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json", "csv"}));
  const int count = absl::GetFlag(FLAGS_count) == 0 ? 20 : absl::GetFlag(FLAGS_count);
  if (count < 1 || count > 10000) {
    return absl::InvalidArgumentError(absl::StrCat("--count: ", count, " must be in [1, 10000]"));
  }
  const std::string stratify = absl::GetFlag(FLAGS_stratify);
  if (stratify != "none" && stratify != "macs") {
    return absl::InvalidArgumentError(
        absl::StrCat("--stratify: '", stratify.substr(0, 32), "' is not one of {none, macs}"));
  }
  ASSIGN_OR_RETURN(SampleSource source, SourceFromFlags());
  std::mt19937_64 rng(static_cast<uint64_t>(absl::GetFlag(FLAGS_seed)));
  // The stratified pool: enough to fill every bin, bounded so a large
  // --count stays quick.
  const int pool_size = stratify == "macs" ? std::min(std::max(50 * count, 2000), 20000) : count;
  ASSIGN_OR_RETURN(std::vector<Sampled> pool, DrawDistinct(source, pool_size, rng));
  if (stratify == "macs") pool = Stratify(std::move(pool), count, rng);
  *out = Render(pool, source, format);
  return absl::OkStatus();
}

}  // namespace

void AddSpaceCommands(std::vector<Command>* commands) {
  commands->push_back({"space sample", "",
                       "Distinct architectures of a space (--space, or a campaign --spec to price them on its "
                       "targets at its deployment shape), uniform or spread over the MACs range.",
                       {"space", "spec", "count", "seed", "stratify", "format"}, 0, 0, SpaceSample});
}

}  // namespace ridge::cli
