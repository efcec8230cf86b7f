// Rule packs: the port matrix of a product as data (rules/*.yaml).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ir/ruleset.h"

namespace fwm {

struct RoleDef {
  std::string id;
  std::string name;
  std::vector<std::string> implies;
};

struct Requirement {
  std::string id;
  std::string table;  // servers, hlb-only, hlb-dns, clients
  int row = 0;
  std::string role;
  std::string service;
  std::vector<int> protocols;  // IANA numbers (6, 17)
  std::string protocol_label;
  PortSet ports;
  std::optional<PortSet> source_ports;
  Direction direction = Direction::In;
  bool optional = false;
  std::optional<std::uint32_t> min_open;  // "at least N ports of the range"
  std::string note;
  // Network packs (Edge): who talks to whom. A role id of the pack or a network name
  // (kNetworkNames); empty in host packs, where the host's own firewall is checked.
  std::string source;
  std::string destination;
};

// Network names a pack row or a topology file may use as a source or destination.
inline const std::vector<std::string> kNetworkNames = {"any", "internet", "internal", "trusted", "dmz"};

struct MediaRange {
  std::string name;  // audio, video, app_sharing, client
  std::vector<int> protocols;
  PortSet ports;
};

struct SensitivePort {
  PortSet ports;
  std::vector<int> protocols;
  std::string service;
};

struct IpsecExemption {
  std::string id;
  std::string table;
  int row = 0;
  std::string name;
  std::string source;       // "any" or a role id
  std::string destination;  // "any" or a role id
  std::vector<int> protocols;
  std::string source_ports;       // "any" or "media:<name>"
  std::string destination_ports;  // "any" or "media:<name>"
  Direction direction = Direction::In;
  std::string authentication;
};

struct Pack {
  std::string name;
  std::string title;
  std::string source_document;
  std::string path;
  std::uint32_t default_min_open = 20;
  std::string default_lb_mode = "hardware";
  std::vector<RoleDef> roles;
  std::vector<Requirement> requirements;
  std::vector<MediaRange> media;
  std::vector<SensitivePort> sensitive;
  std::vector<IpsecExemption> ipsec;

  const RoleDef* role(const std::string& id) const;
  // The roles and every role they imply (transitively), in a stable order.
  std::vector<std::string> expand_roles(const std::vector<std::string>& roles) const;
  // Requirements that apply to a host holding `roles`; LB tables by lb_mode.
  std::vector<const Requirement*> requirements_for(const std::vector<std::string>& roles,
                                                   const std::string& lb_mode) const;
};

struct PackLoad {
  std::optional<Pack> pack;
  std::string error;
};

PackLoad load_pack_file(const std::string& path);

// Finds a pack by name ("sfb2015") or path. Search order: a path that exists, --rules-dir,
// $FWMATRIX_RULES, ../share/fwmatrix/rules next to the binary, the source tree's rules/.
PackLoad find_pack(const std::string& name_or_path, const std::string& rules_dir);
std::vector<std::string> rules_search_path(const std::string& rules_dir);

std::string protocols_label(const std::vector<int>& protocols);

}  // namespace fwm
