#include "eval/evaluator.h"

#include <fmt/format.h>

namespace fwm {

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Accept:
      return "accept";
    case Verdict::Deny:
      return "deny";
    case Verdict::Undetermined:
      return "undetermined";
  }
  return "undetermined";
}

Box Box::everything(Family f, std::size_t iface_classes) {
  Box b;
  b.family = f;
  b.src = AddrIntervals(0, family_max(f));
  b.dst = AddrIntervals(0, family_max(f));
  for (std::size_t i = 0; i < iface_classes; ++i) {
    b.in_iface.set(i);
    b.out_iface.set(i);
  }
  return b;
}

bool Box::empty() const {
  return proto.none() || src.empty() || dst.empty() || sport.empty() || dport.empty() ||
         in_iface.none() || out_iface.none() || state.none();
}

std::optional<Box> intersect(const Box& a, const Box& b) {
  if (a.family != b.family) return std::nullopt;
  Box out;
  out.family = a.family;
  out.proto = a.proto & b.proto;
  out.dport = a.dport.intersect(b.dport);
  out.sport = a.sport.intersect(b.sport);
  out.src = a.src.intersect(b.src);
  out.dst = a.dst.intersect(b.dst);
  out.in_iface = a.in_iface & b.in_iface;
  out.out_iface = a.out_iface & b.out_iface;
  out.state = a.state & b.state;
  if (out.empty()) return std::nullopt;
  return out;
}

