// IPsec policy readers, the IPsec evaluation and the exemption checks.
#include <set>

#include "checks/analysis.h"
#include "checks/ipsec_media.h"
#include "frontends/frontend.h"
#include "frontends/ipsec/ipsec_reader.h"
#include "fwm_catch.hpp"
#include "ir/services.h"
#include "matrix/pack.h"

using namespace fwm;

namespace {

std::unique_ptr<IpsecPolicy> load(const std::string& name, const std::string& text, const std::string& format = "") {
  auto r = ipsec::load_ipsec_policy_bytes(name, text, format);
  INFO(r.error);
  REQUIRE(r.policy);
  return std::move(r.policy);
}

// Local ports of an inbound/outbound query with verdict v.
PortSet ports_with(const IpsecPolicy& p, Direction d, int proto, IpsecVerdict v, const PortSet& universe = all_ports(),
                   const char* local = "10.0.0.5") {
  IpsecBox q = IpsecBox::everything(Family::V4, d);
  q.proto = proto_only(proto);
  q.local_port = universe;
  q.local_addr = parse_address_expr(local).set.v4;
  auto r = evaluate_ipsec(p, q);
  // A port has verdict v when every piece containing it has verdict v.
  PortSet with, without;
  for (const auto& piece : r.pieces) (piece.verdict == v ? with : without).add(piece.box.local_port);
  return with.subtract(without);
}

}  // namespace

TEST_CASE("ipsec evaluation: first match in rank order, exact intervals, no enumeration", "[ipsec]") {
  IpsecPolicy p;
  p.file = "mem";
  IpsecEntry bypass;
  bypass.action = IpsecAction::Bypass;
  bypass.selector.proto = proto_only(kProtoUdp);
  bypass.selector.local_port = PortSet(49152, 50000);
  bypass.rank = {0};
  IpsecEntry protect;
  protect.action = IpsecAction::Protect;
  protect.selector.remote_addr = parse_address_expr("10.0.0.0/8").set;
  protect.rank = {1};
  p.entries = {protect, bypass};  // file order reversed: rank decides
  for (std::size_t i = 0; i < p.entries.size(); ++i) p.entries[i].position = static_cast<int>(i);

  IpsecBox q = IpsecBox::everything(Family::V4, Direction::In);
  q.proto = proto_only(kProtoUdp);
  q.local_port = PortSet(49152, 57500);
  auto r = evaluate_ipsec(p, q);
  PortSet bypassed, protected_ports;
  AddrIntervals protected_peers;
  for (const auto& piece : r.pieces) {
    if (piece.verdict == IpsecVerdict::Bypass && piece.decider) bypassed.add(piece.box.local_port);
    if (piece.verdict == IpsecVerdict::Protect) {
      protected_ports.add(piece.box.local_port);
      protected_peers.add(piece.box.remote_addr);
      CHECK(piece.decider == &p.entries[0]);
    }
  }
  CHECK(bypassed == PortSet(49152, 50000));
  CHECK(protected_ports == PortSet(50001, 57500));
  CHECK(protected_peers == parse_address_expr("10.0.0.0/8").set.v4);
  CHECK(r.pieces.size() < 10);

  SECTION("an entry with an unknown condition makes the differing part undetermined") {
    p.entries[1].selector.unknowns.push_back("test condition");
    auto r2 = evaluate_ipsec(p, q);
    PortSet undetermined;
    for (const auto& piece : r2.pieces)
      if (piece.verdict == IpsecVerdict::Undetermined) {
        undetermined.add(piece.box.local_port);
        CHECK(piece.uncertain_by == &p.entries[1]);
      }
    CHECK(undetermined == PortSet(49152, 50000));
  }
  SECTION("entries for the other direction or family do not match") {
    p.entries[0].selector.inbound = false;
    auto r3 = evaluate_ipsec(p, q);
    for (const auto& piece : r3.pieces) CHECK(piece.verdict == IpsecVerdict::Bypass);
  }
}

TEST_CASE("ipsec box subtraction gives disjoint pieces that cover the rest", "[ipsec]") {
  IpsecBox box = IpsecBox::everything(Family::V4, Direction::In);
  IpsecSelector sel;
  sel.proto = proto_only(kProtoUdp);
  sel.local_port = PortSet(1000, 2000);
  sel.remote_addr = parse_address_expr("192.0.2.0/24").set;
  auto rest = ipsec_subtract(box, sel);
  auto inside = ipsec_intersect(box, sel);
  REQUIRE(inside);
  CHECK(inside->local_port == PortSet(1000, 2000));
  // UDP, port 1500, peer 192.0.2.7 is only inside; UDP port 999 is in exactly one rest piece.
  int hits = 0;
  for (const auto& b : rest)
    if (b.proto.test(kProtoUdp) && b.local_port.contains(999) && b.remote_addr.contains(0xC0000207)) ++hits;
  CHECK(hits == 1);
  for (const auto& b : rest)
    CHECK_FALSE((b.proto.test(kProtoUdp) && b.local_port.contains(1500) && b.remote_addr.contains(0xC0000207)));
}

