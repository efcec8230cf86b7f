// The denied parts of the requirements: what FWM001 reports, per deciding rule or policy.
#include <map>
#include <tuple>

#include "fix/fix.h"

namespace fwm::fix {

std::vector<DeniedPart> denied_parts(const std::vector<RequirementCoverage>& coverage) {
  std::vector<DeniedPart> out;
  for (const auto& cov : coverage) {
    const Requirement& req = *cov.requirement;
    if (req.optional) continue;
    for (const auto& slice : cov.slices) {
      if (slice.no_path || slice.denied.empty()) continue;
      PortSet wanted = slice.denied;
      if (req.min_open) {
        // "At least N ports of the range": open the lowest denied ports the shortfall needs,
        // when it is a denial (FWM001) rather than undetermined (FWM002).
        auto open = static_cast<std::uint32_t>(slice.open.count());
        auto undetermined = static_cast<std::uint32_t>(slice.undetermined.count());
        if (open >= *req.min_open || open + undetermined >= *req.min_open) continue;
        std::uint32_t need = *req.min_open - open - undetermined;
        PortSet lowest;
        for (const auto& iv : slice.denied.intervals()) {
          if (need == 0) break;
          std::uint32_t width = static_cast<std::uint32_t>(iv.hi - iv.lo) + 1;
          std::uint32_t take = std::min(width, need);
          lowest.add(iv.lo, static_cast<decltype(iv.lo)>(iv.lo + take - 1));
          need -= take;
        }
        wanted = lowest;
      }
      std::map<std::pair<const Rule*, const Chain*>, std::size_t> index;
      std::vector<long double> packets;
      const std::size_t first = out.size();
      for (const auto& piece : slice.pieces) {
        if (piece.verdict != Verdict::Deny) continue;
        PortSet ports = (slice.reply ? piece.box.sport : piece.box.dport).intersect(wanted);
        if (ports.empty()) continue;
        auto [it, added] = index.try_emplace({piece.decider.rule, piece.decider.policy}, out.size());
        if (added) {
          DeniedPart p;
          p.requirement = &req;
          p.family = slice.family;
          p.protocol = slice.protocol;
          p.decider = piece.decider;
          p.network = slice.network;
          p.reply = slice.reply;
          p.source_label = slice.source_label;
          p.destination_label = slice.destination_label;
          out.push_back(std::move(p));
        }
        DeniedPart& p = out[it->second];
        p.ports.add(ports);
        p.sources.add(piece.box.src);
        p.destinations.add(piece.box.dst);
        packets.resize(out.size() - first, 0);
        packets[it->second - first] += packet_count(piece.box, &ports);
      }
      // One part is enough: a port is open when some packet reaches it. The part of the
      // decider of the most packets (FWM001's location; the first in ruleset order among
      // equals): the others (a blocklist, a rule for one interface) stay as they are, and
      // the next round sees whether the gap is closed.
      if (out.size() - first > 1) {
        auto order = [&out](std::size_t i) {
          const Decider& d = out[i].decider;
          if (d.rule) return std::make_tuple(0, d.rule->chain, d.rule->index);
          if (d.policy) return std::make_tuple(1, d.policy->policy_span.line, 0);
          return std::make_tuple(2, 0, 0);
        };
        std::size_t best = first;
        for (std::size_t i = first + 1; i < out.size(); ++i) {
          long double a = packets[i - first], b = packets[best - first];
          if (a > b || (a == b && order(i) < order(best))) best = i;
        }
        DeniedPart keep = std::move(out[best]);
        out.resize(first);
        out.push_back(std::move(keep));
      }
    }
  }
  return out;
}

}  // namespace fwm::fix