namespace {

constexpr std::uint8_t kMaybeAccept = 1;
constexpr std::uint8_t kMaybeDeny = 2;

std::uint8_t maybe_bits(Verdict v) {
  switch (v) {
    case Verdict::Accept:
      return kMaybeAccept;
    case Verdict::Deny:
      return kMaybeDeny;
    case Verdict::Undetermined:
      return kMaybeAccept | kMaybeDeny;
  }
  return kMaybeAccept | kMaybeDeny;
}

// A piece of the region on its way through the rules.
struct Work {
  Box box;
  Rewrites rewrites;
  std::uint8_t maybe = 0;               // verdicts another branch of an unknown condition gave
  const Rule* maybe_rule = nullptr;     // the first unknown rule on this piece's path
  Decider accept_decider;               // the rule that accepted it in an earlier stage
};

struct Decided {
  Work work;
  Verdict verdict;
  Decider decider;
};

struct ChainOutcome {
  std::vector<Decided> decided;
  std::vector<Work> returned;
};

enum class Overlap { None, Some, Maybe };

// Splits w by the rule match m: `matched` receives the part inside m, `rest` the parts
// outside. Returns Maybe when the match depends on a rewritten field that only partly
// overlaps (the rewrite picks one value we cannot know), None when disjoint.
Overlap split(const Work& w, const Match& m, Work& matched, std::vector<Work>& rest) {
  const Box& b = w.box;
  if (m.never || !m.families.test(static_cast<std::size_t>(b.family))) return Overlap::None;
  bool maybe = false;

  // First pass: every constrained field must intersect.
  ProtoSet proto_in;
  if (m.proto) {
    proto_in = b.proto & *m.proto;
    if (proto_in.none()) return Overlap::None;
  }
  PortSet dport_in, sport_in;
  bool split_dport = false;
  if (m.dport) {
    if (w.rewrites.dport) {
      const auto& seen = *w.rewrites.dport;
      if (!seen.intersects(*m.dport)) return Overlap::None;
      if (!seen.subset_of(*m.dport)) maybe = true;
    } else {
      dport_in = b.dport.intersect(*m.dport);
      if (dport_in.empty()) return Overlap::None;
      split_dport = true;
    }
  }
  if (m.sport) {
    sport_in = b.sport.intersect(*m.sport);
    if (sport_in.empty()) return Overlap::None;
  }
  AddrIntervals dst_in, src_in;
  bool split_dst = false;
  if (m.dst) {
    const auto& want = m.dst->of(b.family);
    if (w.rewrites.dst) {
      const auto& seen = *w.rewrites.dst;
      if (!seen.intersects(want)) return Overlap::None;
      if (!seen.subset_of(want)) maybe = true;
    } else {
      dst_in = b.dst.intersect(want);
      if (dst_in.empty()) return Overlap::None;
      split_dst = true;
    }
  }
  if (m.src) {
    src_in = b.src.intersect(m.src->of(b.family));
    if (src_in.empty()) return Overlap::None;
  }
  IfaceSet in_in, out_in;
  if (m.in_iface) {
    in_in = b.in_iface & *m.in_iface;
    if (in_in.none()) return Overlap::None;
  }
  if (m.out_iface) {
    out_in = b.out_iface & *m.out_iface;
    if (out_in.none()) return Overlap::None;
  }
  CtStateSet state_in;
  if (m.state) {
    state_in = b.state & *m.state;
    if (state_in.none()) return Overlap::None;
  }

  // Second pass: peel off the parts outside the match, field by field.
  Work cur = w;
  auto peel = [&](auto field_ptr, const auto& inside, const auto& outside_nonempty, const auto& outside) {
    if (outside_nonempty) {
      Work out = cur;
      out.box.*field_ptr = outside;
      rest.push_back(std::move(out));
    }
    cur.box.*field_ptr = inside;
  };
  if (m.proto) {
    ProtoSet outside = b.proto & ~*m.proto;
    peel(&Box::proto, proto_in, outside.any(), outside);
  }
  if (split_dport) {
    PortSet outside = cur.box.dport.subtract(dport_in);
    peel(&Box::dport, dport_in, !outside.empty(), outside);
  }
  if (m.sport) {
    PortSet outside = cur.box.sport.subtract(sport_in);
    peel(&Box::sport, sport_in, !outside.empty(), outside);
  }
  if (split_dst) {
    AddrIntervals outside = cur.box.dst.subtract(dst_in);
    peel(&Box::dst, dst_in, !outside.empty(), outside);
  }
  if (m.src) {
    AddrIntervals outside = cur.box.src.subtract(src_in);
    peel(&Box::src, src_in, !outside.empty(), outside);
  }
  if (m.in_iface) {
    IfaceSet outside = cur.box.in_iface & ~in_in;
    peel(&Box::in_iface, in_in, outside.any(), outside);
  }
  if (m.out_iface) {
    IfaceSet outside = cur.box.out_iface & ~out_in;
    peel(&Box::out_iface, out_in, outside.any(), outside);
  }
  if (m.state) {
    CtStateSet outside = cur.box.state & ~state_in;
    peel(&Box::state, state_in, outside.any(), outside);
  }
  matched = std::move(cur);
  return maybe ? Overlap::Maybe : Overlap::Some;
}

class Evaluator {
 public:
  Evaluator(const Ruleset& rs, const EvalOptions& opts, EvalResult& result)
      : rs_(rs), opts_(opts), result_(result) {}

  ChainOutcome run_chain(int chain_index, std::size_t start, std::vector<Work> live) {
    ChainOutcome out;
    const Chain& chain = rs_.chains[static_cast<std::size_t>(chain_index)];
    stack_.push_back(chain_index);
    std::vector<Work> next;
    for (std::size_t i = start; i < chain.rules.size() && !live.empty(); ++i) {
      const Rule& rule = chain.rules[i];
      if (rule.action.kind == ActionKind::Continue || &rule == opts_.skip_rule) continue;
      if (opts_.skip_if && opts_.skip_if(rule)) continue;
      if (live.size() > opts_.max_pieces) {
        result_.truncated = true;
        result_.problems.push_back(fmt::format(
            "the region split into more than {} pieces in chain {}; the rest is undetermined",
            opts_.max_pieces, chain.name));
        for (auto& w : live) out.decided.push_back({std::move(w), Verdict::Undetermined, {&rule, nullptr, {}}});
        live.clear();
        break;
      }
      next.clear();
      next.reserve(live.size());
      for (auto& w : live) {
        Work matched;
        Overlap ov = split(w, rule.match, matched, next);
        if (ov == Overlap::None) {
          next.push_back(std::move(w));
          continue;
        }
        bool maybe = ov == Overlap::Maybe || rule.match.has_unknown();
        if (opts_.on_match) opts_.on_match(rule);
        if (maybe && !matched.maybe_rule) matched.maybe_rule = &rule;
        apply(rule, chain_index, i, std::move(matched), maybe, next, out);
      }
      live.swap(next);
    }
    for (auto& w : live) out.returned.push_back(std::move(w));
    stack_.pop_back();
    return out;
  }

