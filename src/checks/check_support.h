// Shared reporting of requirement gaps (used by FWM001, FWM002, FWM003).
#pragma once

#include "checks/check.h"

namespace fwm {

enum class GapKind { Denied, Undetermined };

// Reports, for every requirement selected by `want_optional`, the ports of kind `kind`,
// one finding per deciding rule or policy.
void report_requirement_gaps(const AnalysisContext& ctx, const CheckInfo& info, GapKind kind,
                             bool want_optional, std::vector<Finding>& out);

// Turns the ruleset's diagnostics with this check's id into findings (FWM090, FWM091).
void report_diagnostics(const AnalysisContext& ctx, const CheckInfo& info, std::vector<Finding>& out);

}  // namespace fwm
