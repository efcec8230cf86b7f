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
  if (d.policy && d.policy->action_classes_unordered) {  // Windows Firewall's words
    const char* action = d.policy->policy == PolicyKind::Deny ? "Block" : "Allow";
    if (d.policy->policy_span.line > 0)
      return fmt::format("the default {} action {} (line {})", d.policy->name, action, d.policy->policy_span.line);
    return fmt::format("the default {} action {} (no line sets it)", d.policy->name, action);
  }
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

void add_related_deciders(const Ruleset& rs, const std::vector<Decider>& deciders, const std::string& what,
                          Finding& f) {
  for (std::size_t i = 0; i < deciders.size(); ++i) {
    if (f.related.size() == kMaxRelatedLocations) {
      f.related_left_out += deciders.size() - i;
      return;
    }
    const Decider& d = deciders[i];
    if (!d.rule && !(d.policy && d.policy->policy_span.line > 0)) continue;  // no line to point at
    std::string snippet;
    f.related.push_back({decider_location(rs, d, snippet), fmt::format("{} {}", decider_text(d), what)});
  }
}

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
    if (const Pipeline* p = rs_.pipeline(f, d)) {
      *slot = evaluate_within(rs_, *p, open_region(rs_, f, d), limits_, /*join_rewritten=*/true, memo_);
      std::erase_if(slot->pieces, [](const Piece& piece) { return piece.verdict != Verdict::Accept; });
    }
  }
  return rs_.pipeline(f, d) ? slot.get() : nullptr;
}

bool OpenPathEvaluations::expect_surveys() {
  // A rule that changes the conntrack state leaves the changed state in the survey's
  // pieces, not the packet's: the open region cannot be cut out of them.
  if (rule_index(rs_)->whole_ruleset(rs_).sets_state) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  waiting_for_surveys_ = true;
  return true;
}

void OpenPathEvaluations::offer_survey(const Pipeline& p, const EvalResult& survey) {
  if (p.direction != Direction::In && p.direction != Direction::Forward) return;
  std::unique_ptr<EvalResult> part;
  if (!survey.truncated) {
    // Exact: the open region differs from the survey's only in fields no rule rewrites
    // (interfaces, source, state), so each packet's piece is its piece in either.
    const Box region = open_region(rs_, p.family, p.direction);
    part = std::make_unique<EvalResult>();
    part->by_bdds = survey.by_bdds;
    for (const auto& problem : survey.problems) part->problems.push_back(with_eval_limit_hint(problem, limits_));
    for (const Piece& piece : survey.pieces)
      if (piece.verdict != Verdict::Accept) {
        continue;  // its readers look at what is accepted only
      } else if (auto box = intersect(piece.box, region)) {
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

}  // namespace fwm
