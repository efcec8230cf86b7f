// nftables syntax from real rulesets (issue 25) and the rules nft itself refuses.
//
// Sources: nft(8) (nftables 1.0.6, Debian 12): METER / SET STATEMENT (`meter`, `update
// @set`), SYNPROXY STATEMENT, PAYLOAD STATEMENT (`ip dscp set cs1`), EXTENSION HEADER
// STATEMENT (`tcp option maxseg size set rt mtu`), NAT STATEMENTS (`dnat to
// [addr]:port`), CHAINS (`type route hook output`, `priority raw + 1`), VARIABLES; nftables'
// src/scanner.l (a variable name is a string: letters, digits, '_', '.', '/', '-') and
// src/parser_bison.y (set_block, set_elem_expr_stmt, meter_stmt); the validation cases are
// fail lines of nftables' tests/py (any/ct.t, any/log.t, any/limit.t, any/queue.t,
// ip/masquerade.t, inet/dnat.t, inet/reject.t, bridge/vlan.t, ...), each with the reason
// `nft -c` 1.0.6 gives for it.
//
// Each syntax case is checked with the real `nft -c -f` too when it can run (nft installed,
// user namespaces allowed: `unshare -rn nft -c -f FILE` needs no root); the test says so
// and skips that part otherwise.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "frontends/frontend.h"
#include "fwm_catch.hpp"
#include "port_answer.h"

using namespace fwm;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<Ruleset> load_text(const std::string& text) {
  auto r = load_ruleset_bytes("test.nft", text, {"nftables", ""});
  REQUIRE(r.ruleset);
  return std::move(r.ruleset);
}

std::vector<const Diagnostic*> diags(const Ruleset& rs, const std::string& id) {
  std::vector<const Diagnostic*> out;
  for (const auto& d : rs.diagnostics)
    if (d.id == id) out.push_back(&d);
  return out;
}

std::string errors_of(const Ruleset& rs) {
  std::string out;
  for (const auto* d : diags(rs, "FWM090")) out += fmt::format("{}:{}: {}\n", d->span.line, d->span.column, d->message);
  return out;
}

test::PortAnswer ports(const Ruleset& rs, int proto, Family f = Family::V4) {
  return test::port_answer(rs, {proto, f});
}

// Whether `nft -c -f` can check files here (nft installed, unprivileged user namespaces).
bool nft_available() {
  static const bool available = std::system("command -v nft >/dev/null 2>&1 && unshare -rn true >/dev/null 2>&1") == 0;
  return available;
}

// nft's own verdict on `text`: 0 when it loads.
int nft_check(const std::string& text) {
  fs::path path = fs::temp_directory_path() / fmt::format("fwm-nft-check-{}.nft", ::getpid());
  {
    std::ofstream out(path);
    out << text;
  }
  int rc = std::system(fmt::format("unshare -rn nft -c -f '{}' >/dev/null 2>&1", path.string()).c_str());
  fs::remove(path);
  return rc;
}

void require_nft_accepts(const std::string& text) {
  if (!nft_available()) {
    WARN("nft -c -f unavailable here (nft or user namespaces missing): fwmatrix side only");
    return;
  }
  INFO(text);
  REQUIRE(nft_check(text) == 0);
}

std::string input_chain(const std::string& policy, const std::string& rules, const std::string& family = "inet") {
  return fmt::format(
      "table {} filter {{\n\tchain input {{\n\t\ttype filter hook input priority filter; policy {};\n{}\t}}\n}}\n",
      family, policy, rules);
}

}  // namespace

