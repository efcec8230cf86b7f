#include "eval/anomalies.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "util/timing.h"
#include "util/two_threads.h"

namespace fwm {

namespace {

// Every packet of one family on a path: all states, all interfaces (loopback too).
// Fewer redundancy checks than this are made on one thread.
constexpr std::size_t kMinChecksForTwoThreads = 64;

Box whole_region(const Ruleset& rs, Family f) {
  Box q = Box::everything(f, rs.ifaces.size());
  q.state = ct_all();
  return q;
}

bool decides(const Rule& r) { return r.action.kind == ActionKind::Accept || r.action.kind == ActionKind::Deny; }

// For a chain whose action classes are unordered sets: whether `rule`, which no packet
// reaches, is kept from deciding by rules of its own action (then it is redundant, and
// the returned decider is one of them) rather than by rules of another action.
// EvalOptions with the analysis' limits.
EvalOptions limited(const AnomalyOptions& options) {
  EvalOptions opts;
  opts.max_call_depth = options.max_call_depth;
  opts.max_pieces = options.max_pieces;
  return opts;
}

// The packets each decider decides, added piece by piece; main() is the decider of the
// most packets (the first in ruleset order among equals): the same whichever way an
// evaluation cut the region. Empty when nothing was added.
class DeciderShares {
 public:
  void add(const Piece& p) {
    auto& [decider, packets] = shares_[{p.decider.rule, p.decider.policy}];
    decider = p.decider;
    packets += packet_count(p.box);
  }
  Decider main() const {
    auto all = ranked();
    return all.empty() ? Decider{} : all.front();
  }
  // Every decider, the most packets first (among equals, ruleset order).
  std::vector<Decider> ranked() const {
    auto order = [](const Decider& d) {
      return d.rule ? std::make_pair(d.rule->chain, d.rule->index) : std::make_pair(INT_MAX, INT_MAX);
    };
    std::vector<std::pair<Decider, long double>> all;
    for (const auto& [key, entry] : shares_) all.push_back(entry);
    std::sort(all.begin(), all.end(), [&](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : order(a.first) < order(b.first);
    });
    std::vector<Decider> out;
    for (auto& [d, packets] : all) out.push_back(d);
    return out;
  }

