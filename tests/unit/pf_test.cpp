// pf frontend: parsing (macros, lists, tables, anchors, port operators) and
// verdicts of the lowered first-match form against pf's last-match / quick
// semantics.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "checks/analysis.h"
#include "eval/evaluator.h"
#include "frontends/frontend.h"
#include "frontends/pf/pf_frontend.h"
#include "fwm_catch.hpp"
#include "ir/services.h"
#include "port_answer.h"

using namespace fwm;

namespace {

std::unique_ptr<Ruleset> load_pf(const std::string& text, const std::string& path = "test.conf") {
  auto r = load_ruleset_bytes(path, text, {"pf", ""});
  REQUIRE(r.ruleset);
  return std::move(r.ruleset);
}

test::PortAnswer ports(const Ruleset& rs, int proto, const char* iface = nullptr, const char* src = nullptr,
                       Family f = Family::V4, Direction dir = Direction::In) {
  return test::port_answer(rs, {proto, f, src, iface, dir});
}

std::size_t count(const Ruleset& rs, const char* id) {
  std::size_t n = 0;
  for (const auto& d : rs.diagnostics)
    if (d.id == id) ++n;
  return n;
}

const Diagnostic* first(const Ruleset& rs, const char* id) {
  for (const auto& d : rs.diagnostics)
    if (d.id == id) return &d;
  return nullptr;
}

}  // namespace

TEST_CASE("pf: last matching rule wins, default pass", "[pf]") {
  auto rs = load_pf(
      "block in all\n"
      "pass in proto tcp to port 443\n");
  CHECK(count(*rs, "FWM090") == 0);
  CHECK(ports(*rs, kProtoTcp).accepted == PortSet(443, 443));
  CHECK(ports(*rs, kProtoUdp).accepted.empty());
  auto empty = load_pf("set skip on lo0\n");
  CHECK(ports(*empty, kProtoTcp).accepted == all_ports());
}

TEST_CASE("pf: a quick rule wins over everything after it", "[pf]") {
  auto rs = load_pf(
      "block all\n"
      "pass quick proto tcp to port 22\n"
      "block in proto tcp to port 22\n");
  CHECK(ports(*rs, kProtoTcp).accepted == PortSet(22, 22));
  // A quick block after a broad pass closes the port; a later pass cannot
  // reopen it.
  auto rs2 = load_pf(
      "pass in proto tcp to port 1:65535\n"
      "block in quick proto tcp to port 135\n"
      "pass in proto tcp to port 135\n");
  CHECK(ports(*rs2, kProtoTcp).accepted == PortSet({{0, 134}, {136, 65535}}));
  // Of two quick rules the first one decides.
  auto rs3 = load_pf(
      "pass in quick proto tcp to port 80\n"
      "block in quick proto tcp to port 70:90\n"
      "pass in proto tcp\n");
  CHECK(ports(*rs3, kProtoTcp).accepted == PortSet({{0, 69}, {80, 80}, {91, 65535}}));
}

TEST_CASE("pf: port operators, exclusive and outside ranges", "[pf]") {
  struct Case {
    const char* spec;
    PortSet expected;
  };
  std::vector<Case> cases = {
      {"= 80", PortSet(80, 80)},
      {"80", PortSet(80, 80)},
      {"!= 80", PortSet({{0, 79}, {81, 65535}})},
      {"< 1024", PortSet(0, 1023)},
      {"<= 1024", PortSet(0, 1024)},
      {"> 1023", PortSet(1024, 65535)},
      {">= 1024", PortSet(1024, 65535)},
      {"> 65535", PortSet()},
      {"< 0", PortSet()},
      {"49152:65535", PortSet(49152, 65535)},
      {"49152 >< 65535", PortSet(49153, 65534)},
      {"1000 >< 1001", PortSet()},
      {"2000 <> 2004", PortSet({{0, 1999}, {2005, 65535}})},
      {"{ 5060 sips, https }", PortSet({{443, 443}, {5060, 5061}})},
      {"{ != 22, != 80 }", all_ports()},
      {"domain", PortSet(53, 53)},
  };
  for (const auto& c : cases) {
    INFO(c.spec);
    auto rs = load_pf(std::string("block in all\npass in proto tcp to port ") + c.spec + "\n");
    CHECK(count(*rs, "FWM090") == 0);
    CHECK(ports(*rs, kProtoTcp).accepted == c.expected);
  }
}

TEST_CASE("pf: macros, nested macros, lists and continuation lines", "[pf]") {
  auto rs = load_pf(
      "ext_if=\"em0\"\n"
      "sip = \"5061\"\n"
      "web = \"{ 80 443 }\"\n"
      "fe_tcp = \"{\" $web $sip \"}\"\n"
      "media = \"50000:59999\"\n"
      "block in on $ext_if\n"
      "pass in on $ext_if proto tcp \\\n"
      "   to port $fe_tcp\n"
      "pass in on $ext_if proto { udp tcp } to port $media # media\n");
  CHECK(count(*rs, "FWM090") == 0);
  CHECK(ports(*rs, kProtoTcp, "em0").accepted == PortSet({{80, 80}, {443, 443}, {5061, 5061}, {50000, 59999}}));
  CHECK(ports(*rs, kProtoUdp, "em0").accepted == PortSet(50000, 59999));
  CHECK(ports(*rs, kProtoUdp, "em1").accepted == all_ports());
  // Spans point at the source, text keeps the macro, normalized has it
  // expanded.
  const Chain& in = rs->chains[static_cast<std::size_t>(rs->find_chain("pf in"))];
  bool found = false;
  for (const auto& r : in.rules)
    if (r.span.line == 7) {
      found = true;
      CHECK(r.text == "pass in on $ext_if proto tcp to port $fe_tcp");
      CHECK(r.normalized == "pass in on em0 proto tcp to port { { 80 443 } 5061 }");
      CHECK(r.span.end_line == 8);
    }
  CHECK(found);
}

TEST_CASE("pf: a comment on a continued line comments out the continuation", "[pf]") {
  auto rs = load_pf(
      "block in all\n"
      "pass in proto tcp to port 22 # ssh \\\n"
      "  pass in proto tcp to port 80\n");
  CHECK(count(*rs, "FWM090") == 0);
  CHECK(ports(*rs, kProtoTcp).accepted == PortSet(22, 22));
}

