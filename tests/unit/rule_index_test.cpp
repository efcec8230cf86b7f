// The rule index and the cutting of pieces by destination must not change any
// verdict: random large chains are evaluated with and without the index and
// compared packet by packet at the rules' boundaries.
#include "ir/rule_index.h"

#include <fmt/format.h>

#include "fwm_catch.hpp"
#include <random>

#include "eval/evaluator.h"
#include "frontends/frontend.h"

using namespace fwm;

namespace {

struct Probe {
  int proto;
  u128 dst;
  std::uint32_t dport;
  u128 src;
  CtState state;
};

std::string random_ruleset(std::mt19937& rng, int rules) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::string out =
      "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT "
      "ACCEPT [0:0]\n:BIG - [0:0]\n:SMALL - [0:0]\n";
  out +=
      "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A "
      "INPUT -j BIG\n-A INPUT -p udp -j ACCEPT\n";
  out +=
      "-A SMALL -p tcp --dport 1000:2000 -j DROP\n-A SMALL -s 10.9.0.0/16 "
      "-j RETURN\n-A SMALL -j ACCEPT\n";
  for (int i = 0; i < rules; ++i) {
    std::string line = "-A BIG";
    switch (pick(4)) {
      case 0:
        line += fmt::format(" -d 10.{}.{}.{}/32", pick(3), pick(4), pick(250));
        break;
      case 1:
        line += fmt::format(" -d 10.{}.{}.0/24", pick(3), pick(4));
        break;
      case 2:
        line += fmt::format(" ! -d 10.{}.0.0/16", pick(3));
        break;
      default:
        break;
    }
    if (pick(3) == 0) line += fmt::format(" -s 10.9.{}.0/24", pick(4));
    int proto = pick(3);
    if (proto == 0) line += " -p tcp";
    if (proto == 1) line += " -p udp";
    if (proto < 2 && pick(4) != 0) {
      int lo = 1000 + pick(40) * 50;
      line += pick(2) ? fmt::format(" --dport {}", lo) : fmt::format(" --dport {}:{}", lo, lo + pick(300));
    }
    if (pick(10) == 0) line += " -m statistic --mode random --probability 0.5";
    static const char* targets[] = {"ACCEPT", "DROP", "REJECT", "RETURN", "SMALL", "LOG"};
    line += fmt::format(" -j {}\n", targets[pick(6)]);
    out += line;
  }
  out += "COMMIT\n";
  return out;
}

