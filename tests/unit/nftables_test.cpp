// nftables frontend: parsing, lowering and verdicts through the evaluator.
#include "fwm_catch.hpp"
#include <filesystem>
#include <fstream>

#include "eval/evaluator.h"
#include "frontends/frontend.h"
#include "frontends/nftables/nftables_frontend.h"
#include "port_answer.h"

using namespace fwm;

namespace {

std::unique_ptr<Ruleset> load_nft(const std::string& text, const std::string& format = "nftables") {
  auto r = load_ruleset_bytes("test.nft", text, {format, ""});
  REQUIRE(r.ruleset);
  return std::move(r.ruleset);
}

test::PortAnswer ports(const Ruleset& rs, int proto, Family f = Family::V4, const char* src = nullptr,
                       const char* iface = nullptr, Direction dir = Direction::In) {
  return test::port_answer(rs, {proto, f, src, iface, dir});
}

std::size_t count_diag(const Ruleset& rs, const std::string& id) {
  return static_cast<std::size_t>(
      std::count_if(rs.diagnostics.begin(), rs.diagnostics.end(), [&](const Diagnostic& d) { return d.id == id; }));
}

std::string input_chain(const std::string& policy, const std::string& rules, const std::string& family = "inet") {
  return "table " + family + " filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy " +
         policy + ";\n" + rules + "\t}\n}\n";
}

}  // namespace

TEST_CASE("nftables: detection of text and JSON", "[nftables]") {
  REQUIRE(nftables::detect("#!/usr/sbin/nft -f\nflush ruleset\n"));
  REQUIRE(nftables::detect("table inet filter {\n}\n"));
  REQUIRE(nftables::detect("# comment\nadd table ip t\n"));
  REQUIRE_FALSE(nftables::detect("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"));
  REQUIRE(nftables::detect_json("{\"nftables\": [{\"metainfo\": {}}]}"));
  REQUIRE_FALSE(nftables::detect_json("table inet t {}"));
  auto r = load_ruleset_bytes("x.conf", "table inet filter {\n}\n", {});
  REQUIRE(r.ruleset);
  REQUIRE(r.ruleset->format == "nftables");
}

TEST_CASE("nftables: first match wins, policy drop, sets and ranges", "[nftables]") {
  auto rs = load_nft(input_chain("drop",
                                 "\t\ttcp dport 100-200 drop\n"
                                 "\t\ttcp dport { 150-300, 443 } accept\n"
                                 "\t\tudp dport != 53 accept\n"));
  REQUIRE(count_diag(*rs, "FWM090") == 0);
  REQUIRE(ports(*rs, kProtoTcp).accepted == PortSet({{201, 300}, {443, 443}}));
  REQUIRE(ports(*rs, kProtoUdp).accepted == PortSet({{0, 52}, {54, 65535}}));
  // inet: the same chain filters IPv6
  REQUIRE(ports(*rs, kProtoTcp, Family::V6).accepted == PortSet({{201, 300}, {443, 443}}));
}

TEST_CASE("nftables: ordered comparisons, service names, th dport protocol dependency", "[nftables]") {
  auto rs = load_nft(input_chain("drop",
                                 "\t\ttcp dport < 10 accept\n"
                                 "\t\ttcp dport >= 65530 accept\n"
                                 "\t\ttcp dport https accept\n"
                                 "\t\tmeta l4proto { tcp, udp } th dport 3478 accept\n"));
  REQUIRE(ports(*rs, kProtoTcp).accepted == PortSet({{0, 9}, {443, 443}, {3478, 3478}, {65530, 65535}}));
  REQUIRE(ports(*rs, kProtoUdp).accepted == PortSet(3478, 3478));
  REQUIRE(ports(*rs, kProtoSctp).accepted.empty());
}

