// FWM011: an IPsec exemption covers media but is narrower than Microsoft's port table recommends
// (see docs/rules/FWM011.md).
#include <fmt/format.h>

#include <map>

#include "checks/check_support.h"
#include "checks/ipsec_media.h"
#include "ir/services.h"

namespace fwm {

class NarrowIpsecExemption final : public Check {
 public:
  const CheckInfo& info() const override {
    static const CheckInfo kInfo{
        .id = "FWM011",
        .name = "NarrowIpsecExemption",
        .short_description = "An IPsec exemption is narrower than Microsoft's port table recommends but covers media",
        .default_level = Severity::Warning,
        .needs_roles = true,
        .security_severity = "3.0",
        .precision = "very-high",
        .tags = {"security", "ipsec", "media"}};
    return kInfo;
  }

  void run(const AnalysisContext& ctx, std::vector<Finding>& out) const override {
    if (!ctx.pack || !ctx.ipsec) return;
    auto scopes = ipsec_media_scopes(*ctx.pack, ctx.roles, ctx.lb_mode);
    for (const IpsecPolicy* policy : *ctx.ipsec) {
      // Media each exemption entry decides, and the rows that ask for it.
      struct Covered {
        std::map<std::pair<int, int>, PortSet> ports;  // (direction, protocol) -> local ports
        std::vector<std::string> rows;
      };
      std::map<const IpsecEntry*, Covered> covered;
      std::vector<const IpsecEntry*> order;
      for (const auto& r : evaluate_media_scopes(*policy, scopes, ctx.limits.max_pieces)) {
        for (const auto& piece : r.eval.pieces) {
          if (piece.verdict != IpsecVerdict::Bypass || !piece.decider) continue;
          if (!covered.count(piece.decider)) order.push_back(piece.decider);
          Covered& c = covered[piece.decider];
          c.ports[{static_cast<int>(r.scope->direction), r.scope->protocol}].add(piece.box.local_port);
          for (const auto* row : r.scope->rows) {
            if (std::find(c.rows.begin(), c.rows.end(), row->id) == c.rows.end()) c.rows.push_back(row->id);
          }
        }
      }
      for (const IpsecEntry* e : order) {
        const Covered& c = covered[e];
        std::vector<std::string> narrower;
        const IpsecSelector& s = e->selector;
        if (s.local_port && *s.local_port != all_ports())
          narrower.push_back(fmt::format("local ports {} only", format_ports(*s.local_port)));
        if (s.remote_port && *s.remote_port != all_ports())
          narrower.push_back(fmt::format("remote ports {} only", format_ports(*s.remote_port)));
        if (s.remote_addr) {
          // Narrower than "any peer" within the families the entry applies to.
          bool narrow = false;
          for (Family f : {Family::V4, Family::V6})
            if (s.families.test(static_cast<std::size_t>(f)) && s.remote_addr->of(f) != AddrIntervals(0, family_max(f)))
              narrow = true;
          if (narrow) narrower.push_back(fmt::format("peers {} only", format_addr_set(*s.remote_addr)));
        }
        if (narrower.empty()) continue;
        std::vector<std::string> media;
        for (const auto& [key, ports] : c.ports) {
          std::string p = proto_name(key.second);
          std::transform(p.begin(), p.end(), p.begin(), ::toupper);
          media.push_back(fmt::format("{} {} {}", p,
                                      static_cast<Direction>(key.first) == Direction::In ? "inbound" : "outbound",
                                      format_ports(ports)));
        }
        Finding f;
        f.rule_id = info().id;
        f.level = info().default_level;
        f.location = ipsec_entry_location(*policy, e, f.snippet);
        f.message = fmt::format(
            "The IPsec exemption {} covers media ({}) but is narrower than Microsoft's port table recommends (any port, any peer): "
            "{}. A change of the media ranges or of the peers would leave media subject to IPsec. Pack rows: {}.",
            ipsec_entry_text(*e), fmt::join(media, "; "), fmt::join(narrower, "; "), fmt::join(c.rows, ", "));
        f.requirement_id = c.rows.front();
        f.fingerprint_basis = fmt::format("{}|{}", fmt::join(c.rows, ","), e->normalized);
        f.properties["ipsec_file"] = policy->file;
        f.properties["narrower"] = fmt::format("{}", fmt::join(narrower, "; "));
        for (const auto& sup : e->suppressions)
          if (sup == info().id) f.suppression = fmt::format("inline suppression on line {}", e->span.line);
        out.push_back(std::move(f));
      }
    }
  }
};

std::unique_ptr<Check> make_narrow_ipsec_exemption_check() { return std::make_unique<NarrowIpsecExemption>(); }

}  // namespace fwm
