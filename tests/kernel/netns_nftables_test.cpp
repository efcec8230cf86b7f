// Verdicts must match the Linux kernel (nftables). Generated rulesets (several tables and
// families with base chains on the same hooks at different priorities, sets, vmaps,
// jump/goto/return, reject, nat redirect) are loaded with `nft -f` into a private network
// namespace ("server") joined by a veth pair to another ("client"); real TCP connects and
// UDP datagrams from the client probe sampled ports (every interval endpoint of fwmatrix's
// answer and of the ruleset, +-1), and the ports that really pass must be exactly those
// `fwmatrix ports --json --src CLIENT --iface fwk0` lists.
// Skips cleanly without root, network namespaces or nft.
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

// A random nftables ruleset over a small pool of ports, so that rules overlap.
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
    return fmt::format("{}-{}", lo, hi);
  };
  auto port_set = [&]() {
    if (chance(50)) return port_text(true);
    return fmt::format("{{ {}, {} }}", port_text(false), port_text(false));
  };
  std::string ipx = v6 ? "ip6" : "ip";
  std::string client = v6 ? "fd99::2" : "10.99.0.2";
  std::string other = v6 ? "fd98::/16" : "10.98.0.0/16";
  std::string client_net = v6 ? "fd99::/64" : "10.99.0.0/24";
  std::string out = "flush ruleset\n";
  // An early table of the packet's own family: a drop there is final, an accept is not.
  out += fmt::format(
      "table {} early {{\n  chain pre {{\n    type filter hook prerouting priority raw; policy accept;\n", ipx);
  if (chance(40)) out += fmt::format("    udp dport {} drop\n", port_set());
  out += "  }\n";
  out += fmt::format("  chain in {{\n    type filter hook input priority filter - 10; policy {};\n",
                     chance(80) ? "accept" : "drop");
  out += "    ct state established,related accept\n";
  if (chance(50)) out += fmt::format("    tcp dport {} {}\n", port_set(), chance(50) ? "drop" : "accept");
  if (chance(30)) out += fmt::format("    meta l4proto {{ tcp, udp }} th dport {} accept\n", port_set());
  out += "    meta l4proto ipv6-icmp accept\n  }\n";
  // nat: a redirect changes the port the filter sees.
  if (chance(35)) {
    std::string from = port_text(false), to = port_text(false);
    out += fmt::format(
        "  chain nat_pre {{\n    type nat hook prerouting priority dstnat; policy accept;\n"
        "    tcp dport {} redirect to :{}\n  }}\n",
        from, to);
  }
  out += "}\n";
  // The main inet table.
  out += "table inet filter {\n";
  out += fmt::format("  set allowed {{\n    type inet_service\n    flags interval\n    elements = {{ {}, {} }}\n  }}\n",
                     port_text(true), port_text(true));
  out += "  chain edge {\n";
  out += fmt::format("    {} saddr {} accept\n    return\n  }}\n", ipx, chance(50) ? client : other);
  out += "  chain media {\n";
  out += fmt::format("    udp dport {} return\n", port_set());
  out += fmt::format("    tcp dport {} goto edge\n", port_set());
  out += fmt::format("    meta l4proto {} accept\n  }}\n", chance(50) ? "udp" : "tcp");
  out += fmt::format("  chain input {{\n    type filter hook input priority filter; policy {};\n",
                     chance(70) ? "drop" : "accept");
  out += "    ct state established,related accept\n";
  if (v6) out += "    meta l4proto ipv6-icmp accept\n";  // neighbour discovery
  int rules = 3 + static_cast<int>(pick(8));
  const char* verdicts[] = {"accept", "drop", "reject", "jump media", "return"};
  for (int i = 0; i < rules; ++i) {
    std::string proto = chance(50) ? "tcp" : "udp";
    std::string m;
    int kind = static_cast<int>(pick(8));
    if (kind == 0) m = fmt::format("{} dport {}", proto, port_set());
    if (kind == 1) m = fmt::format("{} dport != {}", proto, port_set());
    if (kind == 2) m = fmt::format("{} saddr {} {} dport {}", ipx, chance(50) ? client_net : other, proto, port_set());
    if (kind == 3) m = fmt::format("{} saddr != {} {} dport {}", ipx, other, proto, port_set());
    if (kind == 4) m = fmt::format("iifname {} {} dport {}", chance(60) ? "\"fwk*\"" : "\"lo\"", proto, port_set());
    if (kind == 5) m = fmt::format("{} dport @allowed", proto);
    if (kind == 6) m = fmt::format("{} dport < {}", proto, port_text(false));
    if (kind == 7) {
      std::string a = port_text(false), b = port_text(false);
      if (a == b) b = std::to_string(std::stoi(a) + 1);  // keys of a map are unique
      g.ports.insert(std::stoi(b));
      out += fmt::format("    {} dport vmap {{ {} : accept, {} : drop }}\n", proto, a, b);
      continue;
    }
    if (chance(15)) m += " ct state new";
    std::string verdict = verdicts[pick(4)];
    if (verdict == "reject" && proto == "tcp" && chance(50)) verdict += " with tcp reset";
    out += fmt::format("    {} counter {}\n", m, verdict);
  }
  if (chance(50)) out += fmt::format("    tcp dport {} accept\n", port_set());
  out += "  }\n}\n";
  // A netdev ingress chain: it sees only the packets of its device (the probes arrive on fwk0).
  if (chance(40)) {
    out += fmt::format(
        "table netdev edge {{\n  chain ingress {{\n    type filter hook ingress device \"{}\" priority -500; "
        "policy accept;\n    {} dport {} drop\n  }}\n}}\n",
        chance(50) ? "fwk0" : "lo", chance(50) ? "tcp" : "udp", port_set());
  }
  // A later table of the packet's family on the same hook: its drop is final too.
  out += fmt::format(
      "table {} late {{\n  chain in {{\n    type filter hook input priority filter + 10; policy accept;\n", ipx);
  if (chance(50)) out += fmt::format("    {} dport {} drop\n", chance(50) ? "tcp" : "udp", port_set());
  out += "  }\n}\n";
  g.text = out;
  return g;
}

}  // namespace

