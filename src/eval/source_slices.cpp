#include "eval/source_slices.h"

#include <algorithm>
#include <atomic>
#include <optional>

#include "ir/rule_index.h"
#include "ir/ruleset.h"
#include "util/two_threads.h"

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

namespace {

// Slices first..last (of the plan `starts`) one after the other into `out`, each with the
// budget of pieces `budget` leaves (all of it, or what the pieces before it left). False
// when a slice was cut short (then the rest is not evaluated).
bool evaluate_slices(const Ruleset& ruleset, const Pipeline& pipeline, const Box& query, EvalOptions slice_options,
                     const std::vector<u128>& starts, std::size_t first, std::size_t last, std::size_t budget,
                     bool budget_shared, EvalResult& out) {
  for (std::size_t s = first; s <= last; ++s) {
    const u128 lo = starts[s], hi = s + 1 < starts.size() ? starts[s + 1] - 1 : family_max(query.family);
    Box part = query;
    part.src = query.src.intersect(AddrIntervals(lo, hi));
    if (part.src.empty()) continue;
    slice_options.max_pieces = !budget_shared ? budget : budget > out.pieces.size() ? budget - out.pieces.size() : 1;
    EvalResult slice = evaluate(ruleset, pipeline, part, slice_options);
    out.by_bdds = out.by_bdds || slice.by_bdds;
    out.pieces.insert(out.pieces.end(), std::make_move_iterator(slice.pieces.begin()),
                      std::make_move_iterator(slice.pieces.end()));
    for (auto& problem : slice.problems)
      if (std::find(out.problems.begin(), out.problems.end(), problem) == out.problems.end())
        out.problems.push_back(std::move(problem));
    if (slice.truncated) {  // the limit holds for all slices: the rest is not evaluated
      out.truncated = true;
      return false;
    }
  }
  return true;
}

// The slices on two threads, a run of kSlicesPerTask at a time, each slice with half the
// budget. Nothing when a slice was cut short or the pieces are more than half the budget:
// the caller then evaluates one slice after the other, so that limits cut exactly where
// they would (each slice one after the other has at least half the budget left when all
// slices together hold no more than half, and an evaluation that is not cut short with
// less budget gives the same answer with more).
std::optional<EvalResult> evaluate_slices_on_two_threads(const Ruleset& ruleset, const Pipeline& pipeline,
                                                         const Box& query, const EvalOptions& slice_options,
                                                         const SourceSlicesMet& met) {
  constexpr std::size_t kSlicesPerTask = 8;
  const std::size_t tasks = (met.count() + kSlicesPerTask - 1) / kSlicesPerTask;
  const std::size_t half_budget = std::max<std::size_t>(1, slice_options.max_pieces / 2);
  std::vector<EvalResult> parts(tasks);
  std::atomic<bool> cut_short{false};
  for_each_index_on_two_threads(tasks, true, [&](std::size_t t) {
    if (cut_short.load(std::memory_order_relaxed)) return;
    const std::size_t first = met.first + t * kSlicesPerTask;
    const std::size_t last = std::min(met.last, first + kSlicesPerTask - 1);
    if (!evaluate_slices(ruleset, pipeline, query, slice_options, *met.starts, first, last, half_budget,
                         /*budget_shared=*/false, parts[t]))
      cut_short = true;
  });
  if (cut_short) return std::nullopt;
  EvalResult out;
  std::size_t pieces = 0;
  for (const EvalResult& part : parts) pieces += part.pieces.size();
  if (pieces > half_budget) return std::nullopt;
  out.pieces.reserve(pieces);
  for (EvalResult& part : parts) {
    out.by_bdds = out.by_bdds || part.by_bdds;
    out.pieces.insert(out.pieces.end(), std::make_move_iterator(part.pieces.begin()),
                      std::make_move_iterator(part.pieces.end()));
    part.pieces = {};
    for (auto& problem : part.problems)
      if (std::find(out.problems.begin(), out.problems.end(), problem) == out.problems.end())
        out.problems.push_back(std::move(problem));
  }
  return out;
}

}  // namespace

EvalResult evaluate_in_source_slices(const Ruleset& ruleset, const Pipeline& pipeline, const Box& query,
                                     const EvalOptions& options, const SourceSlicesMet& met) {
  EvalOptions slice_options = options;
  slice_options.engine = EvalEngine::Auto;
  slice_options.source_slice_rules = 0;
  slice_options.slice_threads = 1;
  // Calls from different slices differ in their sources, which the chains that make
  // slicing pay look at: a memo would keep every slice's calls and find none again (the
  // 10k chains-by-source file: 337 MB instead of 120).
  slice_options.memo = nullptr;
  if (options.slice_threads >= 2 && met.count() >= kMinSlicesForTwoThreads)
    if (auto on_two = evaluate_slices_on_two_threads(ruleset, pipeline, query, slice_options, met)) return *on_two;
  EvalResult out;
  evaluate_slices(ruleset, pipeline, query, slice_options, *met.starts, met.first, met.last, options.max_pieces,
                  /*budget_shared=*/true, out);
  return out;
}

}  // namespace fwm
