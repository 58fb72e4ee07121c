#include "cli/progress_view.h"

#include <spdlog/sinks/sink.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/output.h"
#include "common/logging.h"

namespace ridge::cli {
namespace {

// A plain line stays shorter than this, whatever the policy count.
constexpr size_t kPlainColumns = 159;
// The rate is taken over the stage's frames of the last minute.
constexpr absl::Duration kRateWindow = absl::Seconds(60);

// Log lines from any thread, printed above the block: the loggers' sink
// writes to stderr on its own, which would land inside the block and throw
// off the cursor-up count. Wraps that sink; forwards when no view is on.
class AboveBlockSink : public spdlog::sinks::sink {
 public:
  explicit AboveBlockSink(spdlog::sink_ptr inner) : inner_(std::move(inner)) {}

  void log(const spdlog::details::log_msg& msg) override {
    absl::MutexLock lock(&mu_);
    if (view_ == nullptr) return inner_->log(msg);
    view_->Above([&] { inner_->log(msg); });
  }
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> f) override { inner_->set_formatter(std::move(f)); }
  void set_view(ProgressView* view) {
    absl::MutexLock lock(&mu_);
    view_ = view;
  }

 private:
  const spdlog::sink_ptr inner_;
  absl::Mutex mu_;
  ProgressView* view_ ABSL_GUARDED_BY(mu_) = nullptr;
};

std::shared_ptr<AboveBlockSink>& Routing() {
  static auto* sink = new std::shared_ptr<AboveBlockSink>();  // Never destroyed, like the loggers.
  return *sink;
}

// Control bytes from remote text (a hardware name, a message) would move the
// cursor; they show as '?'.
std::string Sanitize(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

// The first `columns` characters of `text` (UTF-8 aware: never half a character).
std::string Fit(absl::string_view text, size_t columns) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars++ == columns) return std::string(text.substr(0, i));
  }
  return std::string(text);
}

std::string Label(const PolicyProgress& p) { return Sanitize(absl::StrCat(p.hardware, "@", p.budget_ms, "ms")); }

// "-0.8%": the argmax's latency against its budget.
std::string OverBudget(const PolicyProgress& p) {
  if (p.latency_ms < 0 || p.budget_ms <= 0) return "--";
  return absl::StrFormat("%+.1f%%", 100 * (p.latency_ms - p.budget_ms) / p.budget_ms);
}

// Three significant digits, trailing zeros dropped: "3.97", "0.61", "123".
std::string Latency(const PolicyProgress& p) {
  if (p.latency_ms < 0) return "--";
  return absl::StrFormat(p.latency_ms >= 100 ? "%.0f" : "%.3g", p.latency_ms);
}

std::string FormatRate(double r) { return absl::StrFormat(r >= 10 ? "%.0f" : r >= 1 ? "%.1f" : "%.2f", r); }

// JsonWriter's indentation is its only raw newlines: strings escape theirs.
std::string OneLine(absl::string_view json) {
  std::string out;
  for (size_t i = 0; i < json.size(); ++i) {
    if (json[i] != '\n') {
      out += json[i];
      continue;
    }
    while (i + 1 < json.size() && json[i + 1] == ' ') ++i;
  }
  return out;
}

// The plain line's per-policy part: each policy, or a summary when they do
// not fit.
std::string PolicySummary(const std::vector<PolicyProgress>& policies, size_t room) {
  std::string each;
  int within = 0;
  double low = std::numeric_limits<double>::infinity(), high = -low;
  for (const PolicyProgress& p : policies) {
    absl::StrAppend(&each, " | ", Label(p), " ", Latency(p), "ms ", OverBudget(p), " R=",
                    absl::StrFormat("%.2f", p.reward));
    if (p.latency_ms >= 0 && p.latency_ms <= p.budget_ms) ++within;
    low = std::min(low, p.reward), high = std::max(high, p.reward);
  }
  if (each.size() <= room || policies.empty()) return each;
  return absl::StrFormat(" | %d policies, %d within budget, R %.2f..%.2f", policies.size(), within, low, high);
}

}  // namespace

