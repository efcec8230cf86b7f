// Evaluator semantics, driven through small iptables-save rulesets.
#include "eval/evaluator.h"

#include <fmt/format.h>

#include <future>
#include <set>

#include "eval/anomalies.h"
#include "frontends/frontend.h"
#include "fwm_catch.hpp"
#include "port_answer.h"

using namespace fwm;

namespace {

std::unique_ptr<Ruleset> load(const std::string& text) {
  auto r = load_ruleset_bytes("test.rules", text, {"iptables"});
  REQUIRE(r.ruleset);
  return std::move(r.ruleset);
}

test::PortAnswer answer(const Ruleset& rs, int proto, const char* src = nullptr, const char* iface = nullptr,
                        Direction dir = Direction::In) {
  Family f = rs.covers(Family::V6) ? Family::V6 : Family::V4;
  return test::port_answer(rs, {proto, f, src, iface, dir});
}

std::string table(const std::string& policy, const std::string& body, const std::string& chains = "") {
  return "*filter\n:INPUT " + policy + " [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" + chains + body +
         "COMMIT\n";
}

}  // namespace

TEST_CASE("first match wins inside a chain", "[eval]") {
  auto rs = load(table("ACCEPT",
                       "-A INPUT -p tcp --dport 100:200 -j DROP\n"
                       "-A INPUT -p tcp --dport 150:300 -j ACCEPT\n"
                       "-A INPUT -p tcp -j DROP\n"));
  auto a = answer(*rs, kProtoTcp);
  REQUIRE(a.accepted == PortSet(201, 300));
  auto u = answer(*rs, kProtoUdp);
  REQUIRE(u.accepted == all_ports());
}

TEST_CASE("policy applies after the last rule and after RETURN in a built-in chain", "[eval]") {
  auto rs = load(table("DROP",
                       "-A INPUT -p tcp --dport 22 -j RETURN\n"
                       "-A INPUT -p tcp --dport 20:30 -j ACCEPT\n"));
  REQUIRE(answer(*rs, kProtoTcp).accepted == PortSet({{20, 21}, {23, 30}}));
}

TEST_CASE("jump, RETURN and falling off a user chain resume after the jump", "[eval]") {
  auto rs = load(table("DROP",
                       "-A INPUT -p udp -j MEDIA\n"
                       "-A INPUT -p udp --dport 3478 -j ACCEPT\n"
                       "-A MEDIA -p udp --dport 3478 -j RETURN\n"
                       "-A MEDIA -p udp --dport 49152:57500 -j ACCEPT\n",
                       ":MEDIA - [0:0]\n"));
  REQUIRE(answer(*rs, kProtoUdp).accepted == PortSet({{3478, 3478}, {49152, 57500}}));
}

TEST_CASE("goto: RETURN goes back to the last jump, not to the goto site", "[eval]") {
  auto rs = load(table("DROP",
                       "-A INPUT -p tcp -j OUTER\n"
                       "-A INPUT -p tcp --dport 1:100 -j ACCEPT\n"
                       "-A OUTER -p tcp -g INNER\n"
                       "-A OUTER -p tcp -j ACCEPT\n"
                       "-A INNER -p tcp --dport 50 -j DROP\n",
                       ":OUTER - [0:0]\n:INNER - [0:0]\n"));
  // Packets return from INNER straight to INPUT (skipping OUTER's ACCEPT).
  REQUIRE(answer(*rs, kProtoTcp).accepted == PortSet({{1, 49}, {51, 100}}));
}

TEST_CASE("a jump loop is a problem, not a hang", "[eval]") {
  auto rs = load(table("DROP",
                       "-A INPUT -p tcp -j A\n"
                       "-A A -p tcp --dport 80 -j ACCEPT\n"
                       "-A A -p tcp -j B\n"
                       "-A B -p tcp -j A\n",
                       ":A - [0:0]\n:B - [0:0]\n"));
  auto a = answer(*rs, kProtoTcp);
  REQUIRE(a.accepted == PortSet(80, 80));
  REQUIRE_FALSE(a.problems.empty());
  REQUIRE(a.problems[0].find("loop") != std::string::npos);
  REQUIRE(a.undetermined == PortSet({{0, 79}, {81, 65535}}));
}

