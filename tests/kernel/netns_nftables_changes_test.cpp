// nftables against the Linux kernel, for what fwmatrix reads beyond plain matches:
// - `tcp flags`: each test of the flags accepts the connections to a port of its own
//   behind a policy drop, and real TCP connects (whose first packet is a SYN with no
//   other flag set) must pass exactly where `fwmatrix ports` says they are accepted;
// - rule handles: an `nft -a` listing is loaded, then a change script that uses its
//   handles and indexes; fwmatrix reading the listing followed by the script must give
//   the answers it gives for the `nft -j` listing of the result.
// Skips cleanly without root, network namespaces or nft.
#include <fmt/format.h>
#include <unistd.h>

#include "fwm_catch.hpp"
#include <chrono>
#include <filesystem>
#include <thread>

#include "kernel/netns_harness.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace fwm::test;

TEST_CASE("kernel: tcp flags tests decide the first packet of a connection as fwmatrix does",
          "[kernel][nftables-kernel]") {
  auto namespaces = kernel_test_namespaces("fwf", {"nft"});
  if (!namespaces) return;
  const Namespaces& ns = *namespaces;
  const std::vector<std::string> tests = {
      "tcp flags syn",
      "tcp flags syn,ack",
      "tcp flags ack",
      "tcp flags 0x02",
      "tcp flags == syn",
      "tcp flags == syn,ack",
      "tcp flags != syn",
      "tcp flags != syn,ack",
      "tcp flags ! syn",
      "tcp flags ! ack,rst",
      "tcp flags & (syn|ack) == syn",
      "tcp flags & (fin|syn|rst|ack) != syn",
      "tcp flags & (syn | ack) syn",
      "tcp flags & (syn|ack) == syn|ack",
      "tcp flags & (fin|syn|rst|ack) != 0",
      "tcp flags syn / fin,syn,rst,ack",
      "tcp flags != syn / syn,ack",
      "tcp flags ack / fin,ack",
      "tcp flags { syn, syn|ack }",
      "tcp flags { syn | ack, ack }",
      "tcp flags != { fin, urg, ecn, cwr }",
      "tcp flags & (fin|syn|rst|ack) { syn, ack }",
      "tcp flags cwr",
      "tcp flags < ack",
      "tcp flags vmap { syn|ack : drop, syn : accept }",
      "tcp flags vmap { ack : accept, * : drop }",
  };
  std::string text =
      "flush ruleset\ntable inet filter {\n  chain input {\n    type filter hook input priority filter; policy drop;\n"
      "    ct state established,related accept\n    meta l4proto ipv6-icmp accept\n    tcp dport 5999 accept\n";
  std::set<int> endpoints;
  std::vector<Probe> probes;
  for (std::size_t i = 0; i < tests.size(); ++i) {
    int port = 6000 + static_cast<int>(i);
    bool vmap = tests[i].find("vmap") != std::string::npos;
    text += vmap ? fmt::format("    tcp dport {} {}\n", port, tests[i])
                 : fmt::format("    {} tcp dport {} accept\n", tests[i], port);
    endpoints.insert(port);
    probes.push_back({true, port});
  }
  std::size_t tcp_probes = probes.size();
  text += "  }\n}\n";
  fs::path dir = fs::temp_directory_path() / fmt::format("fwm-kernel-flags-{}", getpid());
  fs::create_directories(dir);
  std::string file = (dir / "flags.nft").string();
  write_file(file, text);
  auto load = run_command(fmt::format("ip netns exec {} nft -f {} 2>&1", ns.server, shell_quote(file)));
  INFO("ruleset:\n" << text << load.out);
  REQUIRE(load.exit_code == 0);
  std::size_t passing = 0;
  for (bool v6 : {false, true}) {
    std::set<int> sampled = endpoints;
    auto answer = fwmatrix_accepted(file, v6, sampled);
    // Wait until a connection to the port that is always accepted gets through (the
    // links can take a moment after the namespaces are made).
    bool ready = false;
    for (int i = 0; i < 30 && !ready; ++i) {
      ready = probe(ns, v6, {{true, 5999}}).count({true, 5999}) > 0;
      if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    REQUIRE(ready);
    auto passed = probe(ns, v6, probes);
    // A connect that did not finish in time on a busy machine looks blocked: probe the
    // ports fwmatrix accepts and the kernel seemed to block once more (a pass is never
    // a timing accident).
    std::vector<Probe> again;
    for (std::size_t i = 0; i < tcp_probes; ++i)
      if (!passed.count({true, probes[i].port}) && in_answer(answer, true, probes[i].port)) again.push_back(probes[i]);
    if (!again.empty())
      for (const auto& p : probe(ns, v6, again)) passed.insert(p);
    for (std::size_t i = 0; i < tcp_probes; ++i) {
      bool kernel = passed.count({true, probes[i].port}) > 0;
      bool ours = in_answer(answer, true, probes[i].port);
      INFO(fmt::format("{} `{}` (port {}): kernel {}, fwmatrix {}", v6 ? "IPv6" : "IPv4", tests[i], probes[i].port,
                       kernel ? "passes" : "blocks", ours ? "accepts" : "does not accept"));
      CHECK(kernel == ours);
      if (kernel) ++passing;
    }
  }
  fs::remove_all(dir);
  // Both outcomes occur: the comparison means something.
  REQUIRE(passing > 4);
  REQUIRE(passing < 2 * tcp_probes - 4);
}

TEST_CASE("kernel: a change script applied to an nft -a listing gives what the kernel has after it",
          "[kernel][nftables-kernel]") {
  auto namespaces = kernel_test_namespaces("fwh", {"nft"});
  if (!namespaces) return;
  const Namespaces& ns = *namespaces;
  // Loaded into a new table, the listing gets the handles of its comments again (the
  // anonymous sets take 8 and 10).
  std::string listing = read_file((fs::path(FWM_SOURCE_DIR) / "corpus/nftables/handles-listing.nft").string());
  const std::vector<std::string> scripts = {
      "replace rule inet filter input handle 7 tcp dport 5061 accept\n"
      "add rule inet filter input handle 9 tcp dport 443 accept\n"
      "insert rule inet filter input index 0 tcp dport 3389 drop\n"
      "delete rule inet filter input handle 12\n",
      "insert rule inet filter input handle 7 tcp dport 5061 accept\n"
      "add rule inet filter input position 2 tcp dport 80 drop\n"
      "add rule inet filter input index 8 udp dport 1434 accept\n"
      "insert rule inet filter input index 3 tcp dport 444 accept\n"
      "delete rule inet filter input handle 9\n"
      "replace rule inet filter input handle 5 tcp dport 444 drop\n",
  };
  fs::path dir = fs::temp_directory_path() / fmt::format("fwm-kernel-handles-{}", getpid());
  fs::create_directories(dir);
  for (std::size_t i = 0; i < scripts.size(); ++i) {
    std::string listing_file = (dir / "listing.nft").string(), script_file = (dir / "change.nft").string();
    std::string both_file = (dir / fmt::format("listing-and-change-{}.nft", i)).string();
    std::string json_file = (dir / fmt::format("after-{}.json", i)).string();
    write_file(listing_file, "flush ruleset\n" + listing);
    write_file(script_file, scripts[i]);
    write_file(both_file, listing + scripts[i]);
    auto load = run_command(fmt::format(
        "ip netns exec {s} nft -f {l} && ip netns exec {s} nft -f {c} && ip netns exec {s} nft -j list ruleset > {j}",
        fmt::arg("s", ns.server), fmt::arg("l", shell_quote(listing_file)), fmt::arg("c", shell_quote(script_file)),
        fmt::arg("j", shell_quote(json_file))));
    INFO("change script:\n" << scripts[i] << load.out);
    REQUIRE(load.exit_code == 0);
    for (const char* args : {"", " --src 10.1.2.3", " --src fd00::5"}) {
      auto ours = run_fwmatrix(fmt::format("ports --json {}{}", shell_quote(both_file), args));
      auto kernel = run_fwmatrix(fmt::format("ports --json {}{}", shell_quote(json_file), args));
      INFO(args);
      CHECK(ours.out == kernel.out);
    }
  }
  fs::remove_all(dir);
}
