// iptables-restore itself, in a network namespace, accepts or refuses each file as
// fwmatrix does (FWM090 or not): the restore syntax of issue 25 and a sample of the
// extensions' checks (iptables_extensions.cpp). Skips cleanly without root, network
// namespaces or iptables-restore.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "frontends/frontend.h"
#include "fwm_catch.hpp"
#include "netns_harness.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace fwm;
using namespace fwm::test;

namespace {

struct Case {
  bool v6;
  std::string text;
};

std::string rule(const std::string& spec, const char* chain = "INPUT", const char* table = "filter") {
  return fmt::format("*{}\n:{} ACCEPT [0:0]\n-A {} {}\nCOMMIT\n", table, chain, chain, spec);
}

}  // namespace

TEST_CASE("kernel: iptables-restore accepts and refuses files as fwmatrix reads them", "[kernel]") {
  auto ns = kernel_test_namespaces("fwr", {"iptables-restore", "ip6tables-restore"});
  if (!ns) return;
  const std::vector<Case> cases = {
      {false,
       "*filter\n:INPUT DROP [0:0]\n-4 -A INPUT -p tcp --dport 22 -j ACCEPT\n-6 -A INPUT -s ::1 -j ACCEPT\n"
       "-A INPUT -6 -s ::1 -j ACCEPT\nCOMMIT\n"},
      {true, "*filter\n:INPUT DROP [0:0]\n-4 -A INPUT -s 10.0.0.1 -j ACCEPT\n-6 -A INPUT -s ::1 -j ACCEPT\nCOMMIT\n"},
      {false, "*filter\n:INPUT DROP [0:0]\n:FOO - [0:0]\n[0:0] -A INPUT -j FOO\n[12:34]   -A FOO -j ACCEPT\nCOMMIT\n"},
      {false, "*filter\n:INPUT ACCEPT [0:0]\n:FOO [0:0]\n:BAR ACCEPT [0:0]\n-A INPUT -j FOO\n-A FOO -j BAR\nCOMMIT\n"},
      {false, "*filter\n:INPUT [0:0]\nCOMMIT\n"},
      {false, "*filter\n:INPUT ACCEPT [0:0]\n-A LATE -j ACCEPT\n:LATE - [0:0]\nCOMMIT\n"},
      {false, "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j LATE\n:LATE - [0:0]\nCOMMIT\n"},
      {false, "*filter\n:INPUT ACCEPT [0:0]\n-I INPUT -j ACCEPT\n-I INPUT 2 -j DROP\n-I INPUT 1 -j ACCEPT\nCOMMIT\n"},
      {false, "*filter\n:INPUT ACCEPT [0:0]\n-I INPUT 0 -j ACCEPT\nCOMMIT\n"},
      {false, "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n-I INPUT 3 -j DROP\nCOMMIT\n"},
      {false, rule("-s 10.0.0.0/255.0.0.0 -j ACCEPT")},
      {false, rule("-p ipv6 -j ACCEPT")},
      {true, rule("-p ipv6 -j ACCEPT")},
      {false, rule("-m comment --comment 'ssh' -j ACCEPT")},
      {false, rule("-m comment --comment 'allow ssh' -j ACCEPT")},
      {false, rule("! -p all -j ACCEPT")},
      {false, rule("-p tcp --multiport -j ACCEPT")},
      {false, rule("-p tcp --dpor 22 -j ACCEPT")},
      {false, rule("-m dscp --dscp 0x40")},
      {false, rule("-m dscp --dscp 0x3f")},
      {false, rule("-m string --string x -j DROP")},
      {false, rule("-m string --string x --algo bm -j DROP")},
      {false, rule("-m mac --mac-source XX:XX:XX:XX:XX:XX -j DROP")},
      {false, rule("-m owner --uid-owner 0 -j DROP")},
      {false, rule("-m owner --uid-owner 0 -j DROP", "OUTPUT")},
      {false, rule("-p tcp -j DNAT --to-destination 1.1.1.1:echo-ssh", "PREROUTING", "nat")},
      {false, rule("-p tcp -j DNAT --to-destination 1.1.1.1:ftp-data", "PREROUTING", "nat")},
      {false, rule("-j SNAT --to-source 1.1.1.1:1025-65535", "POSTROUTING", "nat")},
      {true, rule("-m ah --ahspi 0 -j ACCEPT")},
      {false, rule("-m ah --ahspi 0 -j ACCEPT")},
      {false, rule("-m statistic --mode nth --every 5 --packet 5")},
      {false, rule("-j TTL --ttl-inc 0", "PREROUTING", "mangle")},
      {false, rule("-j TTL --ttl-inc 1", "PREROUTING", "mangle")},
  };
  fs::path dir = fs::temp_directory_path() / fmt::format("fwm-restore-{}", getpid());
  fs::create_directories(dir);
  int n = 0, agree = 0;
  for (const Case& c : cases) {
    std::string file = (dir / fmt::format("case-{}.rules", ++n)).string();
    write_file(file, c.text);
    // A real restore (not --test): some refusals come only when the batch is committed.
    auto tool = run_command(fmt::format("ip netns exec {} {} < {} 2>&1", ns->server,
                                        c.v6 ? "ip6tables-restore" : "iptables-restore", shell_quote(file)));
    auto loaded = load_ruleset(file, {c.v6 ? "ip6tables" : "iptables"});
    REQUIRE(loaded.ruleset);
    bool refused = false;
    std::string errors;
    for (const auto& d : loaded.ruleset->diagnostics)
      if (d.id == "FWM090") {
        refused = true;
        errors += d.message + "\n";
      }
    INFO(c.text << "iptables-restore: " << tool.out << "fwmatrix: " << errors);
    CHECK(refused == (tool.exit_code != 0));
    agree += refused == (tool.exit_code != 0) ? 1 : 0;
  }
  fs::remove_all(dir);
  WARN(fmt::format("iptables-restore and fwmatrix agree on {}/{} files", agree, cases.size()));
}