TEST_CASE("established/related accepts do not open ports", "[eval]") {
  auto rs = load(table("DROP",
                       "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
                       "-A INPUT -p tcp -m state --state NEW --dport 443 -j ACCEPT\n"));
  REQUIRE(answer(*rs, kProtoTcp).accepted == PortSet(443, 443));
}

TEST_CASE("unknown conditions: an unknown accept does not open, an unknown drop does not close", "[eval]") {
  auto rs = load(table("DROP",
                       "-A INPUT -p tcp --dport 100 -m set --match-set admins src -j ACCEPT\n"
                       "-A INPUT -p tcp --dport 200 -m mark --mark 0x1 -j DROP\n"
                       "-A INPUT -p tcp --dport 200:300 -j ACCEPT\n"));
  auto a = answer(*rs, kProtoTcp);
  REQUIRE(a.accepted == PortSet(201, 300));
  REQUIRE(a.undetermined == PortSet({{100, 100}, {200, 200}}));
  REQUIRE_FALSE(rs->diagnostics.empty());
}

TEST_CASE("an unknown accept followed by an accept of the same packets is an accept", "[eval]") {
  auto rs = load(table("DROP",
                       "-A INPUT -p tcp --dport 100 -m limit --limit 5/s -j ACCEPT\n"
                       "-A INPUT -p tcp --dport 100 -j ACCEPT\n"));
  auto a = answer(*rs, kProtoTcp);
  REQUIRE(a.accepted == PortSet(100, 100));
  REQUIRE(a.undetermined.empty());
}

TEST_CASE("a drop in the raw table is final; an accept there is not", "[eval]") {
  std::string text =
      "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
      "-A PREROUTING -p udp --dport 53 -j DROP\n-A PREROUTING -p udp --dport 67 -j ACCEPT\nCOMMIT\n" +
      table("DROP", "-A INPUT -p udp --dport 50:60 -j ACCEPT\n");
  auto rs = load(text);
  REQUIRE(answer(*rs, kProtoUdp).accepted == PortSet({{50, 52}, {54, 60}}));
}

TEST_CASE("nat PREROUTING REDIRECT changes the port the filter sees", "[eval]") {
  std::string text =
      "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
      "-A PREROUTING -p tcp --dport 4443 -j REDIRECT --to-ports 443\n"
      "-A PREROUTING -p tcp --dport 8000:8010 -j REDIRECT --to-ports 440-450\nCOMMIT\n" +
      table("DROP", "-A INPUT -p tcp --dport 443 -j ACCEPT\n");
  auto rs = load(text);
  auto a = answer(*rs, kProtoTcp);
  REQUIRE(a.accepted == PortSet({{443, 443}, {4443, 4443}}));
  // The redirect picks one port of 440-450: whether it is 443 cannot be known.
  REQUIRE(a.undetermined == PortSet(8000, 8010));
}

TEST_CASE("source and interface restrictions are kept per piece", "[eval]") {
  auto rs = load(table("DROP",
                       "-A INPUT -i lo -j ACCEPT\n"
                       "-A INPUT ! -s 10.0.0.0/8 -p tcp --dport 135 -j REJECT\n"
                       "-A INPUT -s 10.0.0.0/8 -p tcp --dport 135 -j ACCEPT\n"
                       "-A INPUT -i eth0 -p tcp --dport 22 -j ACCEPT\n"));
  REQUIRE(answer(*rs, kProtoTcp).accepted.empty());
  REQUIRE(answer(*rs, kProtoTcp, "10.1.2.3", "eth1").accepted == PortSet(135, 135));
  REQUIRE(answer(*rs, kProtoTcp, "10.1.2.3", "eth0").accepted == PortSet({{22, 22}, {135, 135}}));
  REQUIRE(answer(*rs, kProtoTcp, "192.0.2.1", "eth0").accepted == PortSet(22, 22));
  REQUIRE(answer(*rs, kProtoTcp, "192.0.2.1", "lo").accepted == all_ports());
}

