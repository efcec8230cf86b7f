#include "eval/source_slices.h"

#include <algorithm>

#include "ir/rule_index.h"
#include "ir/ruleset.h"

namespace fwm {

SourceSlicesMet source_slices_met(const Ruleset& ruleset, const Box& query, const EvalOptions& options) {
  if (options.source_slice_rules == 0 || query.src.empty()) return {};
  const std::vector<u128>& starts =
      rule_index(ruleset)->source_slices(ruleset, query.family, options.source_slice_rules);
  if (starts.size() < 2) return {};
  auto slice_of = [&](u128 address) {
    return static_cast<std::size_t>(std::upper_bound(starts.begin(), starts.end(), address) - starts.begin()) - 1;
  };
  // From the slice holding the query's first source to the one holding its last.
  return {&starts, slice_of(query.src.intervals().front().lo), slice_of(query.src.intervals().back().hi)};
}

EvalResult evaluate_in_source_slices(const Ruleset& ruleset, const Pipeline& pipeline, const Box& query,
                                     const EvalOptions& options, const SourceSlicesMet& met) {
  const std::vector<u128>& starts = *met.starts;
  EvalOptions slice_options = options;
  slice_options.engine = EvalEngine::Auto;
  slice_options.source_slice_rules = 0;
  // Calls from different slices differ in their sources, which the chains that make
  // slicing pay look at: a memo would keep every slice's calls and find none again (the
  // 10k chains-by-source file: 337 MB instead of 120).
  slice_options.memo = nullptr;
  EvalResult out;
  for (std::size_t s = met.first; s <= met.last; ++s) {
    const u128 lo = starts[s], hi = s + 1 < starts.size() ? starts[s + 1] - 1 : family_max(query.family);
    Box part = query;
    part.src = query.src.intersect(AddrIntervals(lo, hi));
    if (part.src.empty()) continue;
    slice_options.max_pieces = options.max_pieces > out.pieces.size() ? options.max_pieces - out.pieces.size() : 1;
    EvalResult slice = evaluate(ruleset, pipeline, part, slice_options);
    out.by_bdds = out.by_bdds || slice.by_bdds;
    out.pieces.insert(out.pieces.end(), std::make_move_iterator(slice.pieces.begin()),
                      std::make_move_iterator(slice.pieces.end()));
    for (auto& problem : slice.problems)
      if (std::find(out.problems.begin(), out.problems.end(), problem) == out.problems.end())
        out.problems.push_back(std::move(problem));
    if (slice.truncated) {  // the limit holds for all slices: the rest is not evaluated
      out.truncated = true;
      break;
    }
  }
  return out;
}

}  // namespace fwm