TEST_CASE("nftables: two base chains on one hook, a drop in the second is final", "[nftables]") {
  auto rs = load_nft(
      "table inet filter {\n"
      "  chain input {\n"
      "    type filter hook input priority filter; policy accept;\n"
      "    tcp dport 5061 accept\n"
      "  }\n"
      "}\n"
      "table ip late {\n"
      "  chain input {\n"
      "    type filter hook input priority filter + 10; policy accept;\n"
      "    tcp dport 5061 drop\n"
      "  }\n"
      "}\n"
      "table ip early {\n"
      "  chain input {\n"
      "    type filter hook input priority -10; policy drop;\n"
      "    tcp dport { 22, 5061 } accept\n"
      "  }\n"
      "}\n");
  const Pipeline* p4 = rs->pipeline(Family::V4, Direction::In);
  REQUIRE(p4);
  REQUIRE(p4->stages.size() == 3);
  REQUIRE(rs->chains[static_cast<std::size_t>(p4->stages[0].chain)].name == "ip early input");
  REQUIRE(rs->chains[static_cast<std::size_t>(p4->stages[1].chain)].name == "inet filter input");
  REQUIRE(rs->chains[static_cast<std::size_t>(p4->stages[2].chain)].name == "ip late input");
  // 5061: accepted by early and filter, dropped by late. 22: accepted by all. Others: early's policy.
  REQUIRE(ports(*rs, kProtoTcp).accepted == PortSet(22, 22));
  // IPv6 sees only the inet table: everything is accepted there.
  const Pipeline* p6 = rs->pipeline(Family::V6, Direction::In);
  REQUIRE(p6);
  REQUIRE(p6->stages.size() == 1);
  REQUIRE(ports(*rs, kProtoTcp, Family::V6).accepted == all_ports());
}

TEST_CASE("nftables: named priorities and prerouting before input", "[nftables]") {
  auto rs = load_nft(
      "table ip t {\n"
      "  chain a { type filter hook input priority security; }\n"
      "  chain b { type filter hook input priority raw; }\n"
      "  chain c { type filter hook prerouting priority 100; }\n"
      "  chain d { type filter hook input priority mangle - 5; }\n"
      "}\n");
  const Pipeline* p = rs->pipeline(Family::V4, Direction::In);
  REQUIRE(p);
  std::vector<std::string> names;
  for (const auto& s : p->stages) names.push_back(rs->chains[static_cast<std::size_t>(s.chain)].name);
  REQUIRE(names == std::vector<std::string>{"ip t c", "ip t b", "ip t d", "ip t a"});
  REQUIRE(rs->pipeline(Family::V6, Direction::In) == nullptr);
}

TEST_CASE("nftables: jump, goto and return", "[nftables]") {
  auto rs = load_nft(
      "table inet filter {\n"
      "  chain media {\n"
      "    udp dport 3478 return\n"
      "    udp dport 49152-57500 accept\n"
      "  }\n"
      "  chain inner {\n"
      "    return\n"
      "  }\n"
      "  chain outer {\n"
      "    goto inner\n"
      "  }\n"
      "  chain input {\n"
      "    type filter hook input priority 0; policy drop;\n"
      "    meta l4proto udp jump media\n"
      "    udp dport 3478 accept\n"
      "    tcp dport 1-100 jump outer\n"
      "    tcp dport 50-60 accept\n"
      "  }\n"
      "}\n");
  REQUIRE(count_diag(*rs, "FWM090") == 0);
  REQUIRE(ports(*rs, kProtoUdp).accepted == PortSet({{3478, 3478}, {49152, 57500}}));
  REQUIRE(ports(*rs, kProtoTcp).accepted == PortSet(50, 60));
}

TEST_CASE("nftables: vmaps and named verdict maps; no key means no match", "[nftables]") {
  auto rs = load_nft(
      "table inet filter {\n"
      "  map port_verdict {\n"
      "    type inet_service : verdict\n"
      "    elements = { 22 : accept, 3389 : drop }\n"
      "  }\n"
      "  chain input {\n"
      "    type filter hook input priority filter; policy accept;\n"
      "    tcp dport vmap { 135 : drop, 445 : drop, 80 : accept }\n"
      "    tcp dport vmap @port_verdict\n"
      "    tcp dport { 80, 22 } drop\n"
      "    ct state vmap { established : accept, related : accept, invalid : drop }\n"
      "  }\n"
      "}\n");
  REQUIRE(count_diag(*rs, "FWM090") == 0);
  PortSet expected = all_ports();
  expected = expected.subtract(PortSet({{135, 135}, {445, 445}, {3389, 3389}}));
  REQUIRE(ports(*rs, kProtoTcp).accepted == expected);
}

