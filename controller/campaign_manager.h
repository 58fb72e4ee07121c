// Runs campaigns for the controller (docs/design.md §6 and §7), with no gRPC
// in sight so that it is unit-tested directly. A launched campaign is written to
// the store before Launch returns; up to `max_concurrent` run at once, each on
// its own thread, and the rest wait as PENDING. A running campaign
// checkpoints every N steps (and when the manager shuts down), records each
// checkpoint in the store, and on the next Start resumes from the last one.
#ifndef RIDGE_CONTROLLER_CAMPAIGN_MANAGER_H_
#define RIDGE_CONTROLLER_CAMPAIGN_MANAGER_H_

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controller/device_loop.h"
#include "controller/job_queue.h"
#include "controller/store.h"
#include "proto/services.pb.h"
#include "search/campaign.h"
#include "search/campaign_run.h"

namespace ridge::controller {

struct ManagerOptions {
  // Checkpoints go to <data_dir>/checkpoints/<campaign>.ckpt, retrained
  // front members' weights to <data_dir>/weights/<campaign>/<arch_id>.ckpt
  // (kept after the campaign ends: exports need them).
  std::string data_dir = "ridge-data";
  // Where a spec's dataset.dir (a bare name) is looked up; empty: specs may
  // not name one, and campaigns use the built-in Fashion-MNIST.
  std::string data_root;
  // Campaigns run at once; the rest queue in launch order.
  int max_concurrent = 1;
  // Steps between checkpoints when the spec says 0.
  int64_t checkpoint_every_steps = 100;
  // Steps between stored progress events (Watch's granularity).
  int64_t event_every_steps = 10;
  // The closed loop with measurement workers for device-key targets.
  DeviceLoopOptions device;
  // Keep the checkpoints of finished campaigns (for re-scoring or export);
  // by default they are removed once a campaign is DONE, FAILED or CANCELLED.
  bool keep_checkpoints = false;
};

bool IsFinal(CampaignState state);

class CampaignManager {
 public:
  // `jobs` may be null: then targets must name hardware, not just a device key.
  CampaignManager(CampaignStore* store, ManagerOptions options, JobQueue* jobs = nullptr);
  // Shuts down with checkpoints (see Shutdown).
  ~CampaignManager();

  // Queues every unfinished campaign in the store (resuming from its last
  // checkpoint when it runs) and starts as many as allowed. Call once.
  absl::Status Start();

  // Validates `spec` whole (INVALID_ARGUMENT naming the field; nothing is
  // created), stores the campaign as PENDING and queues it. Returns its ID.
  absl::StatusOr<std::string> Launch(const CampaignSpec& spec);
  absl::StatusOr<Campaign> Get(const std::string& campaign_id);
  // Cancels a pending or running campaign; a finished one keeps its state.
  // Returns the state after the call.
  absl::StatusOr<CampaignState> Cancel(const std::string& campaign_id);

  // Events after `after_seq`, waiting up to `timeout` for at least one. Sets
  // `ended` when the campaign is in a final state and every event of it has
  // been returned. NOT_FOUND for an unknown campaign.
  absl::StatusOr<std::vector<std::pair<int64_t, ProgressEvent>>> WaitEvents(const std::string& campaign_id,
                                                                            int64_t after_seq,
                                                                            absl::Duration timeout, bool* ended);

  // Stops every running campaign; with `checkpoint`, each writes a checkpoint
  // first (as on SIGTERM). Stopped campaigns stay unfinished in the store and
  // resume on the next Start. Idempotent.
  void Shutdown(bool checkpoint = true);

  CampaignStore* store() { return store_; }
  // Where a campaign keeps its retrained front members' weights.
  std::string WeightsDir(const std::string& campaign_id) const;
  // The retrained weights of `arch_id` in the campaign (a standalone
  // checkpoint file's bytes). NOT_FOUND for an unknown campaign, or when the
  // architecture was not retrained.
  absl::StatusOr<std::string> RetrainedWeights(const std::string& campaign_id, const std::string& arch_id);

 private:
  // A running campaign's thread and the token its run polls between steps.
  struct Running {
    std::thread thread;
    search::StopToken stop;
  };
  // The run's progress sink: events, checkpoint records, device loop
  // (campaign_runner.cc).
  class RunSink;
  void ScheduleLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The runner thread's body; Run records a failure and frees the slot.
  void Run(std::string campaign_id, Running* running);
  absl::Status RunCampaign(const std::string& campaign_id, Running* running);
  // Checkpoint path and interval, and the checkpoint to resume from.
  absl::StatusOr<search::CampaignRunOptions> RunOptions(const std::string& campaign_id, const CampaignSpec& spec);
  absl::Status StoreResult(const std::string& campaign_id, search::CampaignRun& run, RunSink* sink);
  void DropCheckpointIfFinal(const std::string& campaign_id);
  // Appends an event (and updates the stored progress) and wakes watchers.
  absl::Status Emit(const std::string& campaign_id, CampaignState state, int64_t step, int64_t total,
                    const std::vector<PolicyResult>& policies, const std::vector<double>& rewards,
                    const std::string& message, const std::string& error = "");
  std::string CheckpointPath(const std::string& campaign_id) const;
  // Resolves a spec, with device keys looked up among registered workers and
  // distill.soft_labels found in <data_dir>/soft_labels/.
  absl::StatusOr<search::ResolvedCampaign> Resolve(CampaignSpec spec);

  CampaignStore* store_;
  JobQueue* jobs_;
  const ManagerOptions options_;
  absl::Mutex mu_;
  absl::CondVar changed_;  // Signalled on every event and state change.
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<Running>> running_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> finished_threads_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // Bumped by every Emit.
};

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_CAMPAIGN_MANAGER_H_
