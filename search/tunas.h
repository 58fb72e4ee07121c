// One TuNAS search over a supernet for many (hardware, budget) targets
// (docs/design.md §5). Each step: pick a policy round-robin, sample an
// architecture from it (with op and filter warmup), train the shared weights
// on a train batch, score the same architecture on a valid batch, price it
// with the target's latency model at the deployment shape, and update that
// policy by REINFORCE.
//
// Coarse then fine: with fine steps, once the coarse stage's steps are done
// the search derives one fine space from every policy's coarse argmax
// (search/fine_space.h), builds its supernet from the coarse weights where
// shapes allow, and goes on with fresh policies that each freeze their own
// coarse result and search the DW kernels.
#ifndef RIDGE_SEARCH_TUNAS_H_
#define RIDGE_SEARCH_TUNAS_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/campaign.pb.h"
#include "latency/latency_model.h"
#include "proto/hardware.pb.h"
#include "search/decisions.h"
#include "search/policy.h"
#include "search/target.h"
#include "supernet/batcher.h"
#include "supernet/optimizer.h"
#include "supernet/soft_labels.h"
#include "supernet/supernet.h"

namespace ridge::search {

struct TunasOptions {
  int64_t steps = 1000;  // Of the first stage: the coarse one, or the only one.
  // Steps of the fine stage; 0: the search has one stage.
  int64_t fine_steps = 0;
  FineRule fine_rule;  // How the fine space is derived.
  // What the first stage is called: COARSE, or FINE when the spec runs the
  // fine stage alone (its space is then already a fine space).
  CampaignState first_stage = COARSE;
  int64_t batch_size = 128;
  nn::OptimizerOptions optimizer;
  double learning_rate = 0.1;          // Shared weights, cosine with warmup.
  double warmup_fraction = 0.03;
  float label_smoothing = 0.1f;
  // The sandwich rule for the shared weights (nn::SandwichGradients): each
  // step trains the largest subnet on the labels, and the smallest and the
  // sampled one on its predictions.
  bool sandwich = false;
  // A teacher's soft labels for the train split (offline distillation), and
  // its weight; null: the labels alone. REQUIRES: outlives the search.
  const nn::SoftLabels* teacher = nullptr;
  float teacher_alpha = 0.5f;
  double policy_learning_rate = 0.05;  // Adam; 0 for the first 25%, then x10^progress.
  double policy_delay_fraction = 0.25;
  double baseline_momentum = 0.95;  // Of the reward baseline's moving average.
  double op_warmup_fraction = 0.25;
  double filter_warmup_fraction = 0.25;
  bool augment = false;
  uint64_t seed = 1;
  // Latency is priced at this input and class count (0 = the space's own).
  Shape deployment_input;
  int32_t deployment_classes = 0;
  int top_samples = 3;  // Best-rewarded samples kept per policy.
  // The random-search baseline: every step trains a uniformly random
  // architecture and no policy learns; the fronts score as many random
  // architectures as the search scores candidates.
  bool random_baseline = false;
  // Identifies the campaign in checkpoints: RestoreCheckpoint refuses one
  // written under another fingerprint (empty: no check).
  std::string fingerprint;
};

// A sample kept as a front candidate, with its architecture's ID so that
// duplicates are found without rebuilding architectures every step.
struct TopSample {
  double reward = 0;
  Sample sample;
  std::string arch_id;
};

struct PolicyState {
  SearchTarget target;
  std::unique_ptr<Policy> policy;
  RewardBaseline baseline;
  double last_reward = 0, last_accuracy = 0, last_latency_ms = 0;
  // The best-rewarded distinct samples so far, by reward (this stage's).
  std::vector<TopSample> top;
  // In the fine stage: the policy's coarse argmax (at the proxy shape).
  std::optional<Architecture> coarse_result;
};

struct StepReport {
  int64_t step = 0;  // Over all stages.
  int policy = 0;
  double loss = 0, accuracy = 0, latency_ms = 0, reward = 0;
  std::string stage_began;  // Set on the first step of the fine stage: what it began with.
};

class TunasSearch {
 public:
  // REQUIRES: `data` outlives the search.
  static absl::StatusOr<std::unique_ptr<TunasSearch>> Create(const SearchSpace& space,
                                                             std::vector<SearchTarget> targets,
                                                             const nn::Dataset& data, const TunasOptions& options);

