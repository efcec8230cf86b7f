// FWM021: a rule accepts ports beyond the roles' requirements (see docs/rules/FWM021.md).
#include <fmt/format.h>

#include "checks/check_support.h"
#include "ir/services.h"

namespace fwm {

class ExcessPorts final : public Check {
 public:
  const CheckInfo& info() const override {
    static const CheckInfo kInfo{.id = "FWM021",
                                 .name = "ExcessPorts",
                                 .short_description = "A rule accepts ports beyond the role's requirements",
                                 .default_level = Severity::Warning,
                                 .needs_roles = true,
                                 .security_severity = "6.5",
                                 .precision = "very-high",
                                 .tags = {"security", "exposure", "external/cwe/cwe-284"}};
    return kInfo;
  }

  void run(const AnalysisContext& ctx, std::vector<Finding>& out) const override {
    if (!ctx.pack || !ctx.coverage) return;
    const Ruleset& rs = *ctx.ruleset;
    // What the roles need inbound, per protocol.
    std::map<int, PortSet> needed;
    for (const auto& cov : *ctx.coverage) {
      const Requirement& req = *cov.requirement;
      if (req.direction != Direction::In) continue;
      for (int proto : req.protocols) needed[proto].add(req.ports);
    }
    for (Family f : {Family::V4, Family::V6}) {
      if (!rs.covers(f)) continue;
      // Every protocol's inbound path at once (FWM020 evaluates the same region).
      EvalResult storage;
      const EvalResult* inbound = open_path_evaluation(ctx, f, Direction::In, storage);
      if (!inbound) continue;
      for (int proto : {kProtoTcp, kProtoUdp}) {
        for (const auto& g : accepted_by_decider(inbound->pieces, proto)) {
          PortSet excess = g.ports.subtract(needed[proto]);
          if (excess.empty()) continue;
          std::string pname = proto == kProtoTcp ? "TCP" : "UDP";
          Finding finding;
          finding.rule_id = info().id;
          finding.level = info().default_level;
          finding.location = decider_location(rs, g.decider, finding.snippet);
          PortSet within = g.ports.intersect(needed[proto]);
          finding.message = fmt::format(
              "{} accepts {} {}{} beyond what role{} {} need{}{}.", decider_text(g.decider), pname,
              format_ports(excess),
              rs.covers(Family::V4) && rs.covers(Family::V6) ? fmt::format(" ({})", family_name(f)) : "",
              ctx.roles.size() == 1 ? "" : "s", fmt::join(ctx.roles, ", "), ctx.roles.size() == 1 ? "s" : "",
              within.empty() ? " (none of its ports is required)"
                             : fmt::format(" (the required part is {} {})", pname, format_ports(within)));
          finding.fingerprint_basis = fmt::format("{}|{}|{}|{}", fmt::join(ctx.roles, ","), proto_name(proto),
                                                  family_name(f), decider_basis(*ctx.ruleset, g.decider));
          finding.properties["protocol"] = proto_name(proto);
          finding.properties["excess_ports"] = format_ports(excess, 1000);
          finding.properties["family"] = family_name(f);
          std::string reason;
          if (suppressed_by(g.decider, info().id, reason)) finding.suppression = reason;
          out.push_back(std::move(finding));
        }
      }
    }
  }
};

std::unique_ptr<Check> make_excess_ports_check() { return std::make_unique<ExcessPorts>(); }

}  // namespace fwm
