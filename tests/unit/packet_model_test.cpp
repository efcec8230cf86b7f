// Conditions decided on the packet model rather than left undetermined: the required
// connection's first packet is not a later fragment, its source is routed back through
// the interface it arrives on (reverse-path filters), and its destination is a unicast
// address (fib daddr type). Each assumption is stated in an FWM091 note.
#include "fwm_catch.hpp"

#include "eval/anomalies.h"
#include "frontends/frontend.h"
#include "port_answer.h"

using namespace fwm;

namespace {

std::unique_ptr<Ruleset> load(const std::string& name, const std::string& text) {
  auto r = load_ruleset_bytes(name, text, {});
  REQUIRE(r.ruleset);
  return std::move(r.ruleset);
}

std::size_t notes(const Ruleset& rs) {
  std::size_t n = 0;
  for (const auto& d : rs.diagnostics)
    if (d.id == "FWM091" && d.severity == Severity::Note) ++n;
  return n;
}

std::size_t warnings(const Ruleset& rs) {
  std::size_t n = 0;
  for (const auto& d : rs.diagnostics)
    if (d.id == "FWM091" && d.severity == Severity::Warning) ++n;
  return n;
}

std::string nft_host(const std::string& prerouting, const std::string& input) {
  return "table inet f {\n chain pre {\n  type filter hook prerouting priority filter + 10; policy accept;\n" +
         prerouting + "\n }\n chain in {\n  type filter hook input priority filter; policy drop;\n" + input +
         "\n  tcp dport 5061 accept\n }\n}\n";
}

}  // namespace

TEST_CASE("packet model: nft reverse-path filters find a route for a required connection", "[nftables][packet-model]") {
  for (const char* rule : {"meta nfproto ipv6 fib saddr . mark . iif oif missing drop", "fib saddr . iif oif 0 drop",
                           "fib saddr oif missing drop", "fib saddr . iif check missing drop"}) {
    INFO(rule);
    auto rs = load("rpf.nft", nft_host(rule, ""));
    for (Family f : {Family::V4, Family::V6}) {
      auto a = test::port_answer(*rs, {kProtoTcp, f});
      CHECK(a.accepted == PortSet::single(5061));
      CHECK(a.undetermined.empty());
    }
    CHECK(notes(*rs) == 1);
    CHECK(warnings(*rs) == 0);
  }
  // The same look-up the other way round: "a route exists" holds, so the drop applies.
  auto exists = load("rpf.nft", nft_host("fib saddr . iif oif exists drop", ""));
  CHECK(test::port_answer(*exists, {kProtoTcp}).accepted.empty());
  auto negated = load("rpf.nft", nft_host("fib saddr . iif oif != missing drop", ""));
  CHECK(test::port_answer(*negated, {kProtoTcp}).accepted.empty());
  // Other look-ups depend on the host's routes: undetermined.
  auto other = load("rpf.nft", nft_host("fib daddr oif eth0 drop", ""));
  CHECK(test::port_answer(*other, {kProtoTcp}).undetermined == PortSet::single(5061));
  CHECK(warnings(*other) == 1);
}

TEST_CASE("packet model: nft fib daddr type drops multicast and the limited broadcast", "[nftables][packet-model]") {
  auto rs = load("type.nft", nft_host("", "  fib daddr type { broadcast, anycast, multicast } drop"));
  Box q = Box::everything(Family::V4, rs->ifaces.size());
  q.proto = proto_only(kProtoTcp);
  q.dport = PortSet::single(5061);
  auto r = evaluate(*rs, *rs->pipeline(Family::V4, Direction::In), q);
  for (const auto& piece : r.pieces) {
    bool special = piece.box.dst.subset_of(
        parse_address_expr("224.0.0.0/4").set.v4.unite(parse_address_expr("255.255.255.255").set.v4));
    INFO(format_ip(Family::V4, piece.box.dst.intervals().front().lo));
    CHECK(piece.verdict == (special ? Verdict::Deny : Verdict::Accept));
  }
  CHECK(r.pieces.size() >= 2);
  CHECK(notes(*rs) == 1);  // broadcast and anycast beyond the address ranges: assumed
  auto multicast_only = load("type.nft", nft_host("", "  fib daddr type multicast drop"));
  CHECK(notes(*multicast_only) == 0);  // exact: multicast is an address range
  auto local = load("type.nft", nft_host("", "  fib daddr type local accept"));
  CHECK(warnings(*local) == 1);  // the host's addresses: undetermined
}

