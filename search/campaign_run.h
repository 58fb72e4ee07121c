// One campaign run, from a resolved spec to its result: the one loop behind
// `ridge search`, the controller and `ridge up` (docs/design.md §6).
//
// A CampaignRun owns the data, the search (built fresh or restored from a
// checkpoint), the step loop with its checkpoint policy, and the finish:
// scoring the Pareto candidates, picking each policy's architecture and the
// optional standalone retraining. What it does leaves through a
// ProgressSink; how often to show it, and where, is the sink's business.
#ifndef RIDGE_SEARCH_CAMPAIGN_RUN_H_
#define RIDGE_SEARCH_CAMPAIGN_RUN_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "search/campaign.h"
#include "search/tunas.h"
#include "supernet/dataset.h"
#include "supernet/soft_labels.h"

namespace ridge::search {

// Asks a run to end early; set from any thread, read by the run between
// steps and between the networks it retrains. Thread-safe.
class StopToken {
 public:
  // End and keep a checkpoint to resume from (Ctrl-C, a controller shutting
  // down); with checkpoint = false, end without writing one.
  void Stop(bool checkpoint = true) {
    checkpoint_ = checkpoint;
    stop_ = true;
  }
  // End for good: no checkpoint; the run reports kCancelled.
  void Cancel() { cancel_ = true; }

  bool stop_requested() const { return stop_ || cancel_; }
  bool cancelled() const { return cancel_; }
  bool checkpoint_on_stop() const { return checkpoint_; }

 private:
  std::atomic<bool> stop_{false}, cancel_{false}, checkpoint_{true};
};

class CampaignRun;

// A space declared at another shape than the data's (a literature space at
// 224x224x3 with 1,000 classes, on 32x32 images) is used at the data's shape:
// its blocks stay, only the input and the classifier change (SpaceAtInput).
// Returns whether `space` was reshaped.
absl::StatusOr<bool> FitSpaceToData(const nn::Dataset& data, SearchSpace* space);

// Receives what a run does, on the run's own thread. An error a method
// returns ends the run with that error. Every method has a no-op default.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // The search is built, or restored: run.search().step() is where it
  // starts. `message` says which.
  virtual absl::Status Started(CampaignRun& run, const std::string& message);
  // After every step of either stage.
  virtual absl::Status Stepped(CampaignRun& run, const StepReport& report);
  // Something a person should read: a stage began, scoring began, a network
  // was retrained. `state` is the run's state at the time.
  virtual absl::Status Said(CampaignRun& run, CampaignState state, const std::string& message);
  // A checkpoint covering every step so far is in place at `path`.
  virtual absl::Status Checkpointed(CampaignRun& run, const std::string& path);
};

struct CampaignRunOptions {
  // Where checkpoints are written (atomically); empty: none are.
  std::string checkpoint_path;
  // Steps between checkpoints; 0: only when stopped and when the search's
  // steps are done.
  int64_t checkpoint_every_steps = 100;
  // A checkpoint to resume from; empty: start fresh. One of another
  // campaign, or a corrupt one, is refused.
  std::string resume_from;
  // Where retrained front members' weights are kept (<arch_id>.ckpt, see
  // RetrainFront); empty: they are not.
  std::string weights_dir;
};

// How Run ended.
enum class RunEnd {
  kDone,       // The result is ready.
  kStopped,    // Stopped early; resumable from the checkpoint if one was asked for.
  kCancelled,  // Cancelled; nothing more was written.
};

// One policy's current argmax, as progress shows it.
struct ArgmaxView {
  const SearchTarget* target = nullptr;
  Architecture arch;  // At the proxy shape.
  std::string arch_id;
  double latency_ms = 0;  // At the deployment shape.
  double last_reward = 0;
};

// Not thread-safe: one thread creates and runs it (OpenMP's thread count,
// which Run sets from the spec, is per thread).
class CampaignRun {
 public:
  // Loads the campaign's data and builds its search, restoring it from
  // options.resume_from when set. `sink` must outlive the run.
  static absl::StatusOr<std::unique_ptr<CampaignRun>> Create(ResolvedCampaign campaign, CampaignRunOptions options,
                                                             ProgressSink* sink);

  // Steps until the search is done, then scores the fronts and retrains
  // their members if the spec asks; or until `stop` says to end. A run that
  // is done (even one restored from a final checkpoint) goes straight to the
  // finish. Errors come from the search, the checkpoint or the sink.
  absl::StatusOr<RunEnd> Run(const StopToken& stop);

  // REQUIRES: Run returned kDone.
  const CampaignResult& result() const { return result_; }
  TunasSearch& search() { return *search_; }
  const ResolvedCampaign& campaign() const { return campaign_; }
  // COARSE or FINE while stepping, EVALUATING once the steps are done.
  CampaignState state() const;
  // Wall-clock seconds of stepping in this process (not before a resume).
  double search_seconds() const { return search_seconds_; }

  // Each policy's argmax now, priced at the deployment shape.
  absl::StatusOr<std::vector<ArgmaxView>> Argmaxes();

 private:
  CampaignRun(ResolvedCampaign campaign, CampaignRunOptions options, ProgressSink* sink);
  absl::StatusOr<RunEnd> Step(const StopToken& stop);
  absl::Status Checkpoint();
  absl::StatusOr<RunEnd> Finish(const StopToken& stop);

  ResolvedCampaign campaign_;
  const CampaignRunOptions options_;
  ProgressSink* sink_;
  nn::Dataset data_;
  std::optional<nn::SoftLabels> teacher_;  // The spec's distill.soft_labels.
  std::unique_ptr<TunasSearch> search_;
  CampaignResult result_;
  bool resumed_ = false;
  std::string space_note_;  // How the space was fitted to the data, if it was.
  bool finishing_ = false;
  double search_seconds_ = 0;
};

}  // namespace ridge::search

#endif  // RIDGE_SEARCH_CAMPAIGN_RUN_H_
