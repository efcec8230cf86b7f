// IPsec policy syntax seen in real configurations (issue 25), each case built from the
// document or source that defines what the real tool reads.
#include "checks/analysis.h"
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

// Local ports of the host 10.0.0.5 that have verdict v (for every peer) in direction d.
PortSet ports_with(const IpsecPolicy& p, Direction d, int proto, IpsecVerdict v, const char* peer = nullptr) {
  IpsecBox q = IpsecBox::everything(Family::V4, d);
  q.proto = proto_only(proto);
  q.local_addr = parse_address_expr("10.0.0.5").set.v4;
  if (peer) q.remote_addr = parse_address_expr(peer).set.v4;
  auto r = evaluate_ipsec(p, q);
  PortSet with, without;
  for (const auto& piece : r.pieces) (piece.verdict == v ? with : without).add(piece.box.local_port);
  return with.subtract(without);
}

std::size_t count_id(const IpsecPolicy& p, const std::string& id) {
  std::size_t n = 0;
  for (const auto& d : p.diagnostics) n += d.id == id;
  return n;
}

}  // namespace

// FreeBSD sbin/setkey/token.l: a character no rule matches (`+`) hits the `.` rule,
// yyfatal("Syntax error") and exit(1); words are commands only as parse.y lists them.
// setkey -f sends each command as it is parsed, so the commands before the error are
// loaded and none after it.
TEST_CASE("setkey: a '+' line (or an unknown command) stops setkey; later commands are never loaded",
          "[ipsec][setkey]") {
  auto p = load("diff.conf",
                "spdadd 0.0.0.0/0 10.0.0.5/32[5061] tcp -P in none;\n"
                "+spdadd 0.0.0.0/0 10.0.0.5/32 udp -P in none;\n"
                "spdadd 0.0.0.0/0 10.0.0.5/32 any -P in ipsec esp/transport//require;\n");
  CHECK(p->format == "setkey");
  REQUIRE(count_id(*p, "FWM090") == 1);
  CHECK(p->diagnostics[0].span.line == 2);
  CHECK(p->diagnostics[0].span.column == 1);
  CHECK(p->diagnostics[0].message.find("syntax error at '+'") != std::string::npos);
  // A refusal is known, not unreadable: nothing becomes undetermined because of it.
  CHECK(p->unreadable_parts == 0);
  REQUIRE(p->entries.size() == 1);
  CHECK(ports_with(*p, Direction::In, kProtoUdp, IpsecVerdict::Bypass) == all_ports());
  CHECK(ports_with(*p, Direction::In, kProtoTcp, IpsecVerdict::Bypass) == all_ports());

  auto unknown = load("unknown.conf", "spdflush;\nspdadd2 1.2.3.4 5.6.7.8 any -P in none;\n", "setkey");
  REQUIRE(unknown->diagnostics.size() == 1);
  CHECK(unknown->diagnostics[0].message.find("'spdadd2' is not a setkey command") != std::string::npos);
}

// setkey(8): `spdflush` clears the SPD, `spddelete ... -P direction` removes the policy
// with that selector, `spdupdate` replaces it.
TEST_CASE("setkey: spdflush, spddelete and spdupdate change what earlier commands loaded", "[ipsec][setkey]") {
  auto p = load("spd.conf",
                "spdadd 0.0.0.0/0 10.0.0.5/32 udp -P in ipsec esp/transport//require;\n"
                "spddelete 0.0.0.0/0 10.0.0.5/32 udp -P in;\n"
                "spdadd 0.0.0.0/0 10.0.0.5/32 tcp -P in discard;\n"
                "spdupdate 0.0.0.0/0 10.0.0.5/32 tcp -P in none;\n"
                "spdadd 0.0.0.0/0 10.0.0.5/32 icmp -P in discard;\n"
                "spdflush;\n"
                "spdadd 0.0.0.0/0 10.0.0.5/32[5061] tcp -P in ipsec esp/transport//require;\n");
  CHECK(p->diagnostics.empty());
  CHECK(ports_with(*p, Direction::In, kProtoUdp, IpsecVerdict::Bypass) == all_ports());
  CHECK(ports_with(*p, Direction::In, kProtoTcp, IpsecVerdict::Protect) == PortSet::single(5061));
  CHECK(ports_with(*p, Direction::In, kProtoTcp, IpsecVerdict::Bypass) == all_ports().subtract(PortSet::single(5061)));
  int removed = 0;
  for (const auto& e : p->entries)
    if (!e.installed) {
      ++removed;
      CHECK_FALSE(e.not_installed_why.empty());
    }
  CHECK(removed == 4);  // the udp policy, the tcp discard; the tcp bypass and the icmp discard (by spdflush)
}

