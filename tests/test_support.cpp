#include "test_support.h"

#include <sys/wait.h>

#include <algorithm>
#include "fwm_catch.hpp"
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace fwm::test {

CommandResult run_command(const std::string& command) {
  CommandResult r;
  std::string full = "cd " + shell_quote(FWM_SOURCE_DIR) + " && " + command;
  FILE* pipe = popen(full.c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

CommandResult run_fwmatrix(const std::string& args) {
  return run_command("NO_COLOR=1 " + shell_quote(FWM_BINARY) + " " + args);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<std::vector<std::filesystem::path>> shared_files(const std::filesystem::path& dir) {
  if (!std::filesystem::exists(dir)) {
    WARN("skipped: " << dir.string() << " is absent (no ../shared in this clone)");
    return std::nullopt;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

bool file_exists(const std::string& path) { return std::filesystem::exists(path); }

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

ScratchDir::ScratchDir() {
  std::random_device rd;
  path = std::filesystem::temp_directory_path() / ("fwm-test-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(path);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::string ScratchDir::file(const std::string& name, const std::string& text) const {
  std::filesystem::path p = path / name;
  std::filesystem::create_directories(p.parent_path());
  write_file(p.string(), text);
  return p.string();
}

}  // namespace fwm::test
