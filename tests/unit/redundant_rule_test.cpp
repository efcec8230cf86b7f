// FWM031 (docs/rules/FWM031.md, src/checks/redundant_rule.cpp): "a rule is redundant:
// removing it changes no verdict". The check as analyze() runs it on iptables-save text:
// where it fires, what the message and the related locations name, what it leaves to
// FWM030, its suppression, its fingerprint and its budget. Verdicts from iptables(8): the
// first matching rule decides, the policy the rest; REJECT and DROP both deny.
#include <fmt/format.h>

#include "checks/analysis.h"
#include "frontends/frontend.h"
#include "fwm_catch.hpp"

using namespace fwm;

namespace {

struct Run {
  std::unique_ptr<Ruleset> ruleset;  // the findings point into it
  std::vector<Finding> fwm031, fwm030;
  std::vector<std::string> notes;
};

Run run(const std::string& rules, std::size_t max_redundancy_checks = Limits().max_redundancy_checks) {
  LoadOptions o;
  o.format = "iptables";
  auto loaded = load_ruleset_bytes("redundant.rules", "*filter\n:INPUT DROP [0:0]\n" + rules + "COMMIT\n", o);
  REQUIRE(loaded.ruleset);
  for (const auto& d : loaded.ruleset->diagnostics) CHECK(d.id != "FWM090");
  Run r;
  AnalysisRequest request;
  request.limits.max_redundancy_checks = max_redundancy_checks;
  for (auto& f : analyze(*loaded.ruleset, request, r.notes)) {
    if (f.rule_id == "FWM031")
      r.fwm031.push_back(std::move(f));
    else if (f.rule_id == "FWM030")
      r.fwm030.push_back(std::move(f));
  }
  r.ruleset = std::move(loaded.ruleset);
  return r;
}

std::vector<int> lines(const std::vector<Finding>& findings) {
  std::vector<int> out;
  out.reserve(findings.size());
  for (const auto& f : findings) out.push_back(f.location.line);
  return out;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("FWM031: an accept inside a later accept of the same sources is redundant", "[checks][fwm031]") {
  // Line 3 decides TCP 443; without it line 4 accepts the same packets.
  auto r = run("-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 1:1024 -j ACCEPT\n");
  REQUIRE(r.fwm031.size() == 1);
  const Finding& f = r.fwm031[0];
  CHECK(f.location.line == 3);
  CHECK(f.level == Severity::Note);
  CHECK(f.snippet == "-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT");
  CHECK(f.message ==
        "rule `-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT` (line 3) is redundant: without it every packet it "
        "decides gets the same verdict from rule `-A INPUT -p tcp -m tcp --dport 1:1024 -j ACCEPT` (line 4)");
  REQUIRE(f.related.size() == 1);
  CHECK(f.related[0].location.line == 4);
  CHECK(f.related[0].message ==
        "rule `-A INPUT -p tcp -m tcp --dport 1:1024 -j ACCEPT` (line 4) decides its packets without it");
  CHECK(!f.suppression);
  CHECK(r.fwm030.empty());
}

TEST_CASE("FWM031: a final drop before a DROP policy is redundant, and the policy is named", "[checks][fwm031]") {
  auto r =
      run("-A INPUT -s 10.0.0.0/8 -j ACCEPT\n-A INPUT -p tcp -j REJECT --reject-with tcp-reset\n-A INPUT -j DROP\n");
  // Both deny what the policy denies: line 4 (REJECT, a deny too) and line 5.
  CHECK(lines(r.fwm031) == std::vector<int>{4, 5});
  REQUIRE(r.fwm031.size() == 2);
  CHECK(has(r.fwm031[1].message, "gets the same verdict from the policy DROP of chain filter INPUT (line 2)"));
  CHECK(r.fwm031[1].related.size() == 1);
  CHECK(r.fwm031[1].related[0].location.line == 2);
}

TEST_CASE("FWM031: rules that change a verdict are not redundant", "[checks][fwm031]") {
  // A drop of one port before a wider accept; an accept for more sources than the later
  // one; an accept of ports the policy would drop; the same accept for another network.
  auto r =
      run("-A INPUT -p tcp -m tcp --dport 22 -j DROP\n"
          "-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\n"
          "-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 1:1024 -j ACCEPT\n"
          "-A INPUT -s 192.0.2.0/24 -p tcp -m tcp --dport 1:1024 -j ACCEPT\n");
  CHECK(r.fwm031.empty());
  CHECK(r.fwm030.empty());
}

TEST_CASE("FWM031: a shadowed rule is FWM030 only, not FWM031 too", "[checks][fwm031]") {
  // Line 4 is never reached (FWM030); removing it changes nothing either, but it is not
  // reported twice. Line 3, which decides its packets, is not redundant: without it the
  // policy would drop them.
  auto r = run("-A INPUT -p tcp -m tcp --dport 1:1024 -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n");
  CHECK(lines(r.fwm030) == std::vector<int>{4});
  CHECK(r.fwm031.empty());
}

TEST_CASE("FWM031: an inline suppression keeps the finding, with its reason", "[checks][fwm031]") {
  auto r = run(
      "-A INPUT -p tcp -m tcp --dport 443 -m comment --comment \"fwmatrix: ignore FWM031 -- documented on purpose\" "
      "-j ACCEPT\n"
      "-A INPUT -p tcp -m tcp --dport 8443 -m comment --comment \"fwmatrix: ignore FWM030 -- another id\" -j ACCEPT\n"
      "-A INPUT -p tcp -m tcp --dport 1:9000 -j ACCEPT\n");
  REQUIRE(r.fwm031.size() == 2);
  REQUIRE(r.fwm031[0].suppression);
  CHECK(*r.fwm031[0].suppression == "documented on purpose (inline suppression on line 3)");
  CHECK(!r.fwm031[1].suppression);  // suppressing FWM030 does not suppress FWM031
}

TEST_CASE("FWM031: the fingerprint follows the rule's content, not its line", "[checks][fwm031]") {
  const std::string rules =
      "-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 1:1024 -j ACCEPT\n";
  auto a = run(rules);
  auto b = run("-A INPUT -p udp -m udp --dport 53 -j ACCEPT\n" + rules);  // one line further down
  REQUIRE(a.fwm031.size() == 1);
  REQUIRE(b.fwm031.size() == 1);
  CHECK(a.fwm031[0].location.line + 1 == b.fwm031[0].location.line);
  CHECK(a.fwm031[0].fingerprint() == b.fwm031[0].fingerprint());
  auto other = run("-A INPUT -p tcp -m tcp --dport 444 -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 1:1024 -j ACCEPT\n");
  REQUIRE(other.fwm031.size() == 1);
  CHECK(other.fwm031[0].fingerprint() != a.fwm031[0].fingerprint());
}

TEST_CASE("FWM031: past --max-redundancy-checks the analysis stops and says so", "[checks][fwm031]") {
  // Three redundant accepts; a budget of one checks only the first deciding rule.
  std::string rules;
  for (int port : {80, 443, 444}) rules += fmt::format("-A INPUT -p tcp -m tcp --dport {} -j ACCEPT\n", port);
  rules += "-A INPUT -p tcp -m tcp --dport 1:1024 -j ACCEPT\n";
  auto all = run(rules);
  CHECK(lines(all.fwm031) == std::vector<int>{3, 4, 5});
  auto cut = run(rules, 1);
  CHECK(lines(cut.fwm031) == std::vector<int>{3});
  bool said = false;
  for (const auto& n : cut.notes) said = said || has(n, "redundancy was checked for the first 1 deciding rules only");
  CHECK(said);
}
