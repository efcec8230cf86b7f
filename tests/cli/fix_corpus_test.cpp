// The done-criterion of `fwmatrix fix` (issue 28): for every corpus config whose golden
// has FWM001 findings, `fix` writes a file that `check` passes (no FWM001, no new
// FWM020/FWM021/FWM022), and its diff applies with patch -p0. Formats fix cannot write yet
// must say so (exit 1, "cannot write fixes"): they are listed in a WARN.
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>

#include "fwm_catch.hpp"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace fwm::test;

namespace {

struct CorpusCase {
  std::string input;  // relative to the source dir
  std::string args;
};

// Corpus goldens of `check` with FWM001 errors in them.
std::vector<CorpusCase> cases_with_gaps() {
  std::vector<CorpusCase> out;
  fs::path corpus = fs::path(FWM_SOURCE_DIR) / "corpus";
  std::vector<fs::path> goldens;
  for (const auto& e : fs::recursive_directory_iterator(corpus))
    if (e.path().extension() == ".expected") goldens.push_back(e.path());
  std::sort(goldens.begin(), goldens.end());
  for (const auto& g : goldens) {
    std::string text = read_file(g.string());
    if (text.find(": error FWM001: ") == std::string::npos) continue;
    std::istringstream in(text);
    std::string line, args;
    bool command = false;
    while (std::getline(in, line) && line.rfind("# ", 0) == 0) {
      if (line.rfind("# args:", 0) == 0) args = line.substr(7);
      if (line.rfind("# command:", 0) == 0) command = true;
    }
    if (command) continue;  // other commands (diff, check with --ipsec of a config covered above)
    out.push_back({fs::relative(g, FWM_SOURCE_DIR).replace_extension("").string(), args});
  }
  return out;
}

}  // namespace

TEST_CASE("fix: every corpus config with FWM001 gets a fix that check passes", "[fix][golden]") {
  auto cases = cases_with_gaps();
  REQUIRE(cases.size() >= 30);
  ScratchDir dir;
  std::vector<std::string> fixed, unsupported;
  for (const auto& c : cases) {
    INFO(c.input);
    {
      std::string out = (dir.path / fs::path(c.input).filename()).string();
      auto run = run_fwmatrix(fmt::format("fix {} {} -o {} 2>&1", shell_quote(c.input), c.args, shell_quote(out)));
      INFO(run.out);
      if (run.out.find("cannot write fixes for") != std::string::npos) {
        CHECK(run.exit_code == 1);
        unsupported.push_back(c.input);
        continue;
      }
      CHECK(run.exit_code == 0);
      if (run.exit_code != 0) continue;
      fixed.push_back(c.input);
      // check on the result: no FWM001 left.
      auto check = run_fwmatrix(fmt::format("check {} {}", shell_quote(out), c.args));
      INFO(check.out);
      CHECK(check.out.find(" FWM001: ") == std::string::npos);
      // The diff applies to a copy of the original and gives the same file.
      std::string copy = (dir.path / ("orig-" + fs::path(c.input).filename().string())).string();
      write_file(copy, read_file((fs::path(FWM_SOURCE_DIR) / c.input).string()));
      auto diff = run_fwmatrix(fmt::format("fix {} {} --diff -q", shell_quote(c.input), c.args));
      CHECK(diff.exit_code == 0);
      if (run_command("command -v patch >/dev/null").exit_code == 0) {
        std::string diff_file = (dir.path / "fix.diff").string();
        write_file(diff_file, diff.out);
        CHECK(run_command(fmt::format("patch --quiet {} < {}", shell_quote(copy), shell_quote(diff_file))).exit_code ==
              0);
        CHECK(read_file(copy) == read_file(out));
      }
    }
  }
  WARN(fmt::format("fix: {} corpus configs fixed and passing; {} of formats fix cannot write yet: {}", fixed.size(),
                   unsupported.size(), fmt::join(unsupported, ", ")));
}

TEST_CASE("fix: goldens of fixed configs (corpus/fix/*.fixed.*) are fix's output", "[fix][golden]") {
  // The fixed configs start with the configs' own comments, which the `# command:` goldens
  // would read as their header: they are whole files here. FWM_UPDATE_GOLDEN=1 rewrites them.
  struct Golden {
    const char* input;
    const char* args;
    const char* fixed;
  };
  const Golden goldens[] = {
      {"corpus/iptables/front-end-gaps.rules", "--role front-end", "corpus/fix/front-end-gaps.fixed.rules"},
      {"corpus/nftables/two-tables-one-hook.nft", "--role front-end", "corpus/fix/two-tables-one-hook.fixed.nft"},
      {"corpus/pf/front-end-gaps.conf", "--role front-end", "corpus/fix/front-end-gaps.fixed.conf"},
  };
  const bool update = std::getenv("FWM_UPDATE_GOLDEN") != nullptr;
  for (const auto& g : goldens) {
    INFO(g.input);
    auto run = run_fwmatrix(fmt::format("fix {} {} 2>/dev/null", g.input, g.args));
    CHECK(run.exit_code == 0);
    std::string path = std::string(FWM_SOURCE_DIR) + "/" + g.fixed;
    if (update) write_file(path, run.out);
    CHECK(run.out == read_file(path));
  }
}