TEST_CASE("a jump to a chain that only marks, logs or is empty leaves the pieces whole", "[eval][anomalies]") {
  auto rs = load(table("DROP",
                       "-A INPUT -s 10.0.0.1/32 -j MARKER\n"
                       "-A INPUT -s 10.0.0.2/32 -j EMPTY\n"
                       "-A INPUT -p tcp --dport 80 -j ACCEPT\n"
                       "-A INPUT -p tcp --dport 80 -j MARKER\n"  // no packet reaches it
                       "-A INPUT -p tcp --dport 81 -j DECIDES\n",
                       ":MARKER - [0:0]\n:EMPTY - [0:0]\n:DECIDES - [0:0]\n"
                       "-A MARKER -j MARK --set-xmark 0x4000/0x4000\n-A MARKER -j LOG\n"
                       "-A DECIDES -s 10.0.0.1/32 -j ACCEPT\n"));
  Box q = Box::everything(Family::V4, rs->ifaces.size());
  q.proto = proto_only(kProtoTcp);
  auto result = evaluate(*rs, *rs->pipeline(Family::V4, Direction::In), q);
  // Port 80 accepted, 81 from 10.0.0.1 accepted, the rest of 81 and all other ports
  // denied: the jumps to MARKER and EMPTY cut nothing.
  CHECK(result.pieces.size() == 4);
  CHECK(port_verdicts(result.pieces, all_ports()).accepted == PortSet(80, 80));
  // The jumps still count as reached; the second jump to MARKER is not.
  AnomalyReport report = find_anomalies(*rs);
  REQUIRE(report.shadowed.size() == 1);
  CHECK(report.shadowed[0].rule->span.line == 14);
  CHECK(report.unreachable_chains.empty());
}

TEST_CASE("redundant rules: many checks (shared by two threads) give the redundant rules in order", "[eval]") {
  // Fifteen blocks of ten one-port accepts; a later range accepts the even blocks again,
  // which makes their one-port rules redundant (and the ranges themselves shadowed).
  std::string body;
  for (int port = 1000; port < 1150; ++port) body += fmt::format("-A INPUT -p tcp --dport {} -j ACCEPT\n", port);
  for (int block = 0; block < 15; block += 2)
    body += fmt::format("-A INPUT -p tcp --dport {}:{} -j ACCEPT\n", 1000 + block * 10, 1009 + block * 10);
  auto rs = load(table("DROP", body));
  AnomalyReport report = find_anomalies(*rs);
  std::vector<int> lines, expected;
  for (const auto& r : report.redundant) {
    lines.push_back(r.rule->span.line);
    REQUIRE(r.instead.rule);
    CHECK(r.instead.rule->text.find(fmt::format("--dport {}:", 1000 + (r.rule->span.line - 5) / 10 * 10)) !=
          std::string::npos);
  }
  for (int i = 0; i < 150; ++i)
    if (i / 10 % 2 == 0) expected.push_back(5 + i);  // the first rule is on line 5
  CHECK(lines == expected);
  CHECK(report.shadowed.size() == 8);
}

