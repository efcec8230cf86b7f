// Running every applicable check over one ruleset.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "checks/check.h"
#include "matrix/topology.h"

namespace fwm {

struct AnalysisRequest {
  const Pack* pack = nullptr;  // null: only the role-independent checks run
  std::vector<std::string> roles;
  std::string lb_mode = "hardware";
  const std::vector<const IpsecPolicy*>* ipsec = nullptr;  // IPsec policies given with --ipsec
  // Network mode (--topology): the requirements of the topology's roles are checked on the
  // forward path between addresses; only the gap checks (FWM001-FWM003) use roles then.
  const Topology* topology = nullptr;
  Limits limits;  // --max-call-depth, --max-pieces, --max-redundancy-checks
};

// Findings of all checks for `rs` (variants labelled), plus notes on what did not run.
std::vector<Finding> analyze(const Ruleset& rs, const AnalysisRequest& request, std::vector<std::string>& notes);

// Findings of the variants of one file (Windows profiles) that say the same thing at the
// same place become one, labelled with every variant ("[Domain, Private, Public] ..."):
// one result per problem, not one per profile.
void merge_variant_findings(std::vector<Finding>& findings);

// A key that identifies a finding by meaning rather than by rule text, so that findings
// of two versions (even of two formats) of a ruleset can be matched.
std::string semantic_key(const Finding& f);

}  // namespace fwm
