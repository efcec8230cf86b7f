// iptables-restore input as the real tool reads it (issue 25): what iptables 1.8.9
// (nf_tables, Debian 12) accepts, refuses and how it reads each line. Sources: netfilter
// iptables iptables/xshared.c (the -4/-6 options: "line is ignored by ip6tables-restore",
// "line is ignored by iptables-restore"; add_param_to_argv: double quotes only),
// iptables/xtables-restore.c (counters before a command, chain lines), the extensions'
// option tables (extensions/libxt_*.c), and iptables-restore runs in a network namespace
// (tests/kernel holds the harness; the behaviour each case checks is stated with it).
#include <fmt/format.h>

#include <algorithm>

#include "frontends/frontend.h"
#include "fwm_catch.hpp"
#include "port_answer.h"

using namespace fwm;
using fwm::test::port_answer;
using fwm::test::PortQuery;

namespace {

Ruleset load(const std::string& text, const char* format = "iptables") {
  LoadOptions o;
  o.format = format;
  auto loaded = load_ruleset_bytes("restore.rules", text, o);
  REQUIRE(loaded.ruleset);
  return std::move(*loaded.ruleset);
}

std::vector<const Diagnostic*> with_id(const Ruleset& rs, const char* id) {
  std::vector<const Diagnostic*> out;
  for (const auto& d : rs.diagnostics)
    if (d.id == id) out.push_back(&d);
  return out;
}

std::string errors(const Ruleset& rs) {
  std::string out;
  for (const auto* d : with_id(rs, "FWM090"))
    out += fmt::format("{}:{}: {}\n", d->span.line, d->span.column, d->message);
  return out;
}

std::size_t rules_in(const Ruleset& rs, const std::string& chain) {
  int c = rs.find_chain(chain);
  REQUIRE(c >= 0);
  return rs.chains[static_cast<std::size_t>(c)].rules.size();
}

bool tcp_open(const Ruleset& rs, std::uint32_t port, Family family = Family::V4, const char* src = nullptr) {
  PortQuery q;
  q.family = family;
  q.src = src;
  auto answer = port_answer(rs, q);
  return answer.accepted.contains(port);
}

// One rule after "-A INPUT" in a filter table, as the extension tests write them.
Ruleset one_rule(const std::string& rule, const char* format = "iptables", const char* chain = "INPUT",
                 const char* table = "filter") {
  return load(fmt::format("*{}\n:{} ACCEPT [0:0]\n-A {} {}\nCOMMIT\n", table, chain, chain, rule), format);
}

}  // namespace

TEST_CASE("iptables-restore: -4 and -6 lines are read by one tool each", "[iptables][restore]") {
  // One file for both tools: iptables-restore skips the -6 lines, ip6tables-restore the -4
  // lines (xshared.c), wherever the option stands in the line.
  const std::string text =
      "*filter\n:INPUT DROP [0:0]\n"
      "-4 -A INPUT -p tcp --dport 22 -j ACCEPT\n"
      "-6 -A INPUT -p tcp -s 2001:db8::/32 --dport 80 -j ACCEPT\n"
      "-A INPUT -p tcp --dport 443 -6 -j ACCEPT\n"
      "-A INPUT -p tcp --dport 25 -j ACCEPT\n"
      "COMMIT\n";
  Ruleset v4 = load(text, "iptables");
  CHECK(errors(v4).empty());
  CHECK(rules_in(v4, "filter INPUT") == 2);
  CHECK(tcp_open(v4, 22));
  CHECK(tcp_open(v4, 25));
  CHECK_FALSE(tcp_open(v4, 443));
  auto notes = with_id(v4, "FWM091");
  REQUIRE(notes.size() == 1);  // once per file, with a count
  CHECK(notes[0]->span.line == 4);
  CHECK(notes[0]->message.find("-6") != std::string::npos);
  CHECK(notes[0]->message.find("2 rules use it") != std::string::npos);

  Ruleset v6 = load(text, "ip6tables");
  CHECK(errors(v6).empty());
  CHECK(rules_in(v6, "filter INPUT") == 3);
  CHECK_FALSE(tcp_open(v6, 22, Family::V6));
  CHECK(tcp_open(v6, 443, Family::V6));
  CHECK(tcp_open(v6, 80, Family::V6, "2001:db8::1"));
  // Detected (no --format): a file that marks its lines does not become IPv6 because of them.
  LoadOptions detect;
  auto detected = load_ruleset_bytes("restore.rules", text, detect);
  REQUIRE(detected.ruleset);
  CHECK(detected.ruleset->format == "iptables");
}

