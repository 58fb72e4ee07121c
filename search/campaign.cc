#include "search/campaign.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "latency/costing.h"
#include "latency/hardware_profiles.h"
#include "proto/architecture.h"
#include "proto/validate.h"
#include "search/fine_space.h"
#include "search/rewards.h"
#include "supernet/checkpoint.h"
#include "supernet/network.h"
#include "supernet/trainer.h"
#include "zoo/zoo.h"

namespace ridge::search {

namespace {

// The space the search starts in: inline, or built-in/file by reference.
absl::StatusOr<SearchSpace> ResolveSpace(const CampaignSpec& spec, const std::string& where) {
  SearchSpace space;
  if (spec.has_space()) {
    space = spec.space();
    RETURN_IF_ERROR(WithContext(ValidateSpaceStructure(space, "campaign.space"), where));
  } else if (spec.has_coarse_space()) {
    space = spec.coarse_space();
    RETURN_IF_ERROR(WithContext(ValidateSpaceStructure(space, "campaign.coarse_space"), where));
  } else if (!spec.coarse_space_ref().empty()) {
    ASSIGN_OR_RETURN(space, ResolveSearchSpace(spec.coarse_space_ref(), absl::StrCat(where, ": coarse_space_ref")));
  } else {
    ASSIGN_OR_RETURN(space, ResolveSearchSpace(spec.space_ref(), absl::StrCat(where, ": space_ref")));
  }
  return space;
}

// The profile target `i` is priced with: its hardware, or the roofline its
// device key's workers measured of themselves.
absl::StatusOr<HardwareProfile> ResolveProfile(const Target& t, const std::string& field,
                                               const DeviceProfileFn& devices) {
  HardwareProfile profile;
  if (!t.hardware().empty()) {
    ASSIGN_OR_RETURN(profile, ResolveHardware(t.hardware(), field + ".hardware"));
  } else if (devices == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".hardware: empty; a device_key alone needs the "
                                                   "controller's workers (use `ridge campaign launch`)"));
  } else {
    absl::StatusOr<HardwareProfile> measured = devices(t.device_key());
    if (!measured.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".device_key: '", t.device_key(), "': ",
                                                     measured.status().message(), "; give hardware too"));
    }
    profile = *measured;
  }
  // A device target is named by its key: its prices come from its workers.
  if (!t.device_key().empty()) profile.set_name(t.device_key());
  return profile;
}

// One search target per (hardware, budget).
absl::StatusOr<std::vector<SearchTarget>> ResolveTargets(const CampaignSpec& spec, const std::string& where,
                                                         const DeviceProfileFn& devices) {
  std::vector<SearchTarget> targets;
  for (int i = 0; i < spec.targets_size(); ++i) {
    const Target& t = spec.targets(i);
    ASSIGN_OR_RETURN(HardwareProfile profile, ResolveProfile(t, absl::StrCat(where, ": targets[", i, "]"), devices));
    for (double budget : t.budget_ms()) {
      SearchTarget target{profile, budget, t.reward() == REWARD_TYPE_UNSPECIFIED ? ABS : t.reward(), t.beta()};
      target.device_key = t.device_key();
      targets.push_back(std::move(target));
    }
  }
  return targets;
}