TEST_CASE("packet model: later fragments never carry a connection's first packet",
          "[nftables][iptables][packet-model]") {
  auto nft = load("frag.nft", nft_host("", "  ip frag-off & 0x1fff != 0 drop"));
  CHECK(test::port_answer(*nft, {kProtoTcp}).accepted == PortSet::single(5061));
  CHECK(warnings(*nft) == 0);
  auto first_only = load("frag.nft", nft_host("", "  ip frag-off & 0x1fff 0 drop"));
  CHECK(test::port_answer(*first_only, {kProtoTcp}).accepted.empty());
  auto other_mask = load("frag.nft", nft_host("", "  ip frag-off & 0x2000 != 0 drop"));  // MF: not decided
  CHECK(test::port_answer(*other_mask, {kProtoTcp}).undetermined == PortSet::single(5061));
  auto ipt = load("frag.rules",
                  "*filter\n:INPUT DROP [0:0]\n-A INPUT -f -j DROP\n-A INPUT -p tcp --dport 5061 -j ACCEPT\nCOMMIT\n");
  CHECK(test::port_answer(*ipt, {kProtoTcp}).accepted == PortSet::single(5061));
}

TEST_CASE("packet model: iptables -m rpfilter finds a route for a required connection", "[iptables][packet-model]") {
  auto with = [](const std::string& rule) {
    return "*raw\n:PREROUTING ACCEPT [0:0]\n" + rule +
           "\nCOMMIT\n*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 5061 -j ACCEPT\nCOMMIT\n";
  };
  for (const char* rule : {"-A PREROUTING -m rpfilter --invert -j DROP",
                           "-A PREROUTING -m rpfilter --loose --validmark --invert -j DROP"}) {
    INFO(rule);
    auto rs = load("rpf.rules", with(rule));
    auto a = test::port_answer(*rs, {kProtoTcp});
    CHECK(a.accepted == PortSet::single(5061));
    CHECK(a.undetermined.empty());
    CHECK(notes(*rs) == 1);
  }
  // Without --invert it matches every required connection: here it drops them all.
  auto plain = load("rpf.rules", with("-A PREROUTING -m rpfilter -j DROP"));
  CHECK(test::port_answer(*plain, {kProtoTcp}).accepted.empty());
  CHECK(test::port_answer(*plain, {kProtoTcp}).undetermined.empty());
}

TEST_CASE("packet model: a rule that only a connection's first packet never meets is not dead code (no FWM030)",
          "[packet-model][anomalies]") {
  auto nft = load("hardening.nft",
                  nft_host("fib saddr . iif oif missing drop",
                           "  tcp flags != syn / fin,syn,rst,ack ct state new drop\n  ip frag-off & 0x1fff != 0 drop\n"
                           "  tcp dport 5061 accept"));  // nft_host adds a second one
  auto ipt =
      load("hardening.rules",
           "*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m rpfilter --invert -j DROP\nCOMMIT\n"
           "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp ! --syn -m conntrack --ctstate NEW -j DROP\n"
           "-A INPUT -f -j DROP\n-A INPUT -p tcp --dport 5061 -j ACCEPT\n-A INPUT -p tcp --dport 5061 -j ACCEPT\n"
           "COMMIT\n");
  for (const Ruleset* rs : {nft.get(), ipt.get()}) {
    INFO(rs->file);
    AnomalyReport report = find_anomalies(*rs);
    REQUIRE(report.shadowed.size() == 1);  // only the second 5061 rule, which the first one hides
    CHECK(report.shadowed[0].rule->text.find("5061") != std::string::npos);
    CHECK(report.shadowed[0].rule->span.line > 4);
  }
}
