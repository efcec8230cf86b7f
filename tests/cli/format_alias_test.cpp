// `--format` takes the names users type after the tools that write the files (issue 25):
// `iptables-save`, `ip6tables-save` and `nft` are `iptables`, `ip6tables` and `nftables`.
#include <algorithm>
#include <string>

#include "frontends/frontend.h"
#include "fwm_catch.hpp"
#include "test_support.h"

using namespace fwm::test;

namespace {

struct Run {
  int exit_code = -1;
  std::string out, err;
};

Run run(const std::string& args) {
  ScratchDir dir;
  std::string err_path = (dir.path / "stderr").string();
  auto r =
      run_command("NO_COLOR=1 " + shell_quote(FWM_BINARY) + " " + args + " 2>" + shell_quote(err_path) + " </dev/null");
  return {r.exit_code, r.out, read_file(err_path)};
}

}  // namespace

TEST_CASE("cli: --format iptables-save, ip6tables-save and nft are aliases", "[cli]") {
  struct Case {
    const char* file;
    const char* alias;
    const char* format;
  };
  for (const Case& c : {Case{"corpus/iptables/front-end-gaps.rules", "iptables-save", "iptables"},
                        Case{"corpus/iptables/front-end-ipv6.rules", "ip6tables-save", "ip6tables"},
                        Case{"corpus/nftables/front-end-gaps.nft", "nft", "nftables"}}) {
    INFO(c.file << " --format " << c.alias);
    std::string args = std::string("check --no-config ") + c.file + " --role front-end --format ";
    auto by_alias = run(args + c.alias);
    auto by_name = run(args + c.format);
    CHECK(by_alias.err.empty());
    CHECK(by_alias.exit_code == 1);  // the gaps of these files are errors
    CHECK(by_alias.out.find("FWM001") != std::string::npos);
    CHECK(by_alias.exit_code == by_name.exit_code);
    CHECK(by_alias.out == by_name.out);
  }
  // The alias decides the family as its format does: ip6tables-save reads IPv6.
  auto v6 = run("ports --json corpus/iptables/front-end-ipv6.rules --format ip6tables-save");
  CHECK(v6.exit_code == 0);
  CHECK(v6.out == run("ports --json corpus/iptables/front-end-ipv6.rules --format ip6tables").out);
  // The aliases are listed where the formats are (help, completions).
  auto names = fwm::known_formats();
  for (const char* alias : {"iptables-save", "ip6tables-save", "nft"})
    CHECK(std::find(names.begin(), names.end(), alias) != names.end());
  CHECK(fwm::canonical_format("nft") == "nftables");
  CHECK(fwm::canonical_format("iptables-save") == "iptables");
  CHECK(fwm::canonical_format("pf") == "pf");
  // An unknown name is still refused.
  auto unknown = run("check --no-config corpus/iptables/front-end-gaps.rules --format iptables-dump");
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("unknown format 'iptables-dump'") != std::string::npos);
}
