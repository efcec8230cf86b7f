// `matrix show` and `rules`.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "checks/check.h"
#include "cli/commands.h"
#include "ir/services.h"
#include "matrix/pack.h"

namespace fwm {

int cmd_matrix_show(const MatrixArgs& a) {
  auto loaded = find_pack(a.pack, a.rules_dir);
  if (!loaded.pack) {
    fmt::print(stderr, "fwmatrix: {}\n", loaded.error);
    return 2;
  }
  const Pack& pack = *loaded.pack;
  for (const auto& role : a.roles)
    if (!pack.role(role)) {
      fmt::print(stderr, "fwmatrix: unknown role '{}'\n", role);
      return 2;
    }
  std::vector<const Requirement*> reqs;
  if (a.roles.empty()) {
    for (const auto& r : pack.requirements) reqs.push_back(&r);
  } else {
    reqs = pack.requirements_for(a.roles, a.lb_mode.empty() ? pack.default_lb_mode : a.lb_mode);
  }
  if (a.json) {
    auto arr = nlohmann::ordered_json::array();
    for (const auto* r : reqs)
      for (int proto : r->protocols)
        for (const auto& iv : r->ports.intervals()) {
          nlohmann::ordered_json o;
          o["id"] = r->id;
          o["role"] = r->role;
          o["protocol"] = proto_name(proto);
          o["ports"] = {iv.lo, iv.hi};
          o["direction"] = direction_name(r->direction);
          o["optional"] = r->optional;
          if (r->min_open) o["min_open"] = *r->min_open;
          o["table"] = r->table;
          o["service"] = r->service;
          if (!r->source.empty()) o["source"] = r->source;
          if (!r->destination.empty()) o["destination"] = r->destination;
          arr.push_back(std::move(o));
        }
    fmt::print("{}\n", arr.dump(2));
    return 0;
  }
  fmt::print("{} — {} ({})\n", pack.name, pack.title, pack.path);
  fmt::print("{:<44} {:<28} {:<8} {:<13} {:<4} {}\n", "id", "role", "proto", "ports", "dir", "service");
  for (const auto* r : reqs) {
    std::string flags = r->optional ? " (optional)" : "";
    if (r->min_open) flags += fmt::format(" (at least {} ports)", *r->min_open);
    if (!r->source.empty()) flags += fmt::format(" [{} -> {}]", r->source, r->destination);
    fmt::print("{:<44} {:<28} {:<8} {:<13} {:<4} {}{}\n", r->id, r->role, protocols_label(r->protocols),
               format_ports(r->ports), direction_name(r->direction), r->service, flags);
  }
  return 0;
}

int cmd_rules(const std::string& id) {
  if (id.empty()) {
    for (const auto& c : all_checks())
      fmt::print("{}  {:<8} {}\n", c->info().id, severity_name(c->info().default_level), c->info().short_description);
    return 0;
  }
  const Check* c = find_check(id);
  if (!c) {
    fmt::print(stderr, "fwmatrix: unknown result id '{}'\n", id);
    return 2;
  }
  std::string doc = check_doc(id);
  fmt::print("{}", doc.empty() ? c->info().short_description + "\n" : doc);
  return 0;
}

}  // namespace fwm