TEST_CASE("pf: undefined macros and syntax errors are FWM090 with positions", "[pf]") {
  auto rs = load_pf(
      "block in all\n"
      "pass in proto tcp to port $nope\n"
      "pass in proto tcp to port 443 kep state\n"
      "pass in proto tcp to port 8443\n"
      "pass in proto tcp to port 70000\n");
  REQUIRE(count(*rs, "FWM090") == 3);
  const Diagnostic* d = first(*rs, "FWM090");
  CHECK(d->span.line == 2);
  CHECK(d->span.column == 27);
  CHECK(d->message.find("macro 'nope' is not defined") != std::string::npos);
  CHECK(rs->diagnostics[1].span.line == 3);
  CHECK(rs->diagnostics[1].span.column == 31);
  // The statements around the bad ones are still read.
  CHECK(ports(*rs, kProtoTcp).accepted == PortSet(8443, 8443));
}

TEST_CASE("pf: a macro naming an undefined macro, or macros too deep or in a loop, is FWM090 saying which", "[pf]") {
  auto rs = load_pf(
      "block in all\n"
      "inner = \"$missing\"\n"
      "pass in proto tcp to port $inner\n"
      "a = \"$b\"\n"
      "b = \"$a\"\n"
      "pass in proto tcp to port $a\n"
      "pass in proto tcp to port 8443\n");
  REQUIRE(count(*rs, "FWM090") == 2);
  CHECK(rs->diagnostics[0].span.line == 3);
  CHECK(rs->diagnostics[0].message.find("macro 'inner' names macro 'missing', which is not defined") !=
        std::string::npos);
  CHECK(rs->diagnostics[1].span.line == 6);
  CHECK(rs->diagnostics[1].message.find("macro 'a' names macros nested more than 32 deep (or leading back to it)") !=
        std::string::npos);
  CHECK(ports(*rs, kProtoTcp).accepted == PortSet(8443, 8443));

  // A chain of macros within the depth is expanded; one deeper is not.
  auto chain = [](int length) {
    std::string text = "block in all\n";
    for (int i = 0; i + 1 < length; ++i) text += fmt::format("m{} = \"$m{}\"\n", i, i + 1);
    text += fmt::format("m{} = \"443\"\npass in proto tcp to port $m0\n", length - 1);
    return text;
  };
  auto shallow = load_pf(chain(30));
  CHECK(count(*shallow, "FWM090") == 0);
  CHECK(ports(*shallow, kProtoTcp).accepted == PortSet(443, 443));
  auto deep = load_pf(chain(40));
  REQUIRE(count(*deep, "FWM090") == 1);
  CHECK(first(*deep, "FWM090")->message.find("nested more than 32 deep") != std::string::npos);
}

TEST_CASE("pf: tables with negated entries use the most specific entry", "[pf]") {
  auto rs = load_pf(
      "table <edge> const { 192.0.2.0/24, !192.0.2.0/28, 192.0.2.7 }\n"
      "table <runtime> persist\n"
      "block in all\n"
      "pass in proto udp from <edge> to port 3478\n"
      "pass in proto tcp from <runtime> to port 22\n"
      "pass in proto tcp from ! <edge> to port 80\n");
  CHECK(count(*rs, "FWM090") == 0);
  CHECK(ports(*rs, kProtoUdp, nullptr, "192.0.2.100").accepted == PortSet(3478, 3478));
  CHECK(ports(*rs, kProtoUdp, nullptr, "192.0.2.7").accepted == PortSet(3478, 3478));
  CHECK(ports(*rs, kProtoUdp, nullptr, "192.0.2.3").accepted.empty());
  CHECK(ports(*rs, kProtoTcp, nullptr, "198.51.100.1").accepted == PortSet(80, 80));
  auto a = ports(*rs, kProtoTcp, nullptr, "192.0.2.100");
  CHECK(a.accepted.empty());
  CHECK(a.undetermined == PortSet(22, 22));  // <runtime> is filled at run time
  CHECK(count(*rs, "FWM091") >= 1);
}

TEST_CASE(
    "pf: a table file that is missing makes the table undetermined, a "
    "present one is read",
    "[pf]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "fwm_pf_table_test";
  fs::create_directories(dir);
  { std::ofstream(dir / "trusted.txt") << "# trusted\n10.0.0.0/8\n!10.9.0.0/16\n"; }
  std::string conf =
      "table <trusted> file \"trusted.txt\"\n"
      "table <gone> file \"missing.txt\"\n"
      "block in all\n"
      "pass in proto tcp from <trusted> to port 22\n"
      "pass in proto tcp from <gone> to port 23\n";
  auto rs = load_pf(conf, (dir / "pf.conf").string());
  CHECK(count(*rs, "FWM090") == 0);
  CHECK(ports(*rs, kProtoTcp, nullptr, "10.1.2.3").accepted == PortSet(22, 22));
  CHECK(ports(*rs, kProtoTcp, nullptr, "10.9.2.3").accepted.empty());
  CHECK(ports(*rs, kProtoTcp, nullptr, "10.1.2.3").undetermined == PortSet(23, 23));
  fs::remove_all(dir);
}

TEST_CASE(
    "pf: address lists expand to separate rules (a negated item matches "
    "the rest)",
    "[pf]") {
  auto rs = load_pf(
      "block in all\n"
      "pass in proto tcp from { 10.0.0.0/8, !10.1.2.3 } to port 22\n"
      "pass in proto tcp from !10.0.0.0/8 to port 23\n");
  CHECK(ports(*rs, kProtoTcp, nullptr, "10.1.2.3").accepted == PortSet(22, 22));
  CHECK(ports(*rs, kProtoTcp, nullptr, "192.168.1.1").accepted == PortSet(22, 23));
  // pfctl infers the family from the addresses: the rule is IPv4-only.
  CHECK(ports(*rs, kProtoTcp, nullptr, nullptr, Family::V6).accepted.empty());
}

TEST_CASE("pf: inline anchors are evaluated in place with their own quick", "[pf]") {
  auto rs = load_pf(
      "block in all\n"
      "anchor \"web\" in proto tcp {\n"
      "  pass proto tcp to port { 80 443 }\n"
      "  block quick proto { tcp udp } to port 8080\n"
      "}\n"
      "pass in proto tcp to port 8000:8100\n"
      "block in proto tcp to port 443\n");
  CHECK(count(*rs, "FWM090") == 0);
  // 443: the later block wins (last match); 8080: the anchor's quick block ends
  // it all.
  CHECK(ports(*rs, kProtoTcp).accepted == PortSet({{80, 80}, {8000, 8079}, {8081, 8100}}));
  // The anchor's conditions restrict its rules: udp does not enter it.
  CHECK(ports(*rs, kProtoUdp).accepted.empty());
}

