// Helpers shared by tests that run the fwmatrix binary.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

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

// The regular files in `dir` (a folder of ../shared), sorted by name; nullopt, after a
// WARN saying so, when the folder is absent (a user's clone has no ../shared).
std::optional<std::vector<std::filesystem::path>> shared_files(const std::filesystem::path& dir);

// A fresh directory under the system's temporary directory, removed with everything in
// it when the object goes.
struct ScratchDir {
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  // Writes `text` to `name` (a relative path; directories made as needed) inside it and
  // returns the file's path.
  std::string file(const std::string& name, const std::string& text) const;
  std::filesystem::path path;
};

}  // namespace fwm::test