TEST_CASE("fix: the fixed config that the diff golden compares is fix's output", "[fix][golden]") {
  // corpus/fix/diff-old-fixed.expected: `diff OLD FIXED` shows only the closed gaps.
  auto run = run_fwmatrix("fix corpus/iptables/front-end-gaps.rules --role front-end 2>/dev/null");
  CHECK(run.exit_code == 0);
  CHECK(run.out == read_file(std::string(FWM_SOURCE_DIR) + "/corpus/fix/front-end-gaps.fixed.rules"));
  auto diff = run_fwmatrix(
      "diff corpus/iptables/front-end-gaps.rules corpus/fix/front-end-gaps.fixed.rules --role front-end 2>/dev/null");
  CHECK(diff.out.find(", 0 new findings, 8 fixed,") != std::string::npos);
  CHECK(diff.out.find("worse") == std::string::npos);
  CHECK(diff.out.find("closed ") == std::string::npos);  // no verdict went from accept to deny
}

TEST_CASE("fix: usage errors exit 2, a config without gaps is left as it is", "[fix][cli]") {
  CHECK(run_fwmatrix("fix corpus/iptables/front-end-gaps.rules 2>/dev/null").exit_code == 2);  // no --role
  CHECK(
      run_fwmatrix("fix corpus/iptables/front-end-gaps.rules --role front-end --in-place -o x 2>/dev/null").exit_code ==
      2);
  CHECK(run_fwmatrix("fix corpus/iptables/front-end-gaps.rules corpus/pf/front-end-gaps.conf --role front-end "
                     "2>/dev/null")
            .exit_code == 2);
  CHECK(run_fwmatrix("fix corpus/iptables/no-such.rules --role front-end 2>/dev/null").exit_code == 2);
  // IPsec exemptions (FWM010) are not written yet: exit 1, saying so.
  auto ipsec = run_fwmatrix(
      "fix corpus/iptables/mediation.rules --role mediation --ipsec corpus/ipsec/strongswan-seed.conf 2>&1");
  CHECK(ipsec.exit_code == 1);
  CHECK(ipsec.out.find("cannot write IPsec exemptions (FWM010) yet") != std::string::npos);
  auto policy = run_fwmatrix("fix corpus/ipsec/swanctl-narrow.conf --role mediation 2>&1");
  CHECK(policy.exit_code == 1);
  CHECK(policy.out.find("an IPsec policy (swanctl)") != std::string::npos);
  auto same = run_fwmatrix("fix corpus/iptables/front-end-correct.rules --role front-end 2>/dev/null");
  CHECK(same.exit_code == 0);
  CHECK(same.out == read_file(std::string(FWM_SOURCE_DIR) + "/corpus/iptables/front-end-correct.rules"));
  auto no_diff = run_fwmatrix("fix corpus/iptables/front-end-correct.rules --role front-end --diff 2>/dev/null");
  CHECK(no_diff.exit_code == 0);
  CHECK(no_diff.out.empty());
}

TEST_CASE("fix: --in-place rewrites the file only when the fix passes", "[fix][cli]") {
  ScratchDir dir;
  std::string rules =
      dir.file("fe.rules", read_file(std::string(FWM_SOURCE_DIR) + "/corpus/iptables/front-end-gaps.rules"));
  auto run = run_fwmatrix(fmt::format("fix {} --role front-end --in-place 2>&1", shell_quote(rules)));
  INFO(run.out);
  CHECK(run.exit_code == 0);
  CHECK(run_fwmatrix(fmt::format("check {} --role front-end -q", shell_quote(rules))).out.find("FWM001") ==
        std::string::npos);
  std::string windows = read_file(std::string(FWM_SOURCE_DIR) + "/corpus/windows/front-end-gaps.txt");
  std::string win = dir.file("fw.txt", windows);
  auto refused = run_fwmatrix(fmt::format("fix {} --role front-end --in-place 2>&1", shell_quote(win)));
  CHECK(refused.exit_code == 1);
  CHECK(refused.out.find("cannot write fixes for this Windows Firewall export yet") != std::string::npos);
  CHECK(read_file(win) == windows);
}

TEST_CASE("fix: check --report sarif attaches the edits as fixes that validate", "[fix][sarif]") {
  auto sarif = run_fwmatrix("check corpus/iptables/front-end-gaps.rules --role front-end --report sarif");
  CHECK(sarif.exit_code == 1);
  CHECK(sarif.out.find("\"fixes\"") != std::string::npos);
  CHECK(sarif.out.find("\"insertedContent\"") != std::string::npos);
  CHECK(sarif.out.find("\"deletedRegion\"") != std::string::npos);
  std::string validator = std::string(FWM_SHARED_DIR) + "/tools/validate-sarif";
  if (!file_exists(validator)) {
    WARN("../shared/tools/validate-sarif is absent: the SARIF fixes are not validated");
    return;
  }
  ScratchDir dir;
  for (const char* input : {"corpus/iptables/front-end-gaps.rules", "corpus/nftables/two-tables-one-hook.nft",
                            "corpus/pf/front-end-gaps.conf", "corpus/windows/block-beats-allow.cmd"}) {
    auto out = run_fwmatrix(fmt::format("check {} --role front-end --report sarif", input));
    std::string file = dir.file("out.sarif", out.out);
    auto v = run_command(fmt::format("{} {} 2>&1", shell_quote(validator), shell_quote(file)));
    INFO(input << ": " << v.out);
    CHECK(v.exit_code == 0);
  }
}
