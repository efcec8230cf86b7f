// Topology files (docs/topology.md) and network mode: loading, validation messages with
// file:line:col, media overrides, and forward-path coverage between addresses.
#include "matrix/topology.h"

#include "fwm_catch.hpp"
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "frontends/frontend.h"
#include "test_support.h"

using namespace fwm;

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  auto path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path) << text;
  return path;
}

Pack load_pack(const std::string& name) {
  auto loaded = load_pack_file(std::string(FWM_SOURCE_DIR) + "/rules/" + name + ".yaml");
  INFO(loaded.error);
  REQUIRE(loaded.pack);
  return *loaded.pack;
}

std::unique_ptr<Ruleset> load_iptables(const std::string& text) {
  auto r = load_ruleset_bytes("gw.rules", text, {"iptables"});
  REQUIRE(r.ruleset);
  return std::move(r.ruleset);
}

const char* kSite = R"(pack: sfb2015-edge
networks:
  internal: 10.0.0.0/16
  dmz: 172.16.10.0/24
interfaces:
  eth0: internal
  eth1: dmz
roles:
  edge-internal: 172.16.10.20
)";

}  // namespace

TEST_CASE("topology: roles, networks, interfaces, public addresses and media are read", "[topology]") {
  Pack pack = load_pack("sfb2015");
  auto path = write_temp("fwm_topo_ok.yaml", R"(lb_mode: dns
networks:
  internal: [10.0.0.0/8, "fd00::/8"]
interfaces: {eth0: internal}
roles:
  front-end: [10.1.0.11, 10.1.0.12]
  front-end-lb: {addresses: 10.1.0.10, public: 203.0.113.10}
media:
  audio: {start: 40000, count: 8000}
)");
  auto loaded = load_topology_file(path, &pack);
  INFO(loaded.error);
  REQUIRE(loaded.topology);
  const Topology& t = *loaded.topology;
  CHECK(t.lb_mode == "dns");
  REQUIRE(t.roles.size() == 2);
  CHECK(t.roles[0].addresses == parse_address_expr("10.1.0.11-10.1.0.12").set);
  CHECK(t.role("front-end-lb")->public_addresses == parse_address_expr("203.0.113.10").set);
  CHECK(*t.network("internal") == parse_address_expr("10.0.0.0/8").set.unite(parse_address_expr("fd00::/8").set));
  CHECK(*t.network("internet") == AddrSet::all());
  CHECK(t.interfaces.at("eth0") == "internal");
  // The audio override replaces the pack's audio interval in every requirement that has it.
  Pack with = apply_media_overrides(pack, t);
  for (const auto& r : with.requirements)
    if (r.id == "srv.all-internal-servers.49152-57500") CHECK(r.ports == PortSet(40000, 47999));
  std::remove(path.c_str());
}