TEST_CASE("ipsec.conf: passthrough shunts with auto=route bypass, others are not installed", "[ipsec]") {
  auto p = load("ipsec.conf", R"(config setup
	charondebug=all

conn %default
	keyexchange=ikev2

conn internal
	left=10.0.0.5
	leftsubnet=10.0.0.5/32
	rightsubnet=10.0.0.0/8
	type=transport
	auto=route

conn media-udp   # fwmatrix: ignore FWM011 -- narrow on purpose
	leftsubnet=10.0.0.5/32
	rightsubnet=0.0.0.0/0
	leftprotoport=udp/%any
	type=passthrough
	auto=route

conn media-tcp
	also=tcp-proto
	leftsubnet=10.0.0.5/32
	type=passthrough
	auto=add

conn tcp-proto
	leftprotoport=tcp/%any
)");
  CHECK(p->format == "ipsec.conf");
  CHECK(p->diagnostics.empty());
  REQUIRE(p->entries.size() == 4);
  CHECK(p->entries[0].action == IpsecAction::Protect);
  CHECK(p->entries[1].action == IpsecAction::Bypass);
  CHECK(p->entries[1].installed);
  CHECK(p->entries[1].span.line == 14);
  CHECK(p->entries[1].suppressions == std::vector<std::string>{"FWM011"});
  CHECK_FALSE(p->entries[2].installed);  // auto=add shunt
  REQUIRE(p->entries[2].selector.proto);
  CHECK(p->entries[2].selector.proto->test(kProtoTcp));  // from also=
  // UDP bypassed everywhere, TCP protected for internal peers (the shunt is not routed).
  CHECK(ports_with(*p, Direction::In, kProtoUdp, IpsecVerdict::Bypass) == all_ports());
  CHECK(ports_with(*p, Direction::In, kProtoTcp, IpsecVerdict::Protect).empty());  // only for 10/8 peers
  IpsecBox q = IpsecBox::everything(Family::V4, Direction::In);
  q.proto = proto_only(kProtoTcp);
  q.remote_addr = parse_address_expr("10.1.1.1").set.v4;
  q.local_addr = parse_address_expr("10.0.0.5").set.v4;
  auto r = evaluate_ipsec(*p, q);
  REQUIRE(r.pieces.size() == 1);
  CHECK(r.pieces[0].verdict == IpsecVerdict::Protect);
  CHECK(r.pieces[0].decider->name == "internal");
}

TEST_CASE("ipsec.conf: errors carry line and column, unknown values are undetermined", "[ipsec]") {
  auto p = load("bad.conf",
                "conn a\n\ttype=passthrough\n\tauto=route\n\tleftsubnet=PH_IP_X/32\nleftprotoport=udp\n"
                "conn b\n\ttype=sideways\n");
  REQUIRE(p->diagnostics.size() == 2);
  CHECK(p->diagnostics[0].span.line == 5);
  CHECK(p->diagnostics[0].message.find("indented") != std::string::npos);
  CHECK(p->diagnostics[1].message.find("unknown type 'sideways'") != std::string::npos);
  // The unparsed lines count as an unknown entry ahead of the others.
  REQUIRE(p->entries.size() == 2);
  CHECK(p->entries[0].text.find("could not be parsed (2 errors") != std::string::npos);
  CHECK_FALSE(p->entries[1].selector.unknowns.empty());
}

TEST_CASE("swanctl.conf: pass children with trap bypass, ranges in traffic selectors", "[ipsec]") {
  auto p = load("swanctl.conf", R"(connections {
   bypass {
      children {
         udp-media {
            local_ts = 10.0.0.5/32[udp/49152-57500], 10.0.0.5/32[udp/57501-65535]
            remote_ts = 0.0.0.0/0
            mode = pass
            start_action = trap
         }
         untrapped {
            local_ts = 10.0.0.5/32[tcp]
            mode = pass
         }
      }
   }
   vpn : bypass {
      remote_addrs = 192.0.2.1
      children {
         net {
            local_ts = 10.0.0.0/8
            remote_ts = 10.0.0.0/8
            mode = tunnel
            start_action = trap
         }
      }
   }
}
)");
  CHECK(p->format == "swanctl");
  CHECK(p->diagnostics.empty());
  REQUIRE(p->entries.size() == 4);
  CHECK(p->entries[0].selector.local_port == PortSet(49152, 57500));
  CHECK(p->entries[1].selector.local_port == PortSet(57501, 65535));
  CHECK_FALSE(p->entries[2].installed);
  CHECK(ports_with(*p, Direction::In, kProtoUdp, IpsecVerdict::Bypass, PortSet(49152, 65535)) == PortSet(49152, 65535));
  CHECK(ports_with(*p, Direction::In, kProtoTcp, IpsecVerdict::Bypass, PortSet(49152, 65535)).empty());

  auto bad =
      load("bad-swanctl.conf", "connections {\n  a {\n    children {\n      c { mode = pass }\n  }\n}\n", "swanctl");
  REQUIRE_FALSE(bad->diagnostics.empty());
  CHECK(bad->diagnostics[0].id == "FWM090");
  CHECK(bad->diagnostics[0].span.line == 7);
}

