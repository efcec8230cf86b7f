// The diagram evaluator (bdd_evaluator.h) against the box evaluator: on random rulesets of
// every shape (chains by source, jumps, gotos and returns, unknown conditions, NAT rewrites,
// state changes, several tables and base chains), both give the same packets the same
// verdict and deciding rule, and reach the same rules. Also the diagrams themselves.
#include <fmt/format.h>

#include <map>
#include <random>
#include <set>

#include "eval/bdd_evaluator.h"
#include "eval/packet_bdd.h"
#include "eval/source_slices.h"
#include "frontends/frontend.h"
#include "fwm_catch.hpp"
#include "random_rulesets.h"

using namespace fwm;

using fwm::test::compare_pieces;
using fwm::test::random_ruleset;

namespace {

int compared = 0;  // evaluations compared (not left to the box evaluator)


std::unique_ptr<Ruleset> load(const std::string& text, const char* format = "iptables") {
  auto r = load_ruleset_bytes("random.rules", text, {format});
  REQUIRE(r.ruleset);
  return std::move(r.ruleset);
}

// `join`: as the open paths and the anomaly survey evaluate (EvalOptions::join_rewritten);
// without it, as the requirements do, the first unknown rule of undetermined packets too.
void compare_engines(const Ruleset& rs, const Pipeline& p, const Box& query, const std::string& text,
                     bool join = true) {
  std::set<const Rule*> reached_by_boxes, reached_by_diagrams;
  EvalOptions boxes;
  boxes.join_rewritten = join;
  boxes.on_match = [&](const Rule& r) { reached_by_boxes.insert(&r); };
  EvalOptions diagrams = boxes;
  diagrams.engine = EvalEngine::Diagrams;
  diagrams.on_match = [&](const Rule& r) { reached_by_diagrams.insert(&r); };
  EvalResult by_boxes = evaluate(rs, p, query, boxes);
  EvalResult by_diagrams = evaluate(rs, p, query, diagrams);
  if (!by_diagrams.by_bdds) return;  // a rewrite to several values: the box evaluator answers
  ++compared;
  INFO(text);
  INFO(fmt::format("path {} {}", family_name(p.family), direction_name(p.direction)));
  CHECK(by_boxes.problems == by_diagrams.problems);
  CHECK(reached_by_boxes == reached_by_diagrams);
  compare_pieces(p.family, by_boxes, by_diagrams, !join);
}

}  // namespace

TEST_CASE("diagram ranges hold exactly the values of their interval", "[diagram]") {
  DiagramManager m(8, 1 << 20);
  std::vector<std::uint32_t> vars{0, 1, 2, 3, 4, 5, 6, 7};
  std::mt19937 rnd(7);
  for (int round = 0; round < 200; ++round) {
    unsigned lo = rnd() % 256, hi = rnd() % 256;
    if (lo > hi) std::swap(lo, hi);
    Diagram r = m.range(vars, lo, hi, m.constant(true));
    for (unsigned v = 0; v < 256; ++v) {
      Diagram point = m.range(vars, v, v, m.constant(true));
      CHECK(((r & point) == point) == (v >= lo && v <= hi));
    }
  }
}

TEST_CASE("diagram operations: identities and quantification", "[diagram]") {
  DiagramManager m(16, 1 << 20);
  std::vector<std::uint32_t> high{0, 1, 2, 3, 4, 5, 6, 7}, low{8, 9, 10, 11, 12, 13, 14, 15};
  Diagram a = m.range(high, 10, 200, m.range(low, 3, 30, m.constant(true)));
  Diagram b = m.range(high, 100, 255, m.constant(true));
  CHECK(((a - b) | (a & b)) == a);
  CHECK((a - a).is_false());
  CHECK((a | b) == (b | a));
  // Some low value exists for every high value of a: the high range alone.
  CHECK(m.exists(a, m.var_set(low)) == m.range(high, 10, 200, m.constant(true)));
  // Collection keeps what handles reach.
  Diagram kept = a;
  for (int i = 0; i < 3000; ++i) (void)(m.range(high, i % 256, 255, m.constant(true)) & b);
  CHECK(kept == a);
}

