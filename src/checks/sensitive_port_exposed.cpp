// FWM022: a sensitive service port is accepted from outside the trusted networks (see
// docs/rules/FWM022.md).
#include <fmt/format.h>

#include <algorithm>
#include <map>

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

  // One finding per accepting rule or policy (one result per problem): the sensitive
  // services it exposes, IPv4 and IPv6 together.
  void run(const AnalysisContext& ctx, std::vector<Finding>& out) const override {
    if (!ctx.pack) return;
    const Ruleset& rs = *ctx.ruleset;
    AddrSet untrusted = default_trusted_networks().complement();
    struct Exposure {
      Decider decider;
      std::vector<std::string> services;  // "TCP 135 (RPC endpoint mapper / DCOM)"
      std::vector<std::string> ports;     // "tcp 135"
      std::vector<std::string> families;
      std::map<Family, AddrIntervals> sources;
    };
    std::vector<Exposure> exposures;
    std::map<std::pair<const Rule*, const Chain*>, std::size_t> index;
    for (const auto& sensitive : ctx.pack->sensitive) {
      for (int proto : sensitive.protocols) {
        for (Family f : {Family::V4, Family::V6}) {
          if (!rs.covers(f)) continue;
          Box q = inbound_region(rs, f, proto, &untrusted);
          q.dport = sensitive.ports;
          for (const auto& g : accepted_by_decider(rs, q, Direction::In, ctx.limits)) {
            auto [it, added] = index.try_emplace({g.decider.rule, g.decider.policy}, exposures.size());
            if (added) exposures.push_back({g.decider, {}, {}, {}, {}});
            Exposure& e = exposures[it->second];
            const std::string pname = proto == kProtoTcp ? "TCP" : proto == kProtoUdp ? "UDP" : proto_name(proto);
            std::string service = fmt::format("{} {} ({})", pname, format_ports(g.ports), sensitive.service);
            if (std::find(e.services.begin(), e.services.end(), service) == e.services.end()) {
              e.services.push_back(service);
              e.ports.push_back(fmt::format("{} {}", proto_name(proto), format_ports(g.ports)));
            }
            if (std::find(e.families.begin(), e.families.end(), family_name(f)) == e.families.end())
              e.families.push_back(family_name(f));
            e.sources[f].add(g.sources);
          }
        }
      }
    }
    for (const Exposure& e : exposures) {
      Finding finding;
      finding.rule_id = info().id;
      finding.level = info().default_level;
      finding.location = decider_location(rs, e.decider, finding.snippet);
      std::vector<std::string> from;
      for (const auto& [f, sources] : e.sources)
        from.push_back(e.sources.size() > 1
                           ? fmt::format("{}: {}", family_name(f), format_addr_intervals(f, sources, 4))
                           : format_addr_intervals(f, sources, 4));
      finding.message =
          fmt::format("{} accepts {} from untrusted sources ({}); trusted networks are RFC 1918, ULA and loopback.",
                      decider_text(e.decider), fmt::join(e.services, ", "), fmt::join(from, "; "));
      finding.fingerprint_basis = fmt::format("sensitive|{}", decider_basis(rs, e.decider));
      finding.properties["ports"] = fmt::format("{}", fmt::join(e.ports, ", "));
      finding.properties["family"] = fmt::format("{}", fmt::join(e.families, ","));
      std::string reason;
      if (suppressed_by(e.decider, info().id, reason)) finding.suppression = reason;
      out.push_back(std::move(finding));
    }
  }
};

std::unique_ptr<Check> make_sensitive_port_exposed_check() { return std::make_unique<SensitivePortExposed>(); }

}  // namespace fwm
