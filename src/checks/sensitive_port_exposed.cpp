// FWM022: a sensitive service port is accepted from outside the trusted networks (see
// docs/rules/FWM022.md).
#include <fmt/format.h>

#include "checks/check_support.h"
#include "ir/services.h"

namespace fwm {

class SensitivePortExposed final : public Check {
 public:
  const CheckInfo& info() const override {
    static const CheckInfo kInfo{
        .id = "FWM022",
        .name = "SensitivePortExposed",
        .short_description = "A sensitive service port is accepted from outside the trusted networks",
        .default_level = Severity::Error,
        .needs_roles = true,
        .security_severity = "8.1",
        .precision = "very-high",
        .tags = {"security", "exposure", "external/cwe/cwe-284"}};
    return kInfo;
  }

  void run(const AnalysisContext& ctx, std::vector<Finding>& out) const override {
    if (!ctx.pack) return;
    const Ruleset& rs = *ctx.ruleset;
    AddrSet untrusted = default_trusted_networks().complement();
    for (const auto& sensitive : ctx.pack->sensitive) {
      for (int proto : sensitive.protocols) {
        for (Family f : {Family::V4, Family::V6}) {
          if (!rs.covers(f)) continue;
          Box q = inbound_region(rs, f, proto, &untrusted);
          q.dport = sensitive.ports;
          for (const auto& g : accepted_by_decider(rs, q, Direction::In, ctx.limits)) {
            std::string pname = proto == kProtoTcp ? "TCP" : proto == kProtoUdp ? "UDP" : proto_name(proto);
            Finding finding;
            finding.rule_id = info().id;
            finding.level = info().default_level;
            finding.location = decider_location(rs, g.decider, finding.snippet);
            finding.message = fmt::format(
                "{} {} ({}) is accepted from untrusted sources {} by {}; trusted networks are "
                "RFC 1918, ULA and loopback.",
                pname, format_ports(g.ports), sensitive.service, format_addr_intervals(f, g.sources, 4),
                decider_text(g.decider));
            finding.fingerprint_basis = fmt::format("{}|{}|{}|{}", proto_name(proto), format_ports(sensitive.ports),
                                                    family_name(f), decider_basis(*ctx.ruleset, g.decider));
            finding.properties["protocol"] = proto_name(proto);
            finding.properties["port"] = format_ports(g.ports);
            std::string reason;
            if (suppressed_by(g.decider, info().id, reason)) finding.suppression = reason;
            out.push_back(std::move(finding));
          }
        }
      }
    }
  }
};

std::unique_ptr<Check> make_sensitive_port_exposed_check() { return std::make_unique<SensitivePortExposed>(); }

}  // namespace fwm
