// Progress display for long commands: a redrawn bar on a terminal, plain
// lines otherwise (logs, CI). Writes to stderr so stdout stays parseable.
#ifndef RIDGE_CLI_PROGRESS_H_
#define RIDGE_CLI_PROGRESS_H_

#include <string>

namespace ridge::cli {

class Progress {
 public:
  Progress();
  // Shows `done` of `total` with a status text; on a terminal redraws one
  // line, otherwise prints a line at most every `line_every` calls.
  void Update(long done, long total, const std::string& status);
  // Prints a message on a line of its own, above the bar on a terminal.
  void Say(const std::string& message);
  // Ends the bar's line on a terminal.
  void Finish();
  bool tty() const { return tty_; }

 private:
  bool tty_;
  long calls_ = 0;
};

// "1m05s", "42s".
std::string FormatSeconds(double seconds);

}  // namespace ridge::cli

#endif  // RIDGE_CLI_PROGRESS_H_
