// FWM020 (docs/rules/FWM020.md): "a rule or policy accepts every port of a protocol, or
// every protocol, from any source". Issue 25 item 7: what several deciders accept together
// counts (an accept rule before an ACCEPT policy), and the text names what is accepted
// truly (no "every protocol but tcp" where TCP is accepted on another interface).
// Verdicts from iptables(8): the first matching rule decides, the policy the rest.
#include <fmt/format.h>

#include "checks/analysis.h"
#include "frontends/frontend.h"
#include "fwm_catch.hpp"

using namespace fwm;

namespace {

std::vector<Finding> fwm020(const std::string& text) {
  LoadOptions o;
  o.format = "iptables";
  auto loaded = load_ruleset_bytes("accept.rules", text, o);
  REQUIRE(loaded.ruleset);
  for (const auto& d : loaded.ruleset->diagnostics) CHECK(d.id != "FWM090");
  AnalysisRequest request;
  std::vector<std::string> notes;
  std::vector<Finding> out;
  for (auto& f : analyze(*loaded.ruleset, request, notes))
    if (f.rule_id == "FWM020") out.push_back(std::move(f));
  return out;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("FWM020: an accept rule before an ACCEPT policy opens everything together", "[checks][fwm020]") {
  // 10.0.0.0/8 by the rule, every other source by the policy: every protocol and port from
  // any source, which neither accepts alone.
  auto found = fwm020("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.0/8 -j ACCEPT\nCOMMIT\n");
  REQUIRE(found.size() == 1);
  const Finding& f = found[0];
  CHECK(f.location.line == 2);  // the policy completes it
  CHECK(has(f.message,
            "the policy ACCEPT of chain filter INPUT (line 2) accepts every protocol and port from any source"));
  CHECK(has(f.message, "with the accepting rule before it"));
  REQUIRE(f.related.size() == 1);
  CHECK(f.related[0].location.line == 3);

  // Two rules and a DROP policy: the later rule completes it.
  auto rules = fwm020(
      "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -s 10.0.0.0/8 -j ACCEPT\n-A INPUT -p tcp ! -s 10.0.0.0/8 -j ACCEPT\n"
      "COMMIT\n");
  REQUIRE(rules.size() == 1);
  CHECK(rules[0].location.line == 4);
  CHECK(has(rules[0].message, "accepts every TCP port from any source"));

  // What some sources only reach is not reported, and neither is what one decider already
  // reports alone (the policy here, on its own).
  CHECK(fwm020("*filter\n:INPUT DROP [0:0]\n-A INPUT -s 10.0.0.0/8 -j ACCEPT\nCOMMIT\n").empty());
  auto alone = fwm020("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp --dport 53 -j ACCEPT\nCOMMIT\n");
  REQUIRE(alone.size() == 1);
  CHECK(alone[0].location.line == 2);
  CHECK(has(alone[0].message, "accepts every protocol but udp from any source"));
  // One decider's own finding says what it accepts with the others too: one finding per place.
  CHECK(has(alone[0].message, ", and every UDP port with the accepting rule before it (together they accept it all"));
  CHECK(alone[0].related.size() == 1);
}

TEST_CASE("FWM020: the protocols named are those accepted", "[checks][fwm020]") {
  // TCP dropped on eth0 only: the policy accepts TCP on every other interface, so it is not
  // "every protocol but tcp".
  auto per_iface = fwm020("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -i eth0 -p tcp -j DROP\nCOMMIT\n");
  REQUIRE(per_iface.size() == 1);
  CHECK_FALSE(has(per_iface[0].message, "every protocol but"));
  CHECK(has(per_iface[0].message, "every protocol and port (tcp only on some interfaces or destinations)"));
  // TCP dropped everywhere: then it is every protocol but tcp.
  auto everywhere = fwm020("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -j DROP\nCOMMIT\n");
  REQUIRE(everywhere.size() == 1);
  CHECK(has(everywhere[0].message, "every protocol but tcp from any source"));
}