TEST_CASE("join_rewritten joins DNAT pieces later rules cannot tell apart, and nothing else", "[eval]") {
  // Four services DNATed to endpoints; the filter table tells 10.244.0.2 and port 9000
  // apart from the other endpoints, and the last service keeps its port.
  std::string text =
      "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
      "-A PREROUTING -d 10.96.0.1/32 -p tcp --dport 80 -j DNAT --to-destination 10.244.0.1:8080\n"
      "-A PREROUTING -d 10.96.0.2/32 -p tcp --dport 80 -j DNAT --to-destination 10.244.0.2:8080\n"
      "-A PREROUTING -d 10.96.0.3/32 -p tcp --dport 80 -j DNAT --to-destination 10.244.0.3:8080\n"
      "-A PREROUTING -d 10.96.0.6/32 -p tcp --dport 80 -m statistic --mode random --probability 0.5 "
      "-j DNAT --to-destination 10.244.0.6:8080\n"
      "-A PREROUTING -d 10.96.0.4/32 -p tcp --dport 80 -j DNAT --to-destination 10.244.0.4:9000\n"
      "-A PREROUTING -d 10.96.0.5/32 -p tcp --dport 80 -j DNAT --to-destination 10.244.0.5:8080\nCOMMIT\n" +
      table("DROP",
            "-A INPUT -d 10.244.0.2/32 -j DROP\n"
            "-A INPUT -p tcp --dport 9000 -j REJECT\n"
            "-A INPUT -s 192.0.2.0/24 -p tcp --dport 8080 -j ACCEPT\n"
            "-A INPUT -p tcp --dport 80 -j ACCEPT\n");
  auto rs = load(text);
  const Pipeline& in = *rs->pipeline(Family::V4, Direction::In);
  Box q = Box::everything(Family::V4, rs->ifaces.size());
  q.proto = proto_only(kProtoTcp);
  EvalOptions exact, joined;
  joined.join_rewritten = true;
  auto a = evaluate(*rs, in, q, exact);
  auto b = evaluate(*rs, in, q, joined);
  CHECK(b.pieces.size() < a.pieces.size());
  // Every packet gets the same verdict and decider either way.
  auto fate = [](const EvalResult& r, const char* src, const char* dst, std::uint32_t port) {
    u128 s = parse_address_expr(src).set.of(Family::V4).intervals().front().lo;
    u128 d = parse_address_expr(dst).set.of(Family::V4).intervals().front().lo;
    for (const auto& piece : r.pieces)
      if (piece.box.src.contains(s) && piece.box.dst.contains(d) && piece.box.dport.contains(port))
        return std::make_pair(piece.verdict, piece.decider.rule ? piece.decider.rule->span.line : -1);
    FAIL("no piece holds the packet");
    return std::make_pair(Verdict::Deny, 0);
  };
  int accepted = 0;
  for (const char* src : {"192.0.2.7", "198.51.100.1"})
    for (const char* dst : {"10.96.0.1", "10.96.0.2", "10.96.0.3", "10.96.0.4", "10.96.0.5", "10.96.0.6", "10.96.0.9"})
      for (std::uint32_t port : {80u, 81u, 8080u, 9000u}) {
        INFO(src << " -> " << dst << ":" << port);
        auto x = fate(a, src, dst, port), y = fate(b, src, dst, port);
        CHECK(x == y);
        if (x.first == Verdict::Accept) ++accepted;
      }
  CHECK(accepted > 0);
  // The services DNATed to 10.244.0.3 and .5 (both to 8080, no rule between them) are
  // one piece; .1 and .2 (10.244.0.2 has its own DROP) stay apart.
  std::size_t both = 0;
  for (const auto& piece : b.pieces) {
    auto holds = [&piece](const char* service) {
      return piece.box.dport.contains(80) &&
             piece.box.dst.contains(parse_address_expr(service).set.of(Family::V4).intervals().front().lo);
    };
    if (holds("10.96.0.3") && holds("10.96.0.5")) ++both;
    CHECK_FALSE((holds("10.96.0.1") && holds("10.96.0.3")));
    CHECK_FALSE((holds("10.96.0.2") && holds("10.96.0.3")));
  }
  CHECK(both > 0);
}