TEST_CASE("kernel: fwmatrix ports agrees with packets that really pass nftables", "[kernel][nftables-kernel]") {
  auto ns = kernel_test_namespaces("fwn", {"nft"});
  if (!ns) return;
  fs::path dir = fs::temp_directory_path() / fmt::format("fwm-kernel-nft-{}", getpid());
  fs::create_directories(dir);
  KernelAgreement total;
  for (bool v6 : {false, true}) {
    int count = v6 ? 12 : 36;
    for (int seed = 1; seed <= count; ++seed) {
      std::mt19937 rng(static_cast<unsigned>(seed * 7919 + (v6 ? 1 : 0)));
      Generated g = generate(rng, v6);
      std::string file = (dir / fmt::format("{}-{}.nft", v6 ? "v6" : "v4", seed)).string();
      write_file(file, g.text);
      auto load = run_command(fmt::format("ip netns exec {} nft -f {} 2>&1", ns->server, shell_quote(file)));
      INFO("ruleset:\n" << g.text << load.out);
      REQUIRE(load.exit_code == 0);
      total.add(compare_with_kernel(*ns, file, v6, g.ports));
    }
  }
  fs::remove_all(dir);
  require_agreement(total, "nftables");
}

TEST_CASE("kernel: nft -j list ruleset gives the same answers as the text it was loaded from",
          "[kernel][nftables-kernel]") {
  auto namespaces = kernel_test_namespaces("fwn", {"nft"});
  if (!namespaces) return;
  const Namespaces& ns = *namespaces;
  std::vector<fs::path> inputs;
  for (const auto& dir :
       {fs::path(FWM_SOURCE_DIR) / "corpus/nftables", fs::path(FWM_SHARED_DIR) / "corpus/real/nftables"})
    if (fs::exists(dir))
      for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file() && e.path().extension() != ".expected" && e.path().extension() != ".json")
          inputs.push_back(e.path());
  std::sort(inputs.begin(), inputs.end());
  fs::path dir = fs::temp_directory_path() / fmt::format("fwm-nft-json-{}", getpid());
  fs::create_directories(dir);
  std::size_t compared = 0;
  for (const auto& input : inputs) {
    std::string json = (dir / (input.filename().string() + ".json")).string();
    auto load = run_command(fmt::format(
        "ip netns exec {s} nft flush ruleset && ip netns exec {s} nft -f {f} 2>/dev/null && "
        "ip netns exec {s} nft -j list ruleset > {j}",
        fmt::arg("s", ns.server), fmt::arg("f", shell_quote(input.string())), fmt::arg("j", shell_quote(json))));
    if (load.exit_code != 0) continue;  // nft refuses it (missing includes, devices): nothing to compare
    for (const char* args : {"", " --src 10.1.2.3", " --src fd00::5"}) {
      auto text = run_fwmatrix(fmt::format("ports --json {}{}", shell_quote(input.string()), args));
      auto from_json = run_fwmatrix(fmt::format("ports --json {}{}", shell_quote(json), args));
      INFO(input.string() << args);
      CHECK(text.out == from_json.out);
    }
    ++compared;
  }
  fs::remove_all(dir);
  WARN(fmt::format("text and nft -j JSON compared on {} of {} rulesets", compared, inputs.size()));
  // The project's own corpus alone (a clone without ../shared) loads 8 rulesets.
  bool shared_corpus = fs::exists(fs::path(FWM_SHARED_DIR) / "corpus/real/nftables");
  REQUIRE(compared >= (shared_corpus ? 10u : 6u));
}