TEST_CASE("pf: a quick anchor ends evaluation with its last match", "[pf]") {
  auto rs = load_pf(
      "anchor quick {\n"
      "  block in proto tcp\n"
      "  pass in proto tcp to port 22\n"
      "}\n"
      "pass in proto tcp to port 80\n");
  CHECK(ports(*rs, kProtoTcp).accepted == PortSet(22, 22));
}

TEST_CASE("pf: anchors filled at run time and missing includes are undetermined", "[pf]") {
  auto rs = load_pf(
      "block in all\n"
      "pass in quick proto tcp to port 22\n"
      "anchor \"ftp-proxy/*\"\n"
      "pass in proto tcp to port 80\n");
  auto a = ports(*rs, kProtoTcp);
  CHECK(a.accepted == PortSet(22, 22));
  CHECK(a.undetermined == PortSet({{0, 21}, {23, 65535}}));
  CHECK(count(*rs, "FWM091") == 1);
  auto inc = load_pf("include \"/etc/pf.d/extra.conf\"\nblock in all\n");
  CHECK(ports(*inc, kProtoTcp).undetermined == all_ports());
  CHECK(count(*inc, "FWM090") == 0);
}

TEST_CASE("pf: set skip interfaces are not filtered; on, !on and any", "[pf]") {
  auto rs = load_pf(
      "set skip on { lo0 em9 }\n"
      "block in on ! em0\n"
      "block in on em0 proto udp\n");
  CHECK(ports(*rs, kProtoTcp, "em9").accepted == all_ports());
  CHECK(ports(*rs, kProtoTcp, "em1").accepted.empty());
  CHECK(ports(*rs, kProtoTcp, "em0").accepted == all_ports());
  CHECK(ports(*rs, kProtoUdp, "em0").accepted.empty());
}

TEST_CASE("pf: block flavours deny, match does not decide, flags and state options", "[pf]") {
  auto rs = load_pf(
      "pass in all\n"
      "block return in proto tcp to port 1\n"
      "block return-rst in proto tcp to port 2\n"
      "block return-icmp(port-unr) in proto udp to port 3\n"
      "block drop in proto tcp to port 4\n"
      "match in proto tcp to port 5 scrub (no-df)\n"
      "block in proto tcp to port 6:7\n"
      "pass in proto tcp to port 6 flags S/SA keep state "
      "(max-src-conn 10, tcp.established 60)\n"
      "pass in proto tcp to port 7 flags A/A\n");
  CHECK(count(*rs, "FWM090") == 0);
  auto a = ports(*rs, kProtoTcp);
  CHECK(a.accepted == PortSet({{0, 0}, {3, 3}, {5, 5}, {8, 65535}}));
  CHECK(a.undetermined == PortSet(6, 6));  // state limits are not modelled
  CHECK(ports(*rs, kProtoUdp).accepted == PortSet({{0, 2}, {4, 65535}}));
}

TEST_CASE("pf: antispoof expands to non-quick block rules", "[pf]") {
  auto rs = load_pf(
      "antispoof for lo0\n"
      "pass in on em0 proto tcp to port 22\n");
  // lo0's network arriving on another interface is blocked; a later pass
  // overrides.
  CHECK(ports(*rs, kProtoUdp, "em0", "127.0.0.5").accepted.empty());
  CHECK(ports(*rs, kProtoUdp, "em0", "192.0.2.1").accepted == all_ports());
  CHECK(ports(*rs, kProtoTcp, "em0", "127.0.0.5").accepted == PortSet(22, 22));
  CHECK(ports(*rs, kProtoUdp, "lo0", "127.0.0.5").accepted == all_ports());
}

TEST_CASE("pf: legacy rdr and rdr-to translate before the filter sees the packet", "[pf]") {
  auto rs = load_pf(
      "rdr on em0 proto tcp from any to any port 8080 -> 127.0.0.1 port 80\n"
      "block in all\n"
      "pass in proto tcp to 127.0.0.1 port 80\n");
  CHECK(count(*rs, "FWM090") == 0);
  CHECK(ports(*rs, kProtoTcp, "em0").accepted == PortSet(8080, 8080));
  auto obsd = load_pf(
      "block in all\n"
      "pass in on em0 proto tcp to port 443 rdr-to 10.0.0.2 port 8443\n");
  CHECK(count(*obsd, "FWM090") == 0);
  CHECK(ports(*obsd, kProtoTcp, "em0").accepted == PortSet(443, 443));
}

TEST_CASE(
    "pf: out rules do not affect inbound traffic; the out path has its "
    "own chain",
    "[pf]") {
  auto rs = load_pf(
      "block out all\n"
      "pass out proto tcp to port 443\n"
      "block in proto tcp to port 23\n");
  CHECK(ports(*rs, kProtoTcp).accepted == PortSet({{0, 22}, {24, 65535}}));
  CHECK(ports(*rs, kProtoTcp, nullptr, nullptr, Family::V4, Direction::Out).accepted == PortSet(443, 443));
}

TEST_CASE("pf: detection", "[pf]") {
  CHECK(pf::detect("# pf\next_if = \"em0\"\nset skip on lo\nblock in all\n"));
  CHECK(
      pf::detect("pass in on em0 proto tcp from any to (em0) port = https "
                 "flags S/SA keep state\n"));
  CHECK(pf::detect("@0 block drop in all\n  [ Evaluations: 1 Packets: 0 Bytes: 0 States: 0 ]\n"));
  CHECK_FALSE(pf::detect("*filter\n:INPUT DROP [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n"));
}

TEST_CASE("pf: expanded rule count follows pfctl's list expansion", "[pf]") {
  auto count = [](const std::string& text) {
    TextFile f;
    f.path = "count.conf";
    f.text = text;
    return pf::expanded_rule_count(pf::parse(f));
  };
  CHECK(count("pass in all\n") == 1);
  CHECK(count("pass in proto { tcp udp } to port { 80 443 8000:8080 }\n") == 6);
  CHECK(count("pass in on { em0 em1 } from { 10.0.0.0/8, 2001:db8::/32 } to 192.0.2.1\n") == 2);
  CHECK(count("block in inet6 from { 10.0.0.0/8, 2001:db8::/32 }\nanchor { pass out all }\n") == 2);
}

