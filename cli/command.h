// The `ridge` CLI's subcommand table: each subcommand declares its words,
// usage, the flags it accepts and its positional arguments, so `--help`
// works on every one and a flag that does not apply is refused.
#ifndef RIDGE_CLI_COMMAND_H_
#define RIDGE_CLI_COMMAND_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ridge::cli {

struct Command {
  std::string path;                // Words after `ridge`, e.g. "model list".
  std::string args_usage;          // Positional part of the usage, e.g. "NAME".
  std::string summary;             // One line for the command list.
  std::vector<std::string> flags;  // Names of the flags it accepts.
  int min_args = 0, max_args = 0;  // Positional argument counts.
  // Runs with the positional arguments; returns the text to print on stdout.
  // INVALID_ARGUMENT and NOT_FOUND are the user's errors (exit 2).
  std::function<absl::Status(const std::vector<std::string>& args, std::string* out)> run;
};

void AddModelCommands(std::vector<Command>* commands);
void AddLatencyCommands(std::vector<Command>* commands);
void AddHardwareCommands(std::vector<Command>* commands);
void AddTrainCommands(std::vector<Command>* commands);
void AddSupernetCommands(std::vector<Command>* commands);
void AddSearchCommands(std::vector<Command>* commands);
void AddSpaceCommands(std::vector<Command>* commands);
void AddSpaceShowCommands(std::vector<Command>* commands);
void AddCampaignCommands(std::vector<Command>* commands);
void AddUpCommand(std::vector<Command>* commands);
void AddInferCommands(std::vector<Command>* commands);
void AddWorkerCommands(std::vector<Command>* commands);
void AddPlotCommands(std::vector<Command>* commands);
void AddExportCommands(std::vector<Command>* commands);

// Runs the CLI; returns the process exit code (0 ok, 1 failure, 2 bad usage).
int RunCli(int argc, char** argv);

}  // namespace ridge::cli

#endif  // RIDGE_CLI_COMMAND_H_