  std::vector<Piece> run_pipeline(const Pipeline& p, const Box& query) {
    std::vector<Work> pieces;
    pieces.push_back(Work{query, {}, 0, nullptr, {}});
    std::vector<Piece> final_pieces;
    auto finish = [&](Work& w, Verdict v, const Decider& d) {
      Piece piece;
      piece.box = std::move(w.box);
      piece.decider = d;
      piece.verdict = v;
      if (v == Verdict::Deny && (w.maybe & kMaybeAccept)) piece.verdict = Verdict::Undetermined;
      if (v == Verdict::Accept && (w.maybe & kMaybeDeny)) piece.verdict = Verdict::Undetermined;
      if (piece.verdict == Verdict::Undetermined)
        piece.uncertain_by = w.maybe_rule ? w.maybe_rule : d.rule;
      final_pieces.push_back(std::move(piece));
    };
    for (const Stage& stage : p.stages) {
      const Chain& chain = rs_.chains[static_cast<std::size_t>(stage.chain)];
      ChainOutcome out = run_chain(stage.chain, 0, std::move(pieces));
      pieces.clear();
      Decider policy_decider{nullptr, &chain, {}};
      Verdict policy = Verdict::Accept;
      if (chain.policy == PolicyKind::Deny) policy = Verdict::Deny;
      for (auto& w : out.returned) out.decided.push_back({std::move(w), policy, policy_decider});
      for (auto& d : out.decided) {
        bool passes = d.verdict == Verdict::Accept || (stage.nat && d.verdict != Verdict::Deny &&
                                                        d.verdict != Verdict::Undetermined);
        if (passes) {
          Work w = std::move(d.work);
          w.maybe &= static_cast<std::uint8_t>(~kMaybeAccept);
          if (!stage.nat && (d.decider.rule || !w.accept_decider.rule)) w.accept_decider = d.decider;
          pieces.push_back(std::move(w));
        } else {
          finish(d.work, d.verdict, d.decider);
        }
      }
    }
    for (auto& w : pieces) {
      Decider d = w.accept_decider;
      if (!d.rule && !d.policy) d.implicit = "no chain filters this path";
      finish(w, Verdict::Accept, d);
    }
    return final_pieces;
  }

 private:
  bool on_stack(int chain) const {
    for (int c : stack_)
      if (c == chain) return true;
    return false;
  }

  // Evaluates a call into `target` for w; false when the call cannot be followed.
  bool can_call(const Rule& rule) {
    int target = rule.action.target_chain;
    if (target < 0) {
      result_.problems.push_back(fmt::format("{}:{}: jump to a chain that does not exist ({})",
                                             rule.span.file, rule.span.line, rule.action.label));
      return false;
    }
    if (on_stack(target)) {
      result_.problems.push_back(fmt::format("{}:{}: jump loop: chain {} is already being evaluated",
                                             rule.span.file, rule.span.line,
                                             rs_.chains[static_cast<std::size_t>(target)].name));
      return false;
    }
    if (stack_.size() >= opts_.max_call_depth) {
      result_.problems.push_back(fmt::format("{}:{}: chain calls nested deeper than {}", rule.span.file,
                                             rule.span.line, opts_.max_call_depth));
      return false;
    }
    return true;
  }