TEST_CASE("nftables real syntax: meter with ct count, update @set with a limit", "[nftables][issue25]") {
  // nft(8) METER: `meter name { key stmt }`; the statement's outcome (ct count over 3)
  // depends on earlier packets: the rule is undetermined, the next one decides the rest.
  const std::string text = input_chain("drop",
                                       "\t\ttcp dport 22 ct state new meter ssh-meter { ip saddr ct count over 3 } "
                                       "reject\n"
                                       "\t\ttcp dport 22 accept\n"
                                       "\t\ttcp dport 80 update @seen { ip saddr limit rate over 10/minute } drop\n"
                                       "\t\ttcp dport 80 add @seen { ip saddr } accept\n")
                               .insert(std::string("table inet filter {\n").size(),
                                       "\tset seen { type ipv4_addr; flags dynamic; timeout 1m; }\n");
  require_nft_accepts(text);
  auto rs = load_text(text);
  INFO(errors_of(*rs));
  REQUIRE(diags(*rs, "FWM090").empty());
  auto tcp = ports(*rs, kProtoTcp);
  // 22: refused for a source over the limit, accepted otherwise: undetermined; the same
  // for 80 (limit over 10/minute).
  REQUIRE(tcp.undetermined == PortSet({{22, 22}, {80, 80}}));
  REQUIRE(tcp.accepted.empty());
  bool noted = false;
  for (const auto* d : diags(*rs, "FWM091"))
    if (d->message.find("ct count over 3") != std::string::npos) noted = true;
  REQUIRE(noted);
}

TEST_CASE("nftables real syntax: update @set without a stateful statement always goes on", "[nftables][issue25]") {
  const std::string text =
      "table inet filter {\n\tset seen { type ipv4_addr; flags dynamic; }\n\tchain input {\n\t\ttype filter hook "
      "input priority filter; policy drop;\n\t\ttcp dport 22 update @seen { ip saddr } accept\n\t}\n}\n";
  require_nft_accepts(text);
  auto rs = load_text(text);
  REQUIRE(diags(*rs, "FWM090").empty());
  REQUIRE(ports(*rs, kProtoTcp).accepted == PortSet(22, 22));
}

TEST_CASE("nftables real syntax: add set with the family left out is family ip", "[nftables][issue25]") {
  // nft(8): "family ... defaults to ip" for every command that names a table.
  const std::string text =
      "add table filter\n"
      "add set filter blocked { type ipv4_addr; }\n"
      "add element filter blocked { 10.1.2.3 }\n"
      "add chain filter input { type filter hook input priority 0; policy accept; }\n"
      "add rule filter input ip saddr @blocked tcp dport 22 drop\n";
  require_nft_accepts(text);
  auto rs = load_text(text);
  INFO(errors_of(*rs));
  REQUIRE(diags(*rs, "FWM090").empty());
  REQUIRE(test::port_answer(*rs, {kProtoTcp, Family::V4, "10.9.9.9"}).accepted == all_ports());
  auto from_blocked = test::port_answer(*rs, {kProtoTcp, Family::V4, "10.1.2.3"});
  REQUIRE(from_blocked.accepted == all_ports().subtract(PortSet(22, 22)));
}

TEST_CASE("nftables real syntax: variable names with '-' and '/'", "[nftables][issue25]") {
  // scanner.l: a variable's name is a string ({letter}|[_.])({letter}|{digit}|[/\-_\.])*
  const std::string text = "define lan-if = \"eth0\"\ndefine net/v4 = 10.0.0.0/8\ndefine ssh.port = 22\n" +
                           input_chain("drop", "\t\tiifname $lan-if ip saddr $net/v4 tcp dport $ssh.port accept\n");
  require_nft_accepts(text);
  auto rs = load_text(text);
  INFO(errors_of(*rs));
  REQUIRE(diags(*rs, "FWM090").empty());
  auto lan = test::port_answer(*rs, {kProtoTcp, Family::V4, "10.1.1.1", "eth0"});
  REQUIRE(lan.accepted == PortSet(22, 22));
  auto other = test::port_answer(*rs, {kProtoTcp, Family::V4, "192.168.1.1", "eth0"});
  REQUIRE(other.accepted.empty());
}