void PrepareLogsForProgress() {
  static std::once_flag once;
  std::call_once(once, [] {
    spdlog::sink_ptr inner = Log(Component::kCli)->sinks().front();
    Routing() = std::make_shared<AboveBlockSink>(inner);
    for (Component c : {Component::kController, Component::kWorker, Component::kSearch, Component::kStore,
                        Component::kEngine, Component::kCli}) {
      for (spdlog::sink_ptr& s : Log(c)->sinks()) {
        if (s == inner) s = Routing();
      }
    }
  });
}

ProgressViewOptions ProgressOptionsForStderr(bool json_lines) {
  ProgressViewOptions o;
  const char* term = std::getenv("TERM");
  const bool tty = isatty(STDERR_FILENO) == 1 && !(term != nullptr && std::string(term) == "dumb");
  o.mode = json_lines ? ProgressMode::kJsonLines : tty ? ProgressMode::kTerminal : ProgressMode::kPlain;
  struct winsize size {};
  if (tty && ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    o.width = size.ws_col;
    o.height = size.ws_row;
  }
  return o;
}

ProgressView::ProgressView(ProgressViewOptions options) : options_(std::move(options)) {
  if (options_.mode != ProgressMode::kTerminal || options_.write) return;
  PrepareLogsForProgress();
  Routing()->set_view(this);
}

ProgressView::~ProgressView() {
  if (options_.mode == ProgressMode::kTerminal && !options_.write) Routing()->set_view(nullptr);
}

bool ProgressView::Due(absl::string_view stage, absl::Time time, bool last) const {
  absl::MutexLock lock(&mu_);
  return DueLocked(stage, time, last);
}

bool ProgressView::DueLocked(absl::string_view stage, absl::Time time, bool last) const {
  if (last || !have_frame_ || stage != frame_.stage) return true;
  switch (options_.mode) {
    case ProgressMode::kTerminal: return time - last_shown_ >= options_.redraw_every;
    case ProgressMode::kPlain: return time - last_shown_ >= options_.line_every;
    case ProgressMode::kJsonLines: return time - last_shown_ >= options_.json_every;
  }
  return true;
}

void ProgressView::Step(const ProgressFrame& frame, bool last) {
  absl::MutexLock lock(&mu_);
  if (!DueLocked(frame.stage, frame.time, last)) return;
  NoteStageLocked(frame.stage, frame.time);
  AddSampleLocked(frame);
  frame_ = frame;
  have_frame_ = true;
  last_shown_ = frame.time;
  ShowLocked();
}

void ProgressView::Say(absl::string_view stage, absl::string_view message, absl::Time time) {
  absl::MutexLock lock(&mu_);
  NoteStageLocked(stage, time);
  const std::string line = absl::StrCat("[", Sanitize(stage), "] ", Sanitize(message), "\n");
  switch (options_.mode) {
    case ProgressMode::kTerminal:
      EraseLocked();
      Write(line);
      DrawLocked();
      return;
    case ProgressMode::kPlain:
      Write(line);
      return;
    case ProgressMode::kJsonLines: {
      JsonWriter json;
      json.BeginObject().Key("event").String("message").Key("stage").String(stage);
      json.Key("message").String(message).Key("elapsed_s").Double(absl::ToDoubleSeconds(now_ - start_));
      json.EndObject();
      Write(OneLine(json.str()) + "\n");
      return;
    }
  }
}

void ProgressView::Above(const std::function<void()>& print) {
  absl::MutexLock lock(&mu_);
  EraseLocked();
  print();
  DrawLocked();
}