  void apply(const Rule& rule, int chain_index, std::size_t rule_pos, Work m, bool maybe,
             std::vector<Work>& next, ChainOutcome& out) {
    Decider here{&rule, nullptr, {}};
    auto tag = [&](Work& w, Verdict v) {
      w.maybe |= maybe_bits(v);
      if (!w.maybe_rule) w.maybe_rule = &rule;
    };
    switch (rule.action.kind) {
      case ActionKind::Continue:
        next.push_back(std::move(m));
        return;
      case ActionKind::Accept:
      case ActionKind::Deny:
      case ActionKind::Unknown: {
        Verdict v = rule.action.kind == ActionKind::Accept ? Verdict::Accept
                    : rule.action.kind == ActionKind::Deny ? Verdict::Deny
                                                           : Verdict::Undetermined;
        if (maybe) {
          tag(m, v);
          next.push_back(std::move(m));
        } else {
          if (v == Verdict::Undetermined && !m.maybe_rule) m.maybe_rule = &rule;
          out.decided.push_back({std::move(m), v, here});
        }
        return;
      }
      case ActionKind::Jump:
      case ActionKind::Goto: {
        bool is_goto = rule.action.kind == ActionKind::Goto;
        if (!can_call(rule)) {
          if (!m.maybe_rule) m.maybe_rule = &rule;
          out.decided.push_back({std::move(m), Verdict::Undetermined, here});
          return;
        }
        std::vector<Work> one;
        one.push_back(std::move(m));
        ChainOutcome sub = run_chain(rule.action.target_chain, 0, std::move(one));
        for (auto& d : sub.decided) {
          if (maybe) {
            tag(d.work, d.verdict);
            next.push_back(std::move(d.work));
          } else {
            out.decided.push_back(std::move(d));
          }
        }
        for (auto& w : sub.returned) {
          if (!is_goto) {
            next.push_back(std::move(w));
          } else if (maybe) {
            // Either returned to our caller or continued here: we cannot tell which.
            tag(w, Verdict::Undetermined);
            next.push_back(std::move(w));
          } else {
            out.returned.push_back(std::move(w));
          }
        }
        return;
      }
      case ActionKind::Return: {
        if (!maybe) {
          out.returned.push_back(std::move(m));
          return;
        }
        // Either it returns now, or the rest of this chain decides it (or returns later).
        std::vector<Work> one;
        one.push_back(std::move(m));
        stack_.pop_back();  // run_chain pushes this chain again
        ChainOutcome rest = run_chain(chain_index, rule_pos + 1, std::move(one));
        stack_.push_back(chain_index);
        for (auto& d : rest.decided) {
          tag(d.work, d.verdict);
          out.returned.push_back(std::move(d.work));
        }
        for (auto& w : rest.returned) out.returned.push_back(std::move(w));
        return;
      }
      case ActionKind::Rewrite: {
        if (maybe) {
          tag(m, Verdict::Undetermined);
          next.push_back(std::move(m));
          return;
        }
        if (rule.action.new_dport) m.rewrites.dport = *rule.action.new_dport;
        if (rule.action.new_daddr) m.rewrites.dst = rule.action.new_daddr->of(m.box.family);
        out.decided.push_back({std::move(m), Verdict::Accept, here});
        return;
      }
      case ActionKind::SetState: {
        if (maybe) {
          tag(m, Verdict::Undetermined);
        } else if (rule.action.new_state) {
          m.box.state = *rule.action.new_state;
        }
        next.push_back(std::move(m));
        return;
      }
    }
  }

  const Ruleset& rs_;
  const EvalOptions& opts_;
  EvalResult& result_;
  std::vector<int> stack_;
};

}  // namespace

PortVerdicts port_verdicts(const std::vector<Piece>& pieces, const PortSet& universe) {
  PortSet not_accepted, undetermined, denied;
  for (const auto& piece : pieces) {
    if (piece.verdict != Verdict::Accept) not_accepted.add(piece.box.dport);
    if (piece.verdict == Verdict::Undetermined) undetermined.add(piece.box.dport);
    if (piece.verdict == Verdict::Deny) denied.add(piece.box.dport);
  }
  return {universe.subtract(not_accepted), undetermined.subtract(denied)};
}

EvalResult evaluate(const Ruleset& ruleset, const Pipeline& pipeline, const Box& query,
                    const EvalOptions& options) {
  EvalResult result;
  if (query.empty()) return result;
  Evaluator ev(ruleset, options, result);
  result.pieces = ev.run_pipeline(pipeline, query);
  return result;
}

}  // namespace fwm