TEST_CASE("pf: pfctl -sr and -vvsr output (rule numbers and counter lines)", "[pf]") {
  auto rs = load_pf(
      "@0 block drop in all\n"
      "  [ Evaluations: 10        Packets: 0         Bytes: 0           States: 0     ]\n"
      "@1 pass in on em0 inet proto tcp from any to (em0) port = https flags S/SA keep state label \"web\" "
      "ridentifier 1000001\n"
      "@2 pass in on em0 inet proto tcp from any to any port 1023 >< 1030 flags S/SA keep state\n"
      "@3 anchor \"ftp-proxy/*\" all\n");
  CHECK(count(*rs, "FWM090") == 0);
  auto a = ports(*rs, kProtoTcp, "em0");
  CHECK(a.accepted.empty());             // the run-time anchor may decide anything after it
  CHECK(a.undetermined == all_ports());  // it could pass what the block denies, or block quick
  const Chain& in = rs->chains[static_cast<std::size_t>(rs->find_chain("pf in"))];
  bool found = false;
  for (const auto& r : in.rules)
    if (r.span.line == 3) {
      found = true;
      CHECK(r.text.rfind("pass in on em0", 0) == 0);
    }
  CHECK(found);
}

TEST_CASE("pf: include and load anchor read files next to the config", "[pf]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "fwm_pf_include_test";
  fs::create_directories(dir / "anchors");
  {
    std::ofstream(dir / "macros.conf") << "web = \"{ 80 443 }\"\n";
    std::ofstream(dir / "anchors" / "sfb.conf")
        << "pass in proto tcp to port 5061\nblock in quick proto tcp to port 23\n";
  }
  std::string conf =
      "include \"macros.conf\"\n"
      "block in all\n"
      "pass in proto tcp to port $web\n"
      "anchor \"sfb\"\n"
      "load anchor \"sfb\" from \"anchors/sfb.conf\"\n"
      "pass in proto tcp to port 23\n";
  auto rs = load_pf(conf, (dir / "pf.conf").string());
  CHECK(count(*rs, "FWM090") == 0);
  CHECK(count(*rs, "FWM091") == 0);
  CHECK(ports(*rs, kProtoTcp).accepted == PortSet({{80, 80}, {443, 443}, {5061, 5061}}));
  // Rules from the anchor file keep their own file and line.
  const Chain& in = rs->chains[static_cast<std::size_t>(rs->find_chain("pf in"))];
  bool found = false;
  for (const auto& r : in.rules)
    if (r.text == "block in quick proto tcp to port 23") {
      found = true;
      CHECK(r.span.line == 2);
      CHECK(r.span.file.str().find("sfb.conf") != std::string::npos);
    }
  CHECK(found);
  fs::remove_all(dir);
}

TEST_CASE("pf: macros are not expanded in quotes until used; FreeBSD quoted ranges in list macros", "[pf]") {
  auto rs = load_pf(
      "inner = \"10.0.0.0/8\"\n"
      "late = \"{ $inner 192.168.0.0/16 }\"\n"
      "range = \"{ '192.0.2.10 - 192.0.2.20' 198.51.100.1 }\"\n"
      "block in all\n"
      "pass in proto tcp from $late to port 22\n"
      "pass in proto tcp from $range to port 80\n");
  CHECK(count(*rs, "FWM090") == 0);
  CHECK(ports(*rs, kProtoTcp, nullptr, "10.1.1.1").accepted == PortSet(22, 22));
  CHECK(ports(*rs, kProtoTcp, nullptr, "192.168.3.3").accepted == PortSet(22, 22));
  CHECK(ports(*rs, kProtoTcp, nullptr, "192.0.2.15").accepted == PortSet(80, 80));
  CHECK(ports(*rs, kProtoTcp, nullptr, "192.0.2.21").accepted.empty());
}

TEST_CASE("pf: the forward path needs the in and the out pass", "[pf]") {
  auto rs = load_pf(
      "block all\n"
      "pass in on em0 proto tcp to 10.1.1.5 port 443\n"
      "pass out on em1 proto tcp to 10.1.1.5 port { 443 8443 }\n"
      "pass in on em0 proto tcp to 10.1.1.5 port 8443\n");
  Box q = Box::everything(Family::V4, rs->ifaces.size());
  q.proto = proto_only(kProtoTcp);
  q.in_iface.reset();
  q.in_iface.set(rs->ifaces.classify("em0"));
  q.out_iface.reset();
  q.out_iface.set(rs->ifaces.classify("em1"));
  q.dst = parse_address_expr("10.1.1.5").set.v4;
  const Pipeline* p = rs->pipeline(Family::V4, Direction::Forward);
  REQUIRE(p);
  auto v = port_verdicts(evaluate(*rs, *p, q).pieces, all_ports());
  CHECK(v.accepted == PortSet({{443, 443}, {8443, 8443}}));
  q.out_iface.reset();
  q.out_iface.set(rs->ifaces.classify("em2"));
  CHECK(port_verdicts(evaluate(*rs, *p, q).pieces, all_ports()).accepted.empty());
}

TEST_CASE("pf: inline suppressions from a trailing comment or a comment line right above", "[pf]") {
  auto rs = load_pf(
      "block in all\n"
      "# fwmatrix: ignore FWM021 -- admin access\n"
      "pass in proto tcp to port 22\n"
      "pass in proto tcp to port 2222 # fwmatrix: ignore FWM021, FWM022 -- alt ssh\n"
      "pass in proto tcp to port 2223\n");
  const Chain& in = rs->chains[static_cast<std::size_t>(rs->find_chain("pf in"))];
  std::map<int, std::vector<std::string>> by_line;
  for (const auto& r : in.rules) by_line[r.span.line] = r.suppressions;
  CHECK(by_line[3] == std::vector<std::string>{"FWM021"});
  CHECK(by_line[4] == std::vector<std::string>{"FWM021", "FWM022"});
  CHECK(by_line[5].empty());
}

// ---- issue 25: detection, rdr port ranges, match rdr-to in place, interface groups,
// real-world syntax.

namespace {

// Ports accepted / undetermined for packets to `dst` (an address expression).
test::PortAnswer ports_to(const Ruleset& rs, int proto, const char* dst, const char* iface = nullptr) {
  Box q = Box::everything(Family::V4, rs.ifaces.size());
  q.proto = proto_only(proto);
  q.dst = parse_address_expr(dst).set.of(Family::V4);
  if (iface) {
    q.in_iface.reset();
    q.in_iface.set(rs.ifaces.classify(iface));
  }
  const Pipeline* p = rs.pipeline(Family::V4, Direction::In);
  REQUIRE(p);
  auto r = evaluate(rs, *p, q);
  auto v = port_verdicts(r.pieces, all_ports());
  return {v.accepted, v.undetermined, r.problems};
}

std::string detected(const std::string& text) {
  TextFile f;
  f.path = "pf.conf";
  f.text = text;
  return detect_format(f);
}

}  // namespace

