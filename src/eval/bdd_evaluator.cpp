// The region evaluator over packet-set diagrams (packet_bdd.h): the same semantics as the
// box evaluator of evaluator.cpp, but the packets still live at a rule are one diagram
// rather than a list of boxes, so that rules cutting the region on different fields
// (a source /24 and a port range each, thousands of them) cost one diagram operation
// each instead of multiplying pieces. See docs/architecture.md, "Two engines".
#include "eval/bdd_evaluator.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "eval/packet_bdd.h"
#include "ir/rule_index.h"

namespace fwm {

namespace {

// Packets on their way, with the rule or policy that accepted them in an earlier stage and
// the first rule with an unknown condition they met (Work::maybe_rule).
struct Flow {
  Diagram set;
  Decider accepted_by;
  const Rule* first_unknown = nullptr;
};

struct DecidedSet {
  Diagram set;
  Verdict verdict;
  Decider decider;
  Decider accepted_by;
  const Rule* first_unknown = nullptr;
};

struct Outcome {
  std::vector<DecidedSet> decided;
  std::vector<Flow> returned;
};

// Adds `flow` to `flows`, joined with the flow of the same earlier accept and first
// unknown rule if there is one.
void add_flow(std::vector<Flow>& flows, Flow flow) {
  if (flow.set.is_false()) return;
  for (Flow& f : flows)
    if (f.accepted_by == flow.accepted_by && f.first_unknown == flow.first_unknown) {
      f.set |= flow.set;
      return;
    }
  flows.push_back(std::move(flow));
}

class BddEvaluator {
 public:
  // `track_original`: a rewrite occurs (keep the original destination apart); `unknowns`:
  // some rule has an unknown condition (else the maybe flags are never set).
  BddEvaluator(PacketBdds& bdds, const Ruleset& rs, const EvalOptions& opts, Family family, bool track_original,
               bool unknowns, EvalResult& result)
      : bdds_(bdds),
        layout_(bdds.layout()),
        rs_(rs),
        opts_(opts),
        family_(family),
        track_original_(track_original),
        result_(result),
        maybe_accept_(bdds.var(layout_.maybe_accept)),
        maybe_deny_(bdds.var(layout_.maybe_deny)),
        not_maybe_accept_(bdds.var(layout_.maybe_accept, false)),
        not_maybe_deny_(bdds.var(layout_.maybe_deny, false)),
        maybe_accept_var_(bdds.manager().var_set({layout_.maybe_accept})),
        maybe_deny_var_(bdds.manager().var_set({layout_.maybe_deny})),
        state_vars_(bdds.var_set({&layout_.state})),
        dst_vars_(bdds.var_set({&layout_.dst})),
        dport_vars_(bdds.var_set({&layout_.dport})),
        may_be_uncertain_(unknowns),
        matches_(rs.chains.size()),
        walks_(rs.chains.size(), 0),
        index_(rule_index(rs)) {}

  // Prunes large chains to the rules that can meet `query` (no rewrite in the ruleset).
  void prune_to(const Box& query) {
    query_ = query;
    hull_.proto = &query_.proto;
    hull_.dport = &query_.dport;
    hull_.dst = &query_.dst;
    hull_.src = &query_.src;
    hull_.v6 = query_.family == Family::V6;
    prune_ = true;
  }

