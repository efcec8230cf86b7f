// Evaluating a query slice by slice of the source address space. On a host with many
// rules, each for its own source (per-tenant, per-service and blocklist rules), the
// packets still undecided after a rule carry a hole for every rule before it: a box list
// splits at every cut, a diagram grows by some 50 nodes a rule and each later rule's
// operations walk that large diagram at memory latency. Cut by source into slices that
// each meet a few dozen such rules, every evaluation stays small, and the slices'
// results together are the query's: a packet's fate does not depend on other packets,
// and no rule rewrites a source (docs/architecture.md, "Source slices").
#pragma once

#include "eval/evaluator.h"

namespace fwm {

// The slices of the ruleset's plan (RuleIndex::source_slices()) that a query meets: slice
// numbers first..last. None (count() 0) when slicing is off
// (EvalOptions::source_slice_rules) or does not pay on this ruleset.
struct SourceSlicesMet {
  const std::vector<u128>* starts = nullptr;  // the plan
  std::size_t first = 0, last = 0;
  std::size_t count() const { return starts ? last - first + 1 : 0; }
};
SourceSlicesMet source_slices_met(const Ruleset& ruleset, const Box& query, const EvalOptions& options);

// Before a query that meets several slices is cut, the box evaluator tries it whole with
// this work budget: a narrow query (one required port: a few rules of thousands) is
// cheaper whole than walked again in every slice, and a wide one shows it fragments
// within some milliseconds.
constexpr std::size_t kWholeQueryWorkBeforeSlices = 20'000;

// `query` evaluated slice by slice over the slices `met` (source_slices_met(), two or
// more). The pieces are the slices' pieces, in slice order; the limits of `options` hold
// for all slices together. Each slice is evaluated as EvalEngine::Auto evaluates; with
// EvalOptions::slice_threads 2, on two threads, with the same answer.
// Fewer slices than this are evaluated on one thread whatever EvalOptions::slice_threads.
constexpr std::size_t kMinSlicesForTwoThreads = 32;

EvalResult evaluate_in_source_slices(const Ruleset& ruleset, const Pipeline& pipeline, const Box& query,
                                     const EvalOptions& options, const SourceSlicesMet& met);

}  // namespace fwm
