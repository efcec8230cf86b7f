#pragma once

#include <string>
#include <vector>

namespace fwm {
// Runs the fwmatrix command line; returns the process exit code.
int run_cli(int argc, char** argv);

// The command line as the parser defines it (for the documentation drift test): each
// subcommand ("matrix show" for nested ones) with its flags ("-o", "--output", ...; not
// --help) and positional arguments.
struct CliCommandInfo {
  std::string name;
  std::vector<std::string> flags;
  std::vector<std::string> positionals;
};
std::vector<CliCommandInfo> cli_commands();
// The --report formats of check and of diff.
const std::vector<std::string>& check_report_formats();
const std::vector<std::string>& diff_report_formats();
}  // namespace fwm