  // Runs the pipeline: the packets rules decide go to the result's pieces as they are
  // decided, and then the packets of the policies and of no chain.
  void run_pipeline(const Pipeline& p, const Box& query) {
    std::vector<Flow> live{{bdds_.box(query, track_original_), {}}};
    for (std::size_t stage_number = 0; stage_number < p.stages.size(); ++stage_number) {
      const Stage& stage = p.stages[stage_number];
      const bool last = stage_number + 1 == p.stages.size();
      const Chain& chain = rs_.chains[static_cast<std::size_t>(stage.chain)];
      Outcome out = run_chain(stage.chain, 0, std::move(live));
      live.clear();
      const Decider policy_decider{nullptr, &chain, {}};
      const Verdict policy = chain.policy == PolicyKind::Deny ? Verdict::Deny : Verdict::Accept;
      auto passes = [&](Verdict v) {
        return v == Verdict::Accept || (stage.nat && v != Verdict::Deny && v != Verdict::Undetermined);
      };
      auto pass = [&](Flow f, const Decider& d) {
        // A later stage's deny is certain again: an earlier unknown only made the accept doubtful.
        if (may_be_uncertain_) f.set = bdds_.manager().exists(f.set, maybe_accept_var_) & not_maybe_accept_;
        if (!stage.nat && (d.rule || !f.accepted_by.rule)) f.accepted_by = d;
        if (last) {  // accepted: as decided now as after the loop (and never joined with others)
          accept(std::move(f));
        } else {
          add_flow(live, std::move(f));
        }
      };
      for (DecidedSet& d : out.decided) {
        if (passes(d.verdict)) {
          pass({std::move(d.set), d.accepted_by, d.first_unknown}, d.decider);
        } else {
          finish(d.set, d.verdict, d.decider, d.first_unknown);
        }
      }
      for (Flow& f : out.returned) {
        if (passes(policy)) {
          pass(std::move(f), policy_decider);
        } else {
          finish(f.set, policy, policy_decider, f.first_unknown);
        }
      }
    }
    for (Flow& f : live) accept(std::move(f));  // a path of no stage
    for (const Final& f : finals_) read_pieces(f.verdict, f.decider, f.uncertain_by, f.set);
    finals_.clear();
  }

 private:
  // Packets through every stage: accepted by the rule or policy that accepted them last.
  void accept(Flow f) {
    Decider d = f.accepted_by;
    if (!d.rule && !d.policy) d.implicit = "no chain filters this path";
    finish(f.set, Verdict::Accept, d, f.first_unknown);
  }

  void finish(const Diagram& set, Verdict v, const Decider& d, const Rule* first_unknown) {
    if (set.is_false()) return;
    const Rule* uncertain_by = first_unknown ? first_unknown : d.rule;
    if (!may_be_uncertain_ && v != Verdict::Undetermined) {  // no maybe flag is ever set
      add_final(v, d, nullptr, set);
      return;
    }
    if (v == Verdict::Deny) {
      add_final(Verdict::Undetermined, d, uncertain_by, set & maybe_accept_);
      add_final(Verdict::Deny, d, nullptr, set & not_maybe_accept_);
    } else if (v == Verdict::Accept) {
      add_final(Verdict::Undetermined, d, uncertain_by, set & maybe_deny_);
      add_final(Verdict::Accept, d, nullptr, set & not_maybe_deny_);
    } else {
      add_final(Verdict::Undetermined, d, uncertain_by, set);
    }
  }

  void add_final(Verdict v, const Decider& d, const Rule* uncertain_by, const Diagram& set) {
    if (set.is_false()) return;
    // A rule's packets are read into pieces at once: kept as diagrams to the end, the sets
    // of 100,000 rules held millions of nodes (and every lookup got slower). Pieces of
    // one decider need not be joined: they are disjoint, as every piece is. A policy's
    // packets come from many flows and are joined first (fewer, wider pieces).
    if (d.rule) {
      read_pieces(v, d, uncertain_by, set);
      return;
    }
    const std::size_t h = std::hash<const void*>()(d.rule) * 31 + std::hash<const void*>()(d.policy) * 7 +
                          std::hash<std::string_view>()(d.implicit) + static_cast<std::size_t>(v) +
                          std::hash<const void*>()(uncertain_by) * 131;
    auto [from, to] = final_index_.equal_range(h);
    for (auto it = from; it != to; ++it) {
      Final& f = finals_[it->second];
      if (f.verdict == v && f.decider == d && f.uncertain_by == uncertain_by) {
        f.set |= set;
        return;
      }
    }
    final_index_.emplace(h, finals_.size());
    finals_.push_back({v, d, uncertain_by, set});
  }

