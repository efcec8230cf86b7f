// The GitHub Action's steps (scripts/action-check) run locally on corpus files: one SARIF
// per config with its own category, a Markdown summary, the exit code of the worst file,
// and SARIF that the shared validator accepts.
#include "fwm_catch.hpp"
#include <filesystem>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <set>

#include "test_support.h"

namespace fs = std::filesystem;
using namespace fwm::test;

TEST_CASE("action: steps run locally produce one categorized SARIF per config", "[action]") {
  fs::path out = fs::temp_directory_path() / fmt::format("fwm-action-{}", getpid());
  fs::remove_all(out);
  std::string summary = (out.string() + "-summary.md");
  auto r = run_command(fmt::format("FWMATRIX={} FWM_PATHS='corpus/iptables/front-end-*.rules' FWM_ROLES=front-end "
                                   "FWM_OUT={} GITHUB_STEP_SUMMARY={} scripts/action-check 2>/dev/null",
                                   shell_quote(FWM_BINARY), shell_quote(out.string()), shell_quote(summary)));
  REQUIRE(r.exit_code == 1);  // front-end-gaps has errors
  std::set<std::string> categories;
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(out)) {
    auto log = nlohmann::json::parse(read_file(entry.path().string()));
    categories.insert(log["runs"][0]["automationDetails"]["id"].get<std::string>());
    files.push_back(shell_quote(entry.path().string()));
  }
  REQUIRE(files.size() == 4);
  REQUIRE(categories.size() == 4);
  REQUIRE(categories.count("fwmatrix/corpus/iptables/front-end-gaps.rules/") == 1);
  std::string md = read_file(summary);
  REQUIRE(md.find("## fwmatrix") != std::string::npos);
  REQUIRE(md.find("FWM001") != std::string::npos);

  std::string validator = std::string(FWM_SHARED_DIR) + "/tools/validate-sarif";
  if (file_exists(validator) && run_command("command -v npm >/dev/null").exit_code == 0) {
    std::sort(files.begin(), files.end());
    auto v = run_command(shell_quote(validator) + " " + fmt::format("{}", fmt::join(files, " ")) + " 2>&1");
    INFO(v.out);
    REQUIRE(v.exit_code == 0);
  } else {
    WARN("SARIF validation skipped: validate-sarif or npm is absent");
  }
  fs::remove_all(out);
  fs::remove(summary);
}