TEST_CASE("setkey: none bypasses, ipsec protects, file order decides, ranges are errors", "[ipsec]") {
  auto p = load("setkey.conf", R"(flush;
spdflush;
spdadd 0.0.0.0/0 10.0.0.5/32[5061] tcp -P in ipsec
    esp/transport//require;
spdadd 0.0.0.0/0 10.0.0.5/32[any] tcp -P in none;
spdadd 10.0.0.5/32[any] 0.0.0.0/0 udp -P out discard;
)");
  CHECK(p->format == "setkey");
  CHECK(p->diagnostics.empty());
  REQUIRE(p->entries.size() == 3);
  CHECK(p->entries[0].span.line == 3);
  CHECK(p->entries[0].text == "spdadd 0.0.0.0/0 10.0.0.5/32[5061] tcp -P in ipsec esp/transport//require;");
  CHECK(ports_with(*p, Direction::In, kProtoTcp, IpsecVerdict::Protect) == PortSet::single(5061));
  CHECK(ports_with(*p, Direction::In, kProtoTcp, IpsecVerdict::Bypass) ==
        PortSet(0, 65535).subtract(PortSet::single(5061)));
  CHECK(ports_with(*p, Direction::Out, kProtoUdp, IpsecVerdict::Discard) == all_ports());

  auto bad = load("bad.conf",
                  "spdadd 0.0.0.0/0 10.0.0.5/32[49152-57500] udp -P in none;\nspdadd 1.2.3.4 5.6.7.8 any -P in none\n",
                  "setkey");
  // Each command is parsed on its own: both errors are reported.
  REQUIRE(bad->diagnostics.size() == 2);
  CHECK(bad->diagnostics[0].span.line == 1);
  CHECK(bad->diagnostics[1].span.line == 2);
  CHECK(bad->diagnostics[1].message.find("';'") != std::string::npos);
  auto garbled =
      load("garbled.conf", "spdadd 1.2.3.4 -P in none;\nspdadd 0.0.0.0/0 10.0.0.5/32 any -P in none;\n", "setkey");
  REQUIRE(garbled->diagnostics.size() == 1);
  CHECK(garbled->diagnostics[0].span.line == 1);
  CHECK(garbled->diagnostics[0].span.column > 1);
  CHECK(garbled->entries.size() == 2);  // the unparsed command, the bypass
  auto ranged = load("ranged.conf", "spdadd 0.0.0.0/0 10.0.0.5/32[49152-57500] udp -P in none;\n", "setkey");
  REQUIRE(ranged->diagnostics.size() == 1);
  CHECK(ranged->diagnostics[0].message.find("no ranges") != std::string::npos);
  CHECK(ranged->diagnostics[0].span.column == 18);
}

TEST_CASE("OpenBSD ipsec.conf: bypass flows with macros and lists", "[ipsec]") {
  auto p = load("obsd.conf", R"(host = "10.0.0.5"
flow in proto udp from any to $host type bypass
flow out proto { udp, tcp } from $host to any \
   type bypass
flow esp from $host to 10.0.0.0/8 peer 10.0.0.1
)");
  CHECK(p->format == "openbsd-ipsec");
  CHECK(p->diagnostics.empty());
  REQUIRE(p->entries.size() == 4);
  CHECK_FALSE(p->entries[0].selector.outbound);
  CHECK(p->entries[3].action == IpsecAction::Protect);
  // Most specific covering flow: the ESP flow to 10/8 beats the bypass for internal peers.
  IpsecBox q = IpsecBox::everything(Family::V4, Direction::In);
  q.proto = proto_only(kProtoUdp);
  q.local_addr = parse_address_expr("10.0.0.5").set.v4;
  auto r = evaluate_ipsec(*p, q);
  AddrIntervals protected_peers;
  for (const auto& piece : r.pieces)
    if (piece.verdict == IpsecVerdict::Protect) protected_peers.add(piece.box.remote_addr);
  CHECK(protected_peers == parse_address_expr("10.0.0.0/8").set.v4);
  auto bad = load("obsd-bad.conf", "flow in proto udp from any to $nohost type bypass\n", "openbsd-ipsec");
  REQUIRE(bad->diagnostics.size() == 1);
  CHECK(bad->diagnostics[0].message.find("$nohost") != std::string::npos);
}

