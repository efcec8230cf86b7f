#include "random_rulesets.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "eval/packet_bdd.h"
#include "fwm_catch.hpp"

namespace fwm::test {

// A random iptables-save file: filter (and sometimes raw and nat) tables, user chains
// reached by jumps and gotos, rules on sources, destinations, ports, interfaces, states
// and conditions the IR cannot decide.
// `source_percent`: the share of rules with a source condition.
std::string random_ruleset(std::mt19937& rnd, int rules, int source_percent) {
  auto pick = [&rnd](int n) { return static_cast<int>(rnd() % static_cast<unsigned>(n)); };
  auto chance = [&](int percent) { return pick(100) < percent; };
  const int user_chains = 1 + pick(6);
  auto prefix = [&]() {
    const int len = std::vector<int>{8, 16, 24, 28, 32}[static_cast<std::size_t>(pick(5))];
    return fmt::format("10.{}.{}.{}/{}", pick(4), pick(4), pick(4) * 64, len);
  };
  auto match = [&](bool may_unknown) {
    std::string m;
    if (chance(source_percent)) m += " -s " + std::string(chance(15) ? "! " : "") + prefix();
    if (chance(30)) m += " -d " + prefix();
    if (chance(25)) m += fmt::format(" -i {}", std::vector<std::string>{"eth0", "eth1", "eth+", "lo"}[pick(4)]);
    if (chance(70)) {
      const std::string p = chance(50) ? "tcp" : "udp";
      m += " -p " + p;
      if (chance(30)) {
        m += fmt::format(" -m multiport --dports {},{}:{}", pick(2000), 2000 + pick(100), 2100 + pick(3000));
      } else if (chance(80)) {
        const int lo = pick(6000);
        m += fmt::format(" -m {} --dport {}:{}", p, lo, lo + pick(800));
      }
      if (chance(10)) m += fmt::format(" --sport {}", 1000 + pick(100));
    } else if (chance(20)) {
      m += " -p icmp";
    }
    if (chance(15)) m += chance(50) ? " -m state --state NEW" : " -m conntrack --ctstate ESTABLISHED,RELATED";
    if (may_unknown && chance(12)) m += " -m mac --mac-source 00:11:22:33:44:55";
    if (may_unknown && chance(5)) m += " -m set --match-set blocked src";
    return m;
  };
  auto target = [&](const std::string& chain, bool builtin) {
    const int t = pick(100);
    if (t < 25) return std::string("ACCEPT");
    if (t < 45) return std::string(chance(50) ? "DROP" : "REJECT");
    if (t < 55 && !builtin) return std::string("RETURN");
    if (t < 62) return std::string("LOG");
    if (t < 90) {
      const int target_chain = pick(user_chains);
      if (!builtin && chain == fmt::format("U{}", target_chain)) return std::string("ACCEPT");
      return fmt::format("{} U{}", chance(15) ? "-g" : "-j", target_chain);
    }
    return std::string(chance(50) ? "RETURN" : "ACCEPT");
  };
  std::string out;
  if (chance(40)) {
    out += "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n";
    for (int i = 0; i < 1 + pick(3); ++i)
      out += fmt::format("-A PREROUTING{} -j {}\n", match(true),
                         chance(50) ? "NOTRACK" : (chance(50) ? "DROP" : "ACCEPT"));
    out += "COMMIT\n";
  }
  if (chance(40)) {
    out += "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n";
    for (int i = 0; i < 1 + pick(4); ++i) {
      const int port = pick(6000);
      out += fmt::format("-A PREROUTING -p tcp -m tcp --dport {} -j {}\n", port,
                         chance(50) ? fmt::format("DNAT --to-destination 10.{}.0.{}:{}", pick(4), pick(250), pick(6000))
                                    : fmt::format("REDIRECT --to-ports {}", pick(6000)));
    }
    out += "COMMIT\n";
  }
  out += fmt::format("*filter\n:INPUT {} [0:0]\n:FORWARD {} [0:0]\n:OUTPUT ACCEPT [0:0]\n",
                     chance(60) ? "DROP" : "ACCEPT", chance(50) ? "DROP" : "ACCEPT");
  for (int c = 0; c < user_chains; ++c) out += fmt::format(":U{} - [0:0]\n", c);
  for (int i = 0; i < rules; ++i) {
    const int c = pick(user_chains + 2);
    const std::string chain = c == 0 ? "INPUT" : c == 1 ? "FORWARD" : fmt::format("U{}", c - 2);
    const bool builtin = c < 2;
    std::string t = target(chain, builtin);
    // Calls only go to chains with a larger number: no loops (those are tested elsewhere).
    if (t.find(" U") != std::string::npos) {
      const int callee = std::stoi(t.substr(t.find(" U") + 2));
      if (!builtin && callee <= c - 2) t = "ACCEPT";
    }
    out += fmt::format("-A {}{} {}\n", chain, match(true), t.rfind("-", 0) == 0 ? t : "-j " + t);
  }
  out += "COMMIT\n";
  return out;
}

namespace {

// The pieces of an evaluation as diagrams, by verdict and deciding rule or policy (with
// `uncertain`, undetermined ones also by the first unknown rule they met).
std::map<std::string, Diagram> by_outcome(PacketBdds& bdds, const std::vector<Piece>& pieces, bool uncertain = false) {
  std::map<std::string, Diagram> out;
  for (const Piece& p : pieces) {
    std::string key =
        fmt::format("{} by {}:{}{}", verdict_name(p.verdict), p.decider.rule ? p.decider.rule->span.line : 0,
                    p.decider.policy ? p.decider.policy->name : "", std::string_view(p.decider.implicit));
    if (uncertain && p.uncertain_by) key += fmt::format(" unknown at {}", p.uncertain_by->span.line);
    auto [it, is_new] = out.try_emplace(key, bdds.no());
    it->second |= bdds.box(p.box, false);
  }
  return out;
}

}  // namespace

void compare_pieces(Family family, const EvalResult& a_result, const EvalResult& b_result, bool uncertain) {
  PacketBdds bdds(family, std::size_t(1) << 26);
  auto a = by_outcome(bdds, a_result.pieces, uncertain);
  auto b = by_outcome(bdds, b_result.pieces, uncertain);
  std::set<std::string> keys;
  for (const auto& [k, d] : a) keys.insert(k);
  for (const auto& [k, d] : b) keys.insert(k);
  for (const auto& k : keys) {
    INFO("outcome " << k);
    auto x = a.find(k), y = b.find(k);
    CHECK(x != a.end());
    CHECK(y != b.end());
    if (x != a.end() && y != b.end()) CHECK(x->second == y->second);
  }
}

}  // namespace fwm::test
