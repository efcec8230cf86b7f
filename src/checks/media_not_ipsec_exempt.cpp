// FWM010: media traffic of a role is not exempt from IPsec (see docs/rules/FWM010.md).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "checks/check_support.h"
#include "checks/ipsec_media.h"
#include "ir/services.h"
#include "util/limits.h"

namespace fwm {

class MediaNotIpsecExempt final : public Check {
 public:
  const CheckInfo& info() const override {
    static const CheckInfo kInfo{.id = "FWM010",
                                 .name = "MediaNotIpsecExempt",
                                 .short_description = "Media traffic of a role is not exempt from IPsec",
                                 .default_level = Severity::Error,
                                 .needs_roles = true,
                                 .security_severity = "5.0",
                                 .precision = "very-high",
                                 .tags = {"security", "ipsec", "media"}};
    return kInfo;
  }

  void run(const AnalysisContext& ctx, std::vector<Finding>& out) const override {
    if (!ctx.pack || !ctx.ipsec) return;
    auto scopes = ipsec_media_scopes(*ctx.pack, ctx.roles, ctx.lb_mode);
    for (const IpsecPolicy* policy : *ctx.ipsec) {
      AddrSet local = assumed_local_addresses(*policy);
      for (const auto& r : evaluate_media_scopes(*policy, scopes, ctx.limits.max_pieces))
        report(ctx, *policy, local, r, out);
    }
  }