TEST_CASE("nftables: named interval sets, define and $variables", "[nftables]") {
  auto rs = load_nft(
      "define SIP = { 5060, 5061 }\n"
      "define TRUSTED = 10.0.0.0/8\n"
      "table inet filter {\n"
      "  set media {\n"
      "    type inet_service\n"
      "    flags interval\n"
      "    elements = { 49152-57500,\n"
      "                 57501-65535 }\n"
      "  }\n"
      "  chain input {\n"
      "    type filter hook input priority filter; policy drop;\n"
      "    tcp dport $SIP accept\n"
      "    udp dport @media accept\n"
      "    ip saddr $TRUSTED tcp dport 22 accept\n"
      "  }\n"
      "}\n");
  REQUIRE(count_diag(*rs, "FWM090") == 0);
  REQUIRE(ports(*rs, kProtoTcp).accepted == PortSet(5060, 5061));
  REQUIRE(ports(*rs, kProtoUdp).accepted == PortSet(49152, 65535));
  REQUIRE(ports(*rs, kProtoTcp, Family::V4, "10.1.2.3").accepted == PortSet({{22, 22}, {5060, 5061}}));
  // ip saddr implies IPv4: an IPv6 packet does not match that rule
  REQUIRE(ports(*rs, kProtoTcp, Family::V6).accepted == PortSet(5060, 5061));
}

TEST_CASE("nftables: concatenations give one alternative per tuple", "[nftables]") {
  auto rs = load_nft(input_chain("drop", "\t\tip saddr . tcp dport { 10.0.0.1 . 22, 10.0.0.2 . 443 } accept\n", "ip"));
  REQUIRE(ports(*rs, kProtoTcp, Family::V4, "10.0.0.1").accepted == PortSet(22, 22));
  REQUIRE(ports(*rs, kProtoTcp, Family::V4, "10.0.0.2").accepted == PortSet(443, 443));
  REQUIRE(ports(*rs, kProtoTcp, Family::V4, "10.0.0.3").accepted.empty());
}

TEST_CASE("nftables: ct state, interfaces and negation", "[nftables]") {
  auto rs = load_nft(input_chain("drop",
                                 "\t\tiif \"lo\" accept\n"
                                 "\t\tct state established,related accept\n"
                                 "\t\tiifname \"eth*\" udp dport 67-68 accept\n"
                                 "\t\tiifname != \"wan0\" tcp dport 22 accept\n"));
  // a new connection from outside: established/related do not open anything
  REQUIRE(ports(*rs, kProtoUdp, Family::V4, nullptr, "eth1").accepted == PortSet(67, 68));
  REQUIRE(ports(*rs, kProtoUdp, Family::V4, nullptr, "wan0").accepted.empty());
  REQUIRE(ports(*rs, kProtoTcp, Family::V4, nullptr, "wan0").accepted.empty());
  REQUIRE(ports(*rs, kProtoTcp, Family::V4, nullptr, "eth1").accepted == PortSet(22, 22));
  REQUIRE(ports(*rs, kProtoTcp, Family::V4, nullptr, "lo").accepted == all_ports());
}

TEST_CASE("nftables: unknown expressions are undetermined, not failures", "[nftables]") {
  auto rs = load_nft(input_chain("drop",
                                 "\t\tlimit rate 10/second tcp dport 80 accept\n"
                                 "\t\tmeta mark 0x1 tcp dport 81 accept\n"
                                 "\t\tsocket transparent 1 tcp dport 82 accept\n"
                                 "\t\ttcp dport 83 counter packets 5 bytes 300 log prefix \"x\" accept\n"
                                 "\t\txt match recent counter drop\n"));
  REQUIRE(count_diag(*rs, "FWM090") == 0);
  REQUIRE(count_diag(*rs, "FWM091") >= 3);
  auto a = ports(*rs, kProtoTcp);
  // counter and log do not change the verdict of rule 4; 80-82 depend on run-time state;
  // "xt match recent drop" may or may not drop the rest, which the policy drops anyway.
  REQUIRE(a.accepted == PortSet(83, 83));
  REQUIRE(a.undetermined == PortSet(80, 82));
}

TEST_CASE("nftables: reject before accept denies", "[nftables]") {
  auto rs = load_nft(input_chain("accept",
                                 "\t\ttcp dport 5061 reject with tcp reset\n"
                                 "\t\ttcp dport 5061 accept\n"
                                 "\t\tudp dport 53 reject with icmpx type admin-prohibited\n"));
  REQUIRE(ports(*rs, kProtoTcp).accepted == all_ports().subtract(PortSet(5061, 5061)));
  REQUIRE(ports(*rs, kProtoUdp).accepted == all_ports().subtract(PortSet(53, 53)));
}