// A shell script feeding setkey a here-document (`setkey -c <<EOF`): the shell expands
// $NAME in an unquoted here-document (POSIX sh, "Here-Document"), not in a quoted one;
// setkey(8) reads `address[port]`.
TEST_CASE("setkey: commands in a shell here-document, addr[port], variables", "[ipsec][setkey]") {
  auto p = load("ipsec.sh",
                "#!/bin/sh\n"
                "PEER=192.0.2.7\n"
                "HOST=\"10.0.0.5\"\n"
                "cat > /tmp/notes <<'EOF'\n"
                "spdadd 0.0.0.0/0 0.0.0.0/0 any -P in discard;\n"
                "EOF\n"
                "setkey -c <<EOF\n"
                "flush;\n"
                "spdflush;\n"
                "spdadd $PEER[500] $HOST[500] udp -P in none;\n"
                "spdadd ${PEER} ${HOST}[5061] tcp -P in none;\n"
                "spdadd $GATEWAY $HOST any -P in ipsec esp/transport//require;\n"
                "EOF\n"
                "echo done\n");
  CHECK(p->format == "setkey");
  CHECK(p->diagnostics.empty());
  REQUIRE(p->entries.size() == 3);
  CHECK(p->entries[0].span.line == 10);
  REQUIRE(p->entries[0].selector.remote_addr);
  CHECK(p->entries[0].selector.remote_addr->v4 == parse_address_expr("192.0.2.7").set.v4);
  CHECK(p->entries[0].selector.local_port == PortSet::single(500));
  CHECK(p->entries[0].selector.remote_port == PortSet::single(500));
  CHECK(p->entries[0].selector.unknowns.empty());
  CHECK(p->entries[1].selector.local_port == PortSet::single(5061));
  // $GATEWAY is not set by the script: that entry's peer is unknown.
  REQUIRE(p->entries[2].selector.unknowns.size() == 1);
  CHECK(p->entries[2].selector.unknowns[0].find("$GATEWAY") != std::string::npos);
  // The discard in the here-document for cat is not setkey input.
  CHECK(ports_with(*p, Direction::In, kProtoTcp, IpsecVerdict::Bypass, "192.0.2.7") == PortSet::single(5061));

  auto quoted = load("quoted.sh", "PEER=192.0.2.7\nsetkey -c <<'END'\nspdadd $PEER 10.0.0.5 any -P in none;\nEND\n");
  REQUIRE(quoted->entries.size() == 1);
  CHECK_FALSE(quoted->entries[0].selector.unknowns.empty());  // no expansion in a quoted here-document
}

// strongSwan starter (src/starter/parser/conf_parser.c, lexer.l): `config setup` twice is
// one section; a second `conn X` adds to the first; a key given again replaces its value
// (add_setting); `also=` accumulates, the last one named being the most important
// (resolve_also_single); blanks after a section name are eaten by the lexer.
TEST_CASE("ipsec.conf: sections and keys merge as strongSwan's starter merges them", "[ipsec][ipsec.conf]") {
  auto p = load("ipsec.conf",
                "config setup\n"
                "\tcharondebug=\"ike 1\"\n"
                "\n"
                "conn %default \n"
                "\tauto=route\n"
                "\n"
                "config setup\n"
                "\tuniqueids=no\n"
                "\n"
                "conn media\n"
                "\tleftsubnet=10.0.0.5/32\n"
                "\tleftprotoport=udp\n"
                "\ttype=tunnel\n"
                "\ttype=passthrough\n"
                "\n"
                "conn media\n"
                "\trightsubnet=192.0.2.0/24\n"
                "\n"
                "conn base\n"
                "\ttype=passthrough\n"
                "conn strict\n"
                "\tleftsubnet=10.0.0.5/32\n"
                "\ttype=drop\n"
                "conn both\n"
                "\talso=base\n"
                "\talso=strict\n");
  CHECK(p->format == "ipsec.conf");
  CHECK(p->diagnostics.empty());
  const IpsecEntry* media = nullptr;
  const IpsecEntry* both = nullptr;
  for (const auto& e : p->entries) {
    if (e.name == "media") media = &e;
    if (e.name == "both") both = &e;
  }
  REQUIRE(media);
  CHECK(media->action == IpsecAction::Bypass);  // the second type= wins
  CHECK(media->installed);                      // auto=route from `conn %default `
  REQUIRE(media->selector.remote_addr);         // from the second `conn media`
  CHECK(media->selector.remote_addr->v4 == parse_address_expr("192.0.2.0/24").set.v4);
  CHECK(media->span.line == 10);
  REQUIRE(both);
  CHECK(both->action == IpsecAction::Discard);  // also=strict, named last, wins over also=base
  REQUIRE(both->selector.local_addr);
  CHECK(both->installed);
}