  // Reads `set` into pieces of the result (as many as --max-pieces leaves room for).
  void read_pieces(Verdict v, const Decider& d, const Rule* uncertain_by, const Diagram& set) {
    if (result_.truncated) return;
    std::vector<Box> boxes;
    const std::size_t room = opts_.max_pieces > result_.pieces.size() ? opts_.max_pieces - result_.pieces.size() : 0;
    const bool all_read = bdds_.to_boxes(set, track_original_, room, boxes);
    for (Box& b : boxes) {
      Piece piece;
      piece.box = std::move(b);
      piece.verdict = v;
      piece.decider = d;
      piece.uncertain_by = uncertain_by;
      result_.pieces.push_back(std::move(piece));
    }
    if (!all_read) {
      result_.truncated = true;
      result_.problems.push_back(
          fmt::format("the region split into more than {} pieces when read back from its diagram; the rest is left out",
                      opts_.max_pieces));
    }
  }

  // The packets a rule's known conditions match. Kept per rule once its chain is walked a
  // second time (a chain called from several places); a chain walked once does not keep
  // them: 100,000 rules' diagrams would stay alive (and slow every node lookup) for nothing.
  Diagram match_of(const Rule& rule) {
    const auto chain = static_cast<std::size_t>(rule.chain);
    if (walks_[chain] < 2) return bdds_.match(rule.match);
    auto& per_chain = matches_[chain];
    if (per_chain.empty()) per_chain.resize(rs_.chains[chain].rules.size());
    auto& slot = per_chain[static_cast<std::size_t>(rule.index)];
    if (!slot) slot = bdds_.match(rule.match);
    return *slot;
  }

  // The flags an unknown condition sets on the packets it may have decided (Work::maybe).
  Diagram tagged(const Diagram& set, Verdict v) {
    Diagram out = set;
    if (v != Verdict::Deny) out = bdds_.manager().exists(out, maybe_accept_var_) & maybe_accept_;
    if (v != Verdict::Accept) out = bdds_.manager().exists(out, maybe_deny_var_) & maybe_deny_;
    return out;
  }

  // The first unknown rule of packets that met `earlier` before and now `rule`. Not kept
  // for analyses that do not report it (EvalOptions::join_rewritten): packets that differ
  // only there stay in one flow, and undetermined ones are reported by their deciding rule.
  const Rule* first_of(const Rule* earlier, const Rule& rule) const {
    if (opts_.join_rewritten) return nullptr;
    return earlier ? earlier : &rule;
  }

  bool can_call(const Rule& rule) {
    std::string problem = call_problem(rs_, rule, stack_, opts_.max_call_depth);
    if (problem.empty()) return true;
    result_.problems.push_back(std::move(problem));
    return false;
  }

  void matched(const Rule& rule) const {
    if (opts_.on_match) opts_.on_match(rule);
  }

  Outcome run_chain(int chain_index, std::size_t start, std::vector<Flow> live) {
    Outcome out;
    const Chain& chain = rs_.chains[static_cast<std::size_t>(chain_index)];
    ++walks_[static_cast<std::size_t>(chain_index)];
    stack_.push_back(chain_index);
    // In a large chain, only the rules the index says can meet the query (exact while no
    // rewrite moves packets out of the query's destinations).
    const ChainIndex* index = prune_ ? index_->chain(chain_index) : nullptr;
    std::vector<int> positions;
    if (index) positions = index->candidates(hull_, start);
    const std::size_t count = index ? positions.size() : chain.rules.size() - std::min(start, chain.rules.size());
    for (std::size_t k = 0; k < count && !live.empty(); ++k) {
      const std::size_t i = index ? static_cast<std::size_t>(positions[k]) : start + k;
      const Rule& rule = chain.rules[i];
      if (rule.action.kind == ActionKind::Continue || &rule == opts_.skip_rule) continue;
      const bool skipped = opts_.skip_if && opts_.skip_if(rule);
      if (skipped && !opts_.on_skipped_match) continue;
      const Diagram m = match_of(rule);
      if (m.is_false()) continue;
      if (skipped) {
        for (const Flow& f : live)
          if (!(f.set & m).is_false()) {
            opts_.on_skipped_match(rule);
            break;
          }
        continue;
      }
      if (rule.action.kind == ActionKind::Jump &&
          call_changes_nothing(rs_, *index_, rule.action.target_chain, stack_, opts_.max_call_depth)) {
        if (opts_.on_match)
          for (const Flow& f : live)
            if (!(f.set & m).is_false()) {
              matched(rule);
              break;
            }
        continue;
      }
      const bool maybe = rule.match.has_unknown();
      std::vector<Flow> handed_on;  // what the rule passes to the rules after it
      for (Flow& f : live) {
        Diagram hit = f.set & m;
        if (hit.is_false()) continue;
        matched(rule);
        f.set = f.set - hit;
        // A match that may or may not hold: these packets met their first unknown rule here,
        // unless an earlier one.
        const Rule* first_unknown = maybe ? first_of(f.first_unknown, rule) : f.first_unknown;
        apply(rule, chain_index, i, {std::move(hit), f.accepted_by, first_unknown}, maybe, handed_on, out);
      }
      std::erase_if(live, [](const Flow& f) { return f.set.is_false(); });
      for (Flow& f : handed_on) add_flow(live, std::move(f));
    }
    for (Flow& f : live) add_flow(out.returned, std::move(f));
    stack_.pop_back();
    return out;
  }