TEST_CASE("nftables: command forms, flush and delete", "[nftables]") {
  auto rs = load_nft(
      "flush ruleset\n"
      "add table inet t\n"
      "add chain inet t input { type filter hook input priority 0; policy drop; }\n"
      "add chain inet t media\n"
      "add rule inet t media udp dport 3478 accept\n"
      "add rule inet t input tcp dport 22 accept\n"
      "insert rule inet t input tcp dport 22 drop\n"
      "add rule inet t input jump media\n"
      "add table ip old\n"
      "add chain ip old input { type filter hook input priority 0; policy drop; }\n"
      "delete table ip old\n");
  REQUIRE(count_diag(*rs, "FWM090") == 0);
  REQUIRE(ports(*rs, kProtoTcp).accepted.empty());
  REQUIRE(ports(*rs, kProtoUdp).accepted == PortSet(3478, 3478));
}

TEST_CASE("nftables: anonymous chains (jump { ... })", "[nftables]") {
  auto rs = load_nft(input_chain("drop",
                                 "\t\tmeta l4proto udp jump {\n"
                                 "\t\t\tudp dport 5000 accept\n"
                                 "\t\t}\n"
                                 "\t\ttcp dport 22 accept\n"));
  REQUIRE(count_diag(*rs, "FWM090") == 0);
  REQUIRE(ports(*rs, kProtoUdp).accepted == PortSet(5000, 5000));
  REQUIRE(ports(*rs, kProtoTcp).accepted == PortSet(22, 22));
}

TEST_CASE("nftables: syntax errors carry line and column; the rest is still read", "[nftables]") {
  auto rs = load_nft(input_chain("drop",
                                 "\t\ttcp dport accept\n"
                                 "\t\ttcp dport { 22, 80 accept\n"
                                 "\t\tudp dport 53 accept\n"));
  REQUIRE(count_diag(*rs, "FWM090") >= 1);
  const Diagnostic* first = nullptr;
  for (const auto& d : rs->diagnostics)
    if (d.id == "FWM090") {
      first = &d;
      break;
    }
  REQUIRE(first);
  REQUIRE(first->span.line == 4);
  REQUIRE(first->span.column == 13);
  REQUIRE(ports(*rs, kProtoUdp).accepted == PortSet(53, 53));
}

TEST_CASE("nftables: jump to an undefined chain, unknown priority and undefined variable are errors", "[nftables]") {
  auto rs = load_nft(
      "table ip t {\n"
      "  chain input {\n"
      "    type filter hook input priority bogus; policy drop;\n"
      "    jump nowhere\n"
      "    tcp dport $NOPE accept\n"
      "  }\n"
      "}\n");
  REQUIRE(count_diag(*rs, "FWM090") == 3);
}

TEST_CASE("nftables: dormant tables and arp/bridge families are not in the IP paths", "[nftables]") {
  auto rs = load_nft(
      "table ip sleepy {\n"
      "  flags dormant\n"
      "  chain input { type filter hook input priority 0; policy drop; }\n"
      "}\n"
      "table arp a {\n"
      "  chain input { type filter hook input priority 0; policy drop; }\n"
      "}\n"
      "table ip t {\n"
      "  chain input { type filter hook input priority 0; policy accept; }\n"
      "}\n");
  const Pipeline* p = rs->pipeline(Family::V4, Direction::In);
  REQUIRE(p);
  REQUIRE(p->stages.size() == 1);
  REQUIRE(ports(*rs, kProtoTcp).accepted == all_ports());
}

