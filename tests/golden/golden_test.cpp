// Golden tests over corpus/: every corpus/FORMAT/NAME.expected holds the expected text
// report of `fwmatrix check corpus/FORMAT/NAME <args>`. Its first lines give the run:
//   # args: --role front-end
//   # exit: 1
// followed by the exact expected stdout. A golden file with a "# command: ..." line runs
// that fwmatrix command line instead (e.g. `diff OLD NEW --role R`); its name is free.
// FWM_UPDATE_GOLDEN=1 rewrites the files (review the diff before committing).
// FWM_GOLDEN=corpus/X/NAME.expected runs that golden only: ctest has one entry per golden
// (tests/CMakeLists.txt), and this test case as a whole is left out of ctest's discovery.
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "fwm_catch.hpp"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace fwm::test;

TEST_CASE("golden: findings over corpus/ match the expected reports", "[golden][corpus]") {
  fs::path corpus = fs::path(FWM_SOURCE_DIR) / "corpus";
  bool update = std::getenv("FWM_UPDATE_GOLDEN") != nullptr;
  const char* only = std::getenv("FWM_GOLDEN");
  std::vector<fs::path> goldens;
  for (const auto& entry : fs::recursive_directory_iterator(corpus))
    if (entry.path().extension() == ".expected" &&
        (!only || fs::relative(entry.path(), FWM_SOURCE_DIR).generic_string() == only))
      goldens.push_back(entry.path());
  std::sort(goldens.begin(), goldens.end());
  INFO("FWM_GOLDEN=" << (only ? only : "(unset)"));
  if (only)
    REQUIRE(goldens.size() == 1);  // a name that is no golden must not pass silently
  else
    REQUIRE(goldens.size() >= 8);
  for (const auto& golden : goldens) {
    std::string rel_input = fs::relative(golden, FWM_SOURCE_DIR).replace_extension("").string();
    DYNAMIC_SECTION(rel_input) {
      std::string text = read_file(golden.string());
      std::istringstream in(text);
      std::string line, args, header, command;
      int expected_exit = 0;
      std::streamoff body_start = 0;
      while (std::getline(in, line) && line.rfind("# ", 0) == 0) {
        if (line.rfind("# args:", 0) == 0) args = line.substr(7);
        if (line.rfind("# exit:", 0) == 0) expected_exit = std::stoi(line.substr(7));
        if (line.rfind("# command:", 0) == 0) command = line.substr(10);
        header += line + "\n";
        body_start = in.tellg();
      }
      std::string expected = text.substr(static_cast<std::size_t>(body_start));
      if (command.empty()) REQUIRE(fs::exists(fs::path(FWM_SOURCE_DIR) / rel_input));
      auto result = run_fwmatrix(command.empty() ? "check " + shell_quote(rel_input) + " " + args : command);
      if (update) {
        write_file(golden.string(),
                   fmt::format("{}\n# exit: {}\n{}", command.empty() ? "# args:" + args : "# command:" + command,
                               result.exit_code, result.out));
        continue;
      }
      INFO("fwmatrix check " << rel_input << args);
      CHECK(result.out == expected);
      CHECK(result.exit_code == expected_exit);
    }
  }
}
