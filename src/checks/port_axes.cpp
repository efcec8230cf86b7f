#include "checks/port_axes.h"

#include <fmt/format.h>

#include <map>
#include <tuple>

#include "checks/check_support.h"

namespace fwm {

namespace {

std::string decider_what(const Decider& d) {
  if (d.rule) return d.rule->text;
  if (d.policy) {
    const char* pol = d.policy->policy == PolicyKind::Deny ? "deny" : "accept";
    return d.policy->policy_span.line > 0
               ? fmt::format("the {} policy of {}", pol, d.policy->name)
               : fmt::format("the default {} policy of {} (no line sets it)", pol, d.policy->name);
  }
  return d.implicit.empty() ? std::string("the implicit default") : std::string(d.implicit);
}

std::size_t decider_line(const Decider& d) {
  if (d.rule) return d.rule->span.line;
  if (d.policy) return d.policy->policy_span.line;
  return 0;
}

// Why a rule leaves a packet undetermined: the conditions the model cannot decide, or a
// verdict decided outside the ruleset.
std::string uncertain_reason(const Rule& r) {
  if (!r.match.unknowns.empty()) {
    std::string out;
    for (const auto& u : r.match.unknowns) out += (out.empty() ? "" : "; ") + u;
    return out;
  }
  if (r.action.kind == ActionKind::Unknown) return "its verdict is decided outside the ruleset";
  return "its condition cannot be decided from the file";
}

// The deciders of a slice's pieces with `verdict`, grouped, with the ports they decide.
std::vector<PortDecision> decisions(const CoverageSlice& slice, Verdict verdict, const PortSet& ports) {
  std::vector<PortDecision> out;
  if (ports.empty()) return out;
  std::map<std::tuple<const Rule*, const Chain*, const Rule*>, std::size_t> index;
  for (const auto& piece : slice.pieces) {
    if (piece.verdict != verdict) continue;
    PortSet p = piece.box.dport.intersect(ports);
    if (p.empty()) continue;
    const Rule* unc = verdict == Verdict::Undetermined ? piece.uncertain_by : nullptr;
    auto key = std::make_tuple(piece.decider.rule, piece.decider.policy, unc);
    auto [it, added] = index.emplace(key, out.size());
    if (!added) {
      out[it->second].ports.add(p);
      continue;
    }
    PortDecision d;
    d.ports = p;
    if (unc) {
      d.line = unc->span.line;
      d.text = unc->text;
      d.because = uncertain_reason(*unc);
    } else {
      d.line = decider_line(piece.decider);
      d.text = decider_what(piece.decider);
      if (verdict == Verdict::Undetermined) d.because = "a condition that cannot be decided from the file";
    }
    out.push_back(std::move(d));
  }
  std::sort(out.begin(), out.end(), [](const PortDecision& a, const PortDecision& b) {
    return std::tie(a.line, a.text) < std::tie(b.line, b.text);
  });
  return out;
}

RequirementPart requirement_part(const Requirement& req, const CoverageSlice& s) {
  RequirementPart part;
  part.id = req.id;
  part.table = req.table;
  part.row = req.row;
  part.role = req.role;
  part.service = req.service;
  part.protocol_label = req.protocol_label;
  part.note = req.note;
  part.inbound = req.direction != Direction::Out;
  part.optional = req.optional;
  part.min_open = req.min_open.value_or(0);
  part.required = s.required;
  part.open = s.open;
  part.denied = s.denied;
  part.undetermined = s.undetermined;
  part.no_path = s.no_path;
  part.denied_by = decisions(s, Verdict::Deny, s.denied);
  part.undetermined_by = decisions(s, Verdict::Undetermined, s.undetermined);
  part.problems = s.problems;
  return part;
}

}  // namespace

std::vector<PortAxis> port_axes(const Ruleset& rs, const std::vector<RequirementCoverage>& coverage,
                                const Limits& limits) {
  std::vector<PortAxis> axes;
  for (Family f : {Family::V4, Family::V6}) {
    if (!rs.covers(f)) continue;
    for (int proto : {kProtoTcp, kProtoUdp}) {
      PortAxis axis;
      axis.file = rs.file;
      axis.variant = rs.variant;
      axis.family = family_name(f);
      axis.protocol = proto_name(proto);
      for (const auto& cov : coverage) {
        for (const auto& s : cov.slices) {
          if (s.family != f || s.protocol != proto || s.network) continue;
          axis.requirements.push_back(requirement_part(*cov.requirement, s));
          if (cov.requirement->direction != Direction::In) continue;
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
