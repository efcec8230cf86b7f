// .fwmatrix.yaml: per-repository defaults, found upward from the first input file.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ir/ruleset.h"

namespace fwm {

struct ProjectConfig {
  std::string path;  // empty: no config file found
  std::vector<std::string> roles;
  std::string pack;
  std::string lb_mode;
  std::string topology;  // path, resolved against the settings file's directory
  std::string fail_on;
  std::map<std::string, Severity> severity;   // result id -> level override
  std::set<std::string> disabled;             // result ids not reported
  std::map<std::string, std::size_t> limits;  // `limits:` LimitSetting::key -> value (flags win)
};

struct ConfigLoad {
  ProjectConfig config;
  std::string error;
};

// Looks for .fwmatrix.yaml in the directory of `start_file` and its parents.
ConfigLoad find_project_config(const std::string& start_file);
ConfigLoad load_project_config(const std::string& path);
// The top-level keys of .fwmatrix.yaml (the `limits:` keys are LimitSetting::key).
const std::vector<std::string>& project_config_keys();

}  // namespace fwm