TEST_CASE("nftables real syntax: payload set statements", "[nftables][issue25]") {
  // nft(8) PAYLOAD STATEMENT: later rules see the rewritten header. A rewrite of a field the
  // analysis reads leaves the verdict of the packets it rewrites undetermined; dscp and ttl
  // rewrites change no verdict.
  const std::string text = input_chain("drop",
                                       "\t\tip dscp set cs1\n"
                                       "\t\tip ttl set 64\n"
                                       "\t\ttcp dport 443 accept\n"
                                       "\t\ttcp dport 2222 tcp dport set 22\n"
                                       "\t\ttcp dport 22 accept\n",
                                       "ip");
  // nft -c refuses payload writes in an unprivileged namespace ("Operation not permitted"
  // from the kernel), so only the syntax is nft's here: checked by the py tests' ok lines.
  auto rs = load_text(text);
  INFO(errors_of(*rs));
  REQUIRE(diags(*rs, "FWM090").empty());
  auto tcp = ports(*rs, kProtoTcp);
  REQUIRE(tcp.accepted == PortSet({{22, 22}, {443, 443}}));
  REQUIRE(tcp.undetermined == PortSet(2222, 2222));
}

TEST_CASE("nftables real syntax: synproxy decides outside the ruleset", "[nftables][issue25]") {
  const std::string text =
      "table ip t {\n"
      "\tchain pre {\n"
      "\t\ttype filter hook prerouting priority raw + 1; policy accept;\n"
      "\t\ttcp dport 80 tcp flags syn notrack\n"
      "\t}\n"
      "\tchain input {\n"
      "\t\ttype filter hook input priority filter; policy drop;\n"
      "\t\ttcp dport 80 ct state invalid,untracked synproxy mss 1460 wscale 7 timestamp sack-perm\n"
      "\t\tct state invalid drop\n"
      "\t\tct state established,related accept\n"
      "\t}\n"
      "}\n";
  require_nft_accepts(text);
  auto rs = load_text(text);
  INFO(errors_of(*rs));
  REQUIRE(diags(*rs, "FWM090").empty());
  REQUIRE(rs->chains.size() >= 2);
  auto tcp = ports(*rs, kProtoTcp);
  REQUIRE(tcp.undetermined == PortSet(80, 80));
  REQUIRE(tcp.accepted.empty());
  bool noted = false;
  for (const auto* d : diags(*rs, "FWM091"))
    if (d->message.find("synproxy mss 1460") != std::string::npos) noted = true;
  REQUIRE(noted);
}

TEST_CASE("nftables real syntax: priority raw + 1 and a route chain on output", "[nftables][issue25]") {
  const std::string text =
      "table ip mangle {\n"
      "\tchain out {\n"
      "\t\ttype route hook output priority mangle; policy accept;\n"
      "\t\tmeta mark set 1\n"
      "\t}\n"
      "\tchain pre {\n"
      "\t\ttype filter hook prerouting priority raw + 1; policy accept;\n"
      "\t}\n"
      "\tchain forward {\n"
      "\t\ttype filter hook forward priority 0; policy accept;\n"
      "\t\ttcp flags syn tcp option maxseg size set rt mtu\n"
      "\t}\n"
      "}\n";
  require_nft_accepts(text);
  auto rs = load_text(text);
  INFO(errors_of(*rs));
  REQUIRE(diags(*rs, "FWM090").empty());
  // the MSS clamp changes no verdict: nothing is undetermined on the forward path
  REQUIRE(diags(*rs, "FWM091").empty());
  auto fwd = test::port_answer(*rs, {kProtoTcp, Family::V4, nullptr, nullptr, Direction::Forward});
  REQUIRE(fwd.accepted == all_ports());
}

TEST_CASE("nftables real syntax: dnat to [v6]:port", "[nftables][issue25]") {
  const std::string text =
      "table ip6 nat {\n\tchain pre {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
      "\t\ttcp dport 8080 dnat to [2001:db8::10]:80\n\t}\n}\n"
      "table inet nat {\n\tchain pre {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
      "\t\ttcp dport 8081 dnat ip6 to [2001:db8::11]:81\n\t}\n}\n";
  require_nft_accepts(text);
  auto rs = load_text(text);
  INFO(errors_of(*rs));
  REQUIRE(diags(*rs, "FWM090").empty());
  REQUIRE(diags(*rs, "FWM091").empty());
}

