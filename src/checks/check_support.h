// Shared reporting of requirement gaps (used by FWM001, FWM002, FWM003).
#pragma once

#include "checks/check.h"

namespace fwm {

enum class GapKind { Denied, Undetermined };

// Reports, for every requirement selected by `want_optional`, the ports of kind `kind`,
// one finding per deciding rule or policy.
void report_requirement_gaps(const AnalysisContext& ctx, const CheckInfo& info, GapKind kind,
                             bool want_optional, std::vector<Finding>& out);

// The region of new connections to the host (inbound path) from non-loopback peers in
// `sources` (all non-loopback addresses when null) for one family and protocol.
Box inbound_region(const Ruleset& rs, Family f, int proto, const AddrSet* sources = nullptr);

// Accepted pieces of that region, grouped by what accepted them.
struct AcceptGroup {
  Decider decider;
  PortSet ports;
  AddrIntervals sources;
};
std::vector<AcceptGroup> accepted_by_decider(const Ruleset& rs, const Box& query, Direction d = Direction::In,
                                             const Limits& limits = {});

// Default trusted networks of design.md: RFC 1918, ULA, loopback.
const AddrSet& default_trusted_networks();

// Turns the ruleset's diagnostics with this check's id into findings (FWM090, FWM091).
void report_diagnostics(const AnalysisContext& ctx, const CheckInfo& info, std::vector<Finding>& out);

}  // namespace fwm