TEST_CASE("topology: mistakes are reported with file:line:col", "[topology]") {
  Pack pack = load_pack("sfb2015");
  struct Case {
    const char* text;
    const char* expected;
  } cases[] = {
      {"roles:\n  front-end: 10.1.0.300\n", ":2:14: invalid address '10.1.0.300'"},
      {"roles:\n  back-end: 10.1.0.1\n", ":2:3: unknown role 'back-end'"},
      {"roles:\n  front-end: 10.1.0.1\ninterfaces:\n  eth0: lab\n", ":4:9: interface eth0 is on network 'lab'"},
      {"roles:\n  front-end: 10.1.0.1\nmedia:\n  audio: {start: 65000, count: 1000}\n", ":4:10: media range 'audio'"},
      {"roles:\n  front-end: 10.1.0.1\nlb_mode: round-robin\n", ":3:10: lb_mode must be hardware or dns"},
      {"roles: [front-end\n", "fwm_topo_bad.yaml:"},
      {"rolez:\n  front-end: 10.1.0.1\n", ":1:1: unknown top-level key 'rolez'"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto path = write_temp("fwm_topo_bad.yaml", c.text);
    auto loaded = load_topology_file(path, &pack);
    CHECK_FALSE(loaded.topology);
    CHECK(loaded.error.find(c.expected) != std::string::npos);
    INFO(loaded.error);
    std::remove(path.c_str());
  }
}

TEST_CASE("network mode: a gap names the source and destination addresses cut", "[topology]") {
  Pack pack = load_pack("sfb2015-edge");
  auto path = write_temp("fwm_topo_site.yaml", kSite);
  auto loaded = load_topology_file(path, &pack);
  REQUIRE(loaded.topology);
  auto rs = load_iptables(R"(*filter
:FORWARD DROP [0:0]
-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A FORWARD -i eth0 -s 10.0.0.0/17 -d 172.16.10.20 -p tcp --dport 5061 -j ACCEPT
COMMIT
)");
  auto net = compute_network_coverage(*rs, pack, *loaded.topology, "hardware");
  bool seen = false;
  for (const auto& cov : net.coverage) {
    if (cov.requirement->id != "int.edge-internal.5061.in") continue;
    seen = true;
    // Only half of the source network may connect: the port is denied for the region
    // (no reply slice, as nothing gets through for the whole region).
    REQUIRE(cov.slices.size() == 1);
    const CoverageSlice& s = cov.slices[0];
    CHECK(s.network);
    CHECK(s.denied == PortSet::single(5061));
    CHECK(s.open.empty());
    AddrIntervals denied_sources;
    for (const auto& p : s.pieces)
      if (p.verdict == Verdict::Deny) denied_sources.add(p.box.src);
    CHECK(denied_sources == parse_address_expr("10.0.128.0/17").set.v4);
  }
  CHECK(seen);
  std::remove(path.c_str());
}

TEST_CASE("network mode: replies without an established rule are denied", "[topology]") {
  Pack pack = load_pack("sfb2015-edge");
  auto path = write_temp("fwm_topo_site2.yaml", kSite);
  auto loaded = load_topology_file(path, &pack);
  REQUIRE(loaded.topology);
  auto rs = load_iptables(R"(*filter
:FORWARD DROP [0:0]
-A FORWARD -i eth0 -s 10.0.0.0/16 -d 172.16.10.20 -p tcp --dport 5062 -j ACCEPT
COMMIT
)");
  auto net = compute_network_coverage(*rs, pack, *loaded.topology, "hardware");
  for (const auto& cov : net.coverage) {
    if (cov.requirement->id != "int.edge-internal.5062") continue;
    REQUIRE(cov.slices.size() == 2);
    CHECK(cov.slices[0].denied.empty());
    CHECK(cov.slices[1].reply);
    CHECK(cov.slices[1].denied == PortSet::single(5062));
  }
  std::remove(path.c_str());
}

TEST_CASE("network mode from the command line: --topology and topology: in .fwmatrix.yaml", "[topology]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "fwm_topo_cli";
  fs::create_directories(dir);
  std::ofstream(dir / "site.yaml") << kSite;
  std::ofstream(dir / "gw.rules")
      << "*filter\n:FORWARD DROP [0:0]\n"
         "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n"
         "-A FORWARD -i eth0 -o eth1 -s 10.0.0.0/16 -d 172.16.10.20 -p tcp -m multiport "
         "--dports 443,4443,5061,5062,8057,23456,50001:50003 -j ACCEPT\n"
         "-A FORWARD -i eth1 -o eth0 -s 172.16.10.20 -d 10.0.0.0/16 -p tcp --dport 5061 -j ACCEPT\n"
         "COMMIT\n";
  std::string gw = (dir / "gw.rules").string();
  auto direct = fwm::test::run_fwmatrix("check " + fwm::test::shell_quote(gw) + " --no-config --topology " +
                                        fwm::test::shell_quote((dir / "site.yaml").string()));
  CHECK(direct.exit_code == 1);
  CHECK(direct.out.find("error FWM001: UDP 3478 is denied from internal (10.0.0.0/16) to edge-internal 172.16.10.20 "
                        "(cut: 10.0.0.0/16 -> 172.16.10.20), required by int.edge-internal.3478") != std::string::npos);
  CHECK(direct.out.find("1 error,") != std::string::npos);
  std::ofstream(dir / ".fwmatrix.yaml") << "topology: site.yaml\n";
  auto via_config = fwm::test::run_fwmatrix("check " + fwm::test::shell_quote(gw));
  CHECK(via_config.out == direct.out);
  // A mistake in the topology is a usage error naming file:line:col.
  std::ofstream(dir / "site.yaml") << "roles:\n  edge-internal: 172.16.10.300\n";
  auto bad = fwm::test::run_fwmatrix("check " + fwm::test::shell_quote(gw) + " 2>&1");
  CHECK(bad.exit_code == 2);
  CHECK(bad.out.find("site.yaml:2:18: invalid address '172.16.10.300'") != std::string::npos);
  fs::remove_all(dir);
}
