#include "search/tunas.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "latency/costing.h"
#include "latency/roofline.h"
#include "proto/architecture.h"
#include "search/rewards.h"
#include "search/tunas_stage.h"
#include "supernet/weight_update.h"

namespace ridge::search {

TunasSearch::TunasSearch(const SearchSpace& space, const nn::Dataset& data, const TunasOptions& options)
    : data_(data), options_(options), first_space_(space), stage_(options.first_stage), rng_(options.seed) {}

absl::StatusOr<std::unique_ptr<TunasSearch>> TunasSearch::Create(const SearchSpace& space,
                                                                  std::vector<SearchTarget> targets,
                                                                  const nn::Dataset& data,
                                                                  const TunasOptions& options) {
  if (targets.empty()) return absl::InvalidArgumentError("search: needs at least one target");
  if (options.steps < 1) return absl::InvalidArgumentError(absl::StrCat("steps: ", options.steps, " must be >= 1"));
  if (options.fine_steps < 0 || (options.fine_steps > 0 && options.first_stage != COARSE)) {
    return absl::InvalidArgumentError(absl::StrCat("fine_steps: ", options.fine_steps,
                                                   " must be >= 0, and 0 when the fine stage runs alone"));
  }
  if (options.random_baseline && options.fine_steps > 0) {
    return absl::InvalidArgumentError("search: the random baseline has one stage (see AsRandomBaseline)");
  }
  if (options.batch_size > data.train.count || options.batch_size > data.valid.count) {
    return absl::InvalidArgumentError(absl::StrCat("batch_size: ", options.batch_size,
                                                   " exceeds the train or valid images"));
  }
  std::unique_ptr<TunasSearch> s(new TunasSearch(space, data, options));
  s->policies_.resize(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) s->policies_[i].target = std::move(targets[i]);
  ASSIGN_OR_RETURN(Stage first, s->BuildStage(options.first_stage, space, {}));
  s->Enter(std::move(first));
  s->StartBatches();
  return s;
}

Architecture TunasSearch::AtDeployment(const Architecture& arch) const {
  return search::AtDeployment(arch, options_.deployment_input, options_.deployment_classes);
}

void TunasSearch::SetDeviceModel(const std::string& device_key, std::shared_ptr<const LatencyModel> model) {
  for (PolicyState& p : policies_) {
    if (p.target.device_key == device_key) p.target.model = model;
  }
  latency_cache_.clear();  // Prices of the old model must not linger.
}

absl::StatusOr<double> TunasSearch::LatencyMs(const Architecture& arch, const SearchTarget& target) {
  const std::string key = absl::StrCat(target.profile.name(), "/", target.device_key, "/", ArchitectureId(arch));
  auto it = latency_cache_.find(key);
  if (it != latency_cache_.end()) return it->second;
  ASSIGN_OR_RETURN(double ms, TargetLatencyMs(AtDeployment(arch), target));
  latency_cache_[key] = ms;
  return ms;
}

absl::StatusOr<StepReport> TunasSearch::Step() {
  StepReport report;
  if (stage_ == COARSE && stage_step_ == options_.steps && options_.fine_steps > 0) {
    RETURN_IF_ERROR(BeginFineStage(&report.stage_began));
  }
  if (done()) return absl::FailedPreconditionError(absl::StrCat("search: all ", total_steps(), " steps are done"));
  report.step = step();
  report.policy = static_cast<int>(stage_step_ % policies_.size());
  PolicyState& p = policies_[report.policy];

  // 1. Sample; 2. train the shared weights on a train batch; 3. score the
  // same architecture on a valid batch.
  const Sample sample = DrawSample(p);
  const SpaceChoice choice = decisions_->ToChoice(sample);
  RETURN_IF_ERROR(supernet_->Select(choice));
  ASSIGN_OR_RETURN(report.loss, TrainOnBatch(choice));
  ASSIGN_OR_RETURN(report.accuracy, ScoreOnBatch());

  // 4. Price it; 5. update the policy.
  ASSIGN_OR_RETURN(report.latency_ms, LatencyMs(supernet_->selected(), p.target));
  report.reward = Reward(p.target.reward, report.accuracy, report.latency_ms, p.target.budget_ms, p.target.beta);
  p.last_reward = report.reward, p.last_accuracy = report.accuracy, p.last_latency_ms = report.latency_ms;
  if (!options_.random_baseline) {
    const double advantage = p.baseline.Advantage(report.reward);
    const double lr = PolicyLearningRate(stage_step_, StageSteps(), options_.policy_learning_rate,
                                         options_.policy_delay_fraction);
    p.policy->Update(sample, decisions_->ActiveMask(sample), advantage, lr);
    KeepTopSample(&p, sample, report.reward);
  }
  ++stage_step_;
  return report;
}

// A sample of the policy, with TuNAS's op and filter warmup: early on, with
// a linearly decaying probability, the sample is replaced by a uniform one
// (so every op is trained) or given the largest filters. The random
// baseline samples uniformly throughout.
Sample TunasSearch::DrawSample(const PolicyState& p) {
  const int64_t steps = StageSteps();
  Sample sample = p.policy->Draw(rng_);
  std::uniform_real_distribution<double> coin(0, 1);
  const bool uniform = options_.random_baseline ||
                       coin(rng_) < WarmupProbability(stage_step_, steps, options_.op_warmup_fraction);
  if (uniform) {
    for (size_t d = 0; d < sample.size(); ++d) {
      sample[d] = std::uniform_int_distribution<int>(0, decisions_->decisions()[d].num_choices - 1)(rng_);
    }
  }
  if (!options_.random_baseline &&
      coin(rng_) < WarmupProbability(stage_step_, steps, options_.filter_warmup_fraction)) {
    sample = decisions_->WithLargestFilters(sample);
  }
  return p.policy->Pin(std::move(sample));  // Warmups leave frozen decisions alone.
}

// One SGD (or RMSProp) step of the selected subnet (`choice`) on a train
// batch, with the cosine learning rate; with the sandwich rule the largest
// and smallest subnets train too, and `choice` stays selected. Returns the
// loss (the largest's, with the sandwich).
absl::StatusOr<double> TunasSearch::TrainOnBatch(const SpaceChoice& choice) {
  const int64_t steps = StageSteps();
  const nn::Batch& train = train_batches_->Next();
  const nn::LossOptions loss_options{options_.label_smoothing, options_.teacher, options_.teacher_alpha};
  supernet_->params().ZeroGrad();
  double loss = 0;
  if (options_.sandwich) {
    const SearchSpace& space = decisions_->space();
    ASSIGN_OR_RETURN(loss, nn::SandwichGradients(supernet_.get(), train, LargestChoice(space), SmallestChoice(space),
                                                 {choice}, loss_options));
  } else {
    ASSIGN_OR_RETURN(loss, nn::AccumulateGradients(supernet_.get(), train, loss_options));
  }
  const int64_t warmup = static_cast<int64_t>(options_.warmup_fraction * steps);
  optimizer_->Step(static_cast<float>(nn::CosineWithWarmup(stage_step_, steps, warmup, options_.learning_rate)));
  return loss;
}

// The selected subnet's top-1 accuracy on a valid batch, without dropout or
// updates, but with BN normalizing by the batch's own statistics: the shared
// running statistics belong to no single subnet, and scoring with them
// favours whatever the policies sampled most (docs/decisions.md).
absl::StatusOr<double> TunasSearch::ScoreOnBatch() {
  const nn::Batch& valid = valid_batches_->Next();
  ASSIGN_OR_RETURN(const nn::Tensor* vlogits, supernet_->Forward(valid.images, {true, 0.0f}));
  int64_t correct = 0;
  const int64_t k = vlogits->dims().c;
  for (size_t i = 0; i < valid.labels.size(); ++i) {
    const float* z = vlogits->data() + i * k;
    correct += (std::max_element(z, z + k) - z) == valid.labels[i];
  }
  return static_cast<double>(correct) / valid.labels.size();
}

// Keeps the best-rewarded distinct samples as front candidates.
void TunasSearch::KeepTopSample(PolicyState* p, const Sample& sample, double reward) {
  const std::string id = ArchitectureId(supernet_->selected());
  auto it = std::find_if(p->top.begin(), p->top.end(), [&](const TopSample& t) { return t.arch_id == id; });
  if (it != p->top.end()) {
    it->reward = std::max(it->reward, reward);
  } else {
    p->top.push_back({reward, sample, id});
  }
  std::sort(p->top.begin(), p->top.end(), [](const TopSample& a, const TopSample& b) { return a.reward > b.reward; });
  if (static_cast<int>(p->top.size()) > options_.top_samples) p->top.resize(options_.top_samples);
}

}  // namespace ridge::search