TEST_CASE("iptables-restore: counters before a command", "[iptables][restore]") {
  // "[packets:bytes]" opens a command line (iptables-save -c); blanks may follow it.
  Ruleset rs = load(
      "*filter\n:INPUT DROP [0:0]\n:SSH - [0:0]\n[0:0] -A INPUT -p tcp --dport 22 -j SSH\n"
      "[12:3456]    -A SSH -j ACCEPT\n[1:2] -I INPUT -p tcp --dport 80 -j ACCEPT\nCOMMIT\n");
  CHECK(errors(rs).empty());
  CHECK(tcp_open(rs, 22));
  CHECK(tcp_open(rs, 80));
  CHECK(rules_in(rs, "filter INPUT") == 2);
}

TEST_CASE("iptables-restore: user chains declared with counters or a policy", "[iptables][restore]") {
  // iptables-nft-restore 1.8.9 creates ":FOO [0:0]" and ":FOO ACCEPT [0:0]" as user chains
  // (what stands in the policy's place is not read for them); legacy refuses: a note says so.
  Ruleset rs = load(
      "*filter\n:INPUT DROP [0:0]\n:FOO [0:0]\n:BAR ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j FOO\n"
      "-A FOO -j BAR\n-A BAR -j ACCEPT\nCOMMIT\n");
  CHECK(errors(rs).empty());
  CHECK(tcp_open(rs, 22));
  CHECK_FALSE(tcp_open(rs, 23));  // BAR's "policy" does not accept what falls through
  auto notes = with_id(rs, "FWM091");
  REQUIRE(notes.size() == 2);
  CHECK(notes[0]->span.line == 3);
  CHECK(notes[0]->message.find("user chain FOO") != std::string::npos);
  // A built-in chain still needs ACCEPT or DROP (iptables-restore: Bad policy name).
  Ruleset bad = load("*filter\n:INPUT [0:0]\nCOMMIT\n");
  CHECK(errors(bad).find("needs policy ACCEPT or DROP") != std::string::npos);
}

TEST_CASE("iptables-restore: a chain is there from its declaration on", "[iptables][restore]") {
  // iptables-restore reads line by line: "-A LATE" above ":LATE" fails (No chain/target/match
  // by that name), and so does a jump to it (Chain 'LATE' does not exist).
  Ruleset append_first = load("*filter\n:INPUT ACCEPT [0:0]\n-A LATE -j ACCEPT\n:LATE - [0:0]\nCOMMIT\n");
  CHECK(errors(append_first).find("3:1: chain 'LATE' is declared below this line") != std::string::npos);
  Ruleset jump_first = load("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j LATE\n:LATE - [0:0]\n-A LATE -j DROP\nCOMMIT\n");
  CHECK(errors(jump_first).find("3:10: jump to chain 'LATE' before its declaration") != std::string::npos);
  Ruleset lower_case = load("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -g late\n:late - [0:0]\nCOMMIT\n");
  CHECK(errors(lower_case).find("goto to chain 'late' before its declaration") != std::string::npos);
  // Declared above: fine, also in a second table after the first's rules.
  Ruleset fine = load(
      "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:SVC - [0:0]\n"
      "-A PREROUTING -j SVC\n-A SVC -p tcp -j REDIRECT --to-ports 8080\nCOMMIT\n");
  CHECK(errors(fine).empty());
}