TEST_CASE("boxes read back from a diagram cover exactly its packets", "[diagram]") {
  std::mt19937 rnd(11);
  for (Family f : {Family::V4, Family::V6}) {
    PacketBdds bdds(f, std::size_t(1) << 24);
    for (int round = 0; round < 40; ++round) {
      Diagram set = bdds.no();
      for (int k = 0; k < 1 + static_cast<int>(rnd() % 6); ++k) {
        Box b = Box::everything(f, 4);
        b.state = ct_all();
        u128 base = u128(rnd() % 1000) << (f == Family::V4 ? 8 : 100);
        b.src = AddrIntervals(base, base + (rnd() % 5000));
        b.dport = PortSet(rnd() % 60000, 60000 + rnd() % 5000);
        if (rnd() % 2) b.proto = proto_only(rnd() % 2 ? kProtoTcp : kProtoUdp);
        if (rnd() % 3 == 0) b.in_iface.reset(rnd() % 4);
        set |= bdds.box(b, false);
      }
      std::vector<Box> boxes;
      REQUIRE(bdds.to_boxes(set, false, 100000, boxes));
      Diagram again = bdds.no();
      for (const Box& b : boxes) again |= bdds.box(b, false);
      CHECK(again == set);
    }
  }
}

TEST_CASE("the diagram evaluator gives every packet the box evaluator's verdict and deciding rule", "[diagram][eval]") {
  std::mt19937 rnd(20261207);
  for (int round = 0; round < 120; ++round) {
    const std::string text = random_ruleset(rnd, 5 + round % 40);
    auto rs = load(text);
    for (const Pipeline& p : rs->pipelines) {
      Box whole = Box::everything(p.family, rs->ifaces.size());
      whole.state = ct_all();
      compare_engines(*rs, p, whole, text);
      Box narrow = Box::everything(p.family, rs->ifaces.size());
      narrow.proto = proto_only(kProtoTcp);
      narrow.dport = PortSet(1000, 3000);
      compare_engines(*rs, p, narrow, text);
      compare_engines(*rs, p, narrow, text, /*join=*/false);
    }
  }
  // Most rulesets have no rewrite to several values: nearly all are compared.
  CHECK(compared > 120 * 6);
}

TEST_CASE("the diagram evaluator on chains by source, an nftables ruleset and a kube-proxy-like NAT",
          "[diagram][eval]") {
  std::mt19937 rnd(5);
  std::string ipt = "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  for (int c = 0; c < 5; ++c) ipt += fmt::format(":SVC{} - [0:0]\n", c);
  for (int i = 0; i < 300; ++i) {
    const int a = static_cast<int>(rnd() % 60000), b = a + static_cast<int>(rnd() % 500);
    const std::string chain = i % 6 == 5 ? "INPUT" : fmt::format("SVC{}", i % 5);
    const char* t = std::vector<const char*>{"ACCEPT", "DROP", "RETURN"}[rnd() % 3];
    ipt += fmt::format("-A {} -s 10.{}.{}.0/24 -p tcp -m tcp --dport {}:{} -j {}\n", chain, rnd() % 4, rnd() % 256, a,
                       b, chain == "INPUT" && std::string(t) == "RETURN" ? "ACCEPT" : t);
  }
  for (int c = 0; c < 5; ++c) ipt += fmt::format("-A INPUT -j SVC{}\n", c);
  ipt += "COMMIT\n";
  std::string nft = "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n";
  for (int i = 0; i < 200; ++i) {
    const int a = static_cast<int>(rnd() % 60000), b = a + static_cast<int>(rnd() % 500);
    nft += fmt::format("\t\tip saddr 10.{}.{}.0/24 tcp dport {{ {}-{}, {} }} {}\n", rnd() % 4, rnd() % 256, a, b,
                       b + 20, rnd() % 2 ? "accept" : "drop");
  }
  nft += "\t}\n}\n";
  std::string nat =
      "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n";
  for (int s = 0; s < 40; ++s)
    nat += fmt::format(
        "-A PREROUTING -d 10.96.0.{}/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.1.{}.1:8080\n", s, s);
  nat += "COMMIT\n*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  for (int s = 0; s < 40; s += 3)
    nat += fmt::format("-A INPUT -d 10.1.{}.1/32 -p tcp -m tcp --dport 8080 -j ACCEPT\n", s);
  nat += "COMMIT\n";
  for (const auto& [text, format] :
       std::vector<std::pair<std::string, const char*>>{{ipt, "iptables"}, {nft, "nftables"}, {nat, "iptables"}}) {
    auto rs = load(text, format);
    for (const Pipeline& p : rs->pipelines) {
      Box whole = Box::everything(p.family, rs->ifaces.size());
      whole.state = ct_all();
      compare_engines(*rs, p, whole, text.substr(0, 200));
    }
  }
}