TEST_CASE("a shared memo of calls into large chains gives every evaluation its own result", "[eval]") {
  // A chain large enough to be indexed, called from nat PREROUTING and OUTPUT, that looks
  // at destinations, ports and sources but not at states or interfaces.
  std::string nat =
      "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
      ":POSTROUTING ACCEPT [0:0]\n:BIG - [0:0]\n:MARKS - [0:0]\n"
      "-A PREROUTING -j BIG\n-A OUTPUT -j BIG\n-A MARKS -j MARK --set-xmark 0x1/0x1\n";
  for (int i = 0; i < 60; ++i)
    nat += fmt::format("-A BIG -d 10.96.0.{}/32 -p tcp --dport {} -j DNAT --to-destination 10.244.0.{}:8080\n", i,
                       80 + i % 3, i);
  nat +=
      "-A BIG -s 192.0.2.0/24 -j MARKS\n"
      "-A BIG -p tcp --dport 443 -m statistic --mode random --probability 0.5 -j DNAT --to-destination 10.1.1.1\n"
      "COMMIT\n";
  auto rs = load(nat + table("DROP",
                             "-A INPUT -i lo -j ACCEPT\n"
                             "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
                             "-A INPUT -d 10.244.0.7/32 -j DROP\n"
                             "-A INPUT -s 10.0.0.0/8 -p tcp --dport 8080 -j ACCEPT\n"
                             "-A INPUT -p tcp --dport 443 -j ACCEPT\n"));
  std::vector<Box> queries;
  Box whole = Box::everything(Family::V4, rs->ifaces.size());
  whole.state = ct_all();
  queries.push_back(whole);
  // The same but for fields the large chain never looks at: answered from the memo.
  Box whole_new = whole;
  whole_new.state = ct_only(CtState::New);
  queries.push_back(whole_new);
  Box whole_not_lo = whole;
  whole_not_lo.in_iface.reset(rs->ifaces.classify("lo"));
  queries.push_back(whole_not_lo);
  Box open = Box::everything(Family::V4, rs->ifaces.size());
  open.src = open.src.subtract(parse_address_expr("127.0.0.0/8").set.of(Family::V4));
  open.in_iface.reset(rs->ifaces.classify("lo"));
  queries.push_back(open);
  Box tcp_from_lan = open;
  tcp_from_lan.proto = proto_only(kProtoTcp);
  tcp_from_lan.src = parse_address_expr("10.1.0.0/16").set.of(Family::V4);
  queries.push_back(tcp_from_lan);
  std::size_t max_pieces = 2'000'000;
  bool want_matches = true;  // off: answers may come from calls made for other sources
  auto run = [&](const Pipeline& p, const Box& q, std::shared_ptr<ChainCallMemo> memo, std::set<const Rule*>& hits) {
    EvalOptions options;
    options.max_pieces = max_pieces;
    options.memo = std::move(memo);
    if (want_matches) options.on_match = [&hits](const Rule& r) { hits.insert(&r); };
    return evaluate(*rs, p, q, options);
  };
  auto memo = make_chain_call_memo();
  int compared = 0, truncated = 0;
  // Sources that the large chain's only source rule (a jump to a chain that changes
  // nothing) does not match: the pieces are those of `whole`, the rules matched are not.
  Box other_sources = whole;
  other_sources.src = parse_address_expr("198.51.100.0/24").set.of(Family::V4);
  queries.push_back(other_sources);
  // The second round answers from the memo; the third does not want the rules matched,
  // so that the call made for `whole` answers for `other_sources`; the fourth cuts the
  // evaluations short inside the large chain, whose problems the memo must report again.
  for (int round = 0; round < 4; ++round) {
    want_matches = round != 2;
    if (round >= 2) memo = make_chain_call_memo();
    if (round == 3) max_pieces = 4;
    for (Direction d : {Direction::In, Direction::Out})
      for (const Box& q : queries) {
        const Pipeline& p = *rs->pipeline(Family::V4, d);
        std::set<const Rule*> hits_alone, hits_shared;
        auto alone = run(p, q, nullptr, hits_alone);
        auto shared = run(p, q, memo, hits_shared);
        REQUIRE(alone.pieces.size() == shared.pieces.size());
        for (std::size_t i = 0; i < alone.pieces.size(); ++i) {
          const Piece &a = alone.pieces[i], &b = shared.pieces[i];
          REQUIRE(a.verdict == b.verdict);
          REQUIRE(a.decider.rule == b.decider.rule);
          REQUIRE(a.decider.policy == b.decider.policy);
          REQUIRE(a.uncertain_by == b.uncertain_by);
          REQUIRE(a.box.src == b.box.src);
          REQUIRE(a.box.dst == b.box.dst);
          REQUIRE(a.box.dport == b.box.dport);
          REQUIRE(a.box.proto == b.box.proto);
          REQUIRE(a.box.in_iface == b.box.in_iface);
          REQUIRE(a.box.out_iface == b.box.out_iface);
          REQUIRE(a.box.state == b.box.state);
        }
        REQUIRE(hits_alone == hits_shared);
        REQUIRE(alone.problems == shared.problems);
        REQUIRE(alone.truncated == shared.truncated);
        if (alone.truncated) ++truncated;
        ++compared;
      }
  }
  CHECK(compared == 48);
  CHECK(truncated >= 2);
  max_pieces = 2'000'000;
  want_matches = true;
  // From two threads at once, with the same memo.
  auto other_memo = make_chain_call_memo();
  std::set<const Rule*> h1, h2, h3;
  auto in = rs->pipeline(Family::V4, Direction::In);
  auto first = std::async(std::launch::async, [&] { return run(*in, whole, other_memo, h1); });
  auto second = run(*in, whole, other_memo, h2);
  auto expected = run(*in, whole, nullptr, h3);
  auto got = first.get();
  CHECK(got.pieces.size() == expected.pieces.size());
  CHECK(second.pieces.size() == expected.pieces.size());
  CHECK(h1 == h3);
  CHECK(h2 == h3);
}

