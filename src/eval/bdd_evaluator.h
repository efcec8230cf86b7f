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
// cannot. Pieces are read back from the diagrams (one box per path through the fields);
// Piece::uncertain_by is the deciding rule, not the first unknown condition on the way
// (for analyses that do not report it: EvalOptions::join_rewritten). EvalOptions::memo,
// use_index and min_cuts_to_split do not apply.
std::optional<EvalResult> evaluate_with_bdds(const Ruleset& rs, const Pipeline& pipeline, const Box& query,
                                             const EvalOptions& options);

}  // namespace fwm