TEST_CASE("the automatic engine switches to diagrams past the box evaluator's budget, with the same answer",
          "[diagram][eval]") {
  std::mt19937 rnd(3);
  std::string text = "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  for (int i = 0; i < 400; ++i) {
    const int a = static_cast<int>(rnd() % 60000);
    text += fmt::format("-A INPUT -s 10.{}.{}.0/24 -p tcp -m tcp --dport {}:{} -j {}\n", rnd() % 256, rnd() % 256, a,
                        a + 400, rnd() % 2 ? "ACCEPT" : "DROP");
  }
  text += "COMMIT\n";
  auto rs = load(text);
  const Pipeline& p = *rs->pipeline(Family::V4, Direction::In);
  Box whole = Box::everything(Family::V4, rs->ifaces.size());
  EvalOptions automatic;
  automatic.engine = EvalEngine::Auto;
  automatic.join_rewritten = true;
  automatic.box_work_budget = 100;
  automatic.source_slice_rules = 0;  // these 400 sources would be cut into slices first (tested below)
  EvalResult switched = evaluate(*rs, p, whole, automatic);
  CHECK(switched.by_bdds);
  automatic.box_work_budget = 100'000'000;
  // The ruleset remembers that boxes fragment: later automatic evaluations take diagrams.
  CHECK(evaluate(*rs, p, whole, automatic).by_bdds);
  automatic.follow_fragmentation = false;
  EvalResult kept = evaluate(*rs, p, whole, automatic);
  CHECK_FALSE(kept.by_bdds);
  compare_pieces(Family::V4, switched, kept, /*uncertain=*/false);
}

TEST_CASE("the diagram evaluator stops at its node limit and says the region is undetermined", "[diagram][eval]") {
  std::mt19937 rnd(9);
  std::string text = "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  for (int i = 0; i < 3000; ++i)
    text += fmt::format("-A INPUT -s 10.{}.{}.0/24 -p tcp -m tcp --dport {} -j ACCEPT\n", rnd() % 256, rnd() % 256,
                        rnd() % 60000);
  text += "COMMIT\n";
  auto rs = load(text);
  EvalOptions tight;
  tight.engine = EvalEngine::Diagrams;
  tight.max_pieces = 2000;  // 8,000 nodes
  EvalResult r = evaluate(*rs, *rs->pipeline(Family::V4, Direction::In), Box::everything(Family::V4, 1), tight);
  CHECK(r.truncated);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].find("more than 2000 pieces") != std::string::npos);
  REQUIRE(r.pieces.size() == 1);
  CHECK(r.pieces[0].verdict == Verdict::Undetermined);
}

TEST_CASE("evaluating slice by slice of the sources gives every packet the whole evaluation's verdict and decider",
          "[diagram][eval][slices]") {
  std::mt19937 rnd(11);
  int sliced = 0;
  for (int round = 0; round < 24; ++round) {
    // Mostly rules on sources (else slicing does not pay and is not done), some nested.
    const std::string text = random_ruleset(rnd, 100 + round * 2, 95);
    auto rs = load(text);
    for (const Pipeline& p : rs->pipelines) {
      Box whole = Box::everything(p.family, rs->ifaces.size());
      whole.state = ct_all();
      Box some_sources = whole;
      some_sources.src = AddrIntervals(0x0a000000, 0x0a01ffff).unite(AddrIntervals(0x0a030000, 0x0a0300ff));
      for (const Box& query : {whole, some_sources})
        for (const bool join : {true, false}) {
          std::set<const Rule*> reached_whole, reached_sliced;
          EvalOptions reference;
          reference.join_rewritten = join;
          reference.on_match = [&](const Rule& r) { reached_whole.insert(&r); };
          EvalOptions slices = reference;
          slices.engine = EvalEngine::Auto;
          slices.source_slice_rules = 4;
          slices.on_match = [&](const Rule& r) { reached_sliced.insert(&r); };
          const SourceSlicesMet met = source_slices_met(*rs, query, slices);
          if (met.count() < 2) continue;
          ++sliced;
          EvalResult by_slices = evaluate_in_source_slices(*rs, p, query, slices, met);
          EvalResult by_whole = evaluate(*rs, p, query, reference);
          INFO(text);
          INFO(fmt::format("path {} {}", family_name(p.family), direction_name(p.direction)));
          CHECK(std::set<std::string>(by_whole.problems.begin(), by_whole.problems.end()) ==
                std::set<std::string>(by_slices.problems.begin(), by_slices.problems.end()));
          CHECK(reached_whole == reached_sliced);
          compare_pieces(p.family, by_whole, by_slices, !join);
          // Through evaluate(), which tries the whole query first and then slices.
          compare_pieces(p.family, by_whole, evaluate(*rs, p, query, slices), !join);
        }
    }
  }
  INFO(sliced << " evaluations sliced");
  CHECK(sliced > 40);
}
