// The kernel confirms `fwmatrix fix` (issue 28): the corpus configs with FWM001 gaps and
// their fixes are loaded in a network namespace (iptables-restore, nft -f); real TCP
// connects and UDP datagrams from the client (10.99.0.2 / fd99::2, inside the trusted
// networks) probe the ends and middle of every gap (the ports of the FWM001 findings),
// the ports just outside every required interval, and a few well-known ports. With the
// fix, every gap port passes; no port outside the requirements passes that did not
// pass before. Skips cleanly without root, network namespaces or
// the tools.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "fwm_catch.hpp"
#include "kernel/netns_harness.h"
#include "matrix/pack.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace fwm;
using namespace fwm::test;

namespace {

struct FixCase {
  const char* file;
  const char* role;
  bool v6;
};

// The inbound TCP (true) and UDP ports of the role's requirements (any of them may be
// accepted before and after the fix: they are not "beyond the requirements").
std::map<bool, PortSet> required_ports(const std::string& role) {
  static const Pack pack = *find_pack("sfb2015", "").pack;
  std::map<bool, PortSet> out;
  for (const Requirement* r : pack.requirements_for({role}, pack.default_lb_mode)) {
    if (r->direction != Direction::In) continue;
    for (int p : r->protocols)
      if (p == kProtoTcp || p == kProtoUdp) out[p == kProtoTcp].add(r->ports);
  }
  return out;
}

// The ports of the FWM001 findings of `file` for the family: what the fix must open.
std::map<bool, PortSet> gap_ports(const std::string& file, const std::string& role, bool v6) {
  auto run = run_fwmatrix(fmt::format("check {} --role {} --report json 2>/dev/null", file, role));
  std::map<bool, PortSet> out;
  auto j = nlohmann::json::parse(run.out);
  for (const auto& f : j.at("findings")) {
    if (f.value("id", "") != "FWM001") continue;
    const auto& props = f.at("properties");
    if (props.value("family", "").find(v6 ? "IPv6" : "IPv4") == std::string::npos) continue;
    bool tcp = props.value("protocol", "") == "tcp";
    std::string ports = props.value("ports", "");
    std::size_t start = 0;
    while (start < ports.size()) {
      std::size_t end = ports.find(", ", start);
      std::string item = ports.substr(start, end == std::string::npos ? std::string::npos : end - start);
      auto dash = item.find('-');
      int lo = std::stoi(item.substr(0, dash));
      int hi = dash == std::string::npos ? lo : std::stoi(item.substr(dash + 1));
      out[tcp].add(static_cast<std::uint16_t>(lo), static_cast<std::uint16_t>(hi));
      if (end == std::string::npos) break;
      start = end + 2;
    }
  }
  return out;
}

void run_cases(const std::vector<FixCase>& cases, bool nft) {
  auto ns = kernel_test_namespaces(
      nft ? "fxn" : "fxi",
      nft ? std::vector<std::string>{"nft"} : std::vector<std::string>{"iptables-restore", "ip6tables-restore"});
  if (!ns) return;
  ScratchDir dir;
  std::size_t required_probes = 0, outside_probes = 0, opened = 0;
  for (const FixCase& c : cases) {
    INFO(c.file << (c.v6 ? " (IPv6)" : ""));
    {
      std::string fixed = (dir.path / fs::path(c.file).filename()).string();
      auto fix = run_fwmatrix(fmt::format("fix {} --role {} -o {} 2>&1", c.file, c.role, shell_quote(fixed)));
      INFO(fix.out);
      REQUIRE(fix.exit_code == 0);
      auto required = required_ports(c.role);
      auto gaps = gap_ports(c.file, c.role, c.v6);
      REQUIRE((!gaps[true].empty() || !gaps[false].empty()));
      // Probes: each required interval's ends and middle, the ports just outside, and a
      // few well-known ports no requirement names.
      std::set<std::pair<bool, int>> wanted;
      std::vector<Probe> probes;
      std::set<std::pair<bool, int>> seen;
      auto add = [&](bool tcp, long port) {
        if (port < 1 || port > 65535 || !seen.insert({tcp, static_cast<int>(port)}).second) return;
        probes.push_back({tcp, static_cast<int>(port)});
      };
      for (bool tcp : {true, false}) {
        for (const auto& iv : gaps[tcp].intervals())
          for (long p : {static_cast<long>(iv.lo), static_cast<long>(iv.hi), (static_cast<long>(iv.lo) + iv.hi) / 2}) {
            add(tcp, p);
            wanted.insert({tcp, static_cast<int>(p)});
          }
        for (const auto& iv : required[tcp].intervals()) {
          add(tcp, static_cast<long>(iv.lo) - 1);
          add(tcp, static_cast<long>(iv.hi) + 1);
        }
        for (int p : {22, 25, 139, 1433, 3389, 5985, 8443, 9000, 20000, 40000})
          if (!required[tcp].contains(static_cast<std::uint16_t>(p))) add(tcp, p);
      }
      auto load = [&](const std::string& file) {
        if (nft) run_command(fmt::format("ip netns exec {} nft flush ruleset", ns->server));
        return run_command(fmt::format("ip netns exec {} {} < {} 2>&1", ns->server,
                                       nft    ? "nft -f -"
                                       : c.v6 ? "ip6tables-restore"
                                              : "iptables-restore",
                                       shell_quote(file)));
      };
      auto before_load = load((fs::path(FWM_SOURCE_DIR) / c.file).string());
      INFO(before_load.out);
      REQUIRE(before_load.exit_code == 0);
      auto before = probe(*ns, c.v6, probes);
      auto after_load = load(fixed);
      INFO(read_file(fixed) << after_load.out);
      REQUIRE(after_load.exit_code == 0);
      auto after = probe(*ns, c.v6, probes);
      for (const auto& w : wanted) {
        INFO((w.first ? "TCP " : "UDP ") << w.second << " is a gap the fix closes");
        CHECK(after.count(w));
        ++required_probes;
      }
      for (const auto& p : probes) {
        if (wanted.count({p.tcp, p.port}) || required[p.tcp].contains(static_cast<std::uint16_t>(p.port))) continue;
        ++outside_probes;
        INFO((p.tcp ? "TCP " : "UDP ") << p.port << " is not required");
        CHECK((!after.count({p.tcp, p.port}) || before.count({p.tcp, p.port})));
        if (after.count({p.tcp, p.port}) && !before.count({p.tcp, p.port})) ++opened;
      }
    }
  }
  WARN(fmt::format("{}: {} configs fixed; {} probes of gap ports, {} outside the requirements ({} newly open)",
                   nft ? "nftables" : "iptables", cases.size(), required_probes, outside_probes, opened));
}

}  // namespace

TEST_CASE("kernel: fixed iptables configs accept every required port and nothing new", "[kernel][fix]") {
  run_cases({{"corpus/iptables/front-end-gaps.rules", "front-end", false},
             {"corpus/iptables/front-end-ipv6.rules", "front-end", true},
             {"corpus/iptables/mediation.rules", "mediation", false},
             {"corpus/iptables/user-chains-return.rules", "mediation", false},
             {"corpus/iptables/reject-before-accept.rules", "director", false},
             {"corpus/iptables/front-end-partial-media.rules", "front-end", false}},
            false);
}

TEST_CASE("kernel: fixed nftables configs accept every required port and nothing new", "[kernel][fix]") {
  run_cases({{"corpus/nftables/front-end-gaps.nft", "front-end", false},
             {"corpus/nftables/two-tables-one-hook.nft", "front-end", false},
             {"corpus/nftables/reject-before-accept.nft", "director", false},
             {"corpus/nftables/user-chains-jump-goto.nft", "mediation", false},
             {"corpus/nftables/vmap-named-map.nft", "front-end", false},
             {"corpus/nftables/front-end-partial-media.nft", "front-end", false}},
            true);
}
