// A campaign from spec to result, shared by `ridge search` and the
// controller: resolve and validate the spec, build the TunasSearch, and once
// its steps are done, score the fronts and pick each policy's architecture.
#ifndef RIDGE_SEARCH_CAMPAIGN_H_
#define RIDGE_SEARCH_CAMPAIGN_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/campaign.pb.h"
#include "proto/pareto.pb.h"
#include "search/fronts.h"
#include "search/tunas.h"
#include "supernet/dataset.h"

namespace ridge::search {

struct ResolvedCampaign {
  CampaignSpec spec;
  SearchSpace space;
  std::vector<SearchTarget> targets;  // One per (hardware, budget).
  TunasOptions options;
  nn::DatasetOptions data;
};

// The roofline profile a device key's workers measured of themselves, for
// targets that name a device key but no hardware; NOT_FOUND if no worker of
// the key ever registered.
using DeviceProfileFn = std::function<absl::StatusOr<HardwareProfile>(const std::string& device_key)>;

// Validates `spec` whole and resolves its space and hardware profiles.
// Errors name the field, its value and the rule; `where` prefixes them
// (e.g. the spec's file name). A target with a device key is named by the
// key in fronts; without `devices` (no controller) it needs `hardware`.
absl::StatusOr<ResolvedCampaign> ResolveCampaign(const CampaignSpec& spec, const std::string& where = "spec",
                                                 const DeviceProfileFn& devices = nullptr);

// Makes `c` the random-search baseline at the same budget: every step trains
// a uniformly random architecture and no policy learns. A coarse-then-fine
// campaign becomes one stage of its coarse plus fine steps over every
// architecture the two stages could reach (WidenToFineKernels).
absl::Status AsRandomBaseline(ResolvedCampaign* c);

// What one policy ends with.
struct PolicyOutcome {
  const SearchTarget* target = nullptr;
  Architecture chosen;  // At the proxy shape.
  std::string arch_id;
  double latency_ms = 0;  // At the deployment shape.
};

struct CampaignResult {
  std::vector<HardwareFront> fronts;
  std::vector<PolicyOutcome> policies;  // In the search's policy order.
};

// After the search's steps: scores the Pareto candidates and picks each
// policy's architecture: its argmax, or in the random baseline the scored
// candidate of its hardware with the best reward for the target.
// `should_stop`, if set, can end the scoring early with CANCELLED.
// Candidates are scored as the spec's `scoring` says (ScoringOptions).
absl::StatusOr<CampaignResult> FinishCampaign(TunasSearch* search, const nn::ProxyOptions& proxy,
                                              const std::function<bool()>& should_stop = nullptr);

// How a campaign's front candidates are scored: BN recalibrated on 512 train
// images, plus the spec's scoring.finetune_steps of fine-tuning.
nn::ProxyOptions ScoringOptions(const CampaignSpec& spec);

// Retrains every distinct front member from scratch, standalone at the proxy
// shape, for `c.spec.retrain_epochs()` epochs on the train split, and records
// its test accuracy in `standalone_accuracy` (docs/design.md §5: proxy
// accuracy ranks; this says what the network reaches on its own). `say`
// reports each, and an error it returns ends the retraining. `should_stop` is
// asked before each network: true ends it with CANCELLED. With `weights_dir`
// set, each retrained network's weights are kept there as
// <arch_id>.ckpt, a standalone checkpoint (`ridge export --checkpoint`
// reads it), so a front member can be exported with its trained weights.
absl::Status RetrainFront(const ResolvedCampaign& c, const nn::Dataset& data, CampaignResult* result,
                          const std::function<absl::Status(const std::string&)>& say,
                          const std::function<bool()>& should_stop, const std::string& weights_dir = "");

// Where RetrainFront keeps `arch_id`'s weights under `weights_dir`.
std::string RetrainedWeightsPath(const std::string& weights_dir, const std::string& arch_id);

// The result as the service's messages. Points carry the architecture at the
// deployment shape with its MACs and params there; arch_id stays the
// searched architecture's ID, the one logs and tables show.
absl::StatusOr<std::vector<PolicyResult>> ToPolicyResults(const TunasSearch& search, const CampaignResult& result);
absl::StatusOr<std::vector<ParetoPoint>> ToParetoPoints(const TunasSearch& search, const CampaignResult& result,
                                                        bool front_only = true);

// "pixel6_cpu@4ms": how logs and progress name a policy.
std::string TargetLabel(const SearchTarget& target);

}  // namespace ridge::search

#endif  // RIDGE_SEARCH_CAMPAIGN_H_
