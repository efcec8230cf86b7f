// The Edge rule packs (sfb2015-edge, sfb2019-edge): row counts per firewall table, the
// sources and destinations of every row, and the 2019 variant without XMPP.
#include <algorithm>
#include "fwm_catch.hpp"
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "matrix/pack.h"

using namespace fwm;

namespace {

Pack load(const std::string& name) {
  auto loaded = load_pack_file(std::string(FWM_SOURCE_DIR) + "/rules/" + name + ".yaml");
  INFO(loaded.error);
  REQUIRE(loaded.pack);
  return *loaded.pack;
}

std::map<std::string, int> rows_per_table(const Pack& pack) {
  std::map<std::string, int> count;
  for (const auto& r : pack.requirements) ++count[r.table];
  return count;
}

const Requirement* find(const Pack& pack, const std::string& id) {
  for (const auto& r : pack.requirements)
    if (r.id == id) return &r;
  return nullptr;
}

}  // namespace

TEST_CASE("sfb2015-edge: rows per firewall table", "[pack][edge]") {
  Pack pack = load("sfb2015-edge");
  CHECK(pack.name == "sfb2015-edge");
  auto count = rows_per_table(pack);
  CHECK(count["edge-external-firewall"] == 17);
  CHECK(count["edge-internal-firewall"] == 11);
  CHECK(count["reverse-proxy"] == 6);
  CHECK(pack.requirements.size() == 34);
}

TEST_CASE("sfb2015-edge: every row has a source and a destination, one of them the row's role", "[pack][edge]") {
  Pack pack = load("sfb2015-edge");
  for (const auto& r : pack.requirements) {
    INFO(r.id);
    CHECK_FALSE(r.source.empty());
    CHECK_FALSE(r.destination.empty());
    if (r.direction == Direction::In) CHECK(r.destination == r.role);
    if (r.direction == Direction::Out) CHECK(r.source == r.role);
  }
}

TEST_CASE("sfb2015-edge: the rows the Edge documentation lists", "[pack][edge]") {
  Pack pack = load("sfb2015-edge");
  auto check = [&](const std::string& id, int proto, std::uint32_t lo, std::uint32_t hi, const std::string& src,
                   const std::string& dst) {
    INFO(id);
    const Requirement* r = find(pack, id);
    REQUIRE(r);
    CHECK(r->protocols == std::vector<int>{proto});
    CHECK(r->ports == PortSet(lo, hi));
    CHECK(r->source == src);
    CHECK(r->destination == dst);
  };
  check("ext.edge-access-external.443.in", 6, 443, 443, "internet", "edge-access-external");
  check("ext.edge-access-external.5061.in", 6, 5061, 5061, "internet", "edge-access-external");
  check("ext.edge-webconf-external.443.in", 6, 443, 443, "internet", "edge-webconf-external");
  check("ext.edge-external.443.in", 6, 443, 443, "internet", "edge-external");
  check("ext.edge-external.3478.in", 17, 3478, 3478, "internet", "edge-external");
  check("ext.edge-external.50000-59999.udp.out", 17, 50000, 59999, "edge-external", "internet");
  check("ext.edge-external.50000-59999.tcp.out", 6, 50000, 59999, "edge-external", "internet");
  check("int.edge-internal.5061.in", 6, 5061, 5061, "internal", "edge-internal");
  check("int.edge-internal.5062", 6, 5062, 5062, "internal", "edge-internal");
  check("int.edge-internal.8057", 6, 8057, 8057, "internal", "edge-internal");
  check("int.edge-internal.3478", 17, 3478, 3478, "internal", "edge-internal");
  check("int.edge-internal.4443", 6, 4443, 4443, "internal", "edge-internal");
  check("int.edge-internal.23456", 6, 23456, 23456, "internal", "edge-internal");
  check("int.edge-internal.50002", 6, 50002, 50002, "internal", "edge-internal");
  check("rp.reverse-proxy.80", 6, 80, 80, "internet", "reverse-proxy");
  check("rp.front-end-lb.4443", 6, 4443, 4443, "reverse-proxy", "front-end-lb");
}

TEST_CASE("sfb2019-edge: the 2015 pack without the XMPP rows", "[pack][edge]") {
  Pack p2015 = load("sfb2015-edge");
  Pack p2019 = load("sfb2019-edge");
  CHECK(p2019.name == "sfb2019-edge");
  CHECK(p2019.requirements.size() == 31);
  CHECK_FALSE(find(p2019, "int.edge-internal.23456"));
  CHECK_FALSE(find(p2019, "ext.edge-access-external.5269.in"));
  CHECK_FALSE(find(p2019, "ext.edge-access-external.5269.out"));
  for (const auto& r : p2019.requirements) {
    INFO(r.id);
    const Requirement* same = find(p2015, r.id);
    REQUIRE(same);
    CHECK(same->ports == r.ports);
    CHECK(same->source == r.source);
  }
}

TEST_CASE("pack rows naming an unknown source are refused with the line", "[pack][edge]") {
  std::string path = (std::filesystem::temp_directory_path() / "fwm_edge_bad_pack.yaml").string();
  {
    std::ofstream out(path);
    out << "pack: bad\nroles:\n  - {id: edge-internal}\nrequirements:\n"
           "  - {id: x, table: t, role: edge-internal, protocols: [tcp], ports: [\"5061\"], source: mars, "
           "destination: edge-internal}\n";
  }
  auto loaded = load_pack_file(path);
  CHECK_FALSE(loaded.pack);
  CHECK(loaded.error.find("line 5") != std::string::npos);
  CHECK(loaded.error.find("'mars'") != std::string::npos);
  std::remove(path.c_str());
}