TEST_CASE("nftables real syntax: comments in element lists, set properties without ';'", "[nftables][issue25]") {
  const std::string text =
      "table inet t {\n"
      "\tset allowed {\n"
      "\t\ttype ipv4_addr\n"
      "\t\tflags interval\n"
      "\t\telements = {\n"
      "\t\t\t10.0.0.0/8, # office\n"
      "\t\t\t# the lab\n"
      "\t\t\t192.168.1.0/24 # lab\n"
      "\t\t}\n"
      "\t}\n"
      "\tset ports { type inet_service; flags interval; elements = { 22, 443 } }\n"
      "\tset other { type ipv4_addr ; flags interval ; auto-merge }\n"
      "\tchain input {\n"
      "\t\ttype filter hook input priority 0; policy drop;\n"
      "\t\tip saddr @allowed tcp dport @ports accept\n"
      "\t}\n"
      "}\n";
  require_nft_accepts(text);
  auto rs = load_text(text);
  INFO(errors_of(*rs));
  REQUIRE(diags(*rs, "FWM090").empty());
  REQUIRE(test::port_answer(*rs, {kProtoTcp, Family::V4, "192.168.1.7"}).accepted == PortSet({{22, 22}, {443, 443}}));
  REQUIRE(test::port_answer(*rs, {kProtoTcp, Family::V4, "172.16.0.1"}).accepted.empty());
}

