// Requirement gaps (FWM001, FWM002, FWM003): one finding per problem, that is per
// requirement (or pack rows that say the same), protocol and path, anchored at the rule or
// policy that decides most of the gap's packets, the others as related locations.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <map>
#include <tuple>

#include "checks/check_support.h"
#include "ir/services.h"

namespace fwm {

namespace {

std::string proto_upper(int p) {
  std::string n = proto_name(p);
  for (auto& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return n;
}

// The packets of a deciding rule or policy within one gap.
struct DeciderPart {
  Decider decider;
  const Rule* uncertain = nullptr;  // undetermined gaps: the first unknown condition met
  PortSet ports;
  AddrIntervals sources, destinations;
  long double packets = 0;  // how many packets of the gap it decides (roughly)

  // Where the finding points for this part (an undetermined part: at its unknown condition).
  Decider where(GapKind kind) const {
    return kind == GapKind::Undetermined && uncertain ? Decider{uncertain, nullptr, {}} : decider;
  }
};

// One gap: the ports of a requirement's protocol that are denied (or undetermined) on one
// path, in one family or in both when both give the same answer, for one requirement or
// several pack rows that say the same.
struct Gap {
  std::vector<const Requirement*> requirements;
  const CoverageSlice* slice = nullptr;  // of the first family
  std::vector<Family> families;
  PortSet ports;
  std::vector<DeciderPart> parts;  // the main part first, the rest in ruleset order
  std::string answer;              // what must be equal to merge families or rows
};

// Rules in ruleset order, then policies, then implicit defaults.
std::tuple<int, int, int> ruleset_order(const Decider& d) {
  if (d.rule) return {0, d.rule->chain, d.rule->index};
  if (d.policy) return {1, d.policy->policy_span.line, 0};
  return {2, 0, 0};
}

// The gap of one slice, its parts ordered (main first); nullopt when there is none.
std::optional<Gap> gap_of(const Ruleset& rs, const Requirement& req, const CoverageSlice& slice, GapKind kind) {
  if (slice.no_path) return std::nullopt;
  if (req.min_open) {
    // "At least N ports of the range": only a shortfall is a gap.
    auto open = static_cast<std::uint32_t>(slice.open.count());
    if (open >= *req.min_open) return std::nullopt;
    auto undetermined = static_cast<std::uint32_t>(slice.undetermined.count());
    bool shortfall_is_undetermined = open + undetermined >= *req.min_open;
    if ((kind == GapKind::Undetermined) != shortfall_is_undetermined) return std::nullopt;
  }
  const PortSet& gap = kind == GapKind::Denied ? slice.denied : slice.undetermined;
  if (gap.empty()) return std::nullopt;
  const Verdict want = kind == GapKind::Denied ? Verdict::Deny : Verdict::Undetermined;
  Gap out;
  out.slice = &slice;
  out.requirements = {&req};
  out.families = {slice.family};
  std::map<std::tuple<const Rule*, const Chain*, const Rule*>, std::size_t> index;
  for (const auto& piece : slice.pieces) {
    if (piece.verdict != want) continue;
    // Reply slices (network mode) are about the service port as the source port.
    PortSet ports = (slice.reply ? piece.box.sport : piece.box.dport).intersect(gap);
    if (ports.empty()) continue;
    const Rule* uncertain = kind == GapKind::Undetermined ? piece.uncertain_by : nullptr;
    auto key = std::make_tuple(piece.decider.rule, piece.decider.policy, uncertain);
    auto [it, added] = index.try_emplace(key, out.parts.size());
    if (added) out.parts.push_back({piece.decider, uncertain, {}, {}, {}, 0});
    DeciderPart& part = out.parts[it->second];
    part.ports.add(ports);
    part.sources.add(piece.box.src);
    part.destinations.add(piece.box.dst);
    part.packets += packet_count(piece.box, &ports);
    out.ports.add(ports);
  }
  if (out.parts.empty()) return std::nullopt;
  std::sort(out.parts.begin(), out.parts.end(), [](const DeciderPart& a, const DeciderPart& b) {
    return ruleset_order(a.decider) < ruleset_order(b.decider);
  });
  auto main = std::max_element(out.parts.begin(), out.parts.end(),
                               [](const DeciderPart& a, const DeciderPart& b) { return a.packets < b.packets; });
  std::rotate(out.parts.begin(), main, main + 1);
  out.answer = format_ports(out.ports, SIZE_MAX);
  for (const auto& p : out.parts)
    out.answer += fmt::format("|{}|{}|{}", decider_basis(rs, p.where(kind)), decider_basis(rs, p.decider),
                              format_ports(p.ports, SIZE_MAX));
  return out;
}

// The gaps of every requirement, IPv4 and IPv6 merged where they give the same answer,
// and pack rows that say the same thing (role, service, protocol, ports) merged.
std::vector<Gap> gaps_of(const Ruleset& rs, const std::vector<RequirementCoverage>& coverage, GapKind kind,
                         bool want_optional) {
  std::vector<Gap> gaps;
  std::map<std::string, std::size_t> same_answer;  // per requirement, protocol and path
  for (const auto& cov : coverage) {
    const Requirement& req = *cov.requirement;
    if (req.optional != want_optional) continue;
    for (const auto& slice : cov.slices) {
      auto gap = gap_of(rs, req, slice, kind);
      if (!gap) continue;
      std::string key = fmt::format("{}|{}|{}|{}|{}|{}", req.id, slice.protocol, slice.source_label,
                                    slice.destination_label, slice.reply, gap->answer);
      auto [it, added] = same_answer.try_emplace(key, gaps.size());
      if (added) {
        gaps.push_back(std::move(*gap));
      } else {
        gaps[it->second].families.push_back(slice.family);
      }
    }
  }
  std::vector<Gap> merged;
  std::map<std::string, std::size_t> same_row;
  for (Gap& g : gaps) {
    const Requirement& req = *g.requirements.front();
    std::string key = fmt::format("{}|{}|{}|{}|{}|{}|{}|{}", req.role, direction_name(req.direction),
                                  format_ports(g.slice->required, SIZE_MAX), g.slice->protocol, g.slice->source_label,
                                  g.slice->destination_label, g.families.size(), g.answer);
    for (Family f : g.families) key += family_name(f);
    auto [it, added] = same_row.try_emplace(key, merged.size());
    if (added) {
      merged.push_back(std::move(g));
    } else {
      merged[it->second].requirements.push_back(&req);
    }
  }
  return merged;
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

void report_requirement_gaps(const AnalysisContext& ctx, const CheckInfo& info, GapKind kind, bool want_optional,
                             std::vector<Finding>& out) {
  if (!ctx.coverage) return;
  const Ruleset& rs = *ctx.ruleset;
  const bool both_families = rs.covers(Family::V4) && rs.covers(Family::V6);
  for (const Gap& gap : gaps_of(rs, *ctx.coverage, kind, want_optional)) {
    const Requirement& req = *gap.requirements.front();
    const CoverageSlice& slice = *gap.slice;
    const DeciderPart& main = gap.parts.front();
    std::vector<std::string> ids;
    bool one_service = true;
    for (const Requirement* r : gap.requirements) {
      ids.push_back(r->id);
      one_service = one_service && r->service == req.service && r->protocol_label == req.protocol_label;
    }
    std::string family =
        both_families && gap.families.size() == 1 ? fmt::format(" ({})", family_name(gap.families.front())) : "";
    auto service_of = [](const Requirement& r) {
      return fmt::format("{}{}{}", r.service, r.protocol_label.empty() ? "" : ", ", r.protocol_label);
    };
    std::string who;
    const char* listed = want_optional ? "optional, listed" : "required";
    const char* outbound = req.direction == Direction::Out ? ", outbound" : "";
    if (one_service) {
      who =
          fmt::format("{} by {} (role {}: {}{})", listed, fmt::join(ids, " and "), req.role, service_of(req), outbound);
    } else {  // rows of several services on the same ports
      std::vector<std::string> rows;
      for (const Requirement* r : gap.requirements) rows.push_back(fmt::format("{} ({})", r->id, service_of(*r)));
      who = fmt::format("{} by {} (role {}{})", listed, fmt::join(rows, " and "), req.role, outbound);
    }
    std::string ports_text = format_ports(gap.ports);
    std::string part = gap.ports == slice.required ? ""
                                                   : fmt::format(" of the {} {}", want_optional ? "listed" : "required",
                                                                 format_ports(slice.required));
    AddrIntervals sources, destinations;
    for (const auto& p : gap.parts) {
      sources.add(p.sources);
      destinations.add(p.destinations);
    }
    // Network mode: name the source and destination (role or network) and the addresses
    // of the region that are cut.
    std::string path;
    if (slice.network)
      path =
          fmt::format(" from {} to {} (cut: {} -> {})", slice.source_label, slice.destination_label,
                      format_addr_intervals(slice.family, sources), format_addr_intervals(slice.family, destinations));
    const std::size_t others = gap.parts.size() - 1;
    const std::string and_others =
        others == 0 ? "" : fmt::format(" and by {} (related locations)", plural(others, "other rule", "other rules"));
    Finding f;
    f.rule_id = info.id;
    f.level = info.default_level;
    f.requirement_id = req.id;
    const Decider where = main.where(kind);
    f.location = decider_location(rs, where, f.snippet);
    if (slice.reply) {
      f.message =
          fmt::format("Replies (established) of {} {}{}{} are {}{}, {}. Decided by {}{}.", proto_upper(slice.protocol),
                      ports_text, part, family, kind == GapKind::Denied ? "denied" : "undetermined", path, who,
                      decider_text(where), and_others);
    } else if (kind == GapKind::Denied) {
      f.message = fmt::format("{} {}{}{} is denied{}, {}. Decided by {}{}.", proto_upper(slice.protocol), ports_text,
                              part, family, path, who, decider_text(main.decider), and_others);
    } else {
      f.message = fmt::format(
          "{} {}{}{} is undetermined{}, {}: it depends on {}, which cannot be decided from the file; otherwise "
          "decided by {}{}.",
          proto_upper(slice.protocol), ports_text, part, family, path, who,
          main.uncertain ? decider_text(Decider{main.uncertain, nullptr, {}}) : "an unknown condition",
          decider_text(main.decider), and_others);
    }
    if (req.min_open)
      f.message += fmt::format(" Only {} of the at least {} ports it needs in {} are open.", slice.open.count(),
                               *req.min_open, format_ports(slice.required));
    if (!slice.problems.empty()) f.message += " Note: " + slice.problems.front();
    if ((!f.location.line || f.snippet.empty()) && !main.decider.rule &&
        !(main.decider.policy && main.decider.policy->policy_span.line))
      f.message += " (No line of the file decides this; reported at line 1.)";
    for (std::size_t i = 1; i < gap.parts.size(); ++i) {
      if (f.related.size() == kMaxRelatedLocations) {
        f.related_left_out = gap.parts.size() - i;
        break;
      }
      const DeciderPart& p = gap.parts[i];
      std::string snippet;
      RelatedLocation related;
      related.location = decider_location(rs, p.where(kind), snippet);
      related.message = fmt::format("{} also {} {} {}", decider_text(p.where(kind)),
                                    kind == GapKind::Denied ? "denies" : "leaves undetermined",
                                    proto_upper(slice.protocol), format_ports(p.ports));
      f.related.push_back(std::move(related));
    }
    std::vector<std::string> family_names;
    for (Family fam : gap.families) family_names.push_back(family_name(fam));
    f.fingerprint_basis =
        fmt::format("{}|{}|{}", fmt::join(ids, "+"), proto_name(slice.protocol), fmt::join(family_names, "+"));
    f.properties["requirement"] = fmt::format("{}", fmt::join(ids, ","));
    f.properties["role"] = req.role;
    f.properties["protocol"] = proto_name(slice.protocol);
    f.properties["family"] = fmt::format("{}", fmt::join(family_names, ","));
    f.properties["ports"] = ports_text;
    f.properties["required_ports"] = format_ports(slice.required);
    f.properties["direction"] = direction_name(req.direction);
    f.properties["deciders"] = std::to_string(gap.parts.size());
    if (slice.network) {
      f.fingerprint_basis +=
          fmt::format("|{}|{}{}", slice.source_label, slice.destination_label, slice.reply ? "|reply" : "");
      f.properties["source"] = slice.source_label;
      f.properties["destination"] = slice.destination_label;
      f.properties["source_addresses"] = format_addr_intervals(slice.family, sources);
      f.properties["destination_addresses"] = format_addr_intervals(slice.family, destinations);
      if (slice.reply) f.properties["reply"] = "true";
    }
    std::string reason;
    if (suppressed_by(where, info.id, reason)) f.suppression = reason;
    out.push_back(std::move(f));
  }
}

}  // namespace fwm