TEST_CASE("a memoized call into a chain of many destinations, walked in parts on two threads, meets the same rules",
          "[eval]") {
  // 10,000 services (more than kMinRulesForTwoThreads), a quarter of them rejected in the
  // filter table, and a source rule that decides the rules matched, not the pieces.
  std::string text =
      "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
      ":POSTROUTING ACCEPT [0:0]\n:SERVICES - [0:0]\n:MARKS - [0:0]\n"
      "-A PREROUTING -j SERVICES\n-A MARKS -j MARK --set-xmark 0x1/0x1\n";
  for (int i = 0; i < 10000; ++i) {
    text += fmt::format("-A SERVICES -d 10.96.{}.{}/32 -p tcp --dport {} -j DNAT --to-destination 10.244.{}.{}:8080\n",
                        i / 256, i % 256, 80 + i % 4, i / 256, i % 256);
    if (i % 1000 == 0) text += fmt::format("-A SERVICES -s 192.0.2.{}/32 -j MARKS\n", i / 1000);
  }
  std::string filter;
  for (int i = 0; i < 10000; i += 4) filter += fmt::format("-A INPUT -d 10.244.{}.{}/32 -j REJECT\n", i / 256, i % 256);
  auto rs = load(text + "COMMIT\n" + table("DROP", filter + "-A INPUT -p tcp --dport 8080 -j ACCEPT\n"));
  const Pipeline& in = *rs->pipeline(Family::V4, Direction::In);
  Box whole = Box::everything(Family::V4, rs->ifaces.size());
  std::set<const Rule*> plain_hits, halves_hits;
  EvalOptions plain;
  plain.on_match = [&](const Rule& r) { plain_hits.insert(&r); };
  EvalOptions halves = plain;
  halves.on_match = [&](const Rule& r) { halves_hits.insert(&r); };
  halves.memo = make_chain_call_memo();
  auto a = evaluate(*rs, in, whole, plain);
  auto b = evaluate(*rs, in, whole, halves);
  CHECK(plain_hits == halves_hits);
  CHECK(plain_hits.size() > 10000);
  auto fate = [](const EvalResult& r, const std::string& dst, std::uint32_t port) {
    u128 d = parse_address_expr(dst).set.of(Family::V4).intervals().front().lo;
    u128 s = parse_address_expr("198.51.100.1").set.of(Family::V4).intervals().front().lo;
    for (const auto& piece : r.pieces)
      if (piece.box.dst.contains(d) && piece.box.dport.contains(port) && piece.box.src.contains(s) &&
          piece.box.proto.test(kProtoTcp) && piece.box.in_iface.any())
        return std::make_pair(piece.verdict, piece.decider.rule);
    return std::make_pair(Verdict::Undetermined, static_cast<const Rule*>(nullptr));
  };
  for (int i = 0; i < 10000; i += 37)
    for (std::uint32_t port : {80u, 81u, 82u, 83u, 8080u}) {
      std::string dst = fmt::format("10.96.{}.{}", i / 256, i % 256);
      INFO(dst << ":" << port);
      CHECK(fate(a, dst, port) == fate(b, dst, port));
    }
  CHECK(fate(a, "10.96.0.1", 81).first == Verdict::Accept);  // DNAT to 10.244.0.1:8080
  CHECK(fate(a, "10.96.0.4", 80).first == Verdict::Deny);    // 10.244.0.4 is rejected
}

TEST_CASE("multiport --ports matches source or destination port", "[eval]") {
  auto rs = load(table("DROP", "-A INPUT -p tcp -m multiport --ports 5060,5061 -j ACCEPT\n"));
  auto rs_neg = load(table("ACCEPT", "-A INPUT -p tcp -m multiport ! --ports 5060,5061 -j DROP\n"));
  // Universal over source ports: only 5060-5061 are accepted whatever the source port.
  REQUIRE(answer(*rs, kProtoTcp).accepted == PortSet(5060, 5061));
  REQUIRE(answer(*rs_neg, kProtoTcp).accepted == PortSet(5060, 5061));
}

TEST_CASE("interface prefixes and negation", "[eval]") {
  auto rs = load(table("DROP",
                       "-A INPUT -i eth+ -p tcp --dport 80 -j ACCEPT\n"
                       "-A INPUT ! -i eth1 -p tcp --dport 81 -j ACCEPT\n"));
  REQUIRE(answer(*rs, kProtoTcp, nullptr, "eth7").accepted == PortSet(80, 81));
  REQUIRE(answer(*rs, kProtoTcp, nullptr, "eth1").accepted == PortSet(80, 80));
  REQUIRE(answer(*rs, kProtoTcp, nullptr, "wlan0").accepted == PortSet(81, 81));
}