TEST_CASE("nftables validation: rules nft refuses (tests/py fail lines)", "[nftables][issue25]") {
  struct Case {
    const char* family;
    const char* chain;  // the base chain declaration of the py file
    const char* rule;
    const char* reason;  // nft -c 1.0.6's message
  };
  const char* filter = "type filter hook input priority 0";
  const char* nat = "type nat hook postrouting priority 0";
  const std::vector<Case> cases = {
      {"ip", nat, "tcp dport 22 masquerade counter packets 0 bytes 0 accept",
       "Statement after terminal statement has no effect"},                                      // ip/masquerade.t
      {"ip", filter, "ct state xxx", "Could not parse conntrack state"},                         // any/ct.t
      {"ip", filter, "ct mark set {0x11333, 0x11}", "syntax error, unexpected '{'"},             // any/ct.t
      {"ip", filter, "ct zone 65536", "Value 65536 exceeds valid range 0-65535"},                // any/ct.t
      {"ip", filter, "ct helper \"12345678901234567\"", "String exceeds maximum length of 16"},  // any/ct.t
      {"ip", filter, "ct expiration 1d-1h", "Range has zero or negative size"},                  // any/ct.t
      {"ip", filter, "ct both zone 1", "syntax error"},                                          // any/ct.t
      {"ip", filter, "log level emerg group 2", "level and group are mutually exclusive"},       // any/log.t
      {"ip", filter, "log level audit prefix \"foo\"", "log level audit doesn't support any further"},  // any/log.t
      {"ip", filter, "limit rate 1023/second burst 10 bytes", "expecting packets"},                     // any/limit.t
      {"ip", filter, "queue num 65536", "Value 65536 exceeds valid range 0-65535"},                     // any/queue.t
      {"ip", filter, "queue flags fanout to symhash mod 65536", "fanout requires a range"},             // any/queue.t
      {"ip", filter, "meta pkttype broadcastttt", "Could not parse packet type"},                       // any/meta.t
      {"ip", filter, "meta day \"Satturday\" drop", "Could not parse Day of week"},                     // any/meta.t
      {"ip", filter, "meta hour \"24:00\" drop", "wrong time format"},                                  // any/meta.t
      {"ip", filter, "meta iifname \"\"", "Empty string is not allowed"},                               // any/meta.t
      {"ip", filter, "tcp option sack window", "syntax error, unexpected window"},                      // any/tcpopt.t
      {"ip", filter, "tcp option 256 exists", "value too large"},                                       // any/tcpopt.t
      {"ip", filter, "@th,16,1 2", "Value 2 exceeds valid range 0-1"},                              // any/rawpayload.t
      {"ip", filter, "ip protocol 256", "Protocol out of range"},                                   // ip/ip.t
      {"ip", filter, "ip saddr set {192.19.1.2, 191.1.22.1}", "syntax error, unexpected '{'"},      // ip/ip.t
      {"ip", filter, "ip dscp set ip dscp & 0x4f", "Value 79 exceeds valid range 0-63"},            // ip/ip.t
      {"ip", filter, "reject with icmp no-route", "Could not parse icmp code"},                     // ip/reject.t
      {"ip", filter, "reject with icmpv6 no-route", "conflicting protocols specified: ip vs ip6"},  // ip/reject.t
      {"ip", filter, "tproxy to 192.0.2.1", "Transparent proxy support requires transport protocol"},  // ip/tproxy.t
      {"ip", "type nat hook output priority 0", "redirect to :1234",
       "transport protocol mapping is only valid after transport protocol match"},  // ip/redirect.t
      {"ip", "type nat hook output priority 0", "udp dport 1234 redirect random to 123",
       "syntax error, unexpected to"},                                                                 // ip/redirect.t
      {"ip", filter, "ct reply ip daddr dead::beef", "Address family for hostname not supported"},     // ip/ct.t
      {"ip6", filter, "ip6 saddr 1234:1234:1234:1234:1234:1234:1234:1234:1234", "Could not resolve"},  // ip6/vmap.t
      {"ip6", filter, "iif \"lo\" ip6 flowlabel set 1048576", "exceeds valid range 0-1048575"},        // ip6/ip6.t
      {"inet", "type nat hook prerouting priority 0", "dnat to 1.2.3.4",
       "ip or ip6 must be specified with address for inet tables"},  // inet/dnat.t
      {"inet", "type nat hook prerouting priority 0", "meta l4proto { tcp, udp } tcp dport 20 dnat to 1.1.1.1:80",
       "conflicting protocols specified"},  // inet/dnat.t
      {"inet", filter, "meta nfproto ipv6 reject with icmp host-unreachable",
       "conflicting protocols"},                                                                    // inet/reject.t
      {"inet", filter, "meta l4proto udp reject with tcp reset", "you cannot use tcp reset"},       // inet/reject.t
      {"inet", filter, "fib saddr . daddr oif lo", "fib: saddr and daddr are mutually exclusive"},  // inet/fib.t
      {"inet", filter, "rt nexthop 192.168.0.1", "cannot determine ip protocol version"},           // inet/rt.t
      {"inet", filter, "ip saddr vmap { 10.0.1.0-10.0.1.255 : accept, 10.0.1.1-10.0.2.255 : drop }",
       "conflicting intervals specified"},                                                          // inet/ip.t
      {"inet", filter, "tcp flags & (fin | syn | rst | ack) ! syn", "cannot combine negation"},     // inet/tcp.t
      {"inet", filter, "socket transparent 2", "Value 2 exceeds valid range 0-1"},                  // inet/socket.t
      {"inet", filter, "osf ttl nottl name \"Linux\"", "invalid ttl option"},                       // inet/osf.t
      {"inet", filter, "ipsec in spnum 256 reqid 1", "value too large"},                            // inet/ipsec.t
      {"inet", filter, "gre ip saddr set 1.2.3.4", "syntax error, unexpected set"},                 // inet/gre.t
      {"bridge", filter, "vlan id 4094 vlan dei 1 vlan pcp 8", "Value 8 exceeds valid range 0-7"},  // bridge/vlan.t
      {"bridge", filter, "ether type ip vlan id 1",
       "conflicting protocols specified: ether vs. vlan"},                                        // bridge/vlan.t
      {"bridge", filter, "ether type arp reject", "cannot reject this network family"},           // bridge/reject.t
      {"bridge", filter, "meta broute set 1", "meta broute"},                                     // bridge/meta.t
      {"ip", filter, "ip saddr 192.168.1.3 quota name \"qt3\"", "quota \"qt3\" does not exist"},  // ip/objects.t
  };
  for (const auto& c : cases) {
    std::string text =
        fmt::format("table {} test {{\n\tchain c {{\n\t\t{};\n\t\t{}\n\t}}\n}}\n", c.family, c.chain, c.rule);
    INFO(text);
    auto rs = load_text(text);
    auto errors = diags(*rs, "FWM090");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0]->span.line == 4);
    CHECK(errors[0]->message.find(c.reason) != std::string::npos);
    if (nft_available()) CHECK(nft_check(text) != 0);
  }
}