TEST_CASE("pf: files beginning with a table or an include are pf, not nftables", "[pf]") {
  // pf.conf(5): `table <name> ...` and `include "file"` are pf statements; nftables
  // tables are `table [family] name {` and its files may begin with include too.
  CHECK(detected("table <bruteforce> persist\nblock in quick from <bruteforce>\npass in all\n") == "pf");
  CHECK(detected("include \"/etc/pf.macros\"\n\npass in on $ext_if proto tcp to port 22\n") == "pf");
  CHECK(detected("table<spamd-white> persist\n") == "pf");
  CHECK(detected("include \"/etc/nftables.d/defines.nft\"\ntable inet filter {\n  chain input {\n  }\n}\n") ==
        "nftables");
  CHECK(detected("#!/usr/sbin/nft -f\nflush ruleset\ntable inet filter {\n}\n") == "nftables");
  CHECK_FALSE(pf::detect("include \"a.nft\"\ndefine lan = 10.0.0.0/8\n"));
  // Tabs between words, and a file of macros and rdr rules only.
  CHECK(detected("ext_if=\"em0\"\n\tpass\tin\ton\t$ext_if\tproto\ttcp\tto\tport\t22\n") == "pf");
  CHECK(detected("match\tin\tall\tscrub (no-df)\n") == "pf");
  CHECK(detected("ext_if = \"em0\"\nweb = \"10.0.0.2\"\nrdr pass on $ext_if proto tcp to port 80 -> $web\n") == "pf");
  CHECK(detected("no rdr on lo0 from any to any\n") == "pf");
  // and iptables stays iptables
  CHECK(detected("*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n") == "iptables");
}

TEST_CASE("pf: rdr-to and legacy rdr `port a:*` map a port range one to one", "[pf]") {
  // pf.conf(5), rdr-to: "match in ... port 2000:2999 rdr-to ... port 4000:* redirects port
  // 2000 to 4000, 2001 to 4001, ..., 2999 to 4999"; legacy rdr (FreeBSD pf.conf(5)): the
  // same with `-> ... port 4000:*`.
  for (const char* rdr : {"rdr on em0 proto tcp from any to any port 2000:2010 -> 10.0.0.5 port 4000:*\n",
                          "match in on em0 proto tcp to port 2000:2010 rdr-to 10.0.0.5 port 4000:*\n"}) {
    INFO(rdr);
    auto rs = load_pf(std::string(rdr) +
                      "block in all\n"
                      "pass in proto tcp to 10.0.0.5 port 4005\n"
                      "pass in proto tcp to 10.0.0.5 port 4008:4100\n");
    CHECK(count(*rs, "FWM090") == 0);
    auto a = ports(*rs, kProtoTcp, "em0");
    INFO(format_ports(a.accepted) << " / " << format_ports(a.undetermined));
    CHECK(a.accepted == PortSet({{2005, 2005}, {2008, 2010}}));
    CHECK(a.undetermined.empty());
  }
  // A single target port takes the whole range.
  auto one = load_pf(
      "rdr on em0 proto tcp from any to any port 2000:2010 -> 10.0.0.5 port 4000\n"
      "block in all\n"
      "pass in proto tcp to 10.0.0.5 port 4000\n");
  CHECK(ports(*one, kProtoTcp, "em0").accepted == PortSet(2000, 2010));
  // An explicit target range wraps around (pf_get_transaddr: (port - first) % size + start):
  // 2000 -> 4000, 2001 -> 4001, 2002 -> 4000, ...
  auto wrap = load_pf(
      "rdr on em0 proto tcp from any to any port 2000:2005 -> 10.0.0.5 port 4000:4001\n"
      "block in all\n"
      "pass in proto tcp to 10.0.0.5 port 4001\n");
  auto w = ports(*wrap, kProtoTcp, "em0");
  CHECK(w.accepted == PortSet({{2001, 2001}, {2003, 2003}, {2005, 2005}}));
  CHECK(w.undetermined.empty());
}

TEST_CASE("pf: match rdr-to translates for the rules after it only", "[pf]") {
  // pf.conf(5), match: nat-to, binat-to, rdr-to ... become "sticky" for the rules after
  // the match rule; a rule before it has already been evaluated on the packet as it came.
  auto before = load_pf(
      "block in all\n"
      "pass in proto tcp to 10.0.0.5 port 80\n"
      "match in proto tcp to 192.0.2.1 port 8080 rdr-to 10.0.0.5 port 80\n");
  CHECK(count(*before, "FWM090") == 0);
  CHECK(ports_to(*before, kProtoTcp, "192.0.2.1").accepted.empty());  // the pass saw 192.0.2.1:8080
  CHECK(ports_to(*before, kProtoTcp, "192.0.2.1").undetermined.empty());
  CHECK(ports_to(*before, kProtoTcp, "10.0.0.5").accepted == PortSet(80, 80));
  auto after = load_pf(
      "block in all\n"
      "match in proto tcp to 192.0.2.1 port 8080 rdr-to 10.0.0.5 port 80\n"
      "pass in proto tcp to 10.0.0.5 port 80\n");
  CHECK(ports_to(*after, kProtoTcp, "192.0.2.1").accepted == PortSet(8080, 8080));
  // A later block of the original port does not see it any more; an earlier quick
  // block of the original destination still decides.
  auto both = load_pf(
      "block in quick proto tcp to 192.0.2.1 port 8081\n"
      "pass in all\n"
      "match in proto tcp to 192.0.2.1 port 8080:8081 rdr-to 10.0.0.5 port 80\n"
      "block in proto tcp to 192.0.2.1 port 8080\n");
  auto b = ports_to(*both, kProtoTcp, "192.0.2.1");
  CHECK(b.accepted.contains(8080));
  CHECK_FALSE(b.accepted.contains(8081));
  CHECK(b.undetermined.empty());
}