TEST_CASE("ip xfrm policy: lowest priority wins, templates protect, socket policies ignored", "[ipsec]") {
  auto p = load("xfrm.txt", R"(src 0.0.0.0/0 dst 10.0.0.5/32 proto udp dport 49152
	dir in priority 183351 ptype main
src 0.0.0.0/0 dst 10.0.0.5/32
	dir in priority 379520 ptype main
	tmpl src 192.0.2.9 dst 0.0.0.0
		proto esp reqid 1 mode tunnel
src 0.0.0.0/0 dst 10.0.0.5/32 proto tcp dport 445
	dir in action block priority 583295 ptype main
src 0.0.0.0/0 dst 0.0.0.0/0
	socket in priority 0 ptype main
)");
  CHECK(p->format == "xfrm");
  CHECK(p->diagnostics.empty());
  REQUIRE(p->entries.size() == 4);
  CHECK(p->entries[0].action == IpsecAction::Bypass);
  CHECK(p->entries[1].action == IpsecAction::Protect);
  CHECK(p->entries[2].action == IpsecAction::Discard);
  CHECK_FALSE(p->entries[3].installed);
  CHECK(ports_with(*p, Direction::In, kProtoUdp, IpsecVerdict::Bypass, PortSet(49152, 57500)) ==
        PortSet::single(49152));
  CHECK(ports_with(*p, Direction::In, kProtoUdp, IpsecVerdict::Protect, PortSet(49152, 57500)) ==
        PortSet(49153, 57500));
  // The block policy has a higher number than the template one: the template decides 445.
  CHECK(ports_with(*p, Direction::In, kProtoTcp, IpsecVerdict::Protect, PortSet::single(445)) == PortSet::single(445));
}