TEST_CASE("nftables validation: what nft accepts next to each refused rule stays accepted", "[nftables][issue25]") {
  // The ok lines beside the fail lines above (same py files).
  struct Case {
    const char* family;
    const char* chain;
    const char* rule;
  };
  const char* filter = "type filter hook input priority 0";
  const std::vector<Case> cases = {
      {"ip", "type nat hook postrouting priority 0", "ip protocol 6 masquerade to :1024"},
      {"ip", "type nat hook postrouting priority 0", "udp dport 53 masquerade random,persistent"},
      {"ip", filter, "ct state established,related accept comment \"x\""},
      {"ip", filter, "ct zone 65535"},
      {"ip", filter, "ct expiration 1m-1h"},
      {"ip", filter, "log level emerg prefix \"x\""},
      {"ip", filter, "log group 2 snaplen 100 prefix \"x\""},
      {"ip", filter, "limit rate 10 mbytes/second burst 1 mbytes"},
      {"ip", filter, "queue flags fanout to 1-3"},
      {"ip", filter, "queue to symhash mod 2 offset 65000"},
      {"ip", filter, "meta day \"Saturday\" drop"},
      {"ip", filter, "meta hour \"17:00\"-\"19:00\" drop"},
      {"ip", filter, "tcp option maxseg size 1460"},
      {"ip", filter, "tcp option sack left 1"},
      {"ip", filter, "ip dscp set cs1"},
      {"ip", filter, "reject with icmp host-unreachable"},
      {"ip", "type nat hook output priority 0", "udp dport 1234 redirect to :4321 random"},
      {"ip", filter, "meta l4proto 6 tproxy to 192.0.2.1"},
      {"inet", "type nat hook prerouting priority 0", "ip daddr 10.0.0.1 dnat ip to 1.2.3.4"},
      {"inet", "type nat hook prerouting priority 0", "meta l4proto tcp dnat ip to 1.1.1.1:80"},
      {"inet", filter, "meta nfproto ipv4 rt nexthop 192.168.0.1"},
      {"inet", filter, "ip saddr vmap { 10.0.1.0-10.0.1.255 : accept, 10.0.2.0-10.0.2.255 : drop }"},
      {"bridge", filter, "ether type vlan vlan id 4094 vlan dei 1"},
      {"bridge", filter, "ether type ip6 reject with icmpv6 no-route"},
  };
  for (const auto& c : cases) {
    std::string text =
        fmt::format("table {} test {{\n\tchain c {{\n\t\t{};\n\t\t{}\n\t}}\n}}\n", c.family, c.chain, c.rule);
    INFO(text);
    auto rs = load_text(text);
    INFO(errors_of(*rs));
    CHECK(diags(*rs, "FWM090").empty());
  }
}

TEST_CASE("nftables real syntax: ct fields set by a rule change no verdict", "[nftables][issue25]") {
  // tests/py any/ct.t ok lines: `ct mark set 0x00000001 or ct mark` (nft's scanner reads
  // "or" as '|'), `ct event set new,related,destroy,label` (a list), `ct original zone set
  // 1` (a direction, then the key). Each writes conntrack state and goes on.
  const std::string text = input_chain("drop",
                                       "\t\tct mark set 0x00000001 or ct mark\n"
                                       "\t\tct event set new,related,destroy,label\n"
                                       "\t\tct event set new,destroy\n"
                                       "\t\tct original zone set 1\n"
                                       "\t\tct reply zone set 1\n"
                                       "\t\ttcp dport 22 accept\n",
                                       "ip");
  auto rs = load_text(text);
  INFO(errors_of(*rs));
  REQUIRE(diags(*rs, "FWM090").empty());
  auto tcp = ports(*rs, kProtoTcp);
  REQUIRE(tcp.accepted == PortSet(22, 22));
  REQUIRE(tcp.undetermined.empty());
}