TEST_CASE("iptables-restore: -I inserts at its rule number", "[iptables][restore]") {
  // -I CHAIN [rulenum]: 1 by default; 0 is refused (Invalid rule number) and so is a number
  // past the end plus one (Index of insertion too big), as iptables-restore does.
  Ruleset rs = load(
      "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j DROP\n-I INPUT -p tcp --dport 22 -j ACCEPT\n"
      "-I INPUT 3 -p tcp --dport 80 -j DROP\n-I INPUT 2 -p tcp --dport 80 -j ACCEPT\nCOMMIT\n");
  CHECK(errors(rs).empty());
  REQUIRE(rules_in(rs, "filter INPUT") == 4);
  CHECK(tcp_open(rs, 22));  // the inserted ACCEPT comes first
  CHECK(tcp_open(rs, 80));  // rule 2 (ACCEPT) before rule 3... of a chain of 3 then
  Ruleset zero = load("*filter\n:INPUT ACCEPT [0:0]\n-I INPUT 0 -j DROP\nCOMMIT\n");
  CHECK(errors(zero).find("3:1: Invalid rule number `0'") != std::string::npos);
  Ruleset past = load("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n-I INPUT 3 -j DROP\nCOMMIT\n");
  CHECK(errors(past).find("4:1: Index of insertion too big") != std::string::npos);
  CHECK(tcp_open(past, 1));  // the refused line changes nothing
}

TEST_CASE("iptables-restore: dotted netmasks and -p ipv6", "[iptables][restore]") {
  // -s 10.0.0.0/255.0.0.0 is 10.0.0.0/8 (iptables(8): "the mask can be either an ipv4
  // network mask or a plain number").
  Ruleset rs = load("*filter\n:INPUT DROP [0:0]\n-A INPUT -s 10.0.0.0/255.0.0.0 -p tcp -j ACCEPT\nCOMMIT\n");
  CHECK(errors(rs).empty());
  CHECK(tcp_open(rs, 443, Family::V4, "10.200.0.0/16"));
  CHECK_FALSE(tcp_open(rs, 443, Family::V4, "11.0.0.1"));
  // Protocol 41 (IPv6 in IPv4; /etc/protocols "ipv6"), in both tools.
  for (const char* format : {"iptables", "ip6tables"}) {
    Ruleset p = one_rule("-p ipv6 -j ACCEPT", format);
    CHECK(errors(p).empty());
  }
}

TEST_CASE("iptables-restore: single quotes are ordinary characters", "[iptables][restore]") {
  // add_param_to_argv knows double quotes only: --comment 'x' is the comment 'x' with its
  // quotes, and 'a b' is two words, the second a stray argument (Bad argument `b'').
  Ruleset quoted = one_rule("-m comment --comment 'ssh' -j ACCEPT");
  CHECK(errors(quoted).empty());
  const Rule& rule = quoted.chains[static_cast<std::size_t>(quoted.find_chain("filter INPUT"))].rules.at(0);
  CHECK(quoted.normalizer->normalized(quoted, rule).find("--comment 'ssh'") != std::string::npos);
  Ruleset spaced = one_rule("-m comment --comment 'allow ssh' -j ACCEPT");
  CHECK(errors(spaced).find("Bad argument `ssh''") != std::string::npos);
  Ruleset doubled = one_rule("-m comment --comment \"allow ssh\" -j ACCEPT");
  CHECK(errors(doubled).empty());
}

