#include "search/campaign_run.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "proto/architecture.h"
#include "proto/space.h"
#include "proto/textproto.h"
#include "supernet/dnnl_context.h"

namespace ridge::search {

absl::Status ProgressSink::Started(CampaignRun&, const std::string&) { return absl::OkStatus(); }
absl::Status ProgressSink::Stepped(CampaignRun&, const StepReport&) { return absl::OkStatus(); }
absl::Status ProgressSink::Said(CampaignRun&, CampaignState, const std::string&) { return absl::OkStatus(); }
absl::Status ProgressSink::Checkpointed(CampaignRun&, const std::string&) { return absl::OkStatus(); }

namespace {

// The resolved spec and the mode, as checkpoints identify a campaign by.
std::string Fingerprint(const ResolvedCampaign& c) {
  CampaignSpec spec = c.spec;
  spec.clear_name();  // A label; renaming a campaign does not change it.
  const std::string text = absl::StrCat(ToTextProto(spec), c.options.random_baseline ? "/random" : "/tunas");
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64, as architecture IDs.
  for (unsigned char ch : text) h = (h ^ ch) * 1099511628211ull;
  return absl::StrCat(absl::Hex(h, absl::kZeroPad16));
}

std::string ShapeText(const Shape& s, int32_t classes) {
  return absl::StrCat(s.height(), "x", s.width(), "x", s.channels(), " with ", classes, " classes");
}

// The campaign's space fitted to the data (FitSpaceToData). Unless the spec
// gives a deployment shape, latency is then priced at the declared
// resolution, with the data's channels and classes (the user's network, at
// the size it was designed for). Returns what was done, for the campaign's
// events; empty if the space fits the data as declared.
absl::StatusOr<std::string> FitCampaignToData(const nn::Dataset& data, ResolvedCampaign* c) {
  const Shape declared = c->space.input();
  const int32_t declared_classes = c->space.num_classes();
  ASSIGN_OR_RETURN(bool reshaped, WithContext(FitSpaceToData(data, &c->space), "space"));
  if (!reshaped) return std::string();
  const Shape& in = c->space.input();
  const int32_t classes = c->space.num_classes();
  const bool resolution_differs = declared.height() != in.height() || declared.width() != in.width();
  if (c->options.deployment_input.height() == 0 && resolution_differs) {
    c->options.deployment_input = declared;
    c->options.deployment_input.set_channels(in.channels());
  }
  const Shape& priced = c->options.deployment_input.height() > 0 ? c->options.deployment_input : in;
  return absl::StrCat("space ", c->space.name(), " is declared at ", ShapeText(declared, declared_classes),
                      "; it is searched at the dataset's ", ShapeText(in, classes), " and priced at ",
                      ShapeText(priced, c->options.deployment_classes > 0 ? c->options.deployment_classes : classes));
}

}  // namespace

absl::StatusOr<bool> FitSpaceToData(const nn::Dataset& data, SearchSpace* space) {
  Shape in;
  in.set_height(data.train.height), in.set_width(data.train.width), in.set_channels(data.train.channels);
  const int32_t classes = static_cast<int32_t>(data.num_classes);
  const Shape& declared = space->input();
  if (declared.height() == in.height() && declared.width() == in.width() && declared.channels() == in.channels() &&
      space->num_classes() == classes) {
    return false;
  }
  ASSIGN_OR_RETURN(*space, SpaceAtInput(*space, in, classes));
  return true;
}

CampaignRun::CampaignRun(ResolvedCampaign campaign, CampaignRunOptions options, ProgressSink* sink)
    : campaign_(std::move(campaign)), options_(std::move(options)), sink_(sink) {}

absl::StatusOr<std::unique_ptr<CampaignRun>> CampaignRun::Create(ResolvedCampaign campaign,
                                                                 CampaignRunOptions options, ProgressSink* sink) {
  if (sink == nullptr) return absl::InvalidArgumentError("campaign run: needs a progress sink");
  std::unique_ptr<CampaignRun> run(new CampaignRun(std::move(campaign), std::move(options), sink));
  const ResolvedCampaign& c = run->campaign_;
  ASSIGN_OR_RETURN(run->data_, WithContext(nn::LoadDataset(c.data), "dataset"));
  ASSIGN_OR_RETURN(run->space_note_, FitCampaignToData(run->data_, &run->campaign_));
  TunasOptions search_options = c.options;
  search_options.fingerprint = Fingerprint(c);
  // A reshaped space is part of what a checkpoint must match: the same spec
  // over data of another shape is another search. (Appended only then, so
  // checkpoints of campaigns that were not reshaped keep their fingerprint.)
  if (!run->space_note_.empty()) {
    absl::StrAppend(&search_options.fingerprint, "-", absl::Hex(Fnv1a64(run->space_note_), absl::kZeroPad16));
  }
  if (!c.spec.distill().soft_labels().empty()) {
    ASSIGN_OR_RETURN(run->teacher_, WithContext(nn::ReadSoftLabels(c.spec.distill().soft_labels(), run->data_.train),
                                                "distill.soft_labels"));
    search_options.teacher = &*run->teacher_;
  }
  ASSIGN_OR_RETURN(run->search_, TunasSearch::Create(c.space, c.targets, run->data_, search_options));
  if (!run->options_.resume_from.empty()) {
    RETURN_IF_ERROR(WithContext(run->search_->RestoreCheckpoint(run->options_.resume_from), "resuming"));
    run->resumed_ = true;
  }
  return run;
}

CampaignState CampaignRun::state() const { return finishing_ ? EVALUATING : search_->stage(); }

absl::StatusOr<std::vector<ArgmaxView>> CampaignRun::Argmaxes() {
  std::vector<ArgmaxView> out;
  for (const PolicyState& p : search_->policies()) {
    ArgmaxView v;
    v.target = &p.target;
    ASSIGN_OR_RETURN(v.arch, BuildArchitecture(search_->decisions().space(),
                                               search_->decisions().ToChoice(p.policy->Argmax())));
    v.arch_id = ArchitectureId(v.arch);
    ASSIGN_OR_RETURN(v.latency_ms, search_->LatencyMs(v.arch, p.target));
    v.last_reward = p.last_reward;
    out.push_back(std::move(v));
  }
  return out;
}

absl::Status CampaignRun::Checkpoint() {
  if (options_.checkpoint_path.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(search_->SaveCheckpoint(options_.checkpoint_path));
  Log(Component::kSearch)->debug("checkpoint written step={} path={}", search_->step(), options_.checkpoint_path);
  return sink_->Checkpointed(*this, options_.checkpoint_path);
}

absl::StatusOr<RunEnd> CampaignRun::Run(const StopToken& stop) {
  nn::SetThreads(campaign_.spec.training().threads());  // Per thread: OpenMP's count is thread-local.
  RETURN_IF_ERROR(sink_->Started(*this, resumed_ ? absl::StrCat("resumed from the checkpoint at step ",
                                                                search_->step())
                                                 : "search started"));
  if (!space_note_.empty()) RETURN_IF_ERROR(sink_->Said(*this, search_->stage(), space_note_));
  Log(Component::kSearch)->debug("run started campaign={} step={} total_steps={}", campaign_.spec.name(),
                                 search_->step(), search_->total_steps());
  ASSIGN_OR_RETURN(RunEnd end, Step(stop));
  if (end == RunEnd::kDone) {
    ASSIGN_OR_RETURN(end, Finish(stop));
  }
  Log(Component::kSearch)->debug("run ended campaign={} step={} end={}", campaign_.spec.name(), search_->step(),
                                 end == RunEnd::kDone ? "done" : end == RunEnd::kStopped ? "stopped" : "cancelled");
  return end;
}

// The step loop: a checkpoint every N steps, after the last step, and when
// stopped (if asked for).
absl::StatusOr<RunEnd> CampaignRun::Step(const StopToken& stop) {
  const int64_t every = options_.checkpoint_every_steps;
  const auto start = std::chrono::steady_clock::now();
  while (!search_->done()) {
    if (stop.cancelled()) return RunEnd::kCancelled;
    if (stop.stop_requested()) {
      if (stop.checkpoint_on_stop()) RETURN_IF_ERROR(Checkpoint());
      return RunEnd::kStopped;
    }
    ASSIGN_OR_RETURN(StepReport report, search_->Step());
    if (!report.stage_began.empty()) RETURN_IF_ERROR(sink_->Said(*this, search_->stage(), report.stage_began));
    RETURN_IF_ERROR(sink_->Stepped(*this, report));
    if ((every > 0 && search_->step() % every == 0) || search_->done()) RETURN_IF_ERROR(Checkpoint());
  }
  search_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return RunEnd::kDone;
}

// Scores the candidates, picks each policy's architecture and retrains the
// fronts. A stop here needs no checkpoint: the one after the last step
// covers everything, and a resumed run starts the finish again.
absl::StatusOr<RunEnd> CampaignRun::Finish(const StopToken& stop) {
  finishing_ = true;
  RETURN_IF_ERROR(sink_->Said(*this, EVALUATING,
                              "scoring front candidates: proxy accuracy on the valid split after BN recalibration"));
  const auto should_stop = [&] { return stop.stop_requested(); };
  absl::StatusOr<CampaignResult> result = FinishCampaign(search_.get(), ScoringOptions(campaign_.spec), should_stop);
  if (absl::IsCancelled(result.status())) return stop.cancelled() ? RunEnd::kCancelled : RunEnd::kStopped;
  RETURN_IF_ERROR(result.status());
  result_ = *std::move(result);
  const absl::Status retrained = RetrainFront(
      campaign_, data_, &result_,
      [&](const std::string& message) { return sink_->Said(*this, EVALUATING, message); },
      should_stop, options_.weights_dir);
  if (absl::IsCancelled(retrained)) return stop.cancelled() ? RunEnd::kCancelled : RunEnd::kStopped;
  RETURN_IF_ERROR(retrained);
  return RunEnd::kDone;
}

}  // namespace ridge::search