const Piece* containing(const std::vector<Piece>& pieces, const Probe& p) {
  for (const auto& piece : pieces) {
    const Box& b = piece.box;
    if (b.proto.test(static_cast<std::size_t>(p.proto)) && b.dst.contains(p.dst) && b.dport.contains(p.dport) &&
        b.src.contains(p.src) && b.state.test(static_cast<std::size_t>(p.state)))
      return &piece;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("rule index: same verdicts and deciding rules with and without the index", "[eval][index]") {
  std::mt19937 rng(20261130);
  for (int round = 0; round < 6; ++round) {
    std::string text = random_ruleset(rng, 150 + round * 40);
    auto loaded = load_ruleset_bytes("random.rules", text, {"iptables"});
    REQUIRE(loaded.ruleset);
    const Ruleset& rs = *loaded.ruleset;
    REQUIRE(rule_index(rs)->chain(rs.find_chain("filter BIG")) != nullptr);  // the big chain is indexed
    const Pipeline* path = rs.pipeline(Family::V4, Direction::In);
    REQUIRE(path);
    Box whole = Box::everything(Family::V4, rs.ifaces.size());
    whole.state = ct_all();
    Box tcp_query = whole;
    tcp_query.proto = proto_only(kProtoTcp);
    tcp_query.dport = PortSet(1200, 1600);
    for (const Box& query : {whole, tcp_query}) {
      EvalOptions indexed, split_parts, plain;
      split_parts.min_cuts_to_split = 32;  // exercise the cutting and joining of parts too
      plain.use_index = false;
      auto a = evaluate(rs, *path, query, indexed);
      auto b = evaluate(rs, *path, query, plain);
      auto c = evaluate(rs, *path, query, split_parts);
      // Probes at and around every boundary the rules use.
      std::vector<u128> dsts = {0, 0x0a000000, 0xffffffff};
      for (int x = 0; x < 3; ++x)
        for (int y = 0; y < 4; ++y)
          for (int z : {0, 1, 17, 100, 249, 255})
            dsts.push_back((u128(10) << 24) | (u128(x) << 16) | (u128(y) << 8) | u128(z));
      std::vector<std::uint32_t> ports = {0, 999, 1000, 1001, 1250, 1500, 1550, 2000, 2001, 2950, 3249, 65535};
      std::vector<u128> srcs = {0x0a090001, 0x0a090301, 0x0b000001};
      std::size_t probes = 0;
      for (int proto : {kProtoTcp, kProtoUdp, kProtoIcmp})
        for (u128 dst : dsts)
          for (std::uint32_t port : ports)
            for (u128 src : srcs)
              for (CtState st : {CtState::New, CtState::Established}) {
                Probe p{proto, dst, port, src, st};
                const Piece* in_a = containing(a.pieces, p);
                const Piece* in_b = containing(b.pieces, p);
                bool in_query = query.proto.test(static_cast<std::size_t>(proto)) && query.dport.contains(port);
                if (!in_query) continue;
                ++probes;
                INFO(fmt::format("round {} proto {} dst {} port {} src {}", round, proto, format_ip(Family::V4, dst),
                                 port, format_ip(Family::V4, src)));
                const Piece* in_c = containing(c.pieces, p);
                REQUIRE(in_a);
                REQUIRE(in_b);
                REQUIRE(in_c);
                CHECK(in_a->verdict == in_b->verdict);
                CHECK(in_a->decider.rule == in_b->decider.rule);
                CHECK(in_a->decider.policy == in_b->decider.policy);
                CHECK(in_c->verdict == in_b->verdict);
                CHECK(in_c->decider.rule == in_b->decider.rule);
                CHECK(in_c->decider.policy == in_b->decider.policy);
              }
      CHECK(probes >= 1300);
    }
  }
}

TEST_CASE("rule index: a query for one port visits only the rules that can match it", "[eval][index]") {
  std::string text = "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  for (int i = 0; i < 500; ++i)
    text += fmt::format("-A INPUT -d 10.0.{}.{}/32 -p tcp --dport {} -j ACCEPT\n", i / 250, i % 250, 1000 + i);
  text += "-A INPUT -p tcp --dport 5061 -j ACCEPT\nCOMMIT\n";
  auto loaded = load_ruleset_bytes("ports.rules", text, {"iptables"});
  REQUIRE(loaded.ruleset);
  const Ruleset& rs = *loaded.ruleset;
  const ChainIndex* index = rule_index(rs)->chain(rs.find_chain("filter INPUT"));
  REQUIRE(index);
  PortSet port(5061, 5061);
  ProtoSet tcp = proto_only(kProtoTcp);
  IndexQuery q;
  q.proto = &tcp;
  q.dport = &port;
  CHECK(index->candidates(q, 0) == std::vector<int>{500});
  PortSet low(1000, 1002);
  q.dport = &low;
  CHECK(index->candidates(q, 0) == std::vector<int>{0, 1, 2});
  CHECK(index->candidates(q, 1) == std::vector<int>{1, 2});
  AddrIntervals dst = parse_address_expr("10.0.1.7").set.v4;
  IndexQuery by_dst;
  by_dst.dst = &dst;
  CHECK(index->candidates(by_dst, 0) == std::vector<int>{257, 500});
  // Every address but one and one port (what "-d IP --dport P" leaves of another port):
  // the port decides, whichever field the index asks first.
  AddrIntervals all_but_one = AddrIntervals(0, kMaxV4);
  all_but_one.subtract_in_place(dst);
  PortSet one_port(1257, 1257);
  IndexQuery wide_dst;
  wide_dst.dst = &all_but_one;
  wide_dst.dport = &one_port;
  CHECK(index->candidates(wide_dst, 0) == std::vector<int>{257});
  PortSet other_port(1258, 1258);
  wide_dst.dport = &other_port;
  CHECK(index->candidates(wide_dst, 0) == std::vector<int>{258});
  wide_dst.dport = &port;
  CHECK(index->candidates(wide_dst, 0) == std::vector<int>{500});
  wide_dst.dst = &dst;  // and the other way round: one address, every port but one
  PortSet all_but_5061{{0, 5060}, {5062, kMaxPort}};
  wide_dst.dport = &all_but_5061;
  CHECK(index->candidates(wide_dst, 0) == std::vector<int>{257, 500});
}

TEST_CASE("rule index: a call is indexed by what its chain can match, and rules by source", "[eval][index]") {
  std::string text = "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  for (int c = 0; c < 60; ++c) text += fmt::format(":C{} - [0:0]\n", c);
  text += ":EMPTY - [0:0]\n:WIDE - [0:0]\n:NESTED - [0:0]\n";
  for (int c = 0; c < 60; ++c) {
    text += fmt::format("-A C{} -s 10.{}.0.0/24 -p tcp --dport {} -j ACCEPT\n", c, c, 2000 + c);
    text += fmt::format("-A C{} -s 10.{}.1.0/24 -p udp --dport {} -j DROP\n", c, c, 3000 + c);
    text += fmt::format("-A INPUT -j C{}\n", c);  // positions 0..59
  }
  text += "-A INPUT -j EMPTY\n";   // 60: its chain has no rule (wild: the call changes nothing)
  text += "-A INPUT -j WIDE\n";    // 61: its chain has a rule for every packet
  text += "-A INPUT -j NESTED\n";  // 62: reaches through NESTED into C7
  text += "-A INPUT -g C8\n";      // 63: a goto is not indexed by its chain
  text += "-A WIDE -j RETURN\n-A NESTED -p tcp -j C7\n";
  text += "COMMIT\n";
  auto loaded = load_ruleset_bytes("calls.rules", text, {"iptables"});
  REQUIRE(loaded.ruleset);
  const Ruleset& rs = *loaded.ruleset;
  const ChainIndex* index = rule_index(rs)->chain(rs.find_chain("filter INPUT"));
  REQUIRE(index);
  ProtoSet tcp = proto_only(kProtoTcp);
  PortSet port(2007, 2007);
  AddrIntervals src = parse_address_expr("10.7.0.5").set.v4;
  IndexQuery q;
  q.proto = &tcp;
  q.dport = &port;
  CHECK(index->candidates(q, 0) == std::vector<int>{7, 60, 61, 62, 63});
  IndexQuery by_src;
  by_src.src = &src;
  CHECK(index->candidates(by_src, 0) == std::vector<int>{7, 60, 61, 62, 63});
  AddrIntervals other = parse_address_expr("10.200.0.1").set.v4;
  by_src.src = &other;
  CHECK(index->candidates(by_src, 0) == std::vector<int>{60, 61, 63});

  // And the verdicts with and without the index agree on probes across those chains.
  const Pipeline* path = rs.pipeline(Family::V4, Direction::In);
  REQUIRE(path);
  Box whole = Box::everything(Family::V4, rs.ifaces.size());
  whole.state = ct_all();
  EvalOptions indexed, plain;
  plain.use_index = false;
  for (const Box& query : {whole}) {
    auto a = evaluate(rs, *path, query, indexed);
    auto b = evaluate(rs, *path, query, plain);
    for (int c : {0, 7, 8, 59})
      for (int third : {0, 1, 2})
        for (std::uint32_t dport : {std::uint32_t(2000 + c), std::uint32_t(3000 + c), std::uint32_t(4000)})
          for (int proto : {kProtoTcp, kProtoUdp}) {
            Probe p{proto, 0x0a000001, dport, (u128(10) << 24) | (u128(c) << 16) | (u128(third) << 8) | 5,
                    CtState::New};
            INFO(fmt::format("chain {} src third octet {} dport {} proto {}", c, third, dport, proto));
            const Piece* in_a = containing(a.pieces, p);
            const Piece* in_b = containing(b.pieces, p);
            REQUIRE(in_a);
            REQUIRE(in_b);
            CHECK(in_a->verdict == in_b->verdict);
            CHECK(in_a->decider.rule == in_b->decider.rule);
            CHECK(in_a->decider.policy == in_b->decider.policy);
          }
  }
}
