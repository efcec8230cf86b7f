// FWM001/FWM002/FWM003: one result per problem. A requirement's gap is one finding
// anchored at the rule or policy that decides most of it, the other deciders as related
// locations; IPv4 and IPv6 are one finding when they give the same answer; pack rows on
// the same ports are one finding.
#include <fmt/format.h>

#include <algorithm>

#include "checks/analysis.h"
#include "frontends/frontend.h"
#include "fwm_catch.hpp"

using namespace fwm;

namespace {

std::vector<Finding> gaps(const std::string& file, const std::string& text, const std::string& format,
                          const std::vector<std::string>& roles) {
  auto pack = find_pack("sfb2015", "");
  REQUIRE(pack.pack);
  LoadOptions o;
  o.format = format;
  auto loaded = load_ruleset_bytes(file, text, o);
  REQUIRE(loaded.ruleset);
  AnalysisRequest request{&*pack.pack, roles};
  std::vector<std::string> notes;
  auto all = analyze(*loaded.ruleset, request, notes);
  std::vector<Finding> out;
  for (auto& f : all)
    if (f.rule_id == "FWM001" || f.rule_id == "FWM003") out.push_back(std::move(f));
  return out;
}

const Finding* about(const std::vector<Finding>& findings, const std::string& text) {
  const Finding* found = nullptr;
  for (const auto& f : findings)
    if (f.message.find(text) != std::string::npos) {
      CHECK(found == nullptr);  // exactly one
      found = &f;
    }
  return found;
}

}  // namespace

TEST_CASE("requirement gaps: one finding per requirement, the other deciders related", "[checks][gaps]") {
  // A blocklist: 30 sources rejected one by one, then the policy drops the rest.
  std::string text = "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  for (int i = 0; i < 30; ++i) text += fmt::format("-A INPUT -s 192.0.2.{}/32 -j REJECT\n", i + 1);
  text += "COMMIT\n";
  auto findings = gaps("blocklist.rules", text, "iptables", {"front-end"});
  const Finding* sip = about(findings, "TCP 5061 is denied");
  REQUIRE(sip);
  CHECK(sip->location.line == 2);  // the policy decides most of its packets
  CHECK(sip->message.find("and by 30 other rules (related locations)") != std::string::npos);
  CHECK(sip->related.size() == kMaxRelatedLocations);
  CHECK(sip->related_left_out == 30 - kMaxRelatedLocations);
  CHECK(sip->related.front().location.line == 5);  // the others in ruleset order
  CHECK(sip->related.front().message.find("also denies TCP 5061") != std::string::npos);
  // 30 rules no longer make 31 findings per port.
  CHECK(std::count_if(findings.begin(), findings.end(),
                      [](const Finding& f) { return f.message.find("TCP 5061 ") != std::string::npos; }) == 1);
}

TEST_CASE("requirement gaps: IPv4 and IPv6 merged when their answer is the same", "[checks][gaps]") {
  const std::string same =
      "table inet filter {\n  chain input {\n    type filter hook input priority 0; policy drop;\n"
      "    tcp dport 443 accept\n  }\n}\n";
  auto findings = gaps("same.nft", same, "nftables", {"front-end"});
  const Finding* sip = about(findings, "TCP 5061 is denied");
  REQUIRE(sip);
  CHECK(sip->properties.at("family") == "IPv4,IPv6");
  // Different answers stay apart: IPv6 accepts 5061, IPv4 does not.
  const std::string differ =
      "table inet filter {\n  chain input {\n    type filter hook input priority 0; policy drop;\n"
      "    meta nfproto ipv6 tcp dport 5061 accept\n  }\n}\n";
  auto split = gaps("differ.nft", differ, "nftables", {"front-end"});
  CHECK(about(split, "TCP 5061 (IPv4) is denied"));
  CHECK_FALSE(about(split, "TCP 5061 (IPv6) is denied"));
}

TEST_CASE("requirement gaps: pack rows on the same ports are one finding; optional rows say so", "[checks][gaps]") {
  const std::string text = "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";
  auto findings = gaps("drop.rules", text, "iptables", {"front-end"});
  const Finding* sql = about(findings, "UDP 1434 is denied");
  REQUIRE(sql);
  CHECK(sql->message.find("srv.all-servers.1434 and srv.all-servers.1434.2") != std::string::npos);
  const Finding* optional = about(findings, "TCP 5060 is denied");
  REQUIRE(optional);
  CHECK(optional->rule_id == "FWM003");
  CHECK(optional->message.find("optional, listed by srv.front-end.5060") != std::string::npos);
  CHECK(optional->message.find("required by") == std::string::npos);
}
