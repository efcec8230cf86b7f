// The region evaluator over packet-set diagrams (decision_diagram.h, packet_bdd.h): the box
// evaluator's semantics without its fragmentation. EvalOptions::engine chooses between
// the two.
#pragma once

#include <optional>

#include "eval/evaluator.h"

namespace fwm {

// Evaluates like evaluate() with the diagram evaluator; nullopt when the ruleset rewrites
// destinations of the query's family to several addresses or ports
// (RuleIndex::whole_ruleset()), which it does not model. Pieces are read back from the
// diagrams, one box per path through the fields. Piece::uncertain_by is the first unknown
// rule on the packets' way, as the box evaluator names it; with
// EvalOptions::join_rewritten (analyses that do not report it), the deciding rule. Large
// chains are walked through the rule index (use_index) where no rewrite occurs;
// EvalOptions::memo and min_cuts_to_split do not apply.
std::optional<EvalResult> evaluate_with_bdds(const Ruleset& rs, const Pipeline& pipeline, const Box& query,
                                             const EvalOptions& options);

}  // namespace fwm