TEST_CASE("nftables real syntax: a raw tcp option is a match we do not model", "[nftables][issue25]") {
  // tests/py any/tcpopt.t: `tcp option @255,8,8 255` (option kind 255, 8 bits at offset 8).
  const std::string text = input_chain("drop", "\t\ttcp option @255,8,8 255 tcp dport 80 accept\n", "ip");
  auto rs = load_text(text);
  INFO(errors_of(*rs));
  REQUIRE(diags(*rs, "FWM090").empty());
  auto tcp = ports(*rs, kProtoTcp);
  REQUIRE(tcp.undetermined == PortSet(80, 80));
  REQUIRE(tcp.accepted.empty());
}

TEST_CASE("nftables real syntax: `ne` is the != operator", "[nftables][issue25]") {
  // tests/py ip/tcp.t: `ip protocol ne tcp udp dport ssh accept` (scanner.l: "ne" is NEQ).
  const std::string text = input_chain("drop",
                                       "\t\tip protocol ne tcp udp dport ssh accept\n"
                                       "\t\ttcp dport ne 22 tcp dport lt 1024 accept\n",
                                       "ip");
  auto rs = load_text(text);
  INFO(errors_of(*rs));
  REQUIRE(diags(*rs, "FWM090").empty());
  REQUIRE(ports(*rs, kProtoUdp).accepted == PortSet(22, 22));
  REQUIRE(ports(*rs, kProtoTcp).accepted == PortSet({{0, 21}, {23, 1023}}));
}

TEST_CASE("nftables real syntax: an IPv6 address ending in :: before a map's colon", "[nftables][issue25]") {
  // tests/py ip6/vmap.t: nft's scanner reads "aaaa:::accept" as the address "aaaa::", ':'
  // and "accept" (scanner.l v677: `({hex4}:){7}:`), and "::dddd: drop" as "::dddd", ':', "drop".
  for (const char* rule : {"ip6 saddr vmap {1234:1234:1234:1234:1234:1234:aaaa:::accept, ::bbbb : drop}",
                           "ip6 saddr vmap {1234:1234:1234:1234:1234:1234:aaaa:::accept,::cccc : drop}",
                           "ip6 saddr vmap {1234:1234:1234:1234:1234:1234:aaaa:::accept,::dddd: drop}"}) {
    std::string text = input_chain("drop", fmt::format("\t\t{}\n", rule), "ip6");
    INFO(text);
    auto rs = load_text(text);
    INFO(errors_of(*rs));
    CHECK(diags(*rs, "FWM090").empty());
    // the key is 1234:1234:1234:1234:1234:1234:aaaa:0, and its verdict accept
    CHECK(test::port_answer(*rs, {kProtoTcp, Family::V6, "1234:1234:1234:1234:1234:1234:aaaa:0"}).accepted ==
          PortSet(0, 65535));
    CHECK(test::port_answer(*rs, {kProtoTcp, Family::V6, "1234:1234:1234:1234:1234:1234:aaaa:1"}).accepted.empty());
  }
  // ip6/vmap.t fail line: an address cannot follow the verdict
  auto rs = load_text(
      input_chain("accept", "\t\tip6 saddr vmap { 1234:1234:1234:1234:1234:1234:bbbb:::accept::adda : drop}\n", "ip6"));
  CHECK(diags(*rs, "FWM090").size() == 1);
}

