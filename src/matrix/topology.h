// Topology files: where the roles of a rule pack live on the network, so that a gateway's
// forward path can be checked (network mode). See docs/topology.md.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/address.h"
#include "matrix/coverage.h"
#include "matrix/pack.h"

namespace fwm {

struct TopologyRole {
  std::string id;
  AddrSet addresses;         // the hosts, CIDRs or pool VIPs the role's traffic is addressed to
  AddrSet public_addresses;  // addresses the other side uses when a gateway translates (DNAT)
  std::string text;          // the addresses as written, for messages
  std::string public_text;
  int line = 0;
};

struct TopologyNetwork {
  std::string name;
  AddrSet addresses;
  std::string text;
};

struct MediaOverride {
  std::uint32_t start = 0;
  std::uint32_t count = 0;
};

struct Topology {
  std::string path;
  std::vector<TopologyRole> roles;                  // file order
  std::map<std::string, TopologyNetwork> networks;  // internet, internal, trusted, dmz, ...
  std::map<std::string, std::string> interfaces;    // gateway interface -> network name
  std::string lb_mode;                              // empty: the pack's default
  std::string pack;                                 // empty: the command line's / config's
  std::map<std::string, MediaOverride> media;       // audio, video, app_sharing, client

  const TopologyRole* role(const std::string& id) const;
  // Addresses of a network name (defaults: internet = everything, internal = trusted =
  // RFC 1918 + ULA when the file does not define them, any = everything).
  std::optional<AddrSet> network(const std::string& name) const;
  // A role's or a network's addresses; `label` gets a readable name.
  std::optional<AddrSet> endpoint(const std::string& name, bool towards_role_from_outside, std::string& label) const;
};

struct TopologyLoad {
  std::optional<Topology> topology;
  std::string error;  // "file:line:col: message"
};

TopologyLoad load_topology_file(const std::string& path, const Pack* pack);

// The pack with the topology's media overrides applied: every requirement whose port
// set equals one of the pack's media ranges gets the overriding range instead.
Pack apply_media_overrides(const Pack& pack, const Topology& topology);

// Network mode: one coverage entry per (topology role, requirement of that role), each
// slice evaluated on the forward path for the region source -> destination.
struct NetworkCoverage {
  std::vector<RequirementCoverage> coverage;
  std::vector<std::string> notes;
};
NetworkCoverage compute_network_coverage(const Ruleset& rs, const Pack& pack, const Topology& topology,
                                         const std::string& lb_mode, const Limits& limits = {});

}  // namespace fwm