TEST_CASE("nftables: include relative to the file, refused outside the input's directory", "[nftables]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "fwm_nft_include_test";
  fs::remove_all(dir);
  fs::create_directories(dir / "conf.d");
  auto write = [](const fs::path& p, const std::string& text) { std::ofstream(p) << text; };
  write(dir / "conf.d" / "ssh.nft", "add rule inet filter input tcp dport 22 accept\n");
  write(dir / "main.nft",
        "table inet filter {\n  chain input {\n    type filter hook input priority 0; policy drop;\n  }\n}\n"
        "include \"conf.d/*.nft\"\n"
        "include \"../outside.nft\"\n");
  write(dir.parent_path() / "outside.nft", "add rule inet filter input tcp dport 80 accept\n");
  auto r = load_ruleset((dir / "main.nft").string(), {"nftables", ""});
  REQUIRE(r.ruleset);
  REQUIRE(ports(*r.ruleset, kProtoTcp).accepted == PortSet(22, 22));
  bool refused = false;
  for (const auto& d : r.ruleset->diagnostics)
    if (d.id == "FWM090" && d.message.find("outside") != std::string::npos && d.span.line == 7) refused = true;
  REQUIRE(refused);
  fs::remove_all(dir);
  fs::remove(dir.parent_path() / "outside.nft");
}

TEST_CASE("nftables: nft -j JSON goes through the same lowering", "[nftables]") {
  const char* json = R"({"nftables": [
 {"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
 {"table": {"family": "inet", "name": "filter", "handle": 1}},
 {"chain": {"family": "inet", "table": "filter", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}},
 {"set": {"family": "inet", "name": "media", "table": "filter", "type": "inet_service", "handle": 2, "flags": ["interval"], "elem": [{"range": [49152, 65535]}]}},
 {"rule": {"family": "inet", "table": "filter", "chain": "input", "handle": 3, "expr": [{"match": {"op": "==", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}}, {"accept": null}]}},
 {"rule": {"family": "inet", "table": "filter", "chain": "input", "handle": 4, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": {"set": [5060, 5061]}}}, {"counter": {"packets": 0, "bytes": 0}}, {"accept": null}]}},
 {"rule": {"family": "inet", "table": "filter", "chain": "input", "handle": 5, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": "@media"}}, {"accept": null}]}},
 {"rule": {"family": "inet", "table": "filter", "chain": "input", "handle": 6, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "10.0.0.0", "len": 8}}}}, {"vmap": {"key": {"payload": {"protocol": "tcp", "field": "dport"}}, "data": {"set": [[22, {"accept": null}], [23, {"drop": null}]]}}}]}}
]})";
  auto r = load_ruleset_bytes("ruleset.json", json, {});
  REQUIRE(r.ruleset);
  REQUIRE(r.ruleset->format == "nft-json");
  REQUIRE(count_diag(*r.ruleset, "FWM090") == 0);
  REQUIRE(ports(*r.ruleset, kProtoTcp).accepted == PortSet(5060, 5061));
  REQUIRE(ports(*r.ruleset, kProtoUdp).accepted == PortSet(49152, 65535));
  REQUIRE(ports(*r.ruleset, kProtoTcp, Family::V4, "10.1.1.1").accepted == PortSet({{22, 22}, {5060, 5061}}));
  auto bad = load_ruleset_bytes("bad.json", "{\"nftables\": [", {"nft-json", ""});
  REQUIRE(bad.ruleset);
  REQUIRE(count_diag(*bad.ruleset, "FWM090") == 1);
}

TEST_CASE("nftables: suppressions from comments", "[nftables]") {
  auto rs = load_nft(input_chain("drop",
                                 "\t\ttcp dport 0-65535 accept comment \"fwmatrix: ignore FWM020 -- lab box\"\n"
                                 "\t\tudp dport 53 accept # fwmatrix: ignore FWM022 -- resolver\n"));
  REQUIRE(rs->chains[0].rules.size() == 2);
  REQUIRE(rs->chains[0].rules[0].suppressions == std::vector<std::string>{"FWM020"});
  REQUIRE(rs->chains[0].rules[1].suppressions == std::vector<std::string>{"FWM022"});
}

// Speed is measured by bench/nftables-bench.sh, not here: this only proves that a
// large single chain is read statement by statement without losing rules.
TEST_CASE("nftables: a large ruleset loads every rule", "[nftables]") {
  std::string text = "table inet filter {\n chain input {\n  type filter hook input priority 0; policy drop;\n";
  for (int i = 0; i < 5000; ++i)
    text += "  ip saddr 10.0." + std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255) + " tcp dport " +
            std::to_string(1000 + i % 50000) + " counter packets 0 bytes 0 accept\n";
  text += " }\n}\n";
  auto r = load_ruleset_bytes("big.nft", text, {"nftables", ""});
  REQUIRE(r.ruleset);
  REQUIRE(r.ruleset->chains[0].rules.size() == 5000);
  CHECK(r.ruleset->chains[0].rules[4999].span.line == 5003);
}