namespace {

// Forwarded from em0 to em1, to `dst`: ports accepted / undetermined.
test::PortAnswer forwarded_to(const Ruleset& rs, int proto, const char* dst) {
  Box q = Box::everything(Family::V4, rs.ifaces.size());
  q.proto = proto_only(proto);
  q.in_iface.reset();
  q.in_iface.set(rs.ifaces.classify("em0"));
  q.out_iface.reset();
  q.out_iface.set(rs.ifaces.classify("em1"));
  q.dst = parse_address_expr(dst).set.v4;
  const Pipeline* p = rs.pipeline(Family::V4, Direction::Forward);
  REQUIRE(p);
  auto r = evaluate(rs, *p, q);
  auto v = port_verdicts(r.pieces, all_ports());
  return {v.accepted, v.undetermined, r.problems};
}

}  // namespace

TEST_CASE("pf: every match rdr-to translates in place, one after the other", "[pf]") {
  // pf.c pf_test_rule: a matching match rule calls pf_get_transaddr at once, and every
  // later rule is matched against the translated destination (pd->ndaddr, pd->ndport),
  // a later match rdr-to included; the rules before it saw the packet as it came.
  auto chained = load_pf(
      "block in all\n"
      "match in proto tcp to 192.0.2.1 port 8080 rdr-to 10.0.0.5 port 80\n"
      "pass in proto tcp to 10.0.0.5 port 80\n"
      "match in proto tcp to 10.0.0.5 port 80 rdr-to 10.0.0.7 port 8000\n"
      "block in proto tcp to 10.0.0.7 port 8000\n");
  CHECK(count(*chained, "FWM090") == 0);
  CHECK(count(*chained, "FWM091") == 0);
  // 192.0.2.1:8080 -> 10.0.0.5:80 (passed) -> 10.0.0.7:8000 (blocked, the last match).
  auto c = ports_to(*chained, kProtoTcp, "192.0.2.1");
  CHECK(c.accepted.empty());
  CHECK(c.undetermined.empty());
  CHECK(ports_to(*chained, kProtoTcp, "10.0.0.5").accepted.empty());
  // The second one alone, after a pass that sees the packet before it.
  auto second = load_pf(
      "block in all\n"
      "match in proto tcp to 192.0.2.1 port 8080 rdr-to 10.0.0.5 port 80\n"
      "pass in proto tcp to 192.0.2.1 port 8443\n"
      "match in proto tcp to 192.0.2.1 port 8443 rdr-to 10.0.0.6 port 443\n"
      "block in proto tcp to 192.0.2.1 port 8443\n"
      "pass in proto tcp to 10.0.0.5 port 80\n");
  CHECK(count(*second, "FWM091") == 0);
  auto s = ports_to(*second, kProtoTcp, "192.0.2.1");
  // 8443 is passed before the translation, and the block after it sees 10.0.0.6:443.
  CHECK(s.accepted == PortSet({{8080, 8080}, {8443, 8443}}));
  CHECK(s.undetermined.empty());
}

TEST_CASE("pf: match rdr-to inside an anchor translates in place, under the anchor's conditions", "[pf]") {
  // pf.conf(5) ANCHORS: the rules of an anchor are evaluated where the anchor rule is, for
  // the packets its own conditions match.
  auto rs = load_pf(
      "block in all\n"
      "pass in proto tcp to 192.0.2.1 port 8081\n"
      "anchor \"fwd\" on em0 {\n"
      "  match in proto tcp to 192.0.2.1 port 8080:8081 rdr-to 10.0.0.5 port 80\n"
      "}\n"
      "pass in proto tcp to 10.0.0.5 port 80\n");
  CHECK(count(*rs, "FWM090") == 0);
  CHECK(count(*rs, "FWM091") == 0);
  auto em0 = ports_to(*rs, kProtoTcp, "192.0.2.1", "em0");
  CHECK(em0.accepted == PortSet(8080, 8081));  // 8081: passed before the anchor, and after it
  CHECK(em0.undetermined.empty());
  auto em1 = ports_to(*rs, kProtoTcp, "192.0.2.1", "em1");  // the anchor does not apply
  CHECK(em1.accepted == PortSet(8081, 8081));
  CHECK(em1.undetermined.empty());
  // A quick anchor ends the walk when a pass/block rule inside matched, after the
  // translation its match rule made.
  auto quick = load_pf(
      "block in all\n"
      "anchor \"q\" quick {\n"
      "  match in proto tcp to 192.0.2.1 port 8080 rdr-to 10.0.0.5 port 80\n"
      "  block in proto tcp to 10.0.0.5 port 80\n"
      "}\n"
      "pass in proto tcp to 10.0.0.5 port 80\n"
      "pass in proto tcp to 192.0.2.1 port 8080\n");
  auto q = ports_to(*quick, kProtoTcp, "192.0.2.1");
  CHECK(q.accepted.empty());
  CHECK(q.undetermined.empty());
}

TEST_CASE("pf: binat-to translates inbound packets to its address back to the source", "[pf]") {
  // pfctl -nv (regress pf17.ok): `match on lo0 from 192.168.1.1 to any binat-to 10.0.0.1`
  // loads `match out ... nat-to 10.0.0.1 static-port` and `match in on lo0 inet from any
  // to 10.0.0.1 rdr-to 192.168.1.1`: the rule itself is outbound only.
  for (const char* order : {"first", "after a filter rule"}) {
    INFO(order);
    const std::string binat = "match on em0 from 10.0.0.2 to any binat-to 192.0.2.10\n";
    const std::string block = "block in all\n";
    auto rs = load_pf((std::string(order) == "first" ? binat + block : block + binat) +
                      "pass in on em0 proto tcp to 10.0.0.2 port 22\n");
    CHECK(count(*rs, "FWM090") == 0);
    auto in = ports_to(*rs, kProtoTcp, "192.0.2.10", "em0");
    CHECK(in.accepted == PortSet(22, 22));
    CHECK(in.undetermined.empty());
    CHECK(ports_to(*rs, kProtoTcp, "192.0.2.10", "em1").accepted.empty());  // on em0 only
  }
  TextFile f;
  f.path = "pf.conf";
  f.text =
      "match on lo0 from 192.168.1.1 to any binat-to 10.0.0.1\n"
      "pass on lo0 from 10/8 to 11/8 binat-to 12/8\n";
  CHECK(pf::expanded_rule_count(pf::parse(f)) == 4);  // as pfctl -nv prints (pf17.ok, pf80.ok)
}

