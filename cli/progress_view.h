// How a long command's progress reaches a person or a script; the one
// renderer behind `ridge search`, `ridge up`, `ridge campaign watch` and the
// training commands.
//
// On a terminal it redraws one block in place below everything else: a
// header (stage, step/total, steps per second, elapsed, ETA) and one row per
// policy; messages and log lines print above it and scroll. Otherwise it
// prints a compact plain line at most every few seconds, or, for scripts,
// one JSON object per line (JSON Lines) on stdout.
#ifndef RIDGE_CLI_PROGRESS_VIEW_H_
#define RIDGE_CLI_PROGRESS_VIEW_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ridge::cli {

enum class ProgressMode {
  kTerminal,    // A block redrawn in place on stderr (ANSI cursor movement).
  kPlain,       // Rate-limited plain lines on stderr: logs, CI.
  kJsonLines,   // One JSON object per event on stdout.
};

// One policy's row: its target and its current argmax.
struct PolicyProgress {
  std::string hardware;
  double budget_ms = 0;
  double latency_ms = -1;  // The argmax's, at the deployment shape; < 0: not known yet.
  double reward = 0;
  std::string arch_id;
};

// What a step shows.
struct ProgressFrame {
  std::string stage;  // COARSE, FINE, EVALUATING, TRAINING...
  int64_t step = 0;
  int64_t total_steps = 0;
  std::vector<PolicyProgress> policies;
  std::string detail;  // Appended to the header, e.g. "epoch 1/3 loss 0.41".
  absl::Time time;
};

struct ProgressViewOptions {
  ProgressMode mode = ProgressMode::kPlain;
  int width = 100;   // Terminal columns.
  int height = 0;    // Terminal rows; 0: unknown. The block keeps below it.
  absl::Duration redraw_every = absl::Milliseconds(200);  // kTerminal.
  absl::Duration line_every = absl::Seconds(5);           // kPlain.
  absl::Duration json_every = absl::Seconds(1);           // kJsonLines step events.
  // Where text goes; unset: stderr (stdout for kJsonLines), flushed each time.
  std::function<void(absl::string_view)> write;
};

// The options for this process: JSON Lines if asked, else a terminal block
// when stderr is a terminal (and TERM is not "dumb"), sized by TIOCGWINSZ
// (100 columns if it does not say), else plain lines.
ProgressViewOptions ProgressOptionsForStderr(bool json_lines = false);

// Routes the loggers' lines through the terminal view on screen, if any, so
// they print above its block. Call before other threads log (it swaps the
// loggers' sink); idempotent. A terminal view calls it itself.
void PrepareLogsForProgress();

// Thread-safe: messages and log lines may come from any thread.
class ProgressView {
 public:
  explicit ProgressView(ProgressViewOptions options);
  ~ProgressView();
  ProgressView(const ProgressView&) = delete;
  ProgressView& operator=(const ProgressView&) = delete;

  ProgressMode mode() const { return options_.mode; }
  // Whether Step would show a frame of `stage` at `time`: lets a caller skip
  // building frames nobody sees. `last`: the final step, always shown.
  bool Due(absl::string_view stage, absl::Time time, bool last = false) const;
  // A step: shown if Due; the rate and ETA come from the steps shown.
  void Step(const ProgressFrame& frame, bool last = false);
  // A message to keep: above the block, a plain line, or a JSON event.
  // `stage` is the run's state; a new one counts as a stage change.
  void Say(absl::string_view stage, absl::string_view message, absl::Time time);
  // Runs `print`, which writes whole lines to stderr, above the block.
  void Above(const std::function<void()>& print);

 private:
  bool DueLocked(absl::string_view stage, absl::Time time, bool last) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void NoteStageLocked(absl::string_view stage, absl::Time time) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddSampleLocked(const ProgressFrame& frame) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string HeaderLocked(const std::string& sep) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<std::string> BlockLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string PlainLineLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string StepJsonLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ShowLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DrawLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Write(absl::string_view text) const;
  double RateLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  double EtaSecondsLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ProgressViewOptions options_;
  mutable absl::Mutex mu_;
  ProgressFrame frame_ ABSL_GUARDED_BY(mu_);     // The latest frame shown.
  bool have_frame_ ABSL_GUARDED_BY(mu_) = false;
  std::string stage_ ABSL_GUARDED_BY(mu_);       // The latest stage, from frames or messages.
  absl::Time start_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time last_shown_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // (time, step) of the stage's recent frames, for the rate.
  std::deque<std::pair<absl::Time, int64_t>> samples_ ABSL_GUARDED_BY(mu_);
  int drawn_lines_ ABSL_GUARDED_BY(mu_) = 0;  // Of the block on screen now.
};

// "42s", "2m15s", "1h02m".
std::string FormatSeconds(double seconds);
// `json_object`, a JSON object as JsonWriter writes it (indented; strings
// escape their newlines), as one JSON Lines line with "event": "result".
std::string JsonResultLine(absl::string_view json_object);

}  // namespace ridge::cli

#endif  // RIDGE_CLI_PROGRESS_VIEW_H_