TEST_CASE("iptables extensions: values, combinations and missing options refused", "[iptables][extensions]") {
  // Each line is refused by iptables-restore 1.8.9 with the message quoted (extensions/*.t
  // FAIL lines; libxt_dscp.c, libxt_hl.c, libxt_TTL.c, libxt_owner.c, libxt_multiport.c...).
  struct Case {
    const char* rule;
    const char* message;
    const char* format = "iptables";
    const char* chain = "INPUT";
    const char* table = "filter";
  };
  for (const Case& c : {
           Case{"-m dscp --dscp 0x40", "dscp: bad value for option \"--dscp\", or out of range (0-63)."},
           Case{"-m dscp --dscp 0x3f --dscp-class CS0", "cannot be used together with \"--dscp\""},
           Case{"-m hl --hl-gt 42 --hl-eq 42", "hl: option \"--hl-eq\" cannot be used together with \"--hl-gt\".",
                "ip6tables"},
           Case{"-j TTL --ttl-inc 0", "TTL: bad value for option \"--ttl-inc\", or out of range (1-255).", "iptables",
                "PREROUTING", "mangle"},
           Case{"-m owner --uid-owner 0", "owner: the match is only valid in the OUTPUT and POSTROUTING chains"},
           Case{"-p tcp --multiport", "unknown option \"--multiport\""},
           Case{"-p ah -m ah --ahspi 4:3", "ah: invalid range \"4:3\""},
           Case{"-m connbytes --connbytes 0:1000 --connbytes-mode packets",
                "connbytes: option \"--connbytes-dir\" must be specified"},
           Case{"-m mark --mark 0xfffffffff", "mark: bad integer value for option \"--mark\", or out of range."},
           Case{"-j TEE ! --gateway 1.1.1.1", "TEE: option \"--gateway\" cannot be inverted."},
           Case{"-j LOG --log-level bad", "LOG: bad value for option \"--log-level\": \"bad\""},
           Case{"-m icmp", "icmp: option \"--icmp-type\" must be specified"},
           Case{"-m statistic --mode nth --every 5 --packet 5", "the --packet p must be 0 <= p <= n-1"},
           Case{"-j REJECT --reject-with tcp-reset", "tcp-reset is only valid with -p tcp", "ip6tables"},
       }) {
    INFO(c.rule);
    Ruleset rs = one_rule(c.rule, c.format, c.chain, c.table);
    CHECK(errors(rs).find(c.message) != std::string::npos);
  }
  // What iptables accepts stays accepted: abbreviated options (getopt_long), the protocol's
  // match loaded by its option, options of several matches, a target's own options.
  for (const char* rule : {"-p tcp --dpor 22 -j ACCEPT", "-p tcp --dport 22 -m comment --comment x -j ACCEPT",
                           "-p udp -m multiport --dports 53,1024:65535 -m udp --sport 53 -j ACCEPT",
                           "-m conntrack --ctstate NEW,ESTABLISHED -m limit --limit 5/min -j LOG --log-prefix \"x: \"",
                           "-m hashlimit --hashlimit-upto 1/sec --hashlimit-name a -j NFQUEUE --queue-balance 0:3"}) {
    INFO(rule);
    CHECK(errors(one_rule(rule)).empty());
  }
}