// A new stage resets the rate (stages step at different speeds) and is an
// event of its own in JSON Lines.
void ProgressView::NoteStageLocked(absl::string_view stage, absl::Time time) {
  start_ = std::min(start_, time);
  now_ = std::max(now_, time);
  if (stage.empty() || stage == stage_) return;
  stage_ = std::string(stage);
  samples_.clear();
  if (options_.mode != ProgressMode::kJsonLines) return;
  JsonWriter json;
  json.BeginObject().Key("event").String("stage").Key("stage").String(stage);
  json.Key("elapsed_s").Double(absl::ToDoubleSeconds(now_ - start_)).EndObject();
  Write(OneLine(json.str()) + "\n");
}

void ProgressView::AddSampleLocked(const ProgressFrame& frame) {
  // A step count going back (a restart replayed by Watch) starts over too.
  if (!samples_.empty() && (frame.step < samples_.back().second || frame.total_steps != frame_.total_steps)) {
    samples_.clear();
  }
  samples_.emplace_back(frame.time, frame.step);
  while (samples_.size() > 2 && frame.time - samples_.front().first > kRateWindow) samples_.pop_front();
}

double ProgressView::RateLocked() const {
  if (samples_.size() < 2) return 0;
  const double seconds = absl::ToDoubleSeconds(samples_.back().first - samples_.front().first);
  const int64_t steps = samples_.back().second - samples_.front().second;
  return seconds >= 0.05 && steps > 0 ? steps / seconds : 0;
}

double ProgressView::EtaSecondsLocked() const {
  const double rate = RateLocked();
  return rate > 0 ? (frame_.total_steps - frame_.step) / rate : -1;
}

// "COARSE 420/1800  3.1 steps/s  elapsed 2m15s  ETA 7m25s"; no rate or ETA
// once the steps are done.
std::string ProgressView::HeaderLocked(const std::string& sep) const {
  std::string s = absl::StrCat(Sanitize(stage_), " ", frame_.step, "/", frame_.total_steps);
  const bool stepping = frame_.step < frame_.total_steps && stage_ == frame_.stage;
  const double rate = RateLocked();
  if (stepping) absl::StrAppend(&s, sep, rate > 0 ? FormatRate(rate) : "--", " steps/s");
  absl::StrAppend(&s, sep, "elapsed ", FormatSeconds(absl::ToDoubleSeconds(now_ - start_)));
  if (stepping) absl::StrAppend(&s, sep, "ETA ", rate > 0 ? FormatSeconds(EtaSecondsLocked()) : "--");
  if (!frame_.detail.empty()) absl::StrAppend(&s, sep, Sanitize(frame_.detail));
  return s;
}

std::vector<std::string> ProgressView::BlockLocked() const {
  // One column spare: a line filling the last column makes some terminals
  // wrap, which would break the cursor-up count.
  const size_t columns = std::max(options_.width - 1, 10);
  std::vector<std::string> lines = {Fit(HeaderLocked("  "), columns)};
  size_t label_width = 0;
  for (const PolicyProgress& p : frame_.policies) label_width = std::max(label_width, Label(p).size());
  // A block taller than the screen cannot be redrawn: cursor-up stops at the top.
  const size_t rows = options_.height > 2 ? static_cast<size_t>(options_.height - 2) : frame_.policies.size();
  for (size_t i = 0; i < frame_.policies.size(); ++i) {
    if (i + 1 == rows && rows < frame_.policies.size()) {
      lines.push_back(absl::StrCat("  ... and ", frame_.policies.size() - i, " more policies"));
      break;
    }
    const PolicyProgress& p = frame_.policies[i];
    const std::string label = Label(p);
    std::string row = absl::StrFormat("  %s%s  %6s ms / %-8s  %7s  R=%.3f", label,
                                      std::string(label_width - label.size(), ' '), Latency(p),
                                      absl::StrCat(p.budget_ms, " ms"), OverBudget(p), p.reward);
    if (!p.arch_id.empty()) absl::StrAppend(&row, "  ", Sanitize(p.arch_id.substr(0, 8)));
    lines.push_back(Fit(row, columns));
  }
  return lines;
}