// lexer.l: `^"conn"` and `^"config setup"` at the start of a line, blanks (tabs too)
// before the name, `#` comments after it.
TEST_CASE("ipsec.conf detection: tabs after conn, comments after config setup", "[ipsec][ipsec.conf]") {
  TextFile f = decode_text("ipsec.conf",
                           "# /etc/ipsec.conf\n"
                           "config setup # defaults\n"
                           "conn\tbypass-media\n"
                           "\tleftsubnet=10.0.0.5/32\n"
                           "\tleftprotoport=udp\n"
                           "\ttype=passthrough\n"
                           "\tauto=route\n");
  CHECK(ipsec::detect_ipsec_format(f) == "ipsec.conf");
  auto p = load("ipsec.conf", f.text);
  CHECK(p->diagnostics.empty());
  REQUIRE(p->entries.size() == 1);
  CHECK(p->entries[0].name == "bypass-media");
  CHECK(ports_with(*p, Direction::In, kProtoUdp, IpsecVerdict::Bypass) == all_ports());
  // Two blanks after `conn`, parameters indented with spaces.
  TextFile keys = decode_text("x", "conn  a\n  left=%defaultroute\n  right=192.0.2.1\n  authby=secret\n  auto=add\n");
  CHECK(ipsec::detect_ipsec_format(keys) == "ipsec.conf");
}

// OpenBSD sys/netinet/ip_spd.c (ipsp_spd_lookup, inbound): `dontacq` and `require` drop
// a packet that arrived without IPsec; ipsecctl parse.y accepts `type dontacq`.
TEST_CASE("OpenBSD ipsec.conf: flow type dontacq protects, bypass exempts", "[ipsec][openbsd]") {
  auto p = load("ipsec.conf",
                "flow esp in proto udp from any to 10.0.0.5 port 5060 type bypass\n"
                "flow esp in from any to 10.0.0.5 type dontacq\n"
                "flow esp out from 10.0.0.5 to any peer 192.0.2.1 type dontacq\n");
  CHECK(p->format == "openbsd-ipsec");
  CHECK(p->diagnostics.empty());
  REQUIRE(p->entries.size() == 3);
  CHECK(p->entries[1].action == IpsecAction::Protect);
  CHECK(p->entries[1].action_label == "type dontacq");
  CHECK(ports_with(*p, Direction::In, kProtoUdp, IpsecVerdict::Bypass) == PortSet::single(5060));
  CHECK(ports_with(*p, Direction::In, kProtoUdp, IpsecVerdict::Protect) == all_ports().subtract(PortSet::single(5060)));
}

// swanctl.conf(5): `connections.<conn>.local<suffix>` / `remote<suffix>`: "Each round is
// defined in a section having local as prefix, and an arbitrary suffix" (RFC 4739
// multiple authentication rounds).
TEST_CASE("swanctl.conf: numbered authentication rounds do not hide the children", "[ipsec][swanctl]") {
  auto p = load("swanctl.conf", R"(connections {
   rw {
      local-1 {
         auth = pubkey
         certs = moonCert.pem
         round = 1
      }
      local-2 {
         auth = eap-md5
         eap_id = %any
         round = 2
      }
      remote-1 {
         auth = pubkey
      }
      remote-2 {
         auth = eap-radius
         eap_id = %any
      }
      children {
         media {
            local_ts = 10.0.0.5/32[udp/49152-65535]
            remote_ts = 0.0.0.0/0
            mode = pass
            start_action = trap
         }
      }
   }
}
)");
  CHECK(p->format == "swanctl");
  CHECK(p->diagnostics.empty());
  REQUIRE(p->entries.size() == 1);
  CHECK(p->entries[0].action == IpsecAction::Bypass);
  for (const auto& u : p->entries[0].selector.unknowns) UNSCOPED_INFO(u);
  CHECK(p->entries[0].selector.unknowns.empty());
  CHECK(p->entries[0].selector.local_port == PortSet(49152, 65535));
  REQUIRE(p->entries[0].selector.local_addr);
  CHECK(p->entries[0].selector.local_addr->v4 == parse_address_expr("10.0.0.5").set.v4);
}