TEST_CASE("IPv6 rulesets from ip6tables-save", "[eval]") {
  auto r = load_ruleset_bytes("v6.rules",
                              "# Generated by ip6tables-save v1.8.9 (nf_tables)\n*filter\n:INPUT DROP [0:0]\n"
                              "-A INPUT -s fd00::/8 -p udp --dport 3478 -j ACCEPT\nCOMMIT\n",
                              {});
  REQUIRE(r.ruleset);
  REQUIRE(r.ruleset->covers(Family::V6));
  REQUIRE_FALSE(r.ruleset->covers(Family::V4));
  REQUIRE(answer(*r.ruleset, kProtoUdp, "fd00::1").accepted == PortSet(3478, 3478));
  REQUIRE(answer(*r.ruleset, kProtoUdp).accepted.empty());
}

TEST_CASE("every rule knows the fields it looks at, filled as it was lowered or by finalize()", "[eval]") {
  const std::string rules = table("DROP",
                                  "-A INPUT -p tcp --dport 22 -j ACCEPT\n"
                                  "-A INPUT -s 10.0.0.0/8 -i eth0 -j SSH\n"
                                  "-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT\n"
                                  "-A INPUT -j NOTRACK\n"
                                  "-A SSH -o eth1 -p udp --sport 53 -j RETURN\n",
                                  ":SSH - [0:0]\n");
  const std::uint16_t expected[] = {kRuleFieldProto | kRuleFieldDport, kRuleFieldSrc | kRuleFieldInIface,
                                    kRuleFieldState, kRuleFieldState,
                                    kRuleFieldOutIface | kRuleFieldProto | kRuleFieldSport};
  auto check = [&](const Ruleset& rs) {
    std::size_t k = 0;
    for (const char* name : {"filter INPUT", "filter SSH"})
      for (const Rule& r : rs.chains[static_cast<std::size_t>(rs.find_chain(name))].rules) {
        INFO(r.text);
        REQUIRE(k < std::size(expected));
        CHECK(r.fields == (expected[k] | kRuleFieldsKnown));
        CHECK(fields_of(r) == expected[k]);
        ++k;
      }
    CHECK(k == std::size(expected));
  };
  // With a header, the one-pass load (which fills them itself); without, parse and lower.
  check(*load("# Generated by iptables-save v1.8.9\n" + rules));
  check(*load(rules));
  // A rule nothing filled: fields_of() reads its match.
  Rule bare;
  bare.match.dport = PortSet(80, 80);
  CHECK(bare.fields == 0);
  CHECK(fields_of(bare) == kRuleFieldDport);
  // finalize() fills them again (a ruleset changed after loading).
  auto changed = load(rules);
  Rule& first = changed->chains[static_cast<std::size_t>(changed->find_chain("filter INPUT"))].rules[0];
  first.match.src = AddrSet::all();
  changed->finalize();
  CHECK(first.fields == (kRuleFieldProto | kRuleFieldDport | kRuleFieldSrc | kRuleFieldsKnown));
}

