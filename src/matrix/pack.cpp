#include "matrix/pack.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <unistd.h>

#include "ir/services.h"

namespace fwm {

namespace fs = std::filesystem;

const RoleDef* Pack::role(const std::string& id) const {
  for (const auto& r : roles)
    if (r.id == id) return &r;
  return nullptr;
}

std::vector<std::string> Pack::expand_roles(const std::vector<std::string>& wanted) const {
  std::vector<std::string> out;
  std::vector<std::string> todo = wanted;
  while (!todo.empty()) {
    std::string id = todo.front();
    todo.erase(todo.begin());
    if (std::find(out.begin(), out.end(), id) != out.end()) continue;
    out.push_back(id);
    if (const RoleDef* r = role(id))
      for (const auto& imp : r->implies) todo.push_back(imp);
  }
  return out;
}

std::vector<const Requirement*> Pack::requirements_for(const std::vector<std::string>& wanted,
                                                       const std::string& lb_mode) const {
  auto roles_held = expand_roles(wanted);
  std::vector<const Requirement*> out;
  for (const auto& req : requirements) {
    if (std::find(roles_held.begin(), roles_held.end(), req.role) == roles_held.end()) continue;
    if (req.table == "hlb-only" && lb_mode != "hardware") continue;
    if (req.table == "hlb-dns" && lb_mode != "dns") continue;
    out.push_back(&req);
  }
  return out;
}

std::string protocols_label(const std::vector<int>& protocols) {
  std::string out;
  for (int p : protocols) {
    if (!out.empty()) out += "/";
    std::string n = proto_name(p);
    std::transform(n.begin(), n.end(), n.begin(), ::toupper);
    out += n;
  }
  return out;
}

namespace {

struct PackError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string where(const YAML::Node& n) {
  auto m = n.Mark();
  return m.line >= 0 ? fmt::format("line {}:{}", m.line + 1, m.column + 1) : std::string("?");
}

std::string str(const YAML::Node& n, const char* key, bool required = true) {
  auto v = n[key];
  if (!v) {
    if (required) throw PackError(fmt::format("{}: missing '{}'", where(n), key));
    return {};
  }
  return v.as<std::string>();
}

std::vector<int> protocols(const YAML::Node& n) {
  std::vector<int> out;
  auto list = n["protocols"];
  if (!list || !list.IsSequence()) throw PackError(fmt::format("{}: 'protocols' must be a list", where(n)));
  for (const auto& p : list) {
    auto num = proto_number(p.as<std::string>());
    if (!num) throw PackError(fmt::format("{}: unknown protocol '{}'", where(p), p.as<std::string>()));
    out.push_back(*num);
  }
  return out;
}

PortSet ports(const YAML::Node& list, const YAML::Node& owner) {
  if (!list || !list.IsSequence()) throw PackError(fmt::format("{}: ports must be a list", where(owner)));
  PortSet set;
  for (const auto& item : list) {
    std::string s = item.as<std::string>();
    auto dash = s.find('-');
    auto a = parse_port(s.substr(0, dash));
    auto b = dash == std::string::npos ? a : parse_port(s.substr(dash + 1));
    if (!a.ok() || !b.ok() || a.value > b.value)
      throw PackError(fmt::format("{}: invalid port or range '{}'", where(item), s));
    set.add(a.value, b.value);
  }
  return set;
}

Direction direction(const YAML::Node& n) {
  std::string d = n["direction"] ? n["direction"].as<std::string>() : "in";
  if (d == "in") return Direction::In;
  if (d == "out") return Direction::Out;
  if (d == "forward") return Direction::Forward;
  throw PackError(fmt::format("{}: direction must be in or out, not '{}'", where(n), d));
}

}  // namespace

PackLoad load_pack_file(const std::string& path) {
  PackLoad res;
  try {
    YAML::Node root = YAML::LoadFile(path);
    Pack pack;
    pack.path = path;
    pack.name = str(root, "pack");
    pack.title = str(root, "title", false);
    if (auto src = root["source"]) pack.source_document = src["document"] ? src["document"].as<std::string>() : "";
    if (auto d = root["defaults"]) {
      if (d["min_open_ports"]) pack.default_min_open = d["min_open_ports"].as<std::uint32_t>();
      if (d["lb_mode"]) pack.default_lb_mode = d["lb_mode"].as<std::string>();
    }
    for (const auto& r : root["roles"]) {
      RoleDef role{str(r, "id"), str(r, "name", false), {}};
      for (const auto& i : r["implies"]) role.implies.push_back(i.as<std::string>());
      pack.roles.push_back(std::move(role));
    }
    for (const auto& r : root["requirements"]) {
      Requirement q;
      q.id = str(r, "id");
      q.table = str(r, "table");
      q.row = r["row"] ? r["row"].as<int>() : 0;
      q.role = str(r, "role");
      if (!pack.role(q.role)) throw PackError(fmt::format("{}: requirement {} names undeclared role '{}'", where(r), q.id, q.role));
      q.service = str(r, "service", false);
      q.protocols = protocols(r);
      q.protocol_label = str(r, "protocol_label", false);
      q.ports = ports(r["ports"], r);
      if (r["source_ports"]) q.source_ports = ports(r["source_ports"], r);
      q.direction = direction(r);
      q.optional = r["optional"] && r["optional"].as<bool>();
      if (r["min_open"]) q.min_open = r["min_open"].as<std::uint32_t>();
      q.note = str(r, "note", false);
      q.source = str(r, "source", false);
      q.destination = str(r, "destination", false);
      for (const std::string* end : {&q.source, &q.destination})
        if (!end->empty() && !pack.role(*end) &&
            std::find(kNetworkNames.begin(), kNetworkNames.end(), *end) == kNetworkNames.end())
          throw PackError(fmt::format("{}: requirement {} names '{}', neither a declared role nor a network ({})",
                                      where(r), q.id, *end, fmt::join(kNetworkNames, ", ")));
      pack.requirements.push_back(std::move(q));
    }
    if (auto media = root["media"]) {
      for (const auto& kv : media) {
        MediaRange m;
        m.name = kv.first.as<std::string>();
        m.protocols = protocols(kv.second);
        m.ports = ports(kv.second["ports"], kv.second);
        pack.media.push_back(std::move(m));
      }
    }
    for (const auto& s : root["sensitive_ports"]) {
      SensitivePort sp;
      sp.ports = s["port"] ? PortSet::single(s["port"].as<std::uint32_t>()) : ports(s["ports"], s);
      sp.protocols = protocols(s);
      sp.service = str(s, "service", false);
      pack.sensitive.push_back(std::move(sp));
    }
    for (const auto& e : root["ipsec_exemptions"]) {
      IpsecExemption x;
      x.id = str(e, "id");
      x.table = str(e, "table", false);
      x.row = e["row"] ? e["row"].as<int>() : 0;
      x.name = str(e, "name", false);
      x.source = str(e, "source");
      x.destination = str(e, "destination");
      x.protocols = protocols(e);
      x.source_ports = str(e, "source_ports", false);
      x.destination_ports = str(e, "destination_ports", false);
      x.direction = direction(e);
      x.authentication = str(e, "authentication", false);
      pack.ipsec.push_back(std::move(x));
    }
    res.pack = std::move(pack);
  } catch (const YAML::Exception& e) {
    res.error = fmt::format("{}: {}", path, e.what());
  } catch (const PackError& e) {
    res.error = fmt::format("{}: {}", path, e.what());
  }
  return res;
}

std::vector<std::string> rules_search_path(const std::string& rules_dir) {
  std::vector<std::string> dirs;
  if (!rules_dir.empty()) dirs.push_back(rules_dir);
  if (const char* env = std::getenv("FWMATRIX_RULES"); env && *env) dirs.push_back(env);
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back((exe.parent_path() / ".." / "share" / "fwmatrix" / "rules").lexically_normal().string());
#ifdef FWM_RULES_DIR_SOURCE
  dirs.push_back(FWM_RULES_DIR_SOURCE);
#endif
  return dirs;
}

PackLoad find_pack(const std::string& name_or_path, const std::string& rules_dir) {
  std::error_code ec;
  if (name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".yaml")) {
    if (fs::exists(name_or_path, ec)) return load_pack_file(name_or_path);
  }
  for (const auto& dir : rules_search_path(rules_dir)) {
    auto candidate = fs::path(dir) / (name_or_path + ".yaml");
    if (fs::exists(candidate, ec)) return load_pack_file(candidate.string());
  }
  PackLoad res;
  res.error = fmt::format("rule pack '{}' not found (searched: {})", name_or_path,
                          fmt::join(rules_search_path(rules_dir), ", "));
  return res;
}

}  // namespace fwm
