// Dispatch for the `ridge` CLI: finds the subcommand, answers --help, refuses
// flags that do not apply, parses flags with absl and runs the command.
#include <cstdio>
#include <iostream>
#include <map>
#include <set>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/command.h"
#include "common/log_flag.h"

namespace ridge::cli {
namespace {

std::vector<Command> AllCommands() {
  std::vector<Command> commands;
  AddModelCommands(&commands);
  AddLatencyCommands(&commands);
  AddHardwareCommands(&commands);
  AddTrainCommands(&commands);
  AddSupernetCommands(&commands);
  AddSearchCommands(&commands);
  AddSpaceCommands(&commands);
  AddSpaceShowCommands(&commands);
  AddCampaignCommands(&commands);
  AddUpCommand(&commands);
  AddInferCommands(&commands);
  AddWorkerCommands(&commands);
  AddPlotCommands(&commands);
  AddExportCommands(&commands);
  return commands;
}

std::string FlagUsage(const std::string& name) {
  absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
  std::string line = absl::StrCat("  --", name);
  if (flag == nullptr) return line;
  std::string def = flag->DefaultValue();
  absl::StrAppend(&line, "\n      ", flag->Help());
  if (!def.empty() && def != "0") absl::StrAppend(&line, " Default: ", def, ".");
  return line;
}

std::string CommandUsage(const Command& c) {
  std::string out = absl::StrCat("usage: ridge ", c.path);
  if (!c.args_usage.empty()) absl::StrAppend(&out, " ", c.args_usage);
  for (const std::string& f : c.flags) absl::StrAppend(&out, " [--", f, "=...]");
  absl::StrAppend(&out, "\n\n", c.summary, "\n");
  if (!c.flags.empty()) {
    absl::StrAppend(&out, "\nflags:\n");
    for (const std::string& f : c.flags) absl::StrAppend(&out, FlagUsage(f), "\n");
  }
  return out;
}

std::string TopUsage(const std::vector<Command>& commands) {
  std::string out =
      "ridge: hardware-aware neural architecture search.\n\n"
      "usage: ridge COMMAND [ARGS] [--flags]; `ridge COMMAND --help` for one command.\n"
      "Every command also takes --log_level=trace|debug|info|warn|error|off (logs go to stderr).\n\n"
      "commands:\n";
  size_t width = 0;
  for (const Command& c : commands) width = std::max(width, c.path.size());
  for (const Command& c : commands) {
    absl::StrAppend(&out, "  ", c.path, std::string(width - c.path.size() + 2, ' '), c.summary, "\n");
  }
  return out;
}

// The leading words of argv (before any flag) that name a command.
const Command* FindCommand(const std::vector<Command>& commands,
                           const std::vector<std::string>& words, size_t* used) {
  const Command* best = nullptr;
  for (const Command& c : commands) {
    std::vector<std::string> path = absl::StrSplit(c.path, ' ');
    if (path.size() > words.size()) continue;
    if (std::equal(path.begin(), path.end(), words.begin()) &&
        (best == nullptr || path.size() > *used)) {
      best = &c;
      *used = path.size();
    }
  }
  return best;
}

// Flag names given on the command line (before a bare "--").
std::vector<std::string> GivenFlags(int argc, char** argv) {
  std::vector<std::string> names;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::StartsWith(arg, "-") || arg == "-") continue;
    arg.remove_prefix(arg.find_first_not_of('-'));
    names.emplace_back(arg.substr(0, arg.find('=')));
  }
  return names;
}

int UsageError(const std::string& message, const Command* c) {
  std::cerr << "ridge: error: " << message << "\n";
  if (c != nullptr) std::cerr << "run `ridge " << c->path << " --help` for usage\n";
  return 2;
}

}  // namespace

int RunCli(int argc, char** argv) {
  absl::SetProgramUsageMessage("ridge COMMAND [ARGS] [--flags]; see `ridge --help`.");
  const std::vector<Command> commands = AllCommands();
  std::vector<std::string> words;
  for (int i = 1; i < argc && !absl::StartsWith(argv[i], "-"); ++i) words.push_back(argv[i]);
  const std::vector<std::string> given = GivenFlags(argc, argv);
  const bool help = std::any_of(given.begin(), given.end(), [](const std::string& f) {
    return f == "help" || f == "h" || f == "helpfull";
  });

  size_t used = 0;
  const Command* command = FindCommand(commands, words, &used);
  if (command == nullptr) {
    if (words.empty() && help) {
      std::cout << TopUsage(commands);
      return 0;
    }
    std::cerr << TopUsage(commands);
    if (words.empty()) return UsageError("no command given", nullptr);
    return UsageError(absl::StrCat("unknown command '", absl::StrJoin(words, " "), "'"), nullptr);
  }
  if (help) {
    std::cout << CommandUsage(*command);
    return 0;
  }
  for (const std::string& flag : given) {
    if (flag == "log_level") continue;  // Every command takes it.
    std::string base = flag;
    if (absl::StartsWith(base, "no") && absl::FindCommandLineFlag(base) == nullptr) base = base.substr(2);
    if (std::find(command->flags.begin(), command->flags.end(), base) == command->flags.end()) {
      std::string accepted = command->flags.empty()
                                 ? std::string("none")
                                 : absl::StrCat("--", absl::StrJoin(command->flags, ", --"));
      return UsageError(absl::StrCat("flag --", flag, " does not apply to `ridge ", command->path,
                                     "` (it accepts: ", accepted, ")"),
                        command);
    }
  }

  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (absl::Status s = ApplyLogLevelFlag(); !s.ok()) return UsageError(std::string(s.message()), command);
  std::vector<std::string> args;
  for (size_t i = 1 + used; i < positional.size(); ++i) args.push_back(positional[i]);
  if (static_cast<int>(args.size()) < command->min_args ||
      static_cast<int>(args.size()) > command->max_args) {
    std::string expected = command->args_usage.empty() ? std::string("no arguments") : command->args_usage;
    return UsageError(absl::StrCat("`ridge ", command->path, "` takes ", expected, "; got ",
                                   args.size(), " argument(s)"),
                      command);
  }
  std::string out;
  absl::Status status = command->run(args, &out);
  std::cout << out << std::flush;
  if (!status.ok()) {
    std::cerr << "ridge: error: " << status.message() << "\n";
    bool user_error = absl::IsInvalidArgument(status) || absl::IsNotFound(status);
    return user_error ? 2 : 1;
  }
  return 0;
}

}  // namespace ridge::cli
