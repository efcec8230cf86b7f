// Helpers shared by tests that run the fwmatrix binary.
#pragma once

#include <string>

namespace fwm::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;
};

// Runs a shell command (in the source directory), capturing stdout.
CommandResult run_command(const std::string& command);
// Runs FWM_BINARY with the given argument string, with NO_COLOR set.
CommandResult run_fwmatrix(const std::string& args);
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);
bool file_exists(const std::string& path);
std::string shell_quote(const std::string& s);

}  // namespace fwm::test