  void apply(const Rule& rule, int chain_index, std::size_t rule_pos, Flow hit, bool maybe,
             std::vector<Flow>& handed_on, Outcome& out) {
    const Decider here{&rule, nullptr, {}};
    switch (rule.action.kind) {
      case ActionKind::Continue:
        handed_on.push_back(std::move(hit));
        return;
      case ActionKind::Accept:
      case ActionKind::Deny:
      case ActionKind::Unknown: {
        const Verdict v = rule.action.kind == ActionKind::Accept ? Verdict::Accept
                          : rule.action.kind == ActionKind::Deny ? Verdict::Deny
                                                                 : Verdict::Undetermined;
        if (maybe) {
          hit.set = tagged(hit.set, v);
          handed_on.push_back(std::move(hit));
        } else {
          const Rule* first_unknown =
              v == Verdict::Undetermined ? first_of(hit.first_unknown, rule) : hit.first_unknown;
          out.decided.push_back({std::move(hit.set), v, here, hit.accepted_by, first_unknown});
        }
        return;
      }
      case ActionKind::Jump:
      case ActionKind::Goto: {
        const bool is_goto = rule.action.kind == ActionKind::Goto;
        if (!can_call(rule)) {
          out.decided.push_back(
              {std::move(hit.set), Verdict::Undetermined, here, hit.accepted_by, first_of(hit.first_unknown, rule)});
          return;
        }
        Outcome sub = run_chain(rule.action.target_chain, 0, {std::move(hit)});
        for (DecidedSet& d : sub.decided) {
          if (maybe) {
            handed_on.push_back({tagged(d.set, d.verdict), d.accepted_by, first_of(d.first_unknown, rule)});
          } else {
            out.decided.push_back(std::move(d));
          }
        }
        for (Flow& f : sub.returned) {
          if (!is_goto) {
            handed_on.push_back(std::move(f));
          } else if (maybe) {  // returned to our caller, or continued here: we cannot tell
            f.set = tagged(f.set, Verdict::Undetermined);
            f.first_unknown = first_of(f.first_unknown, rule);
            handed_on.push_back(std::move(f));
          } else {
            out.returned.push_back(std::move(f));
          }
        }
        return;
      }
      case ActionKind::Return: {
        if (!maybe) {
          out.returned.push_back(std::move(hit));
          return;
        }
        // Either it returns now, or the rest of this chain decides it (or returns later).
        stack_.pop_back();  // run_chain pushes this chain again
        Outcome rest = run_chain(chain_index, rule_pos + 1, {std::move(hit)});
        stack_.push_back(chain_index);
        for (DecidedSet& d : rest.decided)
          out.returned.push_back({tagged(d.set, d.verdict), d.accepted_by, first_of(d.first_unknown, rule)});
        for (Flow& f : rest.returned) out.returned.push_back(std::move(f));
        return;
      }
      case ActionKind::Rewrite: {
        if (maybe) {
          hit.set = tagged(hit.set, Verdict::Undetermined);
          handed_on.push_back(std::move(hit));
          return;
        }
        if (rule.action.new_dport)
          hit.set = bdds_.manager().exists(hit.set, dport_vars_) &
                    bdds_.intervals(layout_.dport, *rule.action.new_dport, bdds_.yes());
        if (rule.action.new_daddr)
          hit.set = bdds_.manager().exists(hit.set, dst_vars_) &
                    bdds_.intervals(layout_.dst, rule.action.new_daddr->of(family_), bdds_.yes());
        out.decided.push_back({std::move(hit.set), Verdict::Accept, here, hit.accepted_by, hit.first_unknown});
        return;
      }
      case ActionKind::SetState: {
        if (maybe) {
          hit.set = tagged(hit.set, Verdict::Undetermined);
        } else if (rule.action.new_state) {
          hit.set = bdds_.manager().exists(hit.set, state_vars_) &
                    bdds_.bits(layout_.state, *rule.action.new_state, bdds_.yes());
        }
        handed_on.push_back(std::move(hit));
        return;
      }
    }
  }