 private:
  std::map<std::pair<const Rule*, const Chain*>, std::pair<Decider, long double>> shares_;
};

// The region a rule's match covers (its known conditions), within every packet of a path.
Box match_region(const Ruleset& rs, const Rule& rule, Family f) {
  Box b = whole_region(rs, f);
  const Match& m = rule.match;
  if (m.proto) b.proto &= *m.proto;
  if (m.src) b.src = b.src.intersect(m.src->of(f));
  if (m.dst) b.dst = b.dst.intersect(m.dst->of(f));
  if (m.sport) b.sport = b.sport.intersect(*m.sport);
  if (m.dport) b.dport = b.dport.intersect(*m.dport);
  if (m.in_iface) b.in_iface &= *m.in_iface;
  if (m.out_iface) b.out_iface &= *m.out_iface;
  if (m.state) b.state &= *m.state;
  return b;
}

// For chains whose action classes are unordered sets: of the deciding rules `unreached`
// (no packet reaches them), those that some packet reaches once the other rules of their
// own action are absent (they are kept from deciding by their own class: redundant), with
// one of those rules that decides their packets instead. One evaluation per chain, action
// and path, with every rule of that action absent: a rule is reached then when a packet
// still live where it stands meets it.
std::map<const Rule*, std::vector<Decider>> covered_by_own_class(const Ruleset& rs,
                                                                 const std::vector<const Rule*>& unreached,
                                                                 const AnomalyOptions& options) {
  std::map<std::pair<int, ActionKind>, std::vector<const Rule*>> groups;
  for (const Rule* r : unreached) groups[{r->chain, r->action.kind}].push_back(r);
  std::map<const Rule*, std::vector<Decider>> out;
  for (const auto& [key, rules] : groups) {
    const int chain = key.first;  // (clang 14 cannot capture structured bindings)
    const ActionKind kind = key.second;
    std::set<const Rule*> wanted(rules.begin(), rules.end()), reached;
    for (const auto& p : rs.pipelines) {
      bool on_path = false;
      for (const auto& s : p.stages)
        if (s.chain == chain) on_path = true;
      if (!on_path) continue;
      EvalOptions without_class = limited(options);
      without_class.engine = EvalEngine::Auto;
      without_class.join_rewritten = true;  // reached rules only
      without_class.skip_if = [chain, kind](const Rule& other) {
        return other.chain == chain && other.action.kind == kind;
      };
      without_class.on_skipped_match = [&](const Rule& r) {
        if (wanted.count(&r)) reached.insert(&r);
      };
      (void)evaluate(rs, p, whole_region(rs, p.family), without_class);
      for (const Rule* r : rules) {
        if (!reached.count(r) || out.count(r)) continue;
        // With its class back, its peers decide its packets: the one that decides most.
        DeciderShares peers;
        for (const Piece& piece : evaluate(rs, p, match_region(rs, *r, p.family), limited(options)).pieces) {
          const Rule* by = piece.decider.rule;
          if (by && by != r && by->chain == chain && by->action.kind == kind) peers.add(piece);
        }
        std::vector<Decider> instead = peers.ranked();
        if (instead.empty()) {
          instead.push_back({});
          instead.front().implicit = "other rules of the same action (their order does not matter)";
        }
        out[r] = std::move(instead);
      }
    }
  }
  return out;
}

// Flags per rule of a ruleset, by chain and position (the evaluator reports a match for
// every piece that meets a rule: a flag is far cheaper to set than a set to grow).
class RuleFlags {
 public:
  explicit RuleFlags(const Ruleset& rs) : chains_(rs.chains.size()) {
    std::size_t slots = 0;
    for (std::size_t c = 0; c < rs.chains.size(); ++c) {
      chains_[c] = {rs.chains[c].rules.data(), slots};
      slots += rs.chains[c].rules.size();
    }
    flags_.assign(slots, 0);
  }
  // Safe from several threads at once (the survey's slices on two threads).
  void set(const Rule& r) { std::atomic_ref<std::uint8_t>(flags_[slot(r)]).store(1, std::memory_order_relaxed); }
  bool test(const Rule& r) const { return flags_[slot(r)] != 0; }
  void merge(const RuleFlags& other) {
    for (std::size_t i = 0; i < flags_.size(); ++i) flags_[i] |= other.flags_[i];
  }

