// Fingerprints across re-exports in other formats (nftables handles and counters,
// Windows rule GUIDs and value order), and the baseline and inline suppressions
// round-tripping through SARIF that the shared validator accepts.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include "fwm_catch.hpp"
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "test_support.h"

namespace fs = std::filesystem;
using namespace fwm::test;

namespace {

struct Sarif {
  int exit_code = -1;
  nlohmann::json log;
};

Sarif sarif_of(const std::string& file, const std::string& args) {
  auto r = run_fwmatrix("check " + shell_quote(file) + " " + args + " --report sarif");
  Sarif out;
  out.exit_code = r.exit_code;
  out.log = nlohmann::json::parse(r.out);
  return out;
}

std::multiset<std::string> fingerprints(const nlohmann::json& log) {
  std::multiset<std::string> out;
  for (const auto& res : log["runs"][0]["results"])
    out.insert(res["partialFingerprints"]["fwmatrix/v1"].get<std::string>());
  return out;
}

fs::path scratch(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / fmt::format("fwm-reexport-{}", getpid());
  fs::create_directories(dir);
  return dir / name;
}

// An nftables listing as `nft -a list ruleset` prints it: every rule with counters and
// a handle. `shift` changes counter values and handle numbers.
std::string nft_listing(const std::string& text, int shift, bool extra_rule) {
  std::istringstream in(text);
  std::string line, out;
  int handle = 4 + shift;
  static const std::regex verdict(R"(\s(accept|drop|reject.*)$)");
  while (std::getline(in, line)) {
    bool rule = line.find("dport") != std::string::npos || line.find("iif") != std::string::npos ||
                line.find("ct state") != std::string::npos;
    if (line.find("policy drop;") != std::string::npos && extra_rule) {
      out += line + "\n\t\tip saddr 10.20.0.0/24 tcp dport 22 counter packets 9 bytes 540 accept # handle 99\n";
      continue;
    }
    if (rule) {
      line = std::regex_replace(line, verdict, fmt::format(" counter packets {} bytes {} $1", 3 * shift, 180 * shift));
      line += fmt::format(" # handle {}", handle++);
    }
    out += line + "\n";
  }
  return out;
}

std::string windows_reg(const std::vector<std::string>& guids, bool reversed) {
  std::vector<std::string> rules = {
      "v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=5061|RA4=10.0.0.0/8|Name=SfB SIP|",
      "v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=17|LPort=49152-65535|RA4=10.0.0.0/8|Name=SfB media|",
      "v2.30|Action=Block|Active=TRUE|Dir=In|Protocol=17|LPort=50000-50100|Name=Block legacy media probe|",
      "v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=3389|Name=Remote Desktop|",
  };
  std::vector<std::string> values;
  for (std::size_t i = 0; i < rules.size(); ++i) values.push_back(fmt::format("\"{}\"=\"{}\"", guids[i], rules[i]));
  if (reversed) std::reverse(values.begin(), values.end());
  std::string out =
      "Windows Registry Editor Version 5.00\r\n\r\n"
      "[HKEY_LOCAL_"
      "MACHINE\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\FirewallRules]"
      "\r\n";
  for (const auto& v : values) out += v + "\r\n";
  return out;
}

void validate(const std::vector<fs::path>& files) {
  std::string validator = std::string(FWM_SHARED_DIR) + "/tools/validate-sarif";
  if (!file_exists(validator)) {
    WARN("validation skipped: " << validator << " is absent (no ../shared in this clone)");
    return;
  }
  if (run_command("command -v npm >/dev/null").exit_code != 0) {
    WARN("validation skipped: npm is not installed (scripts/test installs it)");
    return;
  }
  std::string args;
  for (const auto& f : files) args += " " + shell_quote(f.string());
  auto r = run_command(shell_quote(validator) + args + " 2>&1");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
}

}  // namespace

TEST_CASE("fingerprints: nftables counters, handles and an unrelated added rule change none", "[sarif][reexport]") {
  std::string original = read_file(std::string(FWM_SOURCE_DIR) + "/corpus/nftables/front-end-gaps.nft");
  fs::path a = scratch("a.nft"), b = scratch("b.nft");
  write_file(a.string(), nft_listing(original, 1, false));
  write_file(b.string(), nft_listing(original, 7, true));
  auto sa = sarif_of(a.string(), "--role front-end");
  auto sb = sarif_of(b.string(), "--role front-end");
  fs::remove_all(a.parent_path());
  REQUIRE(sa.exit_code == 1);
  auto fa = fingerprints(sa.log), fb = fingerprints(sb.log);
  REQUIRE(fa.size() > 5);
  // Every earlier result keeps its fingerprint; the added SSH rule brings one new result
  // (FWM021: TCP 22 is not needed by a Front End).
  CHECK(std::includes(fb.begin(), fb.end(), fa.begin(), fa.end()));
  CHECK(fb.size() == fa.size() + 1);
}