// The search's options; zero means "the default" for every training field
// (proto3 has no unset).
TunasOptions ResolveOptions(const CampaignSpec& spec) {
  const TrainingSpec& tr = spec.training();
  TunasOptions o;
  if (tr.coarse_steps() > 0) o.steps = tr.coarse_steps();
  if (tr.batch_size() > 0) o.batch_size = tr.batch_size();
  if (tr.learning_rate() > 0) o.learning_rate = tr.learning_rate();
  if (tr.warmup_fraction() > 0) o.warmup_fraction = tr.warmup_fraction();
  if (tr.weight_decay() > 0) o.optimizer.weight_decay = static_cast<float>(tr.weight_decay());
  if (tr.label_smoothing() > 0) o.label_smoothing = static_cast<float>(tr.label_smoothing());
  if (tr.policy_learning_rate() > 0) o.policy_learning_rate = tr.policy_learning_rate();
  if (tr.policy_delay_fraction() > 0) o.policy_delay_fraction = tr.policy_delay_fraction();
  if (tr.baseline_momentum() > 0) o.baseline_momentum = tr.baseline_momentum();
  if (tr.op_warmup_fraction() > 0) o.op_warmup_fraction = tr.op_warmup_fraction();
  if (tr.filter_warmup_fraction() > 0) o.filter_warmup_fraction = tr.filter_warmup_fraction();
  if (tr.optimizer() == RMSPROP) o.optimizer.kind = nn::OptimizerKind::kRmsProp;
  o.sandwich = tr.sandwich();
  if (spec.distill().alpha() > 0) o.teacher_alpha = static_cast<float>(spec.distill().alpha());
  o.augment = spec.dataset().augment();
  o.seed = spec.seed() ? spec.seed() : 1;
  if (spec.has_deployment()) {
    o.deployment_input = spec.deployment().input();
    o.deployment_classes = spec.deployment().num_classes();
  }
  if (spec.top_samples() > 0) o.top_samples = spec.top_samples();
  o.fine_steps = tr.fine_steps();
  o.fine_rule = spec.fine();
  return o;
}

// The fine stage alone: its space is derived from the given result, and it
// is the search's only stage.
absl::Status ResolveFineFrom(const CampaignSpec& spec, const std::string& where, ResolvedCampaign* c) {
  const std::string field = absl::StrCat(where, ": fine.from");
  ASSIGN_OR_RETURN(SpaceChoice from, WithContext(MatchArchitecture(c->space, spec.fine().from()),
                                                 field + " is not an architecture of the coarse space"));
  ASSIGN_OR_RETURN(FineSpace fine, WithContext(DeriveFineSpace(c->space, {from}, spec.fine()), field));
  c->space = std::move(fine.space);
  c->options.steps = c->options.fine_steps;
  c->options.fine_steps = 0;
  c->options.first_stage = FINE;
  return absl::OkStatus();
}

nn::DataFormat ToDataFormat(DatasetSpec::Format format) {
  switch (format) {
    case DatasetSpec::CIFAR10: return nn::DataFormat::kCifar10;
    case DatasetSpec::CIFAR100: return nn::DataFormat::kCifar100;
    case DatasetSpec::IMAGE_FOLDER: return nn::DataFormat::kImageFolder;
    default: return nn::DataFormat::kIdx;
  }
}