 private:
  // (From one entry per chain rather than from its Chain: the survey asks for every rule a
  // piece meets, and this array stays in cache where the chains would not.)
  std::size_t slot(const Rule& r) const {
    const ChainSlots& c = chains_[static_cast<std::size_t>(r.chain)];
    return c.first_slot + static_cast<std::size_t>(&r - c.first_rule);
  }
  struct ChainSlots {
    const Rule* first_rule = nullptr;
    std::size_t first_slot = 0;
  };
  std::vector<ChainSlots> chains_;
  std::vector<std::uint8_t> flags_;
};

// What the whole-region evaluation of one path found.
struct PathSurvey {
  explicit PathSurvey(const Ruleset& rs) : hit(rs), reached_chains(rs.chains.size(), 0) {}
  RuleFlags hit;
  std::vector<std::uint8_t> reached_chains;          // per chain
  std::vector<std::pair<const Rule*, Box>> decided;  // pieces decided by a deciding rule
  bool complete = true;                              // false: a limit cut the evaluation short
  std::vector<std::string> problems;
};

PathSurvey survey_path(const Ruleset& rs, const Pipeline& p, const AnomalyOptions& options) {
  PathSurvey survey(rs);
  EvalOptions opts = limited(options);
  opts.join_rewritten = true;  // the survey keeps rules reached and deciders, never uncertain_by
  opts.engine = EvalEngine::Auto;
  opts.memo = options.memo;
  opts.on_match = [&survey](const Rule& r) {
    survey.hit.set(r);
    if ((r.action.kind == ActionKind::Jump || r.action.kind == ActionKind::Goto) && r.action.target_chain >= 0)
      std::atomic_ref<std::uint8_t>(survey.reached_chains[static_cast<std::size_t>(r.action.target_chain)])
          .store(1, std::memory_order_relaxed);
  };
  opts.slice_threads = 2;  // the flags above are set atomically
  for (const auto& stage : p.stages) survey.reached_chains[static_cast<std::size_t>(stage.chain)] = 1;
  auto result = evaluate(rs, p, whole_region(rs, p.family), opts);
  if (options.on_path_surveyed) options.on_path_surveyed(p, result);
  survey.complete = !result.truncated;
  for (auto& problem : result.problems)
    survey.problems.push_back(
        fmt::format("the survey of the {} {} path: {}", family_name(p.family), direction_name(p.direction), problem));
  for (auto& piece : result.pieces)
    if (piece.decider.rule && decides(*piece.decider.rule) && piece.verdict != Verdict::Undetermined)
      survey.decided.emplace_back(piece.decider.rule, std::move(piece.box));
  return survey;
}

// Surveys every path, one after the other. The surveys run on a core of their own while
// `check` evaluates the requirements and open paths on the other, and a large call shares
// its parts between both cores (run_chain_in_parts()): surveying two paths at once as
// well gave no time on two cores, and held a third evaluation's pieces (the 100k-rule
// dump: 8 MB more at the peak).
std::vector<PathSurvey> survey_paths(const Ruleset& rs, const AnomalyOptions& options) {
  std::vector<PathSurvey> surveys(rs.pipelines.size(), PathSurvey(rs));
  for (std::size_t i = 0; i < surveys.size(); ++i) surveys[i] = survey_path(rs, rs.pipelines[i], options);
  return surveys;
}

}  // namespace

AnomalyReport find_anomalies(const Ruleset& rs, const AnomalyOptions& options) {
  AnomalyReport report;
  RuleFlags hit(rs);
  // Pieces each deciding rule decides, per path; in ruleset order, so that a limit on the
  // redundancy checks keeps the same rules whatever the addresses of the rules in memory.
  struct RuleOrder {
    bool operator()(const Rule* a, const Rule* b) const {
      return std::make_pair(a->chain, a->index) < std::make_pair(b->chain, b->index);
    }
  };
  std::map<const Rule*, std::vector<std::pair<const Pipeline*, Box>>, RuleOrder> decided;
  std::vector<std::uint8_t> reached_chains(rs.chains.size(), 0);
  const bool timing = timing_enabled();
  auto lap_start = std::chrono::steady_clock::now();
  auto lap = [&](const char* what) {  // FWM_TIMING: this thread's phases
    if (!timing) return;
    const auto now = std::chrono::steady_clock::now();
    print_timing(what, std::chrono::duration<double>(now - lap_start).count());
    lap_start = now;
  };
  std::vector<PathSurvey> surveys = survey_paths(rs, options);
  lap("anomalies: survey of every path");
  // Chains on a path whose survey a limit cut short: some of their rules were never
  // walked, so "no packet reaches it" would be a guess.
  std::vector<std::uint8_t> surveyed_in_part(rs.chains.size(), 0);
  for (std::size_t i = 0; i < surveys.size(); ++i) {
    PathSurvey& survey = surveys[i];
    for (auto& problem : survey.problems)
      if (std::find(report.survey_problems.begin(), report.survey_problems.end(), problem) ==
          report.survey_problems.end())
        report.survey_problems.push_back(std::move(problem));
    if (!survey.complete) std::fill(surveyed_in_part.begin(), surveyed_in_part.end(), 1);
    hit.merge(survey.hit);
    for (std::size_t c = 0; c < reached_chains.size(); ++c) reached_chains[c] |= survey.reached_chains[c];
    for (auto& [rule, box] : survey.decided) decided[rule].push_back({&rs.pipelines[i], std::move(box)});
    survey.decided = {};  // its boxes are in `decided` now
  }
  // Chains that nothing jumps to are reported once, not rule by rule.
  std::vector<std::uint8_t> referenced(rs.chains.size(), 0);
  for (const auto& c : rs.chains)
    for (const auto& r : c.rules)
      if (r.action.target_chain >= 0) referenced[static_cast<std::size_t>(r.action.target_chain)] = 1;
  // Statements with a rule reached in a chain that restates rules (Chain::restates).
  std::set<std::tuple<std::string, int, int>> restated_reached;  // file, line, column
  for (const auto& c : rs.chains)
    if (c.restates)
      for (const auto& r : c.rules)
        if (hit.test(r)) restated_reached.emplace(r.span.file.str(), r.span.line, r.span.column);
  for (std::size_t i = 0; i < rs.chains.size(); ++i) {
    const Chain& c = rs.chains[i];
    if (c.restates) continue;  // its rules are reported where they are stated
    bool in_pipeline = reached_chains[i] != 0;
    if (!c.builtin && !referenced[i] && !c.rules.empty()) {
      report.unreachable_chains.push_back(&c);
      continue;
    }
    if (!in_pipeline && !c.builtin) continue;  // only reached through unreachable chains
    bool chain_on_a_path = false;
    for (const auto& p : rs.pipelines)
      for (const auto& s : p.stages)
        if (s.chain == static_cast<int>(i)) chain_on_a_path = true;
    if (c.builtin && !chain_on_a_path) continue;  // e.g. nat INPUT: no path of ours runs it
    if (surveyed_in_part[i]) continue;
    std::vector<const Rule*> unreached;
    for (const auto& r : c.rules)
      if (r.action.kind != ActionKind::Continue && !hit.test(r) && !r.match.never_by_packet_model &&
          (restated_reached.empty() || !restated_reached.count({r.span.file.str(), r.span.line, r.span.column})))
        unreached.push_back(&r);
    std::map<const Rule*, std::vector<Decider>> own_class;
    if (c.action_classes_unordered) {
      std::vector<const Rule*> deciding;
      for (const Rule* r : unreached)
        if (decides(*r)) deciding.push_back(r);
      own_class = covered_by_own_class(rs, deciding, options);
    }
    for (const Rule* r : unreached) {
      if (auto it = own_class.find(r); it != own_class.end()) {
        report.redundant.push_back({r, it->second.front(), it->second});
        continue;
      }
      report.shadowed.push_back({r});
    }
  }
  // What keeps each shadowed rule from deciding: the rules that decide the packets it
  // matches, from the pieces the surveys already decided (no evaluation of its own; a
  // rule of another table or chain may be it). Ranked by the new connections from other
  // hosts they decide (what the rule is usually written for: a loopback or
  // established-state rule before it decides a large part of its packets, but says little
  // about why it is never reached), then by all packets.
  std::size_t decided_pieces = 0;
  for (const auto& [by, pieces] : decided) decided_pieces += pieces.size();
  constexpr std::size_t kMaxPiecesLookedAt = 50'000'000;  // shadowed rules x decided pieces
  const std::size_t lookups = std::min({report.shadowed.size(), options.max_covering_lookups,
                                        kMaxPiecesLookedAt / std::max<std::size_t>(decided_pieces, 1)});
  for_each_index_on_two_threads(lookups, lookups >= kMinChecksForTwoThreads, [&](std::size_t k) {
    ShadowedRule& shadowed = report.shadowed[k];
    const Rule& rule = *shadowed.rule;
    DeciderShares typical_shares, shares;
    std::map<const Pipeline*, std::pair<Box, Box>> regions;  // per path: the rule's match, its typical part
    for (std::size_t i = 0; i < rs.pipelines.size(); ++i) {
      const Pipeline& p = rs.pipelines[i];
      // Only the paths that reach its chain, in a family it matches.
      if (!surveys[i].reached_chains[static_cast<std::size_t>(rule.chain)]) continue;
      if (!rule.match.families.test(static_cast<std::size_t>(p.family))) continue;
      Box region = match_region(rs, rule, p.family);
      Box typical = Box::everything(p.family, rs.ifaces.size());  // new connections
      for (std::size_t c = 0; c < rs.ifaces.size(); ++c)
        if (rs.ifaces.class_is_loopback(c)) {
          typical.in_iface.reset(c);
          typical.out_iface.reset(c);
        }
      regions[&p] = {region, typical};
    }
    for (const auto& [by, pieces] : decided) {
      if (by == &rule) continue;
      for (const auto& [pipeline, box] : pieces) {
        auto path = regions.find(pipeline);
        if (path == regions.end()) continue;
        const auto& [region, typical] = path->second;
        if ((box.proto & region.proto).none() || !box.dport.intersects(region.dport) || !box.src.intersects(region.src))
          continue;  // most pieces, cheaply
        auto part = intersect(box, region);
        if (!part) continue;
        const Decider d{by, nullptr, {}};
        shares.add({*part, Verdict::Accept, d, {}});
        if (auto common = intersect(*part, typical)) typical_shares.add({*common, Verdict::Accept, d, {}});
      }
    }
    shadowed.covered_by = typical_shares.ranked();
    for (const Decider& d : shares.ranked())
      if (std::find(shadowed.covered_by.begin(), shadowed.covered_by.end(), d) == shadowed.covered_by.end())
        shadowed.covered_by.push_back(d);
    // Those of its own verdict first: an earlier rule that does what it would do says
    // most about why it is never reached (a copy, or a wider rule).
    auto verdict_of = [](const Decider& d) {
      if (d.rule) return d.rule->action.kind;
      return d.policy && d.policy->policy == PolicyKind::Deny ? ActionKind::Deny : ActionKind::Accept;
    };
    std::stable_partition(shadowed.covered_by.begin(), shadowed.covered_by.end(),
                          [&](const Decider& d) { return verdict_of(d) == rule.action.kind; });
  });
  lap("anomalies: unreached rules");
  // Redundancy: evaluate what each deciding rule decides as if the rule were absent. The
  // checks are independent: two threads share them, and the results are taken in order.
  std::vector<const decltype(decided)::value_type*> to_check;
  for (const auto& entry : decided) {
    // Rules restated for some packets (Chain::restates) are checked where they are stated.
    if (entry.first->chain >= 0 && rs.chains[static_cast<std::size_t>(entry.first->chain)].restates) continue;
    if (to_check.size() == options.max_redundancy_checks) {
      report.cut_short = true;
      report.cut_reason =
          fmt::format("redundancy was checked for the first {} deciding rules only", options.max_redundancy_checks);
      break;
    }
    to_check.push_back(&entry);
  }
  std::vector<std::optional<std::vector<Decider>>> redundant_instead(to_check.size());
  for_each_index_on_two_threads(to_check.size(), to_check.size() >= kMinChecksForTwoThreads, [&](std::size_t k) {
    const auto& [rule, pieces] = *to_check[k];
    Verdict own = rule->action.kind == ActionKind::Accept ? Verdict::Accept : Verdict::Deny;
    bool same = true;
    DeciderShares instead;  // what decides its packets without it
    for (const auto& [pipeline, box] : pieces) {
      EvalOptions opts = limited(options);
      opts.join_rewritten = true;  // verdicts and deciders only
      opts.engine = EvalEngine::Auto;
      opts.follow_fragmentation = false;
      opts.skip_rule = rule;
      auto result = evaluate(rs, *pipeline, box, opts);
      for (const auto& piece : result.pieces) {
        if (piece.verdict != own) {
          same = false;
          break;
        }
        instead.add(piece);
      }
      if (!same) break;
    }
    if (same) {
      redundant_instead[k] = instead.ranked();
      if (redundant_instead[k]->empty()) redundant_instead[k]->push_back({});
    }
  });
  lap("anomalies: redundancy checks");
  for (std::size_t k = 0; k < to_check.size(); ++k)
    if (redundant_instead[k])
      report.redundant.push_back({to_check[k]->first, redundant_instead[k]->front(), *redundant_instead[k]});
  return report;
}

}  // namespace fwm