TEST_CASE("pf: forward out pass keeps what the inbound walk translated, no more", "[pf]") {
  // A quick rule of the inbound walk ends it before the match rule: the packet keeps its
  // destination, and the out pass on em1 sees it so.
  auto rs = load_pf(
      "block all\n"
      "pass in quick on em0 proto tcp to 192.0.2.1 port 8080\n"
      "match in on em0 proto tcp to 192.0.2.1 port 8080:8081 rdr-to 10.0.0.5 port 80\n"
      "pass in on em0 proto tcp to 10.0.0.5 port 80\n"
      "pass out on em1 proto tcp to 192.0.2.1 port 8080\n");
  CHECK(count(*rs, "FWM090") == 0);
  auto f = forwarded_to(*rs, kProtoTcp, "192.0.2.1");
  CHECK(f.accepted == PortSet(8080, 8080));  // 8081 leaves em1 as 10.0.0.5:80, not passed out
  CHECK(f.undetermined.empty());
  auto both = load_pf(
      "block all\n"
      "pass in quick on em0 proto tcp to 192.0.2.1 port 8080\n"
      "match in on em0 proto tcp to 192.0.2.1 port 8080:8081 rdr-to 10.0.0.5 port 80\n"
      "pass in on em0 proto tcp to 10.0.0.5 port 80\n"
      "pass out on em1 proto tcp to { 192.0.2.1 10.0.0.5 } port { 80 8080 }\n");
  CHECK(forwarded_to(*both, kProtoTcp, "192.0.2.1").accepted == PortSet(8080, 8081));
  auto without = load_pf(
      "block all\n"
      "match in on em0 proto tcp to 192.0.2.1 port 8080:8081 rdr-to 10.0.0.5 port 80\n"
      "pass in on em0 proto tcp to 10.0.0.5 port 80\n"
      "pass out on em1 proto tcp to 192.0.2.1 port 8080\n");
  CHECK(forwarded_to(*without, kProtoTcp, "192.0.2.1").accepted.empty());
}

TEST_CASE("pf: interface groups: clone families exact, other members undetermined", "[pf]") {
  // ifconfig(8): cloned interfaces are members of their interface family group (vlan5 is
  // in vlan); `ifconfig IF group NAME` adds any interface to any group at run time, and
  // OpenBSD's egress holds the interfaces of the default routes.
  auto rs = load_pf(
      "block in all\n"
      "pass in on vlan proto tcp to port 22\n"
      "pass in on egress proto tcp to port 443\n"
      "pass in on em1 proto tcp to port 25\n");
  CHECK(count(*rs, "FWM090") == 0);
  auto vlan5 = ports(*rs, kProtoTcp, "vlan5");
  CHECK(vlan5.accepted.contains(22));
  CHECK(vlan5.undetermined.contains(443));  // vlan5 may hold the default route
  auto em0 = ports(*rs, kProtoTcp, "em0");
  CHECK_FALSE(em0.accepted.contains(22));
  CHECK(em0.undetermined.contains(22));  // not "closed": em0 may be put in group vlan
  CHECK(em0.undetermined.contains(443));
  CHECK_FALSE(em0.accepted.contains(25));
  CHECK_FALSE(em0.undetermined.contains(25));  // an interface name is exact
  auto egress = ports(*rs, kProtoTcp, "egress");
  CHECK(egress.accepted.contains(443));
  const Diagnostic* note = nullptr;
  for (const auto& d : rs->diagnostics)
    if (d.id == "FWM091" && d.message.find("'on egress'") != std::string::npos) note = &d;
  REQUIRE(note);
  CHECK(note->message.find("run time") != std::string::npos);
  // set skip on a group: skipped for sure on its clone family, maybe elsewhere.
  auto skip = load_pf("set skip on tun\nblock in all\n");
  CHECK(ports(*skip, kProtoTcp, "tun0").accepted == all_ports());
  CHECK(ports(*skip, kProtoTcp, "em0").undetermined == all_ports());
}

TEST_CASE("pf: real-world syntax from issue 25", "[pf]") {
  // pfctl's lexer (parse.y lgetc): a backslash not before a newline yields the next
  // character, so `\ # comment` in a continued table body is a blank and a comment.
  auto table = load_pf(
      "table <martians> { 0.0.0.0/8 10.0.0.0/8 \\   # RFC 1918\n"
      "                   127.0.0.0/8 \\\n"
      "                   # loopback above, link-local below\n"
      "                   169.254.0.0/16 }\n"
      "block in quick from <martians>\n");
  CHECK(count(*table, "FWM090") == 0);
  CHECK(ports(*table, kProtoTcp, nullptr, "127.0.0.5").accepted.empty());
  CHECK(ports(*table, kProtoTcp, nullptr, "169.254.1.1").accepted.empty());
  CHECK(ports(*table, kProtoTcp, nullptr, "192.0.2.1").accepted == all_ports());
  // pf.conf(5) MACROS: a macro is text, so it may hold a rule's beginning or its state
  // options.
  auto macros = load_pf(
      "allow = \"pass in quick\"\n"
      "synstate = \"flags S/SA synproxy state\"\n"
      "limits = \"keep state (max-src-conn 100, max-src-conn-rate 15/5, overload <bruteforce> flush global)\"\n"
      "table <bruteforce> persist\n"
      "block in all\n"
      "$allow on em0 proto tcp to port 80 $synstate\n"
      "$allow on em0 proto tcp to port 22 $limits\n");
  CHECK(count(*macros, "FWM090") == 0);
  auto m = ports(*macros, kProtoTcp, "em0");
  CHECK(m.accepted == PortSet(80, 80));
  CHECK(m.undetermined == PortSet(22, 22));  // state limits are not modelled
  // `anchor "x"{` without a blank; FQ-CoDel queues (pf.conf(5) QUEUEING: flows, quantum);
  // antispoof for a list of dynamic interfaces; `log (all)`.
  auto misc = load_pf(
      "queue rootq on em0 bandwidth 100M max 100M flows 1024 quantum 1514 qlimit 1024 default\n"
      "antispoof for { (egress) (enc) }\n"
      "block in all\n"
      "anchor \"web\"{\n"
      "  pass in proto tcp to port 443\n"
      "}\n"
      "anchor ssh{\n"
      "  pass in log (all) proto tcp to port 22\n"
      "}\n"
      "pass log (all, to pflog1) proto tcp to port 25\n");
  for (const auto& d : misc->diagnostics)
    if (d.id == "FWM090") FAIL_CHECK(d.span.line << ": " << d.message);
  auto t = ports(*misc, kProtoTcp, "em0", "192.0.2.1");
  CHECK(t.accepted == PortSet({{22, 22}, {25, 25}, {443, 443}}));
}

