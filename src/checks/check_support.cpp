#include "checks/check_support.h"

#include <fmt/format.h>

#include <cctype>
#include <map>

#include "ir/rule_index.h"
#include "ir/services.h"

namespace fwm {

SourceSpan decider_location(const Ruleset& rs, const Decider& d, std::string& snippet) {
  if (d.rule) {
    snippet = d.rule->text;
    return d.rule->span;
  }
  if (d.policy && d.policy->policy_span.line > 0) {
    snippet = d.policy->policy_text;
    return d.policy->policy_span;
  }
  snippet.clear();
  return SourceSpan{rs.file, 1, 1, 1, 1};
}

std::string decider_text(const Decider& d) {
  if (d.rule) return fmt::format("rule `{}` (line {})", d.rule->text, d.rule->span.line);
  if (d.policy) {
    const char* pol = d.policy->policy == PolicyKind::Deny ? "DROP" : "ACCEPT";
    if (d.policy->policy_span.line > 0)
      return fmt::format("the policy {} of chain {} (line {})", pol, d.policy->name, d.policy->policy_span.line);
    return fmt::format("the default policy {} of chain {} (no line sets it)", pol, d.policy->name);
  }
  return d.implicit.empty() ? std::string("the implicit default") : std::string(d.implicit);
}

std::string decider_basis(const Ruleset& rs, const Decider& d) {
  if (d.rule) {
    std::string normalized = normalized_text(rs, *d.rule);
    return normalized.empty() ? d.rule->text : normalized;
  }
  if (d.policy)
    return fmt::format("policy {} {}", d.policy->name, d.policy->policy == PolicyKind::Deny ? "DROP" : "ACCEPT");
  return "implicit " + std::string(d.implicit);
}

bool suppressed_by(const Decider& d, const std::string& id, std::string& reason) {
  if (!d.rule) return false;
  for (const auto& s : d.rule->suppressions)
    if (s == id) {
      // The justification written after "--" in the rule's own text, when it is there
      // (the comment may also sit on a line before the rule).
      std::string why;
      const std::string& text = d.rule->text;
      auto at = text.find("fwmatrix: ignore");
      auto dash = at == std::string::npos ? std::string::npos : text.find("--", at);
      if (dash != std::string::npos) {
        why = text.substr(dash + 2);
        auto end = why.find_first_of("\"'|\r\n");
        if (end != std::string::npos) why.resize(end);
        while (!why.empty() && std::isspace(static_cast<unsigned char>(why.front()))) why.erase(0, 1);
        while (!why.empty() && std::isspace(static_cast<unsigned char>(why.back()))) why.pop_back();
      }
      reason = why.empty() ? fmt::format("inline suppression on line {}", d.rule->span.line)
                           : fmt::format("{} (inline suppression on line {})", why, d.rule->span.line);
      return true;
    }
  return false;
}

namespace {

std::string proto_upper(int p) {
  std::string n = proto_name(p);
  for (auto& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return n;
}

}  // namespace

Box inbound_region(const Ruleset& rs, Family f, int proto, const AddrSet* sources) {
  Box q = open_region(rs, f, Direction::In);
  q.proto = proto_only(proto);
  if (sources) q.src = q.src.intersect(sources->of(f));
  return q;
}

namespace {

template <class PieceFilter>
std::vector<AcceptGroup> group_accepted(const std::vector<Piece>& pieces, PieceFilter&& wanted) {
  std::vector<AcceptGroup> groups;
  std::map<std::pair<const Rule*, const Chain*>, std::size_t> index;
  for (const auto& piece : pieces) {
    if (piece.verdict != Verdict::Accept || !wanted(piece)) continue;
    auto key = std::make_pair(piece.decider.rule, piece.decider.policy);
    auto it = index.find(key);
    if (it == index.end()) {
      index[key] = groups.size();
      groups.push_back({piece.decider, piece.box.dport, piece.box.src});
    } else {
      groups[it->second].ports.add(piece.box.dport);
      groups[it->second].sources.add(piece.box.src);
    }
  }
  return groups;
}

}  // namespace

std::vector<AcceptGroup> accepted_by_decider(const Ruleset& rs, const Box& query, Direction d, const Limits& limits) {
  const Pipeline* p = rs.pipeline(query.family, d);
  if (!p || query.empty()) return {};
  auto result = evaluate_within(rs, *p, query, limits);
  return group_accepted(result.pieces, [](const Piece&) { return true; });
}

std::vector<AcceptGroup> accepted_by_decider(const std::vector<Piece>& pieces, int proto) {
  return group_accepted(pieces,
                        [proto](const Piece& piece) { return piece.box.proto.test(static_cast<std::size_t>(proto)); });
}

Box open_region(const Ruleset& rs, Family f, Direction d) {
  Box q = Box::everything(f, rs.ifaces.size());
  for (std::size_t i = 0; i < rs.ifaces.size(); ++i)
    if (rs.ifaces.class_is_loopback(i)) {
      q.in_iface.reset(i);
      if (d == Direction::Forward) q.out_iface.reset(i);
    }
  q.src = q.src.subtract(parse_address_expr(f == Family::V4 ? "127.0.0.0/8" : "::1").set.of(f));
  return q;
}

const EvalResult* OpenPathEvaluations::get(Family f, Direction d) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (rs_.pipeline(f, d)) surveyed_.wait(lock, [&] { return !waiting_for_surveys_ || results_.count({f, d}) != 0; });
  auto& slot = results_[{f, d}];
  if (!slot) {
    slot = std::make_unique<EvalResult>();
    if (const Pipeline* p = rs_.pipeline(f, d))
      *slot = evaluate_within(rs_, *p, open_region(rs_, f, d), limits_, /*join_rewritten=*/true, memo_);
  }
  return rs_.pipeline(f, d) ? slot.get() : nullptr;
}

void OpenPathEvaluations::expect_surveys() {
  std::lock_guard<std::mutex> lock(mutex_);
  waiting_for_surveys_ = true;
}

void OpenPathEvaluations::offer_survey(const Pipeline& p, const EvalResult& survey) {
  if (p.direction != Direction::In && p.direction != Direction::Forward) return;
  std::unique_ptr<EvalResult> part;
  if (!survey.truncated && !rule_index(rs_)->whole_ruleset(rs_).sets_state) {
    // Exact: the open region differs from the survey's only in fields no rule rewrites
    // (interfaces, source, state), so each packet's piece is its piece in either.
    const Box region = open_region(rs_, p.family, p.direction);
    part = std::make_unique<EvalResult>();
    part->by_bdds = survey.by_bdds;
    for (const auto& problem : survey.problems) part->problems.push_back(with_eval_limit_hint(problem, limits_));
    for (const Piece& piece : survey.pieces)
      if (auto box = intersect(piece.box, region)) {
        Piece kept = piece;
        kept.box = std::move(*box);
        part->pieces.push_back(std::move(kept));
      }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = results_[{p.family, p.direction}];
  if (!slot) slot = std::move(part);  // null: get() evaluates the path itself
  surveyed_.notify_all();
}

void OpenPathEvaluations::surveys_done() {
  std::lock_guard<std::mutex> lock(mutex_);
  waiting_for_surveys_ = false;
  surveyed_.notify_all();
}

void OpenPathEvaluations::release() {
  std::lock_guard<std::mutex> lock(mutex_);
  results_.clear();
}

const EvalResult* open_path_evaluation(const AnalysisContext& ctx, Family f, Direction d, EvalResult& storage) {
  if (ctx.open_paths) return ctx.open_paths->get(f, d);
  const Pipeline* p = ctx.ruleset->pipeline(f, d);
  if (!p) return nullptr;
  storage = evaluate_within(*ctx.ruleset, *p, open_region(*ctx.ruleset, f, d), ctx.limits, /*join_rewritten=*/true);
  return &storage;
}

const AddrSet& default_trusted_networks() {
  static const AddrSet trusted = rfc1918_ula_loopback();
  return trusted;
}

void report_diagnostics(const AnalysisContext& ctx, const CheckInfo& info, std::vector<Finding>& out) {
  for (const auto& d : ctx.ruleset->diagnostics) {
    if (d.id != info.id) continue;
    Finding f;
    f.rule_id = d.id;
    f.level = d.severity;
    f.message = d.message;
    f.location = d.span;
    f.snippet = d.snippet;
    // The occurrence count "(N rules use it)" is not part of the identity.
    f.fingerprint_basis = d.message.substr(0, d.message.find(" (")) + "|" + d.snippet;
    out.push_back(std::move(f));
  }
}

void report_requirement_gaps(const AnalysisContext& ctx, const CheckInfo& info, GapKind kind, bool want_optional,
                             std::vector<Finding>& out) {
  if (!ctx.coverage) return;
  const Ruleset& rs = *ctx.ruleset;
  for (const auto& cov : *ctx.coverage) {
    const Requirement& req = *cov.requirement;
    if (req.optional != want_optional) continue;
    for (const auto& slice : cov.slices) {
      if (slice.no_path) continue;
      std::string family =
          rs.covers(Family::V4) && rs.covers(Family::V6) ? fmt::format(" ({})", family_name(slice.family)) : "";
      std::string who = fmt::format("required by {} (role {}: {}{}{}{})", req.id, req.role, req.service,
                                    req.protocol_label.empty() ? "" : ", ", req.protocol_label,
                                    req.direction == Direction::Out ? ", outbound" : "");
      if (req.min_open) {
        // "At least N ports of the range": only a shortfall is a gap.
        std::uint32_t open = static_cast<std::uint32_t>(slice.open.count());
        if (open >= *req.min_open) continue;
        std::uint32_t undetermined = static_cast<std::uint32_t>(slice.undetermined.count());
        bool shortfall_is_undetermined = open + undetermined >= *req.min_open;
        if ((kind == GapKind::Undetermined) != shortfall_is_undetermined) continue;
      }
      const PortSet& gap = kind == GapKind::Denied ? slice.denied : slice.undetermined;
      if (gap.empty() || (req.min_open && kind == GapKind::Denied && slice.open.count() >= *req.min_open)) continue;
      Verdict want = kind == GapKind::Denied ? Verdict::Deny : Verdict::Undetermined;
      struct Group {
        Decider decider;
        const Rule* uncertain = nullptr;
        PortSet ports;
        AddrIntervals sources;
        AddrIntervals destinations;
      };
      std::vector<Group> groups;
      std::map<std::tuple<const Rule*, const Chain*, const Rule*>, std::size_t> index;
      for (const auto& piece : slice.pieces) {
        if (piece.verdict != want) continue;
        // Reply slices (network mode) are about the service port as the source port.
        PortSet ports = (slice.reply ? piece.box.sport : piece.box.dport).intersect(gap);
        if (ports.empty()) continue;
        const Rule* unc = kind == GapKind::Undetermined ? piece.uncertain_by : nullptr;
        auto key = std::make_tuple(piece.decider.rule, piece.decider.policy, unc);
        auto it = index.find(key);
        if (it == index.end()) {
          index[key] = groups.size();
          groups.push_back({piece.decider, unc, ports, piece.box.src, piece.box.dst});
        } else {
          groups[it->second].ports.add(ports);
          groups[it->second].sources.add(piece.box.src);
          groups[it->second].destinations.add(piece.box.dst);
        }
      }
      for (const auto& g : groups) {
        Finding f;
        f.rule_id = info.id;
        f.level = info.default_level;
        f.requirement_id = req.id;
        Decider where = g.decider;
        if (kind == GapKind::Undetermined && g.uncertain) where = Decider{g.uncertain, nullptr, {}};
        f.location = decider_location(rs, where, f.snippet);
        std::string ports_text = format_ports(g.ports);
        std::string part =
            g.ports == slice.required ? "" : fmt::format(" of the required {}", format_ports(slice.required));
        // Network mode: name the source and destination (role or network) and the
        // addresses of the region that are cut.
        std::string path;
        if (slice.network)
          path = fmt::format(" from {} to {} (cut: {} -> {})", slice.source_label, slice.destination_label,
                             format_addr_intervals(slice.family, g.sources),
                             format_addr_intervals(slice.family, g.destinations));
        if (slice.reply) {
          f.message = fmt::format(
              "Replies (established) of {} {}{}{} are {}{}, {}. Decided by {}.", proto_upper(slice.protocol),
              ports_text, part, family, kind == GapKind::Denied ? "denied" : "undetermined", path, who,
              decider_text(kind == GapKind::Undetermined && g.uncertain ? Decider{g.uncertain, nullptr, {}}
                                                                        : g.decider));
        } else if (kind == GapKind::Denied) {
          f.message = fmt::format("{} {}{}{} is denied{}, {}. Decided by {}.", proto_upper(slice.protocol), ports_text,
                                  part, family, path, who, decider_text(g.decider));
        } else if (slice.network) {
          f.message = fmt::format(
              "{} {}{}{} is undetermined{}, {}: it depends on {}, which cannot be decided from "
              "the file; otherwise decided by {}.",
              proto_upper(slice.protocol), ports_text, part, family, path, who,
              g.uncertain ? decider_text(Decider{g.uncertain, nullptr, {}}) : "an unknown condition",
              decider_text(g.decider));
        } else {
          f.message = fmt::format(
              "{} {}{}{} is undetermined, {}: it depends on {}, which cannot be decided from the "
              "file; otherwise decided by {}.",
              proto_upper(slice.protocol), ports_text, part, family, who,
              g.uncertain ? decider_text(Decider{g.uncertain, nullptr, {}}) : "an unknown condition",
              decider_text(g.decider));
        }
        if (req.min_open)
          f.message += fmt::format(" Only {} of the at least {} ports it needs in {} are open.", slice.open.count(),
                                   *req.min_open, format_ports(slice.required));
        if (!slice.problems.empty()) f.message += " Note: " + slice.problems.front();
        if (!f.location.line || f.snippet.empty()) {
          if (!g.decider.rule && !(g.decider.policy && g.decider.policy->policy_span.line))
            f.message += " (No line of the file decides this; reported at line 1.)";
        }
        f.fingerprint_basis = fmt::format("{}|{}|{}|{}", req.id, proto_name(slice.protocol), family_name(slice.family),
                                          decider_basis(rs, where));
        f.properties["requirement"] = req.id;
        f.properties["role"] = req.role;
        f.properties["protocol"] = proto_name(slice.protocol);
        f.properties["family"] = family_name(slice.family);
        f.properties["ports"] = ports_text;
        f.properties["required_ports"] = format_ports(slice.required);
        f.properties["direction"] = direction_name(req.direction);
        if (slice.network) {
          f.fingerprint_basis +=
              fmt::format("|{}|{}{}", slice.source_label, slice.destination_label, slice.reply ? "|reply" : "");
          f.properties["source"] = slice.source_label;
          f.properties["destination"] = slice.destination_label;
          f.properties["source_addresses"] = format_addr_intervals(slice.family, g.sources);
          f.properties["destination_addresses"] = format_addr_intervals(slice.family, g.destinations);
          if (slice.reply) f.properties["reply"] = "true";
        }
        std::string reason;
        if (suppressed_by(where, info.id, reason)) f.suppression = reason;
        out.push_back(std::move(f));
      }
    }
  }
}

}  // namespace fwm
