// `fwmatrix fix`: writes each config with the edits that close its FWM001 gaps (or their
// unified diff), after checking the result again.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "cli/commands.h"
#include "fix/fix.h"
#include "frontends/ipsec/ipsec_reader.h"
#include "matrix/topology.h"
#include "util/text_input.h"

namespace fwm {

int cmd_fix(const FixArgs& a) {
  if (a.roles.empty() && a.topology.empty()) {
    fmt::print(stderr, "fwmatrix: fix needs --role (or --topology): the gaps to close are those of the roles\n");
    return 2;
  }
  if (a.in_place && !a.output.empty()) {
    fmt::print(stderr, "fwmatrix: --in-place and -o are exclusive\n");
    return 2;
  }
  if (a.in_place && a.diff) {
    fmt::print(stderr, "fwmatrix: --in-place and --diff are exclusive\n");
    return 2;
  }
  if (a.files.size() > 1 && !a.diff && !a.in_place) {
    fmt::print(stderr, "fwmatrix: several files: give --in-place or --diff (one fixed config goes to -o or stdout)\n");
    return 2;
  }
  if (std::find(a.files.begin(), a.files.end(), "-") != a.files.end()) {
    fmt::print(stderr, "fwmatrix: fix reads files, not standard input\n");
    return 2;
  }
  if (!a.ipsec.empty()) {
    fmt::print(stderr,
               "fwmatrix: cannot fix: {}: fwmatrix cannot write IPsec exemptions (FWM010) yet; `check --ipsec` "
               "reports the media ranges that lack one\n",
               a.ipsec.front());
    return 1;
  }
  std::string pack_name = a.pack;
  std::optional<Topology> topology;
  if (!a.topology.empty()) {
    auto loaded = load_topology_file(a.topology, nullptr);
    if (!loaded.topology) {
      fmt::print(stderr, "fwmatrix: {}\n", loaded.error);
      return 2;
    }
    if (!loaded.topology->pack.empty()) pack_name = loaded.topology->pack;
  }
  auto loaded_pack = find_pack(pack_name, a.rules_dir);
  if (!loaded_pack.pack) {
    fmt::print(stderr, "fwmatrix: {}\n", loaded_pack.error);
    return 2;
  }
  Pack pack = std::move(*loaded_pack.pack);
  for (const auto& role : a.roles) {
    if (!pack.role(role)) {
      std::vector<std::string> ids;
      for (const auto& r : pack.roles) ids.push_back(r.id);
      fmt::print(stderr, "fwmatrix: unknown role '{}' (pack {} has: {})\n", role, pack.name, fmt::join(ids, ", "));
      return 2;
    }
  }
  std::vector<std::string> roles = a.roles;
  std::string lb_mode = a.lb_mode;
  if (!a.topology.empty()) {
    auto loaded = load_topology_file(a.topology, &pack);
    if (!loaded.topology) {
      fmt::print(stderr, "fwmatrix: {}\n", loaded.error);
      return 2;
    }
    topology = std::move(loaded.topology);
    for (const auto& role : roles)
      if (std::none_of(topology->roles.begin(), topology->roles.end(),
                       [&](const TopologyRole& r) { return r.id == role; })) {
        fmt::print(stderr, "fwmatrix: role '{}' is not placed by the topology {}\n", role, a.topology);
        return 2;
      }
    if (!roles.empty())
      std::erase_if(topology->roles,
                    [&](const TopologyRole& r) { return std::find(roles.begin(), roles.end(), r.id) == roles.end(); });
    if (lb_mode.empty()) lb_mode = topology->lb_mode;
    pack = apply_media_overrides(pack, *topology);
    roles.clear();
    for (const auto& r : topology->roles) roles.push_back(r.id);
  }
  if (lb_mode.empty()) lb_mode = pack.default_lb_mode;

  int exit_code = 0;
  std::string diffs;
  for (const auto& file : a.files) {
    std::string bytes;
    if (auto err = read_bytes(file, bytes, read_limits(a.limits)); !err.empty()) {
      fmt::print(stderr, "fwmatrix: {}\n", err);
      return 2;
    }
    fix::FixRequest request;
    request.path = file;
    request.bytes = bytes;
    request.load = {a.format, "", a.allow_outside, a.limits};
    request.pack = &pack;
    request.roles = roles;
    request.lb_mode = lb_mode;
    request.topology = topology ? &*topology : nullptr;
    request.limits = a.limits;
    fix::FixResult result = fix::fix_config(request);
    if (!result.patch && a.format.empty()) {
      // An IPsec policy given as the file to fix: say what fix cannot do with it.
      if (auto ipsec_format = ipsec::detect_ipsec_format(decode_text(file, bytes)); !ipsec_format.empty()) {
        fmt::print(stderr,
                   "fwmatrix: cannot fix: {}: an IPsec policy ({}): fwmatrix cannot write IPsec exemptions (FWM010) "
                   "yet\n",
                   file, ipsec_format);
        exit_code = 1;
        continue;
      }
    }
    if (!result.patch) {  // not read at all
      for (const auto& p : result.problems) fmt::print(stderr, "fwmatrix: {}\n", p);
      return 2;
    }
    if (!a.quiet)
      for (const auto& n : result.notes) fmt::print(stderr, "fwmatrix: note: {}\n", n);
    std::size_t added = 0;
    for (const auto& e : result.patch->edits()) added += e.lines.size();
    if (!result.ok) {
      exit_code = 1;
      for (const auto& p : result.problems) fmt::print(stderr, "fwmatrix: cannot fix: {}\n", p);
    } else if (!a.quiet) {
      if (result.gaps_before == 0)
        fmt::print(stderr, "fwmatrix: {}: no FWM001 finding, nothing to fix\n", file);
      else
        fmt::print(stderr,
                   "fwmatrix: {}: {} FWM001 finding{} closed with {} added line{} ({} round{}); the result "
                   "checked again: no FWM001, nothing opened beyond the requirements\n",
                   file, result.gaps_before, result.gaps_before == 1 ? "" : "s", added, added == 1 ? "" : "s",
                   result.rounds, result.rounds == 1 ? "" : "s");
    }
    if (a.diff) {
      diffs += fix::unified_diff(*result.patch, file);
      continue;
    }
    if (!result.ok) continue;  // a config that does not pass is not written
    if (a.in_place) {
      if (result.patch->empty()) continue;
      if (!write_output(file, result.fixed)) return 2;
    } else if (!write_output(a.output, result.fixed)) {
      return 2;
    }
  }
  if (a.diff && !write_output(a.output, diffs)) return 2;
  return exit_code;
}

}  // namespace fwm