std::string ProgressView::PlainLineLocked() const {
  const std::string header = HeaderLocked(" ");
  const size_t room = header.size() < kPlainColumns ? kPlainColumns - header.size() : 0;
  return Fit(header + PolicySummary(frame_.policies, room), kPlainColumns);
}

std::string ProgressView::StepJsonLocked() const {
  JsonWriter json;
  const double rate = RateLocked(), eta = EtaSecondsLocked();
  const double nan = std::numeric_limits<double>::quiet_NaN();  // Written as null: not known yet.
  json.BeginObject().Key("event").String("step").Key("stage").String(frame_.stage);
  json.Key("step").Int(frame_.step).Key("total_steps").Int(frame_.total_steps);
  json.Key("steps_per_s").Double(rate > 0 ? rate : nan);
  json.Key("elapsed_s").Double(absl::ToDoubleSeconds(now_ - start_));
  json.Key("eta_s").Double(eta >= 0 ? eta : nan);
  if (!frame_.detail.empty()) json.Key("detail").String(frame_.detail);
  json.Key("policies").BeginArray();
  for (const PolicyProgress& p : frame_.policies) {
    json.BeginObject().Key("hardware").String(p.hardware).Key("budget_ms").Double(p.budget_ms);
    json.Key("latency_ms").Double(p.latency_ms >= 0 ? p.latency_ms : nan).Key("reward").Double(p.reward);
    json.Key("arch_id").String(p.arch_id).EndObject();
  }
  json.EndArray().EndObject();
  return OneLine(json.str());
}

void ProgressView::ShowLocked() {
  switch (options_.mode) {
    case ProgressMode::kTerminal: return DrawLocked();
    case ProgressMode::kPlain: return Write(PlainLineLocked() + "\n");
    case ProgressMode::kJsonLines: return Write(StepJsonLocked() + "\n");
  }
}

void ProgressView::EraseLocked() {
  if (drawn_lines_ == 0) return;
  Write(absl::StrCat("\033[", drawn_lines_, "A\r\033[J"));
  drawn_lines_ = 0;
}

// The block, over the one on screen: up to its first line, then each line
// cleared and written.
void ProgressView::DrawLocked() {
  if (options_.mode != ProgressMode::kTerminal || !have_frame_) return;
  const std::vector<std::string> lines = BlockLocked();
  std::string out = drawn_lines_ > 0 ? absl::StrCat("\033[", drawn_lines_, "A\r") : "";
  for (const std::string& line : lines) absl::StrAppend(&out, "\033[2K", line, "\n");
  if (static_cast<int>(lines.size()) < drawn_lines_) out += "\033[J";
  drawn_lines_ = static_cast<int>(lines.size());
  Write(out);
}

void ProgressView::Write(absl::string_view text) const {
  if (options_.write) return options_.write(text);
  std::FILE* f = options_.mode == ProgressMode::kJsonLines ? stdout : stderr;
  std::fwrite(text.data(), 1, text.size(), f);
  std::fflush(f);
}

std::string FormatSeconds(double s) {
  s = std::max(0.0, std::round(s));
  const int64_t t = static_cast<int64_t>(s);
  if (t < 60) return absl::StrFormat("%ds", t);
  if (t < 3600) return absl::StrFormat("%dm%02ds", t / 60, t % 60);
  return absl::StrFormat("%dh%02dm", t / 3600, t / 60 % 60);
}

std::string JsonResultLine(absl::string_view json_object) {
  std::string one = OneLine(json_object);
  const size_t open = one.find('{');
  if (open == std::string::npos) return "{\"event\": \"result\"}\n";
  const bool empty = one.find_first_not_of(' ', open + 1) == one.find('}', open + 1);
  one.insert(open + 1, empty ? "\"event\": \"result\"" : "\"event\": \"result\", ");
  return one + "\n";
}

}  // namespace ridge::cli