TEST_CASE("iptables extensions: a refused match fwmatrix does not model keeps its rule, undetermined",
          "[iptables][extensions]") {
  // iptables-restore 1.8.9 refuses "--mac-source XX:XX:XX:XX:XX:XX" (Invalid MAC address
  // specified.) and "-m string" without --algo: the file does not load. fwmatrix says so
  // (FWM090, the tool's reason, at the option) but, -m mac and -m string being unknown
  // conditions to it anyway, still analyses the rule with the match unknown.
  const std::string text =
      "*filter\n"
      ":INPUT DROP [0:0]\n"
      "-A INPUT -p tcp --dport 22 -m mac --mac-source XX:XX:XX:XX:XX:XX -j ACCEPT\n"
      "-A INPUT -p tcp --dport 80 -m string --string GET -j ACCEPT\n"
      "-A INPUT -p tcp --dport 443 -j ACCEPT\n"
      "COMMIT\n";
  Ruleset rs = load(text);
  auto refused = with_id(rs, "FWM090");
  REQUIRE(refused.size() == 2);
  CHECK(refused[0]->span.line == 3);
  CHECK(refused[0]->span.column == 35);  // --mac-source, the option whose value is refused
  CHECK(refused[0]->message.find("Invalid MAC address specified.") == 0);
  CHECK(refused[0]->message.find("'-m mac' as an unknown condition") != std::string::npos);
  CHECK(refused[1]->span.line == 4);
  CHECK(refused[1]->message.find("string: option \"--algo\" must be specified") == 0);
  // Both rules are analysed, each with its match as an unknown condition.
  REQUIRE(rules_in(rs, "filter INPUT") == 3);
  const auto& rules = rs.chains[static_cast<std::size_t>(rs.find_chain("filter INPUT"))].rules;
  CHECK(rules[0].match.has_unknown());
  CHECK(rules[1].match.has_unknown());
  CHECK_FALSE(rules[2].match.has_unknown());
  // What they would accept is undetermined, not left out (a dropped line would make 22
  // and 80 plainly denied by the policy).
  auto answer = port_answer(rs, {});
  CHECK(answer.undetermined.contains(22));
  CHECK(answer.undetermined.contains(80));
  CHECK_FALSE(answer.accepted.contains(22));
  CHECK(answer.accepted.contains(443));
  // Once per file: iptables-restore would load nothing of it, with the count of such lines.
  std::size_t notes = 0;
  for (const auto* d : with_id(rs, "FWM091"))
    if (d->message.find("iptables-restore would not load this file") != std::string::npos) {
      ++notes;
      CHECK(d->severity == Severity::Note);
      CHECK(d->span.line == 3);
      CHECK(d->message.find("(2 such lines in this file)") != std::string::npos);
    }
  CHECK(notes == 1);

  // A refusal in what fwmatrix models (ports, addresses, the target) still drops the line,
  // whatever unmodelled match it also has.
  for (const char* rule : {"-p tcp --dport 70000 -m mac --mac-source XX:XX:XX:XX:XX:XX -j ACCEPT",
                           "-p tcp -m multiport --dports 1:2:3 -m string --string x -j ACCEPT",
                           "-m mac --mac-source 00:11:22:33:44:55 -j LOG --log-level bad",
                           "-p tcp --dport 22 -m mac --mac-source XX:XX:XX:XX:XX:XX -j TTL --ttl-inc 0"}) {
    INFO(rule);
    Ruleset dropped = one_rule(rule);
    CHECK_FALSE(errors(dropped).empty());
    CHECK(errors(dropped).find("still analysed") == std::string::npos);
    CHECK(rules_in(dropped, "filter INPUT") == 0);
    for (const auto* d : with_id(dropped, "FWM091")) CHECK(d->message.find("would not load") == std::string::npos);
  }
  // Both refusals of a dropped line are reported, the unmodelled match's too.
  CHECK(errors(one_rule("-p tcp --dport 22 -m mac --mac-source XX:XX:XX:XX:XX:XX -j TTL --ttl-inc 0", "iptables",
                        "PREROUTING", "mangle"))
            .find("Invalid MAC address specified.") != std::string::npos);
  // Two refused unmodelled matches on one line: both reported, one rule, one such line.
  Ruleset both = one_rule("-p tcp --dport 22 -m mac --mac-source XX:XX:XX:XX:XX:XX -m string --string x -j ACCEPT");
  CHECK(with_id(both, "FWM090").size() == 2);
  CHECK(rules_in(both, "filter INPUT") == 1);
  bool one_line = false;
  for (const auto* d : with_id(both, "FWM091"))
    one_line = one_line || d->message.find("(1 such line in this file)") != std::string::npos;
  CHECK(one_line);
  // One reason, many lines: one FWM090, at the first line, with the number of lines and
  // the first five of them (a dump with 1,653 masked MAC addresses is one error, not 1,653).
  std::string many = "*filter\n:INPUT DROP [0:0]\n";
  for (int i = 0; i < 7; ++i)
    many += fmt::format("-A INPUT -s 10.0.0.{}/32 -m mac --mac-source XX:XX:XX:XX:XX:XX -j ACCEPT\n", i);
  many += "-A INPUT -m string --string x -j ACCEPT\nCOMMIT\n";
  Ruleset masked = load(many);
  auto reasons = with_id(masked, "FWM090");
  REQUIRE(reasons.size() == 2);
  CHECK(reasons[0]->span.line == 3);
  CHECK(reasons[0]->message.find("Invalid MAC address specified.") == 0);
  CHECK(reasons[0]->message.find("(7 lines of this file are refused for this reason: 3, 4, 5, 6, 7, ...)") !=
        std::string::npos);
  CHECK(reasons[1]->span.line == 10);
  CHECK(reasons[1]->message.find("lines of this file") == std::string::npos);  // one line: no count
  CHECK(rules_in(masked, "filter INPUT") == 8);
  // A file without refused lines has no such note.
  const Ruleset clean = one_rule("-m mac --mac-source 00:11:22:33:44:55 -j ACCEPT");
  for (const auto* d : with_id(clean, "FWM091"))
    CHECK(d->message.find("would not load") == std::string::npos);
}
