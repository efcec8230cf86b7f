// The rule pack against its source: every row of every table of the seed document is a
// requirement (or IPsec exemption) with the same table, row, role and ports.
#include "fwm_catch.hpp"
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <sstream>

#include "matrix/pack.h"
#include "test_support.h"

using namespace fwm;

namespace {

struct SeedRow {
  std::string table;
  int row;
  std::string role;
  std::string ports;  // the port cell as written
};

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Seed role cell (zh-TW, as in design.md) -> role id.
std::string role_id(const std::string& cell) {
  static const std::vector<std::pair<std::string, std::string>> names = {
      {"同時執行組合轉送伺服器的前端伺服器", "collocated-mediation"},
      {"中央管理存放區所在的前端伺服器", "front-end-cms"},
      {"前端伺服器負載平衡器 (如果集區也執行轉送伺服器)", "front-end-lb-with-mediation"},
      {"前端伺服器負載平衡器", "front-end-lb"},
      {"轉送伺服器負載平衡器", "mediation-lb"},
      {"Director 負載平衡器", "director-lb"},
      {"所有內部伺服器", "all-internal-servers"},
      {"所有伺服器", "all-servers"},
      {"Front-End 伺服器", "front-end"},
      {"前端伺服器", "front-end"},
      {"轉送伺服器", "mediation"},
      {"董事", "director"},
      {"Persistent Chat 前端伺服器", "persistent-chat"},
      {"OfficeWeb 應用程式伺服器", "office-web-apps"},
      {"用戶端", "client"},
  };
  if (cell.rfind("Aastra", 0) == 0) return "ip-phone";
  for (const auto& [zh, id] : names)
    if (cell.rfind(zh, 0) == 0) return id;
  return "?" + cell;
}

std::map<std::string, std::string> kTables = {
    {"**伺服器角色所 (的必要伺服器埠)**", "servers"},
    {"**硬體負載平衡器埠（如果只使用硬體負載平衡）**", "hlb-only"},
    {"**硬體負載平衡器埠（如果使用 DNS 負載平衡）**", "hlb-dns"},
    {"**必要的用戶端埠**", "clients"},
    {"**建議的 IPsec 例外**", "ipsec"},
};

std::vector<SeedRow> seed_rows(const std::string& text) {
  std::vector<SeedRow> rows;
  std::istringstream in(text);
  std::string line, table;
  int row = 0;
  bool header = false;
  while (std::getline(in, line)) {
    if (line.rfind("**", 0) == 0) {
      auto it = kTables.find(trim(line));
      table = it == kTables.end() ? "" : it->second;
      row = 0;
      header = true;
      continue;
    }
    if (table.empty() || line.rfind("|", 0) != 0) continue;
    if (header) {  // the header row, then the |:---| separator
      if (line.find(":--") != std::string::npos) header = false;
      continue;
    }
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    std::string cell;
    while (std::getline(ss, cell, '|')) cells.push_back(trim(cell));
    ++row;
    // servers: role|service|port|...; LB tables: lb|port|...; clients: component|port|...
    std::string port = table == "servers" ? cells[2] : table == "ipsec" ? "" : cells[1];
    rows.push_back({table, row, table == "ipsec" ? "" : role_id(cells[0]), port});
  }
  return rows;
}

// The first interval of a seed port cell: "5061", "49152-57500", "67/68", "1024-65535 \*".
std::pair<std::uint32_t, std::uint32_t> first_interval(std::string cell) {
  cell = cell.substr(0, cell.find_first_of(" /\\"));
  auto dash = cell.find('-');
  std::uint32_t lo = std::stoul(cell.substr(0, dash));
  std::uint32_t hi = dash == std::string::npos ? lo : std::stoul(cell.substr(dash + 1));
  return {lo, hi};
}

}  // namespace

TEST_CASE("pack: loads, ids are unique, roles are declared", "[matrix]") {
  auto loaded = load_pack_file(std::string(FWM_SOURCE_DIR) + "/rules/sfb2015.yaml");
  INFO(loaded.error);
  REQUIRE(loaded.pack);
  const Pack& pack = *loaded.pack;
  std::set<std::string> ids;
  for (const auto& r : pack.requirements) {
    REQUIRE(ids.insert(r.id).second);
    REQUIRE(pack.role(r.role));
    REQUIRE_FALSE(r.ports.empty());
  }
  for (const auto& x : pack.ipsec) REQUIRE(ids.insert(x.id).second);
  for (const auto& role : pack.roles)
    for (const auto& implied : role.implies) REQUIRE(pack.role(implied));
  // Implied roles: a Front End is an internal server and a server.
  auto fe = pack.expand_roles({"front-end-cms"});
  REQUIRE(fe == std::vector<std::string>{"front-end-cms", "front-end", "all-internal-servers", "all-servers"});
  // Load-balancer tables by mode.
  REQUIRE(pack.requirements_for({"front-end-lb"}, "hardware").size() == 14);
  REQUIRE(pack.requirements_for({"front-end-lb"}, "dns").size() == 4);
}

TEST_CASE("pack: every row of every seed table is in the pack", "[matrix]") {
  std::string seed_path = std::string(FWM_SHARED_DIR) + "/seed/ports-and-protocols.zh-TW.md";
  if (!std::filesystem::exists(seed_path)) {
    WARN("skipped: " << seed_path << " is absent (no ../shared in this clone)");
    return;
  }
  auto rows = seed_rows(fwm::test::read_file(seed_path));
  auto loaded = load_pack_file(std::string(FWM_SOURCE_DIR) + "/rules/sfb2015.yaml");
  REQUIRE(loaded.pack);
  const Pack& pack = *loaded.pack;

  std::map<std::pair<std::string, std::string>, int> seed_count, pack_count;
  for (const auto& r : rows) seed_count[{r.table, r.role}]++;
  for (const auto& q : pack.requirements) pack_count[{q.table, q.role}]++;
  for (const auto& x : pack.ipsec) pack_count[{x.table, ""}]++;
  for (const auto& [key, n] : seed_count) {
    INFO("table " << key.first << ", role " << key.second);
    REQUIRE(pack_count[key] == n);
  }
  REQUIRE(seed_count == pack_count);
  REQUIRE(rows.size() == 106);  // 53 + 20 + 6 + 12 + 15

  // Row by row: same role and the same first port interval.
  for (const auto& r : rows) {
    if (r.table == "ipsec") {
      auto it = std::find_if(pack.ipsec.begin(), pack.ipsec.end(), [&](const IpsecExemption& x) { return x.row == r.row; });
      REQUIRE(it != pack.ipsec.end());
      continue;
    }
    auto it = std::find_if(pack.requirements.begin(), pack.requirements.end(),
                           [&](const Requirement& q) { return q.table == r.table && q.row == r.row; });
    INFO(fmt::format("seed table {} row {} ({}, {})", r.table, r.row, r.role, r.ports));
    REQUIRE(it != pack.requirements.end());
    REQUIRE(it->role == r.role);
    auto [lo, hi] = first_interval(r.ports);
    REQUIRE(it->ports.intervals().front().lo == lo);
    REQUIRE(it->ports.intervals().front().hi == hi);
  }
}