// The loader's options. An image folder is resized to the space's input
// unless the spec gives a size: the space is what the images feed.
absl::Status ResolveData(const CampaignSpec& spec, const std::string& where, ResolvedCampaign* c) {
  const DatasetSpec& ds = spec.dataset();
  nn::DatasetOptions& d = c->data;
  d.format = ToDataFormat(ds.format());
  if (!ds.dir().empty()) d.dir = ds.dir();
  d.train_images = ds.train_images(), d.valid_images = ds.valid_images(), d.test_images = ds.test_images();
  d.num_classes = ds.num_classes();
  d.split_seed = ds.split_seed();
  if (d.format == nn::DataFormat::kImageFolder) {
    const Shape& in = c->space.input();
    d.height = ds.height() ? ds.height() : in.height();
    d.width = ds.width() ? ds.width() : in.width();
    d.channels = ds.channels() ? ds.channels() : in.channels();
  }
  // Counts left 0 (all of a split) are checked against the batch once the
  // data is loaded (TunasSearch::Create).
  const int64_t batch = c->options.batch_size;
  if ((d.train_images > 0 && batch > d.train_images) || (d.valid_images > 0 && batch > d.valid_images)) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": training.batch_size: ", batch,
                                                   " must not exceed dataset.train_images (", d.train_images,
                                                   ") or dataset.valid_images (", d.valid_images, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ResolvedCampaign> ResolveCampaign(const CampaignSpec& spec, const std::string& where,
                                                 const DeviceProfileFn& devices) {
  ResolvedCampaign c;
  c.spec = spec;
  RETURN_IF_ERROR(WithContext(ValidateCampaignSpec(spec), where));
  ASSIGN_OR_RETURN(c.space, ResolveSpace(spec, where));
  ASSIGN_OR_RETURN(c.targets, ResolveTargets(spec, where, devices));
  c.options = ResolveOptions(spec);
  if (spec.fine().has_from()) RETURN_IF_ERROR(ResolveFineFrom(spec, where, &c));
  RETURN_IF_ERROR(ResolveData(spec, where, &c));
  return c;
}

absl::Status AsRandomBaseline(ResolvedCampaign* c) {
  TunasOptions& o = c->options;
  if (o.fine_steps > 0) {
    ASSIGN_OR_RETURN(c->space, WidenToFineKernels(c->space, o.fine_rule));
    o.steps += o.fine_steps;
    o.fine_steps = 0;
  }
  o.random_baseline = true;
  return absl::OkStatus();
}

std::string TargetLabel(const SearchTarget& target) {
  return absl::StrCat(target.profile.name(), "@", target.budget_ms, "ms");
}

namespace {

// In the random baseline no policy learns: a target gets the scored candidate
// of its hardware with the best reward, which is what random search picks.
const ScoredCandidate* BestForTarget(const SearchTarget& t, const std::vector<HardwareFront>& fronts) {
  const ScoredCandidate* best = nullptr;
  double best_reward = -1e300;
  for (const HardwareFront& f : fronts) {
    if (f.hardware != t.profile.name()) continue;
    for (const ScoredCandidate& c : f.candidates) {
      const double r = Reward(t.reward, c.accuracy, c.latency_ms, t.budget_ms, t.beta);
      if (r > best_reward) best_reward = r, best = &c;
    }
  }
  return best;
}

}  // namespace

nn::ProxyOptions ScoringOptions(const CampaignSpec& spec) {
  nn::ProxyOptions proxy;
  proxy.finetune_steps = spec.scoring().finetune_steps();
  proxy.seed = spec.seed();
  return proxy;
}

absl::StatusOr<CampaignResult> FinishCampaign(TunasSearch* search, const nn::ProxyOptions& proxy,
                                              const std::function<bool()>& should_stop) {
  CampaignResult result;
  ASSIGN_OR_RETURN(result.fronts, BuildFronts(search, proxy, should_stop));
  for (const PolicyState& p : search->policies()) {
    PolicyOutcome o;
    o.target = &p.target;
    if (search->options().random_baseline) {
      const ScoredCandidate* best = BestForTarget(p.target, result.fronts);
      if (best == nullptr) return absl::InternalError("random baseline: no candidates");
      o.chosen = best->arch;
    } else {
      ASSIGN_OR_RETURN(o.chosen, BuildArchitecture(search->decisions().space(),
                                                   search->decisions().ToChoice(p.policy->Argmax())));
    }
    o.arch_id = ArchitectureId(o.chosen);
    ASSIGN_OR_RETURN(o.latency_ms, search->LatencyMs(o.chosen, p.target));
    result.policies.push_back(std::move(o));
  }
  return result;
}

std::string RetrainedWeightsPath(const std::string& weights_dir, const std::string& arch_id) {
  return absl::StrCat(weights_dir, "/", arch_id, ".ckpt");
}

namespace {

// One front member trained standalone from scratch; returns its test
// accuracy, and keeps its weights in `weights_dir` if that is set.
absl::StatusOr<double> RetrainOne(const ResolvedCampaign& c, const nn::Dataset& data, const ScoredCandidate& candidate,
                                  const std::function<bool()>& should_stop, const std::string& weights_dir) {
  const int epochs = c.spec.retrain_epochs();
  const uint32_t seed = static_cast<uint32_t>(c.options.seed);
  ASSIGN_OR_RETURN(std::unique_ptr<nn::Network> net, nn::Network::Create(candidate.arch, seed));
  nn::OptimizerOptions sgd;  // SGD with Nesterov momentum, as `ridge train`.
  nn::Optimizer optimizer(&net->params(), sgd);
  nn::TrainOptions train;
  train.epochs = epochs;
  train.batch_size = c.options.batch_size;
  train.learning_rate = c.options.learning_rate;
  train.augment = c.options.augment;
  train.seed = c.options.seed;
  train.should_stop = should_stop;
  RETURN_IF_ERROR(nn::Train(net.get(), &optimizer, data.train, train).status());
  ASSIGN_OR_RETURN(double test, nn::Evaluate([&](const nn::Tensor& x, const nn::ForwardContext& ctx) {
                     return net->Forward(x, ctx);
                   }, data.test));
  if (!weights_dir.empty()) {
    // The header `ridge train` writes, so `ridge export --checkpoint` reads it.
    const nn::CheckpointHeader header{"standalone", CanonicalEncoding(candidate.arch),
                                      absl::StrCat("name=", candidate.arch_id, "\nretrain_epochs=", epochs), 0,
                                      epochs};
    RETURN_IF_ERROR(
        nn::WriteCheckpoint(RetrainedWeightsPath(weights_dir, candidate.arch_id), header, net->params(), nullptr));
  }
  return test;
}

}  // namespace

absl::Status RetrainFront(const ResolvedCampaign& c, const nn::Dataset& data, CampaignResult* result,
                          const std::function<absl::Status(const std::string&)>& say,
                          const std::function<bool()>& should_stop, const std::string& weights_dir) {
  const int epochs = c.spec.retrain_epochs();
  if (epochs <= 0) return absl::OkStatus();
  if (!weights_dir.empty()) RETURN_IF_ERROR(MakeDirectories(weights_dir, "weights"));
  std::map<std::string, double> accuracy;  // By architecture: fronts share members.
  for (HardwareFront& f : result->fronts) {
    for (ScoredCandidate& candidate : f.candidates) {
      if (!candidate.on_front) continue;
      auto known = accuracy.find(candidate.arch_id);
      if (known == accuracy.end()) {
        if (should_stop()) return absl::CancelledError("retraining stopped");
        ASSIGN_OR_RETURN(double test, RetrainOne(c, data, candidate, should_stop, weights_dir));
        known = accuracy.emplace(candidate.arch_id, test).first;
        RETURN_IF_ERROR(say(absl::StrCat("retrained ", candidate.arch_id, " for ", epochs, " epochs: test accuracy ",
                                         test)));
      }
      candidate.standalone_accuracy = known->second;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<PolicyResult>> ToPolicyResults(const TunasSearch& search, const CampaignResult& result) {
  std::vector<PolicyResult> out;
  for (const PolicyOutcome& o : result.policies) {
    PolicyResult r;
    r.set_hardware(o.target->profile.name());
    r.set_budget_ms(o.target->budget_ms);
    *r.mutable_argmax() = search.AtDeployment(o.chosen);
    r.set_latency_ms(o.latency_ms);
    r.set_arch_id(o.arch_id);
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<std::vector<ParetoPoint>> ToParetoPoints(const TunasSearch& search, const CampaignResult& result,
                                                        bool front_only) {
  std::vector<ParetoPoint> out;
  for (const HardwareFront& f : result.fronts) {
    const SearchTarget* target = nullptr;
    for (const PolicyState& p : search.policies()) {
      if (p.target.profile.name() == f.hardware) target = &p.target;
    }
    const HardwareProfile* profile = &target->profile;
    for (const ScoredCandidate& c : f.candidates) {
      if (front_only && !c.on_front) continue;
      ParetoPoint point;
      *point.mutable_architecture() = search.AtDeployment(c.arch);
      point.set_arch_id(c.arch_id);
      point.set_hardware(f.hardware);
      point.set_proxy_accuracy(c.accuracy);
      point.set_predicted_latency_ms(c.latency_ms);
      point.set_latency_model(target->model != nullptr ? target->model->name()
                                                       : absl::StrCat("roofline:", f.hardware));
      ASSIGN_OR_RETURN(ElementType type, ElementTypeOfBytes(profile->bytes_per_element()));
      ASSIGN_OR_RETURN(NetworkCost cost, CostArchitecture(point.architecture(), type));
      point.set_macs(cost.macs);
      point.set_params(cost.params);
      point.set_origin(c.origin);
      if (c.standalone_accuracy >= 0) point.set_standalone_accuracy(c.standalone_accuracy);
      out.push_back(std::move(point));
    }
  }
  return out;
}

}  // namespace ridge::search