TEST_CASE("nftables real syntax: a shebang's --includepath is searched for includes", "[nftables][issue25]") {
  // nft(8): -I, --includepath directory: "Add the directory to the list of directories to be
  // searched for included files". /etc/nftables.conf with /etc/nftables.d beside it, copied
  // together: the shebang's /etc/nftables.d is the nftables.d beside the input.
  fs::path dir = fs::temp_directory_path() / fmt::format("fwm-nft-shebang-{}", ::getpid());
  fs::create_directories(dir / "nftables.d");
  {
    std::ofstream(dir / "nftables.d" / "vars.nft") << "define ssh = 22\n";
    std::ofstream(dir / "nftables.conf") << "#!/usr/sbin/nft --includepath /etc/nftables.d -f\n"
                                            "include \"vars.nft\"\n" +
                                                input_chain("drop", "\t\ttcp dport $ssh accept\n");
    std::ofstream(dir / "short.conf") << "#!/usr/sbin/nft -I/etc/nftables.d -f\ninclude \"vars.nft\"\n" +
                                             input_chain("drop", "\t\ttcp dport $ssh accept\n");
    std::ofstream(dir / "none.conf") << "#!/usr/sbin/nft -f\ninclude \"vars.nft\"\n" +
                                            input_chain("drop", "\t\ttcp dport 22 accept\n");
  }
  for (const char* name : {"nftables.conf", "short.conf"}) {
    INFO(name);
    auto r = load_ruleset((dir / name).string(), {"nftables", ""});
    REQUIRE(r.ruleset);
    INFO(errors_of(*r.ruleset));
    REQUIRE(diags(*r.ruleset, "FWM090").empty());
    REQUIRE(ports(*r.ruleset, kProtoTcp).accepted == PortSet(22, 22));
    bool noted = false;
    for (const auto* d : diags(*r.ruleset, "FWM091"))
      if (d->message.find("/etc/nftables.d") != std::string::npos) noted = true;
    REQUIRE(noted);
  }
  // without the include path, nft does not find it either
  auto r = load_ruleset((dir / "none.conf").string(), {"nftables", ""});
  REQUIRE(r.ruleset);
  REQUIRE(diags(*r.ruleset, "FWM090").size() == 1);
  fs::remove_all(dir);
}

TEST_CASE("nftables validation: named objects must exist in the table", "[nftables][issue25]") {
  // ip/objects.t: `counter name "cnt2"` with cnt2 declared loads; an undeclared name does not
  // (the kernel: No such file or directory). Declared in a table block or by a command.
  const std::string text =
      "table ip test {\n\tcounter cnt1 { }\n\tquota qt1 { 25 mbytes }\n\tchain c {\n"
      "\t\ttype filter hook input priority 0;\n"
      "\t\tip saddr 192.168.1.3 counter name \"cnt1\"\n"
      "\t\tip saddr 192.168.1.3 quota name \"qt1\"\n"
      "\t\tip saddr 192.168.1.3 counter name tcp dport map { 443 : \"cnt1\" }\n\t}\n}\n"
      "add limit ip test lim1 { rate 400/minute }\n"
      "add rule ip test c limit name \"lim1\"\n"
      "add rule ip test c counter name \"cnt9\"\n";
  require_nft_accepts(text.substr(0, text.find("add rule ip test c counter name")));
  auto rs = load_text(text);
  auto errors = diags(*rs, "FWM090");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0]->span.line == 13);
  CHECK(errors[0]->message.find("counter \"cnt9\" does not exist in table ip test") != std::string::npos);
}

TEST_CASE("nftables real syntax: a set an unread include may define is undetermined, not missing", "[nftables]") {
  // nft(8) INCLUDE FILES: an include inside a table adds its statements there, sets too
  // (potato-routing's nftables.conf: `include "/var/lib/potato/nft-set-*.conf"` holds set
  // china). The include that is not read is the error (FWM090); a set it may define is
  // not known to be missing, so the rules using it are undetermined.
  const std::string body =
      "  chain input {\n"
      "    type filter hook input priority 0; policy drop;\n"
      "    ip saddr @china tcp dport 22 accept\n"
      "    tcp dport 443 accept\n"
      "  }\n"
      "}\n";
  auto rs = load_text("table ip potato {\n  include \"missing-sets.conf\"\n" + body);
  INFO(errors_of(*rs));
  REQUIRE(diags(*rs, "FWM090").size() == 1);
  CHECK(diags(*rs, "FWM090")[0]->message.find("include \"missing-sets.conf\"") != std::string::npos);
  auto a = ports(*rs, kProtoTcp);
  CHECK(a.accepted == PortSet(443, 443));
  CHECK(a.undetermined.contains(22));
  // Without an unread include the set is plainly not defined, as nft says.
  auto plain = load_text("table ip potato {\n" + body);
  REQUIRE(diags(*plain, "FWM090").size() == 1);
  CHECK(diags(*plain, "FWM090")[0]->message.find("set @china is not defined in table ip potato") != std::string::npos);
}