TEST_CASE("nftables: iptables-nft tables (xt match is opaque) and netdev ingress before input", "[nftables]") {
  auto r = load_ruleset_bytes("listing.nft",
                              "# Warning: table ip filter is managed by iptables-nft, do not touch!\n"
                              "table ip filter {\n"
                              "\tchain INPUT {\n"
                              "\t\ttype filter hook input priority filter; policy drop;\n"
                              "\t\ttcp dport 5061  counter packets 0 bytes 0 accept\n"
                              "\t\txt match recent counter packets 0 bytes 0 accept\n"
                              "\t}\n"
                              "}\n"
                              "table netdev edge {\n"
                              "\tchain ingress {\n"
                              "\t\ttype filter hook ingress device \"eth0\" priority -500; policy accept;\n"
                              "\t\tudp dport 53 drop\n"
                              "\t}\n"
                              "}\n",
                              {});
  REQUIRE(r.ruleset);
  REQUIRE(r.ruleset->format == "nftables");
  const Ruleset& rs = *r.ruleset;
  REQUIRE(count_diag(rs, "FWM090") == 0);
  REQUIRE(count_diag(rs, "FWM091") == 1);
  const Pipeline* p = rs.pipeline(Family::V4, Direction::In);
  REQUIRE(p);
  REQUIRE(p->stages.size() == 2);
  REQUIRE(rs.chains[static_cast<std::size_t>(p->stages[0].chain)].name == "netdev edge ingress");
  auto tcp = ports(rs, kProtoTcp);
  REQUIRE(tcp.accepted == PortSet(5061, 5061));
  REQUIRE(tcp.undetermined == all_ports().subtract(PortSet(5061, 5061)));
  // The ingress chain sees only eth0's packets: 53 is dropped there, not on other interfaces.
  auto udp_eth0 = ports(rs, kProtoUdp, Family::V4, nullptr, "eth0");
  REQUIRE(udp_eth0.accepted.empty());
  REQUIRE(udp_eth0.undetermined == all_ports().subtract(PortSet(53, 53)));
  auto udp_eth1 = ports(rs, kProtoUdp, Family::V4, nullptr, "eth1");
  REQUIRE(udp_eth1.undetermined == all_ports());
}

TEST_CASE("nftables: the model's chain and set index follows adds, drops and flushes", "[nftables]") {
  nftables::Model model;
  for (int i = 0; i < 300; ++i) model.chain("ip", i % 2 ? "nat" : "filter", "c" + std::to_string(i), true);
  model.set("ip", "filter", "blocked", true);
  model.set("inet", "filter", "blocked", true);
  REQUIRE(model.chains.size() == 300);
  REQUIRE(model.chain("ip", "nat", "c7") == &model.chains[7]);
  REQUIRE(model.chain("ip", "filter", "c7") == nullptr);              // c7 is in nat
  REQUIRE(model.chain("ip", "nat", "c7", true) == &model.chains[7]);  // found, not made again
  REQUIRE(model.set("inet", "filter", "blocked") == &model.sets[1]);

  model.drop_table("ip", "filter");  // the even chains and the ip set go; the positions shift
  REQUIRE(model.chains.size() == 150);
  REQUIRE(model.chain("ip", "filter", "c8") == nullptr);
  nftables::ChainModel* c9 = model.chain("ip", "nat", "c9");
  REQUIRE(c9);
  CHECK(c9->name == "c9");
  CHECK(model.set("ip", "filter", "blocked") == nullptr);
  REQUIRE(model.set("inet", "filter", "blocked"));
  CHECK(model.set("inet", "filter", "blocked")->family == "inet");

  model.drop_chain("ip", "nat", "c1");
  CHECK(model.chain("ip", "nat", "c1") == nullptr);
  nftables::ChainModel* c299 = model.chain("ip", "nat", "c299");
  REQUIRE(c299);
  CHECK(c299->name == "c299");
  nftables::ChainModel* again = model.chain("ip", "nat", "c1", true);  // made anew at the end
  CHECK(again == &model.chains.back());

  model.clear();
  CHECK(model.chains.empty());
  CHECK(model.chain("ip", "nat", "c3") == nullptr);
  CHECK(model.set("inet", "filter", "blocked") == nullptr);
}