TEST_CASE("pf: pfctl's semantic checks reject what pfctl rejects", "[pf]") {
  // pfctl parse.y and pfctl_queue.c, with the regress pfail file and the message pfctl
  // prints (its .ok file).
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"pass in inet6 proto icmp all\n", "proto icmp doesn't match address family inet6"},      // pfail2
      {"pass in inet proto ipv6-icmp all\n", "proto icmp6 doesn't match address family inet"},  // pfail3
      {"block in tag thistagismuchtoooooooloooooooongthistagismuchtoooooooloooooooong\n",
       "tag too long, max 63 chars"},  // pfail37
      {"pass in tagged thistagismuchtoooooooloooooooongthistagismuchtoooooooloooooooong\n",
       "tag too long, max 63 chars"},
      {"set hostid 0\n", "hostid must be non-zero"},                            // pfail47
      {"match scrub(no-df no-df)\n", "no-df cannot be respecified"},            // pfail25
      {"match scrub(min-ttl 4 min-ttl 5)\n", "min-ttl cannot be respecified"},  // pfail25
      {"match in all scrub(min-ttl 256)\n", "illegal min-ttl value 256"},       // pfail25
      {"pass in inet6 proto tcp to port 25 divert-to 127.0.0.1 port 8025\n", "divert-to address family mismatch"},
      {"pass divert-to 127.0.0.1 port 1 divert-reply\n", "more than one divert option"},              // pfail63
      {"pass out divert-to 127.0.0.1 port 1\n", "divert-to used with outgoing rule"},                 // pfail66
      {"pass in divert-reply\n", "divert-reply used with incoming rule"},                             // pfail67
      {"match out on lo0 from any to 10/8 nat-to 10.0.0.0.1\n", "invalid address '10.0.0.0.1'"},      // pfail41
      {"match out on lo0 from any to any nat-to (10.1.2.3)\n", "invalid interface name '10.1.2.3'"},  // pfail49
      {"queue root on em0 bandwidth 1G\nqueue def on em0 parent root bandwidth 1M default\npass set queue x\n",
       "queue x is not defined"},  // pfail54
      {"queue rootq on em0 bandwidth 100M\nqueue defq parent rootq bandwidth 50M\n",
       "no default queue specified"},  // pfail58
      {"queue rootq on em0 bandwidth 1M\nqueue defq parent rootq flows 100 default\n",
       "queue defq: no bandwidth was specified"},  // pfail59
      {"queue rootq on em0 bandwidth 1M flows 100\nqueue defq parent rootq bandwidth 500K default\n",
       "flow queue rootq is not a leaf queue"},  // pfail60
      {"queue rootq on em0 bandwidth 1M flows 100 default\nqueue defq parent rootq bandwidth 500K\n",
       "default queue rootq is not a leaf queue"},  // pfail61
      {"queue rootq on em0 bandwidth 1M\nqueue defq parent rootq default\n",
       "no bandwidth or flow specification"},  // pfail62
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto rs = load_pf(c.text);
    const Diagnostic* e = first(*rs, "FWM090");
    REQUIRE(e);
    CHECK(e->message.find(c.message) != std::string::npos);
  }
  // What pfctl accepts (regress pf105, FreeBSD pf0104, pf.conf(5) examples).
  for (const char* ok : {
           "queue rootq on em0 flows 100\n",                       // a lone flow queue needs no default
           "pass in inet6 proto tcp to port 25 divert-to 8025\n",  // FreeBSD: a port only
           "pass in inet proto tcp to port 25 divert-to 127.0.0.1 port 8025\n",
           "pass out divert-reply\n",
           "pass in proto icmp all\npass in inet6 proto icmp6 all\n",
           "queue std on em0 bandwidth 100M\nqueue ssh parent std bandwidth 10M\n"
           "queue web parent std bandwidth 50M default\npass in proto tcp to port 22 set queue ssh\n",
           "match in all scrub (no-df random-id max-mss 1440 min-ttl 255)\n",
           "set hostid 0x1234\n",
           // ALTQ: children in braces, the default in the scheduler's options
           "altq on em0 cbq bandwidth 10Mb queue { std, ssh }\nqueue std on em0 bandwidth 50% cbq(default)\n"
           "queue ssh bandwidth 10% cbq\npass in proto tcp to port 22 queue ssh\n",
           "match out on egress from 10.0.0.0/8 nat-to (egress:0)\n",
       }) {
    INFO(ok);
    auto rs = load_pf(ok);
    const Diagnostic* e = first(*rs, "FWM090");
    CHECK_FALSE(e);
    if (e) FAIL_CHECK(e->message);
  }
}

TEST_CASE("pf: rules restated for translated packets are not reported unreached (FWM030)", "[pf][anomalies]") {
  // The chains a match rdr-to adds repeat the rules for the packets it translates; a rule
  // is never reached only if none of its statement's rules is (northox-openbsd-apu2's
  // pf.conf gave 15 FWM030 on such copies). A rule before the match rule that only
  // translated packets meet (line 2) is reached, in the chain of the translated ones.
  auto rs = load_pf(
      "block in all\n"
      "pass in on em1 proto udp to any port 123\n"
      "match in on em1 proto udp to any port 123 rdr-to 192.168.1.1\n"
      "block in quick on em0 from 10.0.0.0/8\n"
      "pass in on em1 proto udp to 192.168.1.1 port 123\n"
      "pass in on em0 proto tcp to port 22\n");
  REQUIRE(count(*rs, "FWM090") == 0);
  AnalysisRequest request;
  std::vector<std::string> notes;
  std::vector<int> lines;
  for (auto& f : analyze(*rs, request, notes))
    if (f.rule_id == "FWM030") lines.push_back(f.location.line);
  CHECK(lines.empty());
  // A rule that is truly never reached still is: the block after the match rule never
  // meets the untranslated destination.
  auto dead = load_pf(
      "pass in all\n"
      "match in on em1 proto udp to 192.0.2.1 port 123 rdr-to 192.168.1.1\n"
      "block in quick on em1 proto udp to 192.0.2.1 port 123\n");
  std::set<int> dead_lines;  // once per path it is on (in, forward)
  for (auto& f : analyze(*dead, request, notes))
    if (f.rule_id == "FWM030") dead_lines.insert(f.location.line);
  CHECK(dead_lines == std::set<int>{3});
}