TEST_CASE("interfaces beyond the alphabet's classes are matched approximately, never dropped", "[eval]") {
  // 300 VLAN interfaces, each allowed one port; with lo, wan9 and the prefix eth+ that is
  // 303 names, 48 more than the 255 classes beside "*". The names that get no class (lo
  // and the prefix stay; the rest are used once: the last by name) fall into "*", and
  // their rules are undetermined.
  std::string body = "-A INPUT -i lo -j ACCEPT\n-A INPUT ! -i wan9 -p tcp --dport 9 -j ACCEPT\n";
  for (int n = 0; n < 300; ++n) body += fmt::format("-A INPUT -i vlan{} -p tcp --dport {} -j ACCEPT\n", n, 1000 + n);
  body += "-A INPUT -i eth+ -p tcp --dport 22 -j ACCEPT\n";
  auto rs = load(table("DROP", body));
  REQUIRE(rs->ifaces.size() == kMaxIfaceClasses);
  REQUIRE(rs->ifaces.left_out() == 48);
  REQUIRE(rs->ifaces.class_name(rs->ifaces.size() - 1) == "*");
  REQUIRE(rs->ifaces.class_name(rs->ifaces.classify("eth3")) == "eth*");
  REQUIRE(rs->ifaces.class_name(rs->ifaces.classify("vlan0")) == "vlan0");
  REQUIRE(rs->ifaces.class_name(rs->ifaces.classify("vlan99")) == "*");
  PortSet left_out_ports;
  std::set<std::string> left_out;
  for (int n = 0; n < 300; ++n) {
    std::string name = fmt::format("vlan{}", n);
    if (rs->ifaces.class_name(rs->ifaces.classify(name)) == "*") {
      left_out.insert(name);
      left_out_ports = left_out_ports.unite(PortSet::single(1000 + n));
    }
  }
  REQUIRE(left_out.size() == 47);
  REQUIRE(left_out.count("vlan99"));
  REQUIRE_FALSE(left_out.count("vlan299"));
  for (int n = 0; n < 300; ++n) {
    std::string name = fmt::format("vlan{}", n);
    INFO(name);
    auto a = answer(*rs, kProtoTcp, nullptr, name.c_str());
    const PortSet own = PortSet::single(1000 + n);
    // Never denied: the port is open on that interface.
    REQUIRE(a.accepted.unite(a.undetermined).contains(static_cast<std::uint32_t>(1000 + n)));
    if (left_out.count(name)) {
      // Accepted for certain by no rule: the whole "*" class is in doubt for the ports
      // its names' rules open, and for port 9 (not open on wan9).
      REQUIRE(a.accepted.empty());
      REQUIRE(a.undetermined == left_out_ports.unite(PortSet::single(9)));
    } else {
      REQUIRE(a.accepted == own);
      // Port 9 is open on every interface but wan9: the negated rule matches vlan0 for
      // certain but carries the approximation's unknown.
      REQUIRE(a.undetermined == PortSet::single(9));
    }
  }
  auto eth = answer(*rs, kProtoTcp, nullptr, "eth0");
  REQUIRE(eth.accepted == PortSet::single(22));
  REQUIRE(eth.undetermined == PortSet::single(9));
  for (const char* other_name : {"wlan0", "wan9"}) {
    auto other = answer(*rs, kProtoTcp, nullptr, other_name);
    REQUIRE(other.accepted.empty());
    REQUIRE(other.undetermined == left_out_ports.unite(PortSet::single(9)));
  }
  // One warning, at the first rule matched approximately, counts them.
  std::size_t warnings = 0;
  for (const auto& d : rs->diagnostics)
    if (d.id == "FWM091" && d.message.find("48 least used") != std::string::npos) {
      ++warnings;
      REQUIRE(d.severity == Severity::Warning);
      REQUIRE(d.span.line == 6);  // the negated wan9 rule
      REQUIRE(d.message.find("48 rule(s)") != std::string::npos);
    }
  REQUIRE(warnings == 1);
  // Finalizing again (as diff does, to share an alphabet) neither repeats the unknowns
  // nor the warning.
  rs->finalize();
  std::size_t unknowns = 0;
  for (const auto& chain : rs->chains)
    for (const auto& rule : chain.rules) unknowns += rule.match.unknowns.size();
  REQUIRE(unknowns == 48);
  REQUIRE(std::count_if(rs->diagnostics.begin(), rs->diagnostics.end(),
                        [](const Diagnostic& d) { return d.id == "FWM091"; }) == 1);
}

TEST_CASE("shadowed rules: the rule that decides their packets is named, in any table", "[eval]") {
  // A raw-table DROP of SSH keeps the filter table's SSH accept from ever deciding: the
  // raw rule is what covers it, not "the rules before it in chain filter INPUT".
  auto rs = load(
      "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 22 -j DROP\nCOMMIT\n"
      "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
      "-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n");
  AnomalyReport report = find_anomalies(*rs);
  REQUIRE(report.shadowed.size() == 1);
  CHECK(report.shadowed[0].rule->span.line == 11);
  REQUIRE_FALSE(report.shadowed[0].covered_by.empty());
  REQUIRE(report.shadowed[0].covered_by.front().rule);
  CHECK(report.shadowed[0].covered_by.front().rule->span.line == 4);  // the raw DROP, not the loopback accept
}
