// Rule anomalies (after Al-Shaer and Hamed): rules that no packet reaches because earlier
// rules decide everything they match (shadowed), and rules whose removal changes no
// verdict (redundant). Computed with the region evaluator, never pairwise.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "eval/evaluator.h"

namespace fwm {

struct ShadowedRule {
  const Rule* rule;
  // What decides the packets it matches, the decider of the most packets first (empty
  // past AnomalyOptions::max_covering_lookups).
  std::vector<Decider> covered_by = {};
};

struct RedundantRule {
  const Rule* rule;
  Decider instead;  // what decides its packets when it is removed (the most of them)
  // Every decider of its packets when it is removed, `instead` first.
  std::vector<Decider> covered_by = {};
};

struct AnomalyReport {
  std::vector<ShadowedRule> shadowed;
  std::vector<RedundantRule> redundant;
  std::vector<const Chain*> unreachable_chains;  // user chains no path reaches
  bool cut_short = false;
  std::string cut_reason;
  // What stopped the evaluation of a whole path (a limit): rules no packet reaches are
  // then not reported for that path, since the survey did not see every rule.
  std::vector<std::string> survey_problems;
};

struct AnomalyOptions {
  // Budget of rules whose redundancy is checked (each costs one evaluation of the
  // region it decides). Above it the analysis stops and says so.
  std::size_t max_redundancy_checks = 50'000;
  // Shadowed rules whose covering rules are looked up (each among the pieces the survey
  // decided; fewer when they are very many).
  std::size_t max_covering_lookups = 5'000;
  // Limits of each evaluation the analysis runs (as EvalOptions).
  std::size_t max_call_depth = EvalOptions().max_call_depth;
  std::size_t max_pieces = EvalOptions().max_pieces;
  // Shared with the other evaluations of the same analysis (EvalOptions::memo).
  std::shared_ptr<ChainCallMemo> memo;
  // Called with each path's survey: the evaluation of every packet of the path (all
  // states and interfaces), for an analysis that needs a part of it (OpenPathEvaluations).
  std::function<void(const Pipeline&, const EvalResult&)> on_path_surveyed;
};

AnomalyReport find_anomalies(const Ruleset& rs, const AnomalyOptions& options = {});

}  // namespace fwm