 private:
  void report(const AnalysisContext& ctx, const IpsecPolicy& policy, const AddrSet& local, const IpsecScopeResult& r,
              std::vector<Finding>& out) const {
    const IpsecMediaScope& scope = *r.scope;
    struct Group {
      IpsecVerdict verdict;
      const IpsecEntry* decider;
      const IpsecEntry* uncertain;
      PortSet ports;
      AddrIntervals remote;
      PortSet remote_ports;
      std::vector<const IpsecEntry*> idle_exemptions;  // would match, but not installed
      IpsecOrientation orientation;                    // open: decided by which endpoint the host is
    };
    std::vector<Group> groups;
    std::map<std::tuple<int, const IpsecEntry*, const IpsecEntry*, bool>, std::size_t> index;
    for (std::size_t pi = 0; pi < r.eval.pieces.size(); ++pi) {
      const IpsecPiece& piece = r.eval.pieces[pi];
      if (piece.verdict == IpsecVerdict::Bypass) continue;
      IpsecOrientation orientation = pi < r.orientation.size() ? r.orientation[pi] : IpsecOrientation{};
      auto key = std::make_tuple(static_cast<int>(piece.verdict), piece.decider, piece.uncertain_by, orientation.open);
      auto it = index.find(key);
      std::size_t gi;
      if (it == index.end()) {
        gi = index[key] = groups.size();
        groups.push_back({piece.verdict,
                          piece.decider,
                          piece.uncertain_by,
                          piece.box.local_port,
                          piece.box.remote_addr,
                          piece.box.remote_port,
                          {},
                          orientation});
      } else {
        gi = it->second;
        groups[gi].ports.add(piece.box.local_port);
        groups[gi].remote.add(piece.box.remote_addr);
        groups[gi].remote_ports.add(piece.box.remote_port);
      }
      for (const auto& e : policy.entries) {
        if (e.installed || e.action != IpsecAction::Bypass || !ipsec_intersect(piece.box, e.selector)) continue;
        auto& idle = groups[gi].idle_exemptions;
        if (std::find(idle.begin(), idle.end(), &e) == idle.end()) idle.push_back(&e);
      }
    }
    std::string pname = proto_name(scope.protocol);
    std::string pupper = pname;
    std::transform(pupper.begin(), pupper.end(), pupper.begin(), ::toupper);
    const char* dir = scope.direction == Direction::In ? "inbound" : "outbound";
    for (const auto& g : groups) {
      Finding f;
      f.rule_id = info().id;
      bool undetermined = g.verdict == IpsecVerdict::Undetermined;
      f.level = undetermined ? Severity::Warning : info().default_level;
      const IpsecEntry* where = undetermined && g.uncertain ? g.uncertain : g.decider;
      f.location = ipsec_entry_location(policy, where, f.snippet);
      std::string part =
          g.ports == scope.local_ports ? "" : fmt::format(" of the media ports {}", format_ports(scope.local_ports));
      std::string peers = g.remote == r.query.remote_addr
                              ? ""
                              : fmt::format(" for peers {}", format_addr_intervals(r.family, g.remote));
      if (g.remote_ports != r.query.remote_port)
        peers += fmt::format(" {} peer ports {}", scope.direction == Direction::In ? "from" : "to",
                             format_ports(g.remote_ports));
      std::string host = local.is_all() ? ""
                                        : fmt::format(" (host addresses assumed from the exemptions: {})",
                                                      format_addr_intervals(r.family, r.query.local_addr));
      std::string deciding = g.decider ? fmt::format("entry {}", ipsec_entry_text(*g.decider)) : policy.default_text;
      std::string what;
      if (undetermined && g.orientation.open) {
        std::string as_ep2 =
            g.orientation.endpoint2_verdict == IpsecVerdict::Undetermined
                ? fmt::format("it depends on {}", g.uncertain ? ipsec_entry_text(*g.uncertain) : "an unknown condition")
            : g.orientation.endpoint2_verdict == IpsecVerdict::Bypass
                ? fmt::format("{} would exempt it", g.uncertain ? ipsec_entry_text(*g.uncertain) : "no rule")
                : fmt::format(
                      "{} would {}", g.uncertain ? fmt::format("entry {}", ipsec_entry_text(*g.uncertain)) : "a rule",
                      g.orientation.endpoint2_verdict == IpsecVerdict::Discard ? "discard it"
                                                                               : "require or request IPsec for it");
        what = fmt::format(
            "may not be exempt from IPsec: with the host as Endpoint1 {} decides ({}); with the host as Endpoint2 "
            "{}. MS-FASP (FW_CS_RULE) and MS-GPFAS name the two endpoints of a connection security rule and "
            "their ports but not which one is the local host, so whether the rule applies with the host as "
            "Endpoint2 is undetermined",
            deciding, g.decider ? ipsec_action_name(g.decider->action) : ipsec_action_name(policy.default_action),
            as_ep2);
      } else if (undetermined && !g.uncertain && r.eval.truncated) {
        what = fmt::format(
            "may not be exempt from IPsec: fwmatrix stopped evaluating the policy when it split into "
            "too many pieces{}",
            limit_hint(ctx.limits.max_pieces, "pieces", kMaxPiecesFlag));
      } else if (undetermined) {
        what = fmt::format(
            "may not be exempt from IPsec: it depends on {}, which cannot be decided from the file; "
            "otherwise {} decides ({})",
            g.uncertain ? ipsec_entry_text(*g.uncertain) : "an unknown condition", deciding,
            g.decider ? ipsec_action_name(g.decider->action) : ipsec_action_name(policy.default_action));
      } else if (g.verdict == IpsecVerdict::Discard) {
        what = fmt::format("is not exempt from IPsec: it is discarded by {}", deciding);
      } else {
        what = fmt::format("is not exempt from IPsec: {} requires or requests IPsec for it", deciding);
      }
      f.message = fmt::format(
          "{} {} {}{} ({} media, {} ports of the host, {}){}{} {}. Microsoft's IPsec exception{} {} ask{} for "
          "no IPsec here.",
          pupper, dir, format_ports(g.ports), part, fmt::join(scope.media_names, "/"),
          scope.direction == Direction::In ? "destination" : "source", family_name(r.family), peers, host, what,
          scope.rows.size() == 1 ? "" : "s", ipsec_rows_label(scope), scope.rows.size() == 1 ? "s" : "");
      for (const IpsecEntry* idle : g.idle_exemptions)
        f.message += fmt::format(" The exemption {} would cover it but is not installed: {}.", ipsec_entry_text(*idle),
                                 idle->not_installed_why);
      f.requirement_id = scope.rows.front()->id;
      f.fingerprint_basis = fmt::format("{}|{}|{}|{}|{}", ipsec_rows_label(scope), pname, family_name(r.family), dir,
                                        where ? where->normalized : policy.default_text);
      f.properties["protocol"] = pname;
      f.properties["family"] = family_name(r.family);
      f.properties["direction"] = dir;
      f.properties["ports"] = format_ports(g.ports, 1000);
      f.properties["media_ports"] = format_ports(scope.local_ports, 1000);
      f.properties["ipsec_verdict"] = ipsec_verdict_name(g.verdict);
      f.properties["ipsec_file"] = policy.file;
      // The part that only the host's endpoint (Endpoint1 or Endpoint2) decides.
      if (g.orientation.open) f.properties["endpoint_orientation"] = "undetermined";
      if (where)
        for (const auto& s : where->suppressions)
          if (s == info().id) f.suppression = fmt::format("inline suppression on line {}", where->span.line);
      out.push_back(std::move(f));
    }
  }
};

std::unique_ptr<Check> make_media_not_ipsec_exempt_check() { return std::make_unique<MediaNotIpsecExempt>(); }

}  // namespace fwm
