// An index of the rules of large chains by protocol, destination port, destination
// and source address, so that the evaluator only visits the rules that can
// overlap a piece of the query region (a requirement for TCP 5061 never walks
// 20,000 kube-proxy service rules for other ports). The index only narrows the
// candidates: the evaluator still splits a piece by every candidate's full
// match.
#pragma once

#include <array>
#include <atomic>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "ir/address.h"
#include "ir/interval_set.h"

namespace fwm {

struct Ruleset;
struct Chain;

// Positions (rule indices) whose interval intersects a query, in O(log n +
// answers): an interval tree laid out implicitly over the entries sorted by
// lower bound.
template <class T>
class IntervalStabber {
 public:
  struct Entry {
    T lo;
    T hi;
    int pos;
  };
  void add(T lo, T hi, int pos) { entries_.push_back({lo, hi, pos}); }
  void build();
  std::size_t size() const { return entries_.size(); }
  // Appends the entries that intersect `query` (with repeats when a rule has
  // several intervals). Returns false, with `out` partly filled, once more than
  // `limit` were found.
  bool collect(const IntervalSet<T>& query, std::vector<const Entry*>& out, std::size_t limit) const;

 private:
  T build_max(std::size_t l, std::size_t r);
  void stab(std::size_t l, std::size_t r, T lo, T hi, std::vector<const Entry*>& out, std::size_t limit) const;
  std::vector<Entry> entries_;
  std::vector<T> max_hi_;  // at the middle of [l, r): the largest hi in [l, r)
};

// What a piece of the region looks like to a chain's rules: the destination it
// is seen with (after a rewrite, the rewritten one).
struct IndexQuery {
  const std::bitset<256>* proto = nullptr;
  const IntervalSet<std::uint32_t>* dport = nullptr;
  const IntervalSet<u128>* dst = nullptr;
  const IntervalSet<u128>* src = nullptr;
  bool v6 = false;
};

// What the rules of a chain can match at all, in the fields the index looks at, through
// the chains it calls: a call whose chain has no rule for a packet hands it back unchanged.
// No value: any.
struct ChainReach {
  std::optional<IntervalSet<std::uint32_t>> dport;
  std::optional<std::bitset<256>> proto;
  std::optional<AddrSet> src;
  bool nothing = true;  // no rule that does more than count (the call changes nothing)
};

class ChainIndex {
 public:
  // `reach`: per chain of the ruleset; a call (not a goto) without a port or protocol of its
  // own is indexed by its chain's (RuleIndex::reach()).
  ChainIndex(const Chain& chain, const std::vector<ChainReach>& reach);
  // Rule positions >= start that can overlap the query, ascending. Always a
  // superset of the rules whose match intersects the query.
  std::vector<int> candidates(const IndexQuery& q, std::size_t start) const;

 private:
  std::vector<int> all_;  // every position the evaluator may visit
  std::vector<int> proto_wild_;
  std::array<std::vector<int>, 256> by_proto_;
  std::vector<int> dport_wild_;
  IntervalStabber<std::uint32_t> dport_;
  std::vector<int> dst_wild_;
  IntervalStabber<u128> dst_v4_, dst_v6_;
  std::vector<int> src_wild_;
  IntervalStabber<u128> src_v4_, src_v6_;
};

// Chains with at least this many rules are indexed; shorter ones are walked in
// full.
constexpr std::size_t kIndexedChainMinRules = 48;

class RuleIndex {
 public:
  explicit RuleIndex(const Ruleset& rs);
  // Null for chains too short to need an index.
  const ChainIndex* chain(int index) const {
    return static_cast<std::size_t>(index) < chains_.size() ? chains_[static_cast<std::size_t>(index)].get() : nullptr;
  }
  // Whether the index still describes rs: the same chains, and the indexed (large) chains
  // hold as many rules as when it was built. Cheap: evaluate() asks on every call, so it
  // does not look at every chain (20,000 on a kube-proxy host). Like whole_ruleset(), the
  // reach of short chains is kept until Ruleset::finalize() drops the index: a change to
  // a ruleset goes through finalize().
  bool fits(const Ruleset& rs) const;
  // Whether every rule of chain `chain` only counts, logs or marks (or it has none): a call
  // into it changes no packet's fate. Worked out once per chain and rule count, by
  // whichever evaluation asks first (from any thread): kube-proxy's service chains are
  // asked about by every evaluation that walks them.
  bool only_continue_rules(const Ruleset& rs, int chain) const;

  // Rules in all chains when the index was built.
  std::size_t rule_count() const { return rule_count_; }
  // Per chain: what its rules, and the chains they call, can match.
  const std::vector<ChainReach>& reach() const { return reach_; }
  // What the diagram evaluator needs to know of the whole ruleset, per family (0 IPv4, 1
  // IPv6): whether a rule rewrites destinations (DNAT, REDIRECT) and whether every such
  // rewrite is to one address and port; and whether any rule has an unknown condition.
  // Worked out by the first evaluation that asks.
  struct WholeRuleset {
    std::array<bool, 2> rewrites{}, rewrites_to_one_value{true, true};
    bool unknown_conditions = false;
    bool sets_state = false;  // some rule changes the conntrack state (NOTRACK)
  };
  const WholeRuleset& whole_ruleset(const Ruleset& rs) const;
  // Set once the box evaluator gave up on this ruleset (EvalEngine::Auto): later automatic
  // evaluations go to the diagram evaluator at once.
  bool boxes_fragment() const { return boxes_fragment_.load(std::memory_order_relaxed); }
  void note_boxes_fragment() const { boxes_fragment_.store(true, std::memory_order_relaxed); }

  // Where evaluate() cuts a query that spans many sources (eval/source_slices.cpp): the
  // first address of each of the contiguous source intervals ("slices") that partition
  // the family's address space, each meeting about `rules_per_slice` rules with a source
  // condition. Empty when cutting would not pay: few rules with a source condition, or
  // many rules without one (every slice walks those again). Worked out once per family
  // and size, by whichever evaluation asks first (from any thread).
  const std::vector<u128>& source_slices(const Ruleset& rs, Family f, std::size_t rules_per_slice) const;

 private:
  std::vector<std::unique_ptr<ChainIndex>> chains_;
  std::vector<std::pair<std::size_t, std::size_t>> indexed_sizes_;  // chain, rules when built
  std::vector<ChainReach> reach_;
  // Per chain: its rule count when worked out, times 4, plus 2 (only continue) or 1 (not);
  // 0 before.
  std::unique_ptr<std::atomic<std::uint64_t>[]> only_continue_;
  std::size_t rule_count_ = 0;
  mutable std::once_flag whole_ruleset_once_;
  mutable WholeRuleset whole_ruleset_;
  mutable std::atomic<bool> boxes_fragment_{false};
  mutable std::mutex source_slices_mutex_;
  mutable std::map<std::pair<Family, std::size_t>, std::vector<u128>> source_slices_;
};

// The ruleset's index, built on first use and kept with the ruleset
// (thread-safe).
std::shared_ptr<const RuleIndex> rule_index(const Ruleset& rs);

}  // namespace fwm