TEST_CASE("fingerprints: Windows rule GUIDs and value order change none", "[sarif][reexport]") {
  fs::path a = scratch("a.reg"), b = scratch("b.reg");
  write_file(a.string(),
             windows_reg({"{0A1B2C3D-0000-4000-8000-000000000001}", "{0A1B2C3D-0000-4000-8000-000000000002}",
                          "{0A1B2C3D-0000-4000-8000-000000000003}", "{0A1B2C3D-0000-4000-8000-000000000004}"},
                         false));
  write_file(b.string(),
             windows_reg({"{F00DF00D-1111-4111-9111-111111111111}", "{F00DF00D-2222-4222-9222-222222222222}",
                          "{F00DF00D-3333-4333-9333-333333333333}", "{F00DF00D-4444-4444-9444-444444444444}"},
                         true));
  auto sa = sarif_of(a.string(), "--role mediation");
  auto sb = sarif_of(b.string(), "--role mediation");
  fs::remove_all(a.parent_path());
  auto fa = fingerprints(sa.log), fb = fingerprints(sb.log);
  // The block rule cuts the media range and RDP is open to everyone: both are reported.
  REQUIRE(fa.size() >= 2);
  CHECK(fa == fb);
  CHECK(sa.exit_code == sb.exit_code);
}

TEST_CASE("sarif: a baseline and inline suppressions round-trip and stay valid", "[sarif][baseline]") {
  fs::path first = scratch("first.sarif"), again = scratch("again.sarif"), suppressed = scratch("suppressed.sarif");
  const std::string config = "corpus/iptables/front-end-gaps.rules";
  auto r1 = run_fwmatrix("check " + config + " --role front-end --report sarif -o " + shell_quote(first.string()));
  REQUIRE(r1.exit_code == 1);
  // The same config against its own results: everything is unchanged, nothing fails.
  auto r2 = run_fwmatrix("check " + config + " --role front-end --report sarif --baseline " +
                         shell_quote(first.string()) + " -o " + shell_quote(again.string()));
  CHECK(r2.exit_code == 0);
  auto log2 = nlohmann::json::parse(read_file(again.string()));
  REQUIRE(!log2["runs"][0]["results"].empty());
  for (const auto& res : log2["runs"][0]["results"]) CHECK(res["baselineState"] == "unchanged");

  // An inline suppression on the REJECT rule: its result stays in the log, suppressed.
  std::string text = read_file(std::string(FWM_SOURCE_DIR) + "/" + config);
  const std::string reject = "-A INPUT -p tcp -m tcp --dport 444 -j REJECT --reject-with tcp-reset";
  auto at = text.find(reject);
  REQUIRE(at != std::string::npos);
  text.replace(
      at, reject.size(),
      "-A INPUT -p tcp -m tcp --dport 444 -m comment --comment \"fwmatrix: ignore FWM001 -- CHG-42 moves 444\" "
      "-j REJECT --reject-with tcp-reset");
  fs::path edited = scratch("front-end-gaps.rules");
  write_file(edited.string(), text);
  auto r3 = run_fwmatrix("check " + shell_quote(edited.string()) + " --role front-end --report sarif -o " +
                         shell_quote(suppressed.string()));
  auto log3 = nlohmann::json::parse(read_file(suppressed.string()));
  int with_suppression = 0;
  for (const auto& res : log3["runs"][0]["results"]) {
    if (!res.contains("suppressions")) continue;
    ++with_suppression;
    CHECK(res["ruleId"] == "FWM001");
    CHECK(res["suppressions"][0]["kind"] == "inSource");
    CHECK(res["suppressions"][0]["justification"].get<std::string>().find("CHG-42") != std::string::npos);
  }
  CHECK(with_suppression >= 1);
  CHECK(r3.exit_code == 1);  // the other gaps of this config are not suppressed
  // The comment is part of the suppressed rule, so only that rule's results change
  // fingerprint; every other result keeps its own.
  auto fa = fingerprints(nlohmann::json::parse(read_file(first.string())));
  std::multiset<std::string> unsuppressed;
  for (const auto& res : log3["runs"][0]["results"])
    if (!res.contains("suppressions"))
      unsuppressed.insert(res["partialFingerprints"]["fwmatrix/v1"].get<std::string>());
  CHECK(unsuppressed.size() + static_cast<std::size_t>(with_suppression) == fa.size());
  CHECK(std::includes(fa.begin(), fa.end(), unsuppressed.begin(), unsuppressed.end()));
  validate({first, again, suppressed});
  fs::remove_all(first.parent_path());
}