// A batch file in code page 936 (GBK): cmd.exe reads it a character at a time, so the
// second byte 0x5E of 乛 (GBK 81 5E) is no `^` continuation; a real `^` is one.
TEST_CASE("netsh scripts in GBK: a trail byte 0x5E is no caret continuation", "[ipsec][windows]") {
  std::string gbk =
      "rem \xB7\xE2\xB6\xCB\xBF\xDA\r\n"  // 封端口
      "netsh advfirewall consec add rule name=\xB7\xE2\xB6\xCB\xBF\xDA\x81\x5E endpoint1=any endpoint2=any "
      "action=requireinrequestout\r\n"
      "netsh advfirewall consec add rule name=media endpoint1=any endpoint2=any protocol=udp "
      "port1=49152-65535 ^\r\n"
      "  action=noauthentication\r\n"
      "netsh ipsec static add policy name=\xB2\xDF\xC2\xD4 assign=yes\r\n";  // 策略
  auto p = load("gbk.bat", gbk);
  CHECK(p->format == "windows-script");
  CHECK(count_id(*p, "FWM090") == 0);
  std::vector<std::string> names;
  for (const auto& e : p->entries) names.push_back(e.name);
  REQUIRE(p->entries.size() == 3);  // two rules and the legacy policy placeholder
  CHECK(p->entries[0].name == "\xE5\xB0\x81\xE7\xAB\xAF\xE5\x8F\xA3\xE4\xB9\x9B");  // 封端口乛 in UTF-8
  CHECK(p->entries[0].span.line == 2);
  CHECK(p->entries[1].name == "media");
  CHECK(p->entries[1].action == IpsecAction::Bypass);
  CHECK(ports_with(*p, Direction::In, kProtoUdp, IpsecVerdict::Protect, "192.0.2.1").empty() == false);
  // Western Windows-1252 text (é before an ASCII letter) stays Latin-1: its caret continues.
  auto latin = load("cafe.bat",
                    "netsh advfirewall consec add rule name=caf\xE9^\r\n"
                    " endpoint1=any endpoint2=any protocol=udp port1=49152-65535 action=noauthentication\r\n");
  REQUIRE(latin->entries.size() == 1);
  CHECK(latin->entries[0].action == IpsecAction::Bypass);
}

// Issue 25 item 8. New-NetIPsecRule documents -LocalAddress as "the first end point of an
// IPsec rule" (the host as Endpoint1 is proven); MS-FASP 2.2.55 (FW_CS_RULE) and
// MS-GPFAS 2.2.6.2 name Endpoint1/Endpoint2 and their ports without saying which is the
// local host, and the Windows Server 2008 help says a rule applies "to communications
// between any computer in Endpoint 1 and any computer in Endpoint 2". With
// endpoint1=any endpoint2=any the host is in both: an exemption that matches only with
// the host as Endpoint2 leaves the outcome open (FWM010 as a warning), not an error.
TEST_CASE("Windows CS rules any/any: exempt only with the host as Endpoint2 is undetermined", "[ipsec][windows]") {
  auto pack = find_pack("sfb2015", "");
  REQUIRE(pack.pack);
  auto rs = load_ruleset_bytes("fw.rules", "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", {"", ""});
  REQUIRE(rs.ruleset);
  auto policy =
      load("ep2.bat",
           "netsh advfirewall consec add rule name=Req endpoint1=any endpoint2=any action=requireinrequestout\n"
           "netsh advfirewall consec add rule name=Backwards endpoint1=any endpoint2=any protocol=udp "
           "port2=49152-65535 action=noauthentication\n");
  std::vector<const IpsecPolicy*> views{policy.get()};
  AnalysisRequest request{&*pack.pack, {"front-end"}, "hardware"};
  request.ipsec = &views;
  std::vector<std::string> notes;
  auto findings = analyze(*rs.ruleset, request, notes);
  std::size_t udp_warnings = 0, tcp_errors = 0;
  for (const auto& f : findings) {
    if (f.rule_id != "FWM010") continue;
    if (f.properties.at("protocol") == "udp") {
      // Protected with the host as Endpoint1, exempt with the host as Endpoint2: open.
      CHECK(f.level == Severity::Warning);
      CHECK(f.properties.at("ipsec_verdict") == "undetermined");
      CHECK(f.location.line == 2);
      CHECK(f.message.find("with the host as Endpoint2") != std::string::npos);
      ++udp_warnings;
    } else {
      // No rule exempts TCP in either orientation: still an error.
      CHECK(f.level == Severity::Error);
      CHECK(f.location.line == 1);
      ++tcp_errors;
    }
  }
  CHECK(udp_warnings == 4);  // in/out, IPv4/IPv6
  CHECK(tcp_errors == 4);

  SECTION("an exemption with the host as Endpoint1 decides whatever the other orientation says") {
    auto p = load("ep1.bat",
                  "netsh advfirewall consec add rule name=Req endpoint1=any endpoint2=any action=requireinrequestout\n"
                  "netsh advfirewall consec add rule name=Media endpoint1=any endpoint2=any protocol=udp "
                  "port1=49152-65535 action=noauthentication\n");
    std::vector<const IpsecPolicy*> v{p.get()};
    request.ipsec = &v;
    for (const auto& f : analyze(*rs.ruleset, request, notes))
      if (f.rule_id == "FWM010") CHECK(f.properties.at("protocol") == "tcp");
  }
}
