// Verdicts must match the Linux kernel. Generated iptables-save rulesets are loaded into
// a private network namespace ("server") joined by a veth pair to another ("client");
// real TCP connects and UDP datagrams from the client probe sampled ports (every interval
// endpoint of fwmatrix's answer and of the ruleset, +-1), and the ports that really pass
// must be exactly those `fwmatrix ports --json --src CLIENT --iface fwk0` lists.
// Skips cleanly without root, network namespaces or iptables-restore.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fwm_catch.hpp"
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "kernel/netns_harness.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace fwm::test;

namespace {

struct Generated {
  std::string text;
  std::set<int> ports;  // every port the rules mention, for sampling
};

// A random ruleset over a small pool of ports, so that rules overlap.
Generated generate(std::mt19937& rng, bool v6) {
  const std::vector<std::pair<int, int>> pool = {{20, 30},     {80, 80},       {443, 443},     {5060, 5070},
                                                 {5061, 5061}, {49152, 49160}, {49155, 49170}, {65530, 65535},
                                                 {1, 5},       {25, 25}};
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  auto chance = [&](int percent) { return static_cast<int>(pick(100)) < percent; };
  Generated g;
  auto port_text = [&](bool allow_range) {
    auto [lo, hi] = pool[pick(pool.size())];
    g.ports.insert(lo);
    g.ports.insert(hi);
    if (!allow_range || lo == hi || chance(30)) return std::to_string(lo);
    return fmt::format("{}:{}", lo, hi);
  };
  std::string client = v6 ? "fd99::2" : "10.99.0.2";
  std::string other = v6 ? "fd98::/16" : "10.98.0.0/16";
  std::string client_net = v6 ? "fd99::/64" : "10.99.0.0/24";
  std::string out;
  // raw: a drop there is final.
  out += "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  if (chance(30)) out += fmt::format("-A PREROUTING -p udp -m udp --dport {} -j DROP\n", port_text(true));
  out += "COMMIT\n";
  // nat: a redirect changes the port the filter sees.
  out += "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n";
  if (chance(35)) {
    std::string from = port_text(false), to = port_text(false);
    out += fmt::format("-A PREROUTING -p tcp -m tcp --dport {} -j REDIRECT --to-ports {}\n", from, to);
  }
  out += "COMMIT\n";
  out += fmt::format(
      "*filter\n:INPUT {} [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:MEDIA - [0:0]\n:EDGE - [0:0]\n",
      chance(70) ? "DROP" : "ACCEPT");
  if (v6) out += "-A INPUT -p ipv6-icmp -j ACCEPT\n";  // neighbour discovery
  out += "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n";
  int rules = 3 + static_cast<int>(pick(8));
  const char* targets[] = {"ACCEPT", "DROP", "REJECT", "MEDIA", "RETURN"};
  for (int i = 0; i < rules; ++i) {
    std::string proto = chance(50) ? "tcp" : "udp";
    std::string m;
    int kind = static_cast<int>(pick(6));
    if (kind == 0) m = fmt::format("-p {} -m {} --dport {}", proto, proto, port_text(true));
    if (kind == 1) m = fmt::format("-p {} -m multiport --dports {},{}", proto, port_text(true), port_text(true));
    if (kind == 2) m = fmt::format("-p {} -m {} ! --dport {}", proto, proto, port_text(true));
    if (kind == 3)
      m = fmt::format("-s {} -p {} -m {} --dport {}", chance(50) ? client_net : other, proto, proto, port_text(true));
    if (kind == 4) m = fmt::format("! -s {} -p {} -m {} --dport {}", other, proto, proto, port_text(true));
    if (kind == 5)
      m = fmt::format("-i {} -p {} -m {} --dport {}", chance(60) ? "fwk0" : "lo", proto, proto, port_text(true));
    if (!v6 && chance(15))
      m += fmt::format(" -m iprange --src-range {}", chance(50) ? "10.99.0.1-10.99.0.9" : "10.99.0.3-10.99.0.9");
    if (chance(15)) m += " -m conntrack --ctstate NEW";
    std::string target = targets[pick(4)];
    if (target == "REJECT" && proto == "tcp" && chance(50)) target += " --reject-with tcp-reset";
    out += fmt::format("-A INPUT {} -j {}\n", m, target);
  }
  // Chains: MEDIA returns part of its traffic; EDGE is entered with -g.
  out += fmt::format("-A MEDIA -p udp -m udp --dport {} -j RETURN\n", port_text(true));
  out += fmt::format("-A MEDIA -p tcp -m tcp --dport {} -g EDGE\n", port_text(true));
  out += fmt::format("-A MEDIA -p {} -j ACCEPT\n", chance(50) ? "udp" : "tcp");
  out += fmt::format("-A EDGE -s {} -j ACCEPT\n", chance(50) ? client : other);
  out += "-A EDGE -j RETURN\n";
  if (chance(50)) out += fmt::format("-A INPUT -p tcp -m tcp --dport {} -j ACCEPT\n", port_text(true));
  out += "COMMIT\n";
  g.text = out;
  return g;
}

}  // namespace

TEST_CASE("kernel: fwmatrix ports agrees with packets that really pass iptables", "[kernel]") {
  auto ns = kernel_test_namespaces("fwk", {"iptables-restore", "ip6tables-restore"});
  if (!ns) return;
  fs::path dir = fs::temp_directory_path() / fmt::format("fwm-kernel-{}", getpid());
  fs::create_directories(dir);
  KernelAgreement total;
  for (bool v6 : {false, true}) {
    int count = v6 ? 12 : 36;
    for (int seed = 1; seed <= count; ++seed) {
      std::mt19937 rng(static_cast<unsigned>(seed * 7919 + (v6 ? 1 : 0)));
      Generated g = generate(rng, v6);
      std::string file = (dir / fmt::format("{}-{}.rules", v6 ? "v6" : "v4", seed)).string();
      write_file(file, g.text);
      auto load = run_command(fmt::format("ip netns exec {} {} < {} 2>&1", ns->server,
                                          v6 ? "ip6tables-restore" : "iptables-restore", shell_quote(file)));
      INFO("ruleset:\n" << g.text << load.out);
      REQUIRE(load.exit_code == 0);
      total.add(compare_with_kernel(*ns, file, v6, g.ports));
    }
  }
  fs::remove_all(dir);
  require_agreement(total, "iptables");
}