TEST_CASE("Windows: netsh consec add rule and New-NetIPsecRule, exemptions first", "[ipsec]") {
  auto p = load("rules.ps1", R"(# domain isolation
New-NetIPsecRule -DisplayName "Isolation" -RemoteAddress 10.0.0.0/8 `
   -InboundSecurity Require -OutboundSecurity Request
New-NetIPsecRule -DisplayName 'Audio' -Protocol UDP -LocalPort 49152-57500 -InboundSecurity None -OutboundSecurity None | Out-Null
$Splat = @{
    DisplayName = 'Video'
    Protocol = 'UDP'
    LocalPort = @('57501-65535')
    InboundSecurity = 'None'
    OutboundSecurity = 'None'
}
New-NetIPsecRule @Splat
)");
  CHECK(p->format == "windows-script");
  CHECK(p->diagnostics.empty());
  REQUIRE(p->entries.size() == 3);
  CHECK(p->entries[0].span.line == 2);
  CHECK(p->entries[2].name == "Video");
  CHECK(ports_with(*p, Direction::In, kProtoUdp, IpsecVerdict::Bypass, PortSet(49152, 65535)) == PortSet(49152, 65535));
  CHECK(ports_with(*p, Direction::In, kProtoTcp, IpsecVerdict::Bypass, PortSet(49152, 65535)).empty());

  auto n =
      load("rules.bat",
           "@echo off\r\nREM exemptions\r\n"
           "netsh advfirewall consec add rule name=\"Req\" endpoint1=any endpoint2=any action=requireinrequestout\r\n"
           "netsh advfirewall consec add rule name=\"Media\" endpoint1=any endpoint2=any protocol=udp "
           "port1=49152-57500,57501-65535 action=noauthentication\r\n"
           "netsh advfirewall consec add rule name=\"Off\" endpoint1=any endpoint2=any protocol=tcp "
           "action=noauthentication enable=no\r\n");
  CHECK(n->diagnostics.empty());
  REQUIRE(n->entries.size() == 3);
  CHECK_FALSE(n->entries[2].installed);
  CHECK(ports_with(*n, Direction::Out, kProtoUdp, IpsecVerdict::Bypass, PortSet(49152, 65535)) ==
        PortSet(49152, 65535));
  CHECK(ports_with(*n, Direction::In, kProtoTcp, IpsecVerdict::Protect, PortSet(49152, 65535)) ==
        PortSet(49152, 65535));

  auto defaults = load("defaults.ps1", "New-NetIPsecRule -DisplayName x -Protocol UDP\n");
  REQUIRE(defaults->entries.size() == 1);
  CHECK_FALSE(defaults->entries[0].selector.unknowns.empty());  // security defaults are not documented

  auto bad = load("bad.bat",
                  "netsh advfirewall consec add rule name=x endpoint1=any endpoint2=any protocol=udp "
                  "port1=49152-57500 action=requireinrequestout\n",
                  "windows-script");
  REQUIRE(bad->diagnostics.size() == 1);
  CHECK(bad->diagnostics[0].message.find("only permitted") != std::string::npos);
  auto unparsable = load("bad2.bat", "netsh advfirewall consec add rule name=\"x endpoint1=any\n", "windows-script");
  REQUIRE(unparsable->diagnostics.size() == 1);
  CHECK(unparsable->diagnostics[0].id == "FWM090");
}

TEST_CASE("Windows: netsh consec show rule verbose, English and zh-TW labels", "[ipsec]") {
  std::string en =
      "\nRule Name:                            Media\n"
      "----------------------------------------------------------------------\n"
      "Enabled:                              Yes\nEndpoint1:                            Any\n"
      "Endpoint2:                            Any\nPort1:                                49152-65535\n"
      "Port2:                                Any\nProtocol:                             UDP\n"
      "Action:                               NoAuthentication\nOk.\n";
  auto p = load("show.txt", en);
  CHECK(p->format == "netsh-consec-show");
  CHECK(p->diagnostics.empty());
  REQUIRE(p->entries.size() == 1);
  CHECK(p->entries[0].action == IpsecAction::Bypass);
  CHECK(p->entries[0].selector.local_port == PortSet(49152, 65535));
  CHECK(p->entries[0].span.line == 2);

  std::string zh =
      "\n規則名稱:                             媒體\n"
      "----------------------------------------------------------------------\n"
      "已啟用:                               是\n端點1:                                Any\n"
      "端點2:                                10.0.0.0/8\n通訊協定:                             Any\n"
      "動作:                                 RequireInRequestOut\n確定。\n";
  auto z = load("show-zh.txt", zh);
  CHECK(z->format == "netsh-consec-show");
  CHECK(z->diagnostics.empty());
  REQUIRE(z->entries.size() == 1);
  CHECK(z->entries[0].name == "媒體");
  CHECK(z->entries[0].action == IpsecAction::Protect);
  REQUIRE(z->entries[0].selector.remote_addr);
  CHECK(z->entries[0].selector.remote_addr->v4 == parse_address_expr("10.0.0.0/8").set.v4);

  auto missing = load("show-bad.txt", "Rule Name:   X\n-----\nEnabled:  Yes\n", "netsh-consec-show");
  REQUIRE(missing->diagnostics.size() == 1);
  CHECK(missing->diagnostics[0].message.find("no Action") != std::string::npos);
}

TEST_CASE("ipsec format detection by content", "[ipsec]") {
  auto fmt_of = [](const std::string& text) { return ipsec::detect_ipsec_format(decode_text("x", text)); };
  CHECK(fmt_of("conn a\n\ttype=passthrough\n") == "ipsec.conf");
  CHECK(fmt_of("connections {\n a {\n }\n}\n") == "swanctl");
  CHECK(fmt_of("spdflush;\nspdadd 1.2.3.4 5.6.7.8 any -P in none;\n") == "setkey");
  CHECK(fmt_of("flow in proto udp from any to 10.0.0.5 type bypass\n") == "openbsd-ipsec");
  CHECK(fmt_of("src 0.0.0.0/0 dst 10.0.0.5/32\n\tdir in priority 1 ptype main\n") == "xfrm");
  CHECK(fmt_of("New-NetIPsecRule -DisplayName x\n") == "windows-script");
  CHECK(fmt_of("Rule Name:      x\n-----\n") == "netsh-consec-show");
  CHECK(fmt_of("hello world\n").empty());
  CHECK_FALSE(ipsec::load_ipsec_policy_bytes("x", "hello\n").policy);
}

TEST_CASE("FWM010/FWM011 through the analysis API: exact missing intervals and the deciding entry", "[ipsec]") {
  auto pack = find_pack("sfb2015", "");
  REQUIRE(pack.pack);
  auto rs = load_ruleset_bytes("fw.rules", "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", {"", ""});
  REQUIRE(rs.ruleset);
  auto policy =
      load("media.bat",
           "netsh advfirewall consec add rule name=Req endpoint1=any endpoint2=any action=requireinrequestout\n"
           "netsh advfirewall consec add rule name=Audio endpoint1=any endpoint2=any protocol=udp "
           "port1=49152-50000 action=noauthentication\n");
  std::vector<const IpsecPolicy*> views{policy.get()};
  AnalysisRequest request{&*pack.pack, {"mediation"}, "hardware"};
  request.ipsec = &views;
  std::vector<std::string> notes;
  auto findings = analyze(*rs.ruleset, request, notes);
  std::vector<Finding> ipsec10, ipsec11;
  for (const auto& f : findings) {
    if (f.rule_id == "FWM010") ipsec10.push_back(f);
    if (f.rule_id == "FWM011") ipsec11.push_back(f);
  }
  // UDP in/out: 50001-57500 uncovered; TCP in/out: 49152-57500 uncovered; IPv4 and IPv6
  // (Windows "any" covers both); all decided by line 1. For UDP from (to) peer ports
  // 49152-50000 line 2 would exempt it with the host as Endpoint2: that part is
  // undetermined, a warning at line 2 (issue 25 item 8).
  REQUIRE(ipsec10.size() == 12);
  std::size_t open = 0;
  for (const auto& f : ipsec10) {
    CHECK(f.properties.at("ports") == (f.properties.at("protocol") == "udp" ? "50001-57500" : "49152-57500"));
    if (f.properties.count("endpoint_orientation")) {
      ++open;
      CHECK(f.level == Severity::Warning);
      CHECK(f.location.line == 2);
      CHECK(f.message.find("peer ports 49152-50000") != std::string::npos);
    } else {
      CHECK(f.level == Severity::Error);
      CHECK(f.location.line == 1);
    }
  }
  CHECK(open == 4);
  REQUIRE(ipsec11.size() == 1);
  CHECK(ipsec11[0].location.line == 2);

  SECTION("without --ipsec the checks are silent") {
    AnalysisRequest plain{&*pack.pack, {"mediation"}, "hardware"};
    auto none = analyze(*rs.ruleset, plain, notes);
    for (const auto& f : none) CHECK((f.rule_id != "FWM010" && f.rule_id != "FWM011"));
  }
}

TEST_CASE("media scopes come from the pack: rows of the roles, media ranges within their requirements", "[ipsec]") {
  auto pack = find_pack("sfb2015", "");
  REQUIRE(pack.pack);
  auto scopes = ipsec_media_scopes(*pack.pack, {"front-end"}, "hardware");
  REQUIRE(scopes.size() == 4);  // in/out x tcp/udp
  for (const auto& s : scopes) CHECK(s.local_ports == PortSet(49152, 65535));
  auto client = ipsec_media_scopes(*pack.pack, {"client"}, "hardware");
  REQUIRE(client.size() == 1);
  CHECK(client[0].direction == Direction::Out);
  CHECK(client[0].protocol == kProtoUdp);
  CHECK(client[0].local_ports == PortSet(1024, 65535));
  CHECK(ipsec_media_scopes(*pack.pack, {"office-web-apps"}, "hardware").empty());
}

TEST_CASE("Windows registry export: ConSecRules rule strings", "[ipsec]") {
  std::string reg =
      "Windows Registry Editor Version 5.00\n\n"
      "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\ConSecRules]"
      "\n"
      "\"{A1}\"=\"v2.31|Action=SecureServer|Name=Isolation|EP2_4=10.0.0.0/255.0.0.0|Active=TRUE|\"\n"
      "\"{A2}\"=\"v2.31|Action=DoNotSecure|Name=Audio|Protocol=17|EP1Port=49152-57500|EP1Port=57501-65535|Active=TRUE|"
      "\"\n"
      "\"{A3}\"=\"v2.31|Action=DoNotSecure|Name=Off|Protocol=6|Active=FALSE|\"\n"
      "\"{A4}\"=\"v2.31|Action=DoNotSecure|Name=Wifi|Protocol=6|IFType=Wireless|Active=TRUE|\"\n"
      "\n[HKEY_LOCAL_"
      "MACHINE\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\FirewallRules]\n"
      "\"{B1}\"=\"v2.31|Action=Allow|Active=TRUE|Dir=In|\"\n";
  auto p = load("consec.reg", reg);
  CHECK(p->format == "windows-registry");
  CHECK(p->diagnostics.empty());
  REQUIRE(p->entries.size() == 4);  // the firewall rule is not a connection security rule
  CHECK(p->entries[0].action == IpsecAction::Protect);
  CHECK(p->entries[1].selector.local_port == PortSet(49152, 65535));
  CHECK_FALSE(p->entries[2].installed);
  CHECK_FALSE(p->entries[3].selector.unknowns.empty());
  CHECK(ports_with(*p, Direction::In, kProtoUdp, IpsecVerdict::Bypass, PortSet(49152, 65535)) == PortSet(49152, 65535));

  auto bad = load("bad.reg",
                  "[HKEY_LOCAL_MACHINE\\X\\ConSecRules]\n\"{A1}\"=\"v2.31|Name=NoAction|\"\n\"{A2}\"=\"Action=x\"\n",
                  "windows-registry");
  REQUIRE(bad->diagnostics.size() == 2);
  CHECK(bad->diagnostics[0].message.find("without Action") != std::string::npos);
  CHECK(bad->diagnostics[1].span.line == 3);
}

TEST_CASE("ipsec readers recover after an error: only the broken record or statement is lost", "[ipsec]") {
  auto x = load("xfrm.txt",
                "src 0.0.0.0/0 dst 10.0.0.5/32 proto udp\n\tdir in priority 1 ptype main\n"
                "src 0.0.0.0/0 bogus\n\tdir in priority 2 ptype main\n"
                "src 0.0.0.0/0 dst 0.0.0.0/0\n\tdir in priority 3 ptype main\n\ttmpl src 1.1.1.1 dst 2.2.2.2\n",
                "xfrm");
  REQUIRE(x->diagnostics.size() == 1);
  CHECK(x->diagnostics[0].span.line == 3);
  CHECK(x->diagnostics[0].span.column == 15);
  CHECK(x->entries.size() == 3);  // with the unparsed record
  auto o = load("obsd.conf",
                "h = \"10.0.0.5\"\nflow in proto udp from any to $h port { 1, type bypass\n"
                "flow in proto tcp from any \\\n  to $h type bypass\n",
                "openbsd-ipsec");
  REQUIRE(o->diagnostics.size() == 1);
  CHECK(o->diagnostics[0].span.line == 2);
  REQUIRE(o->entries.size() == 2);
  CHECK(o->entries[1].span.line == 3);
  REQUIRE(o->entries[1].selector.local_addr);
  CHECK(o->entries[1].selector.local_addr->v4 == parse_address_expr("10.0.0.5").set.v4);
}

TEST_CASE("FWM010 per family: IPv4-only exemptions leave IPv6 media under an IPv6 IPsec policy", "[ipsec]") {
  auto pack = find_pack("sfb2015", "");
  REQUIRE(pack.pack);
  auto rs = load_ruleset_bytes("fw.rules", "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", {"", ""});
  REQUIRE(rs.ruleset);
  auto policy = load("v6.conf",
                     "spdadd 0.0.0.0/0 10.0.0.5/32 any -P in none;\n"
                     "spdadd ::/0 2001:db8::5/128 any -P in ipsec esp/transport//require;\n"
                     "spdadd 0.0.0.0/0 10.0.0.5/32 any -P in ipsec esp/transport//require;\n");
  std::vector<const IpsecPolicy*> views{policy.get()};
  AnalysisRequest request{&*pack.pack, {"mediation"}, "hardware"};
  request.ipsec = &views;
  std::vector<std::string> notes;
  std::set<std::string> seen;
  for (const auto& f : analyze(*rs.ruleset, request, notes))
    if (f.rule_id == "FWM010") {
      CHECK(f.properties.at("family") == "IPv6");
      CHECK(f.properties.at("direction") == "inbound");
      CHECK(f.properties.at("ports") == "49152-57500");
      CHECK(f.location.line == 2);
      seen.insert(f.properties.at("protocol"));
    }
  CHECK(seen == std::set<std::string>{"tcp", "udp"});
}

TEST_CASE("Get-NetIPsecRule JSON exports: enums as numbers or names, filters optional", "[ipsec]") {
  auto p = load("rules.json", R"([
  {"DisplayName": "Iso", "Enabled": 1, "InboundSecurity": 2, "OutboundSecurity": 1, "RemoteAddress": "10.0.0.0/8"},
  {"DisplayName": "Media", "Enabled": "True", "InboundSecurity": "None", "OutboundSecurity": "None",
   "Protocol": "UDP", "LocalPort": ["49152-57500", "57501-65535"]},
  {"DisplayName": "NoFilters", "Enabled": 1, "InboundSecurity": 0, "OutboundSecurity": 0}
])");
  CHECK(p->format == "get-netipsecrule-json");
  CHECK(p->diagnostics.empty());
  REQUIRE(p->entries.size() == 3);
  CHECK(p->entries[0].action == IpsecAction::Protect);
  CHECK(p->entries[1].action == IpsecAction::Bypass);
  CHECK(p->entries[1].span.line == 3);
  CHECK(p->entries[1].selector.local_port == PortSet(49152, 65535));
  CHECK_FALSE(p->entries[2].selector.unknowns.empty());

  auto bad =
      load("bad.json", "[\n  {\"DisplayName\": \"x\",\n   \"InboundSecurity\": 0,,\n}]\n", "get-netipsecrule-json");
  REQUIRE(bad->diagnostics.size() == 1);
  CHECK(bad->diagnostics[0].span.line == 3);
}

TEST_CASE("Get-NetIPsecRule CSV exports: header-driven, quoting, ';' delimiter, lost values", "[ipsec]") {
  auto p = load("rules.csv",
                "#TYPE Microsoft.Management.Infrastructure.CimInstance\n"
                "\"InboundSecurity\",\"DisplayName\",\"OutboundSecurity\",\"LocalPort\",\"Protocol\",\"Enabled\"\n"
                "\"None\",\"Media, \"\"UDP\"\"\",\"None\",\"49152-65535\",\"UDP\",\"True\"\n"
                "\"None\",\"Lost\",\"None\",\"System.Object[]\",\"TCP\",\"True\"\n");
  CHECK(p->format == "get-netipsecrule-csv");
  CHECK(p->diagnostics.empty());
  REQUIRE(p->entries.size() == 2);
  CHECK(p->entries[0].name == "Media, \"UDP\"");
  CHECK(p->entries[0].span.line == 3);
  CHECK(p->entries[0].selector.local_port == PortSet(49152, 65535));
  CHECK_FALSE(p->entries[1].selector.unknowns.empty());

  auto semi = load("semi.csv",
                   "\"DisplayName\";\"InboundSecurity\";\"OutboundSecurity\";\"LocalPort\"\n\"a,b\";\"Require\";"
                   "\"Request\";\"Any\"\n");
  CHECK(semi->format == "get-netipsecrule-csv");
  REQUIRE(semi->entries.size() == 1);
  CHECK(semi->entries[0].name == "a,b");
  CHECK(semi->entries[0].action == IpsecAction::Protect);

  auto bad = load("bad.csv", "\"DisplayName\",\"InboundSecurity\",\"OutboundSecurity\"\n\"x\",\"None\"\n",
                  "get-netipsecrule-csv");
  REQUIRE(bad->diagnostics.size() == 1);
  CHECK(bad->diagnostics[0].span.line == 2);
}

TEST_CASE("ipsec evaluation past --max-pieces: the rest is undetermined, never dropped", "[ipsec][limits]") {
  std::string text;
  for (int i = 0; i < 40; ++i)
    text += "spdadd 0.0.0.0/0 10.0.0.5/32[" + std::to_string(50000 + 2 * i) + "] udp -P in none;\n";
  text += "spdadd 0.0.0.0/0 0.0.0.0/0 any -P in ipsec esp/transport//require;\n";
  auto p = load("many.conf", text, "setkey");
  REQUIRE(p->diagnostics.empty());
  IpsecBox q = IpsecBox::everything(Family::V4, Direction::In);
  q.proto = proto_only(kProtoUdp);
  q.local_addr = parse_address_expr("10.0.0.5").set.v4;
  auto whole = evaluate_ipsec(*p, q);
  CHECK_FALSE(whole.truncated);
  PortSet bypassed;
  for (const auto& piece : whole.pieces) {
    CHECK(piece.verdict != IpsecVerdict::Undetermined);
    if (piece.verdict == IpsecVerdict::Bypass) bypassed.add(piece.box.local_port);
  }
  CHECK(bypassed.intervals().size() == 40);

  auto cut = evaluate_ipsec(*p, q, 5);
  CHECK(cut.truncated);
  PortSet covered, undetermined;
  for (const auto& piece : cut.pieces) {
    covered.add(piece.box.local_port);
    if (piece.verdict == IpsecVerdict::Undetermined) {
      CHECK(piece.decider == nullptr);
      CHECK(piece.uncertain_by == nullptr);
      undetermined.add(piece.box.local_port);
    } else {
      // What was decided before the stop agrees with the whole evaluation.
      CHECK((piece.verdict == IpsecVerdict::Bypass) ==
            bypassed.covers(piece.box.local_port.intervals().front().lo, piece.box.local_port.intervals().back().hi));
    }
  }
  CHECK(covered == all_ports());
  CHECK_FALSE(undetermined.empty());
  // Every port the whole evaluation bypasses is either bypassed or undetermined: none is
  // reported protected.
  for (const auto& piece : cut.pieces)
    if (piece.verdict == IpsecVerdict::Protect) CHECK(piece.box.local_port.intersect(bypassed).empty());
}

TEST_CASE("FWM010 says when the IPsec evaluation stopped at --max-pieces", "[ipsec][limits]") {
  auto pack = find_pack("sfb2015", "");
  REQUIRE(pack.pack);
  auto rs = load_ruleset_bytes("fw.rules", "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", {"", ""});
  REQUIRE(rs.ruleset);
  std::string text =
      "netsh advfirewall consec add rule name=Req endpoint1=any endpoint2=any action=requireinrequestout\n";
  for (int i = 0; i < 20; ++i)
    text += "netsh advfirewall consec add rule name=Audio" + std::to_string(i) +
            " endpoint1=any endpoint2=any protocol=udp port1=" + std::to_string(49152 + 3 * i) +
            " action=noauthentication\n";
  auto policy = load("media.bat", text);
  std::vector<const IpsecPolicy*> views{policy.get()};
  AnalysisRequest request{&*pack.pack, {"mediation"}, "hardware"};
  request.ipsec = &views;
  request.limits.max_pieces = 4;
  std::vector<std::string> notes;
  auto findings = analyze(*rs.ruleset, request, notes);
  std::size_t stopped = 0;
  for (const auto& f : findings)
    if (f.rule_id == "FWM010" && f.message.find("stopped evaluating the policy") != std::string::npos) {
      ++stopped;
      CHECK(f.level == Severity::Warning);
      CHECK(f.properties.at("ipsec_verdict") == "undetermined");
      CHECK(f.message.find("the limit is 4 pieces; --max-pieces raises it") != std::string::npos);
    }
  CHECK(stopped > 0);
}