  PacketBdds& bdds_;
  const BddLayout& layout_;
  const Ruleset& rs_;
  const EvalOptions& opts_;
  Family family_;
  bool track_original_;
  EvalResult& result_;
  Diagram maybe_accept_, maybe_deny_, not_maybe_accept_, not_maybe_deny_;
  DiagramVarSet maybe_accept_var_, maybe_deny_var_, state_vars_, dst_vars_, dport_vars_;
  // Whether some rule has an unknown condition (only those set the maybe flags): else the
  // flags stay clear and verdicts need not be split by them.
  bool may_be_uncertain_;
  std::vector<std::vector<std::optional<Diagram>>> matches_;
  std::vector<std::uint32_t> walks_;  // per chain: how often run_chain entered it
  std::vector<int> stack_;
  // The packets of policies and of no chain, by verdict and decider, in order of first
  // appearance.
  struct Final {
    Verdict verdict;
    Decider decider;
    const Rule* uncertain_by;
    Diagram set;
  };
  std::vector<Final> finals_;
  std::shared_ptr<const RuleIndex> index_;
  bool prune_ = false;  // walk large chains through index_ (prune_to())
  Box query_;
  IndexQuery hull_;
  std::unordered_multimap<std::size_t, std::size_t> final_index_;  // hash of verdict and decider -> finals_
};

}  // namespace

std::optional<EvalResult> evaluate_with_bdds(const Ruleset& rs, const Pipeline& pipeline, const Box& query,
                                             const EvalOptions& options) {
  const RuleIndex::WholeRuleset& whole = rule_index(rs)->whole_ruleset(rs);
  const auto family = static_cast<std::size_t>(query.family);
  // The box evaluator treats a rewrite to several values as a choice it cannot know (later
  // matches on them are "maybe"); a diagram would hold every value at once.
  if (!whole.rewrites_to_one_value[family]) return std::nullopt;
  const bool rewrites = whole.rewrites[family];
  EvalResult result;
  result.by_bdds = true;
  if (query.empty()) return result;
  const std::size_t max_nodes = diagram_node_limit(options.max_pieces);
  PacketBdds bdds(query.family, max_nodes);
  try {
    BddEvaluator ev(bdds, rs, options, query.family, rewrites, whole.unknown_conditions, result);
    if (!rewrites && options.use_index) ev.prune_to(query);
    ev.run_pipeline(pipeline, query);
  } catch (const DiagramNodeLimit&) {
    result.pieces.clear();
    Piece all;
    all.box = query;
    all.verdict = Verdict::Undetermined;
    result.pieces.push_back(std::move(all));
    result.truncated = true;
    result.problems.push_back(
        fmt::format("the region's diagram grew past {} nodes (4 per piece of the limit of more than {} pieces); "
                    "the whole region is undetermined",
                    max_nodes, options.max_pieces));
  }
  return result;
}

}  // namespace fwm
