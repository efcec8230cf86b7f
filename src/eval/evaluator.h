// The region evaluator: partitions a query region by final verdict and remembers, for
// each piece, what decided it. Cost grows with rules and intervals, never with ports.
#pragma once

#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "eval/region.h"
#include "ir/ruleset.h"

namespace fwm {

enum class Verdict { Accept, Deny, Undetermined };
const char* verdict_name(Verdict v);

struct Piece {
  Box box;  // in terms of the original query (before any rewrite)
  Verdict verdict = Verdict::Deny;
  Decider decider;                     // the rule / policy that gave the final verdict
  const Rule* uncertain_by = nullptr;  // for Undetermined: the first rule whose condition is unknown
};

// Results of calls into large chains, shared by the evaluations of one analysis (safe to
// use from several threads): the rule anomaly surveys and the open-path evaluations each
// walk kube-proxy's service chain from nat PREROUTING with pieces that differ only in
// fields no rule of that chain looks at, so the walk is done once and its result reused.
class ChainCallMemo;
std::shared_ptr<ChainCallMemo> make_chain_call_memo();
class RuleIndex;

// Which evaluator answers (docs/architecture.md, "Two engines"). Boxes: the box
// evaluator, which names the first unknown condition of each undetermined piece
// (Piece::uncertain_by). Diagrams: the diagram evaluator (bdd_evaluator.h), whose cost
// does not multiply with the cuts rules make on different fields. Auto: the box
// evaluator while its work stays within box_work_budget, the diagram evaluator past it
// (or the box evaluator without a budget where diagrams cannot model a rewrite).
enum class EvalEngine { Boxes, Diagrams, Auto };

struct EvalOptions {
  EvalEngine engine = EvalEngine::Boxes;
  // For EvalEngine::Auto: the pieces the box evaluator may cut (rule by rule) before it
  // gives up for the diagram evaluator; 0: one per rule of the ruleset plus 20,000.
  std::size_t box_work_budget = 0;
  // For EvalEngine::Auto: once the box evaluator gave up on a ruleset, go to the diagram
  // evaluator at once (RuleIndex::boxes_fragment()). Off for many small evaluations of narrow
  // regions (the redundancy checks), where boxes stay cheap.
  bool follow_fragmentation = true;
  std::size_t max_call_depth = 256;
  std::size_t max_pieces = 2'000'000;  // guard against fragmentation blow-ups
  // Rule-anomaly analysis: called for every rule that some packet of the region reaches
  // and matches (or may match); and a rule to treat as absent.
  std::function<void(const Rule&)> on_match;
  const Rule* skip_rule = nullptr;
  std::function<bool(const Rule&)> skip_if;  // further rules to treat as absent
  // Called for a rule skip_if treats as absent that some packet of the region reaches and
  // matches (or may match): whether it would be reached with the rules skip_if names
  // absent, for all of them in one evaluation.
  std::function<void(const Rule&)> on_skipped_match;
  // Visit only the rules of large chains that the rule index says can overlap a piece
  // (and cut pieces at the destinations of many rules). Off: walk every rule (tests
  // compare both).
  bool use_index = true;
  // Cut a piece at the destination boundaries of a chain's rules when at least this
  // many of them overlap it (and join the parts again afterwards). Off by default:
  // since pieces a rule narrows continue with candidate lists of their own and holes
  // are cut in place, cutting first only costs (a 1M-rule kube-proxy dump, 200,000
  // services: 12.8 s and 4.9 GB with it from 65,536 cuts, 5.6 s and 2.6 GB without).
  std::size_t min_cuts_to_split = std::numeric_limits<std::size_t>::max();
  // After a NAT stage, join the pieces whose destination it rewrote when no rule of the
  // later stages can tell their rewritten destinations apart (kube-proxy's endpoints,
  // one piece per service, all meet the filter table's rules alike). Verdicts, deciders
  // and the rules reached stay exact; a joined piece names only the first of its parts'
  // unknown rules as uncertain_by. For analyses that do not report that: the rule
  // anomaly surveys and the open-path evaluations of FWM020/FWM021.
  bool join_rewritten = false;
  // See ChainCallMemo; null: every call is evaluated. Not used when rules are skipped.
  std::shared_ptr<ChainCallMemo> memo;
  // For EvalEngine::Auto: a query spanning many sources is evaluated slice by slice of
  // the source address space, each slice meeting about this many rules with a source
  // condition (RuleIndex::source_slices(), source_slices.h); 0: never.
  std::size_t source_slice_rules = 16;
  // Source slices evaluated on two threads at once when 2 (and the query meets at least
  // kMinSlicesForTwoThreads of them): on_match must then be safe to call from both.
  std::size_t slice_threads = 1;
};

struct EvalResult {
  std::vector<Piece> pieces;
  std::vector<std::string> problems;  // jump cycles, depth or size limits hit
  bool truncated = false;
  bool by_bdds = false;  // answered by the diagram evaluator
};

// Destination ports accepted for every packet of the pieces' region (universal over all
// other fields), and those where no packet is denied but some are undetermined.
struct PortVerdicts {
  PortSet accepted;
  PortSet undetermined;
};
PortVerdicts port_verdicts(const std::vector<Piece>& pieces, const PortSet& universe);

// Why a jump or goto of `rule` cannot be followed from the chains on `stack` (the chain
// does not exist, a loop, calls nested deeper than `max_call_depth`), as the evaluators
// report it; empty when it can.
std::string call_problem(const Ruleset& rs, const Rule& rule, const std::vector<int>& stack,
                         std::size_t max_call_depth);

// Whether a jump to `target` from the chains on `stack` hands every packet back as it came
// (the call can be followed and every rule of the chain only counts, logs or marks): the
// evaluators do not walk it.
bool call_changes_nothing(const Ruleset& rs, const RuleIndex& index, int target, const std::vector<int>& stack,
                          std::size_t max_call_depth);

// Evaluates the path `pipeline` of `ruleset` for the packets of `query`.
EvalResult evaluate(const Ruleset& ruleset, const Pipeline& pipeline, const Box& query,
                    const EvalOptions& options = {});

}  // namespace fwm
