// The `ridge` command line. See `ridge --help` and README.md.
#include "cli/command.h"

int main(int argc, char** argv) { return ridge::cli::RunCli(argc, argv); }
