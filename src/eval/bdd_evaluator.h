// The region evaluator over packet-set diagrams (BuDDy): the box evaluator's semantics
// without its fragmentation. EvalOptions::engine chooses between the two.
#pragma once

#include <optional>
#include <string>

#include "eval/evaluator.h"

namespace fwm {

// Whether the diagram evaluator can evaluate a family's paths of a ruleset exactly as the
// box evaluator does, and whether a rewrite (DNAT) occurs, so that the original
// destination has to be kept apart from the one later rules see.
struct BddSupport {
  bool supported = true;
  bool rewrites = false;
  std::string why;  // when not supported
};
BddSupport bdd_support(const Ruleset& rs, Family family);

// Evaluates like evaluate() with the diagram evaluator; nullopt when bdd_support() says it
// cannot. Pieces are read back from the diagrams (one box per path through the fields),
// with Piece::uncertain_by the first unknown rule on their way as the box evaluator names
// it (with EvalOptions::join_rewritten, the deciding rule instead). Large chains are walked through the rule index (use_index) where no rewrite occurs;
// EvalOptions::memo, join_rewritten and min_cuts_to_split do not apply.
std::optional<EvalResult> evaluate_with_bdds(const Ruleset& rs, const Pipeline& pipeline, const Box& query,
                                             const EvalOptions& options);

}  // namespace fwm