  // Runs one step, first entering the fine stage if the coarse one is done;
  // returns what happened. FAILED_PRECONDITION once done().
  absl::StatusOr<StepReport> Step();
  // Steps done over all stages, and the steps of all stages.
  int64_t step() const { return steps_before_stage_ + stage_step_; }
  int64_t total_steps() const { return options_.steps + options_.fine_steps; }
  bool done() const { return step() >= total_steps(); }
  // COARSE (also for a one-stage search) or FINE.
  CampaignState stage() const { return stage_; }

  // Latency of `arch` (at the proxy shape) on `target`, priced at the
  // deployment shape with the target's model (its roofline unless a
  // measured model is set); cached by architecture and model.
  absl::StatusOr<double> LatencyMs(const Architecture& arch, const SearchTarget& target);
  // `arch` reshaped to the deployment input and classes.
  Architecture AtDeployment(const Architecture& arch) const;

  const std::vector<PolicyState>& policies() const { return policies_; }
  const DecisionSpace& decisions() const { return *decisions_; }
  nn::Supernet& supernet() { return *supernet_; }
  const nn::Dataset& supernet_data() const { return data_; }
  const TunasOptions& options() const { return options_; }

  // Prices every target of `device_key` with `model` from now on.
  void SetDeviceModel(const std::string& device_key, std::shared_ptr<const LatencyModel> model);

  // Writes the shared weights, their optimizer state and the search state
  // (policies, baselines, top samples, RNG, step) to `path`, atomically
  // (tunas_checkpoint.cc).
  absl::Status SaveCheckpoint(const std::string& path);
  // Restores what SaveCheckpoint wrote for the same space and targets, in
  // either stage. A checkpoint of another campaign, or a corrupt one, is
  // refused and nothing changes. Batches continue from a stream seeded by
  // the restored step.
  absl::Status RestoreCheckpoint(const std::string& path);

 private:
  // What one stage searches and trains: its decisions, supernet, optimizer
  // and one policy per target (tunas_stage.cc).
  struct Stage;
  TunasSearch(const SearchSpace& space, const nn::Dataset& data, const TunasOptions& options);
  // Builds a stage over `space`; `frozen` gives each policy's fixed
  // decisions (Policy::Freeze), or is empty.
  absl::StatusOr<Stage> BuildStage(CampaignState which, const SearchSpace& space,
                                   const std::vector<std::vector<int>>& frozen) const;
  // Makes `stage` the current one at its first step: fresh baselines, no top samples.
  void Enter(Stage stage);
  // Derives the fine stage from the policies' argmaxes and enters it;
  // `began` says what it began with.
  absl::Status BeginFineStage(std::string* began);
  int64_t StageSteps() const { return stage_ == options_.first_stage ? options_.steps : options_.fine_steps; }
  // The parts of one step (tunas.cc).
  Sample DrawSample(const PolicyState& p);
  absl::StatusOr<double> TrainOnBatch(const SpaceChoice& choice);
  absl::StatusOr<double> ScoreOnBatch();
  void KeepTopSample(PolicyState* p, const Sample& sample, double reward);
  // (Re)creates the train and valid batch streams for the current step: a
  // resumed or later stage does not replay the first batches.
  void StartBatches();

  const nn::Dataset& data_;
  TunasOptions options_;
  const SearchSpace first_space_;
  CampaignState stage_;
  std::unique_ptr<DecisionSpace> decisions_;
  std::unique_ptr<nn::Supernet> supernet_;
  std::unique_ptr<nn::Optimizer> optimizer_;
  std::unique_ptr<nn::Batcher> train_batches_, valid_batches_;
  std::vector<PolicyState> policies_;
  std::map<std::string, double> latency_cache_;
  std::mt19937_64 rng_;
  int64_t steps_before_stage_ = 0, stage_step_ = 0;
};

}  // namespace ridge::search

#endif  // RIDGE_SEARCH_TUNAS_H_
