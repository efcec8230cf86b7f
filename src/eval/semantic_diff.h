// The semantic difference of two rulesets: the regions of new connections whose verdict
// changed, each tied to what decides it before and after.
#pragma once

#include <string>
#include <vector>

#include "eval/evaluator.h"

namespace fwm {

struct VerdictChange {
  Family family;
  Direction direction;
  int protocol;
  Verdict before, after;
  Decider old_decider, new_decider;
  PortSet ports;          // destination ports of the changed region
  AddrIntervals sources;  // source addresses of the changed region
};

// Compares the inbound and forward paths of both rulesets (TCP and UDP, every family both
// cover) over new connections from non-loopback peers. The rulesets must share an
// interface alphabet (align_interfaces).
std::vector<VerdictChange> semantic_diff(const Ruleset& old_rs, const Ruleset& new_rs);

}  // namespace fwm
