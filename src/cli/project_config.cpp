#include "cli/project_config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>

#include "util/limits.h"

namespace fwm {

namespace fs = std::filesystem;

const std::vector<std::string>& project_config_keys() {
  static const std::vector<std::string> keys = {"roles",    "pack",    "lb_mode",  "fail_on",
                                                "severity", "disable", "topology", "limits"};
  return keys;
}

ConfigLoad load_project_config(const std::string& path) {
  ConfigLoad res;
  res.config.path = path;
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (!root.IsMap() && !root.IsNull()) {
      res.error = fmt::format("{}: expected a mapping of settings", path);
      return res;
    }
    const auto& known = project_config_keys();
    for (const auto& kv : root) {
      std::string key = kv.first.as<std::string>();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        res.error = fmt::format("{}:{}: unknown setting '{}' (known: {})", path, kv.first.Mark().line + 1, key,
                                fmt::join(known, ", "));
        return res;
      }
    }
    if (auto roles = root["roles"]) {
      if (roles.IsSequence()) {
        for (const auto& r : roles) res.config.roles.push_back(r.as<std::string>());
      } else {
        res.config.roles.push_back(roles.as<std::string>());
      }
    }
    if (root["pack"]) res.config.pack = root["pack"].as<std::string>();
    if (root["lb_mode"]) res.config.lb_mode = root["lb_mode"].as<std::string>();
    if (root["fail_on"]) res.config.fail_on = root["fail_on"].as<std::string>();
    for (const auto& kv : root["severity"]) {
      std::string id = kv.first.as<std::string>(), level = kv.second.as<std::string>();
      if (level == "error")
        res.config.severity[id] = Severity::Error;
      else if (level == "warning")
        res.config.severity[id] = Severity::Warning;
      else if (level == "note")
        res.config.severity[id] = Severity::Note;
      else {
        res.error = fmt::format("{}:{}: severity of {} must be error, warning or note, not '{}'", path,
                                kv.second.Mark().line + 1, id, level);
        return res;
      }
    }
    for (const auto& id : root["disable"]) res.config.disabled.insert(id.as<std::string>());
    if (auto limits = root["limits"]) {
      if (!limits.IsMap()) {
        res.error =
            fmt::format("{}:{}: limits must be a mapping (e.g. max_file_size: 2G)", path, limits.Mark().line + 1);
        return res;
      }
      for (const auto& kv : limits) {
        std::string key = kv.first.as<std::string>();
        const LimitSetting* setting = nullptr;
        for (const auto& s : limit_settings())
          if (key == s.key) setting = &s;
        if (!setting) {
          std::vector<std::string> keys;
          for (const auto& s : limit_settings()) keys.push_back(s.key);
          res.error = fmt::format("{}:{}: unknown limit '{}' (known: {})", path, kv.first.Mark().line + 1, key,
                                  fmt::join(keys, ", "));
          return res;
        }
        std::size_t value = 0;
        if (auto err = parse_limit_value(kv.second.as<std::string>(), setting->bytes, value); !err.empty()) {
          res.error = fmt::format("{}:{}: limits.{}: {}", path, kv.second.Mark().line + 1, key, err);
          return res;
        }
        res.config.limits[key] = value;
      }
    }
    if (root["topology"]) {
      // Relative to the directory of the settings file.
      fs::path topo = root["topology"].as<std::string>();
      if (topo.is_relative()) topo = fs::path(path).parent_path() / topo;
      res.config.topology = topo.lexically_normal().string();
    }
  } catch (const YAML::Exception& e) {
    res.error = fmt::format("{}: {}", path, e.what());
  }
  return res;
}

ConfigLoad find_project_config(const std::string& start_file) {
  std::error_code ec;
  fs::path dir = fs::absolute(fs::path(start_file), ec).parent_path();
  while (!dir.empty()) {
    fs::path candidate = dir / ".fwmatrix.yaml";
    if (fs::exists(candidate, ec)) return load_project_config(candidate.string());
    if (fs::exists(dir / ".git", ec)) break;  // stop at the repository root
    fs::path parent = dir.parent_path();
    if (parent == dir) break;
    dir = parent;
  }
  return {};
}

}  // namespace fwm
