#include "checks/port_axes.h"

#include "checks/check_support.h"

namespace fwm {

std::vector<PortAxis> port_axes(const Ruleset& rs, const std::vector<RequirementCoverage>& coverage,
                                const Limits& limits) {
  std::vector<PortAxis> axes;
  for (Family f : {Family::V4, Family::V6}) {
    if (!rs.covers(f)) continue;
    for (int proto : {kProtoTcp, kProtoUdp}) {
      PortAxis axis;
      axis.file = rs.file;
      axis.family = family_name(f);
      axis.protocol = proto_name(proto);
      for (const auto& cov : coverage) {
        if (cov.requirement->direction != Direction::In) continue;
        for (const auto& s : cov.slices) {
          if (s.family != f || s.protocol != proto) continue;
          axis.required.add(s.required);
          axis.open.add(s.open);
          axis.denied.add(s.denied);
          axis.undetermined.add(s.undetermined);
        }
      }
      for (const auto& g : accepted_by_decider(rs, inbound_region(rs, f, proto), Direction::In, limits))
        axis.accepted.add(g.ports);
      axis.excess = axis.accepted.subtract(axis.required);
      axes.push_back(std::move(axis));
    }
  }
  return axes;
}

}  // namespace fwm
