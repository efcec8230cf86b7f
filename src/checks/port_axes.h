// The data behind the HTML report's port pictures.
#pragma once

#include "checks/check.h"
#include "report/report.h"

namespace fwm {

// Per family and protocol: the roles' inbound required ports, which of them are open,
// denied or undetermined, every port some peer can reach, and the excess.
std::vector<PortAxis> port_axes(const Ruleset& rs, const std::vector<RequirementCoverage>& coverage,
                                const Limits& limits = {});

}  // namespace fwm
