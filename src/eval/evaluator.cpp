#include "eval/evaluator.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "eval/bdd_evaluator.h"
#include "eval/source_slices.h"
#include "ir/rule_index.h"
#include "util/two_threads.h"

namespace fwm {

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Accept:
      return "accept";
    case Verdict::Deny:
      return "deny";
    case Verdict::Undetermined:
      return "undetermined";
  }
  return "undetermined";
}

Box Box::everything(Family f, std::size_t iface_classes) {
  Box b;
  b.family = f;
  b.src = AddrIntervals(0, family_max(f));
  b.dst = AddrIntervals(0, family_max(f));
  for (std::size_t i = 0; i < iface_classes; ++i) {
    b.in_iface.set(i);
    b.out_iface.set(i);
  }
  return b;
}

bool Box::empty() const {
  return proto.none() || src.empty() || dst.empty() || sport.empty() || dport.empty() || in_iface.none() ||
         out_iface.none() || state.none();
}

long double packet_count(const Box& b, const PortSet* dports) {
  return static_cast<long double>(b.proto.count()) * static_cast<long double>(b.src.count()) *
         static_cast<long double>(b.dst.count()) * static_cast<long double>(b.sport.count()) *
         static_cast<long double>((dports ? *dports : b.dport).count()) * static_cast<long double>(b.in_iface.count()) *
         static_cast<long double>(b.out_iface.count()) * static_cast<long double>(b.state.count());
}

std::optional<Box> intersect(const Box& a, const Box& b) {
  if (a.family != b.family) return std::nullopt;
  Box out;
  out.family = a.family;
  out.proto = a.proto & b.proto;
  out.dport = a.dport.intersect(b.dport);
  out.sport = a.sport.intersect(b.sport);
  out.src = a.src.intersect(b.src);
  out.dst = a.dst.intersect(b.dst);
  out.in_iface = a.in_iface & b.in_iface;
  out.out_iface = a.out_iface & b.out_iface;
  out.state = a.state & b.state;
  if (out.empty()) return std::nullopt;
  return out;
}

namespace {

constexpr std::uint8_t kMaybeAccept = 1;
constexpr std::uint8_t kMaybeDeny = 2;

std::uint8_t maybe_bits(Verdict v) {
  switch (v) {
    case Verdict::Accept:
      return kMaybeAccept;
    case Verdict::Deny:
      return kMaybeDeny;
    case Verdict::Undetermined:
      return kMaybeAccept | kMaybeDeny;
  }
  return kMaybeAccept | kMaybeDeny;
}

// A piece of the region on its way through the rules.
struct Work {
  Box box;
  // What a DNAT/REDIRECT rewrote; null when nothing was. Shared by the parts of a piece
  // (set once per rewrite, never changed in place): most pieces carry none.
  std::shared_ptr<const Rewrites> rewrites;
  std::uint8_t maybe = 0;            // verdicts another branch of an unknown condition gave
  const Rule* maybe_rule = nullptr;  // the first unknown rule on this piece's path
  Decider accept_decider;            // the rule that accepted it in an earlier stage

  const PortSet* rewritten_dport() const { return rewrites && rewrites->dport ? &*rewrites->dport : nullptr; }
  const AddrIntervals* rewritten_dst() const { return rewrites && rewrites->dst ? &*rewrites->dst : nullptr; }
};

struct Decided {
  Work work;
  Verdict verdict;
  Decider decider;
};

struct ChainOutcome {
  std::vector<Decided> decided;
  std::vector<Work> returned;
};

// Room in `v` for `more` elements: exactly that when it has to grow by more than it
// holds (a call's thousands of pieces handed on at once), else the usual doubling. A
// vector grown by doubling to 20,000 pieces of about 300 bytes keeps 3 MB unused and
// holds both buffers while it moves.
template <class T>
void make_room(std::vector<T>& v, std::size_t more) {
  const std::size_t needed = v.size() + more;
  if (needed <= v.capacity()) return;
  v.reserve(more > v.size() ? needed : std::max(needed, 2 * v.capacity()));
}

enum class Overlap { None, Some, Maybe };

// Whether w meets the match m at all, without allocating: every constrained field must
// intersect. Maybe when the match depends on a rewritten field that only partly
// overlaps (the rewrite picks one value we cannot know). Tells split() which destination
// fields it has to cut (those not rewritten).
Overlap overlap(const Work& w, const Match& m, bool& split_dport, bool& split_dst) {
  const Box& b = w.box;
  if (m.never || !m.families.test(static_cast<std::size_t>(b.family))) return Overlap::None;
  bool maybe = false;
  if (m.proto && (b.proto & *m.proto).none()) return Overlap::None;
  split_dport = false;
  if (m.dport) {
    if (const PortSet* rewritten = w.rewritten_dport()) {
      const auto& seen = *rewritten;
      if (!seen.intersects(*m.dport)) return Overlap::None;
      if (!seen.subset_of(*m.dport)) maybe = true;
    } else {
      if (!b.dport.intersects(*m.dport)) return Overlap::None;
      split_dport = true;
    }
  }
  if (m.sport && !b.sport.intersects(*m.sport)) return Overlap::None;
  split_dst = false;
  if (m.dst) {
    const auto& want = m.dst->of(b.family);
    if (const AddrIntervals* rewritten = w.rewritten_dst()) {
      const auto& seen = *rewritten;
      if (!seen.intersects(want)) return Overlap::None;
      if (!seen.subset_of(want)) maybe = true;
    } else {
      if (!b.dst.intersects(want)) return Overlap::None;
      split_dst = true;
    }
  }
  if (m.src && !b.src.intersects(m.src->of(b.family))) return Overlap::None;
  if (m.in_iface && (b.in_iface & *m.in_iface).none()) return Overlap::None;
  if (m.out_iface && (b.out_iface & *m.out_iface).none()) return Overlap::None;
  if (m.state && (b.state & *m.state).none()) return Overlap::None;
  return maybe ? Overlap::Maybe : Overlap::Some;
}

// Splits w by the rule match m: `matched` receives the part inside m, `rest` the parts
// outside; returns what overlap() says. w is left untouched when None, moved from
// otherwise (a piece with a long list of holes is not copied once per rule that cuts it).
Overlap split(Work& w, const Match& m, Work& matched, std::vector<Work>& rest) {
  bool split_dport = false, split_dst = false;
  const Overlap found = overlap(w, m, split_dport, split_dst);
  if (found == Overlap::None) return found;

  // Peel off the parts outside the match, field by field. A field the box already lies
  // inside costs no copy.
  const Family family = w.box.family;  // w is moved from below
  Work cur = std::move(w);
  auto peel_set = [&](auto field_ptr, const auto& want) {
    auto& field = cur.box.*field_ptr;
    if (field.subset_of(want)) return;
    // The part outside may be long (a piece with one hole per service): it is cut in
    // place and moved, never copied.
    auto outside = std::move(field);
    field = outside.intersect(want);
    outside.subtract_in_place(want);
    Work out = cur;
    out.box.*field_ptr = std::move(outside);
    rest.push_back(std::move(out));
  };
  auto peel_bits = [&](auto field_ptr, const auto& want) {
    auto& field = cur.box.*field_ptr;
    auto outside = field & ~want;
    if (outside.none()) return;
    Work out = cur;
    out.box.*field_ptr = outside;
    rest.push_back(std::move(out));
    field &= want;
  };
  if (m.proto) peel_bits(&Box::proto, *m.proto);
  if (split_dport) peel_set(&Box::dport, *m.dport);
  if (m.sport) peel_set(&Box::sport, *m.sport);
  if (split_dst) peel_set(&Box::dst, m.dst->of(family));
  if (m.src) peel_set(&Box::src, m.src->of(family));
  if (m.in_iface) peel_bits(&Box::in_iface, *m.in_iface);
  if (m.out_iface) peel_bits(&Box::out_iface, *m.out_iface);
  if (m.state) peel_bits(&Box::state, *m.state);
  matched = std::move(cur);
  return found;
}

// Everything of a box but one address field (Box::dst or Box::src).
bool same_but(const Box& a, const Box& b, AddrIntervals Box::*free) {
  return a.family == b.family && a.proto == b.proto && (free == &Box::src || a.src == b.src) &&
         (free == &Box::dst || a.dst == b.dst) && a.sport == b.sport && a.dport == b.dport &&
         a.in_iface == b.in_iface && a.out_iface == b.out_iface && a.state == b.state;
}

std::size_t hash_but(const Box& b, AddrIntervals Box::*free) {
  std::size_t h = std::hash<std::bitset<256>>()(b.proto);
  auto mix = [&h](std::size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  mix(static_cast<std::size_t>(b.family));
  for (const auto& iv : b.dport.intervals()) mix(iv.lo * 65537u + iv.hi);
  for (const auto& iv : b.sport.intervals()) mix(iv.lo * 65537u + iv.hi);
  const AddrIntervals& kept = free == &Box::src ? b.dst : b.src;
  for (const auto& iv : kept.intervals()) mix(static_cast<std::size_t>(iv.lo ^ (iv.hi >> 3)));
  mix(std::hash<IfaceSet>()(b.in_iface));
  mix(std::hash<IfaceSet>()(b.out_iface));
  mix(b.state.to_ulong());
  return h;
}

bool same_rewrites(const Work& a, const Work& b) {
  auto same = [](const auto* x, const auto* y) { return x == y || (x && y && *x == *y); };
  return same(a.rewritten_dport(), b.rewritten_dport()) && same(a.rewritten_dst(), b.rewritten_dst());
}

bool same_provenance(const Work& a, const Work& b) {
  return a.maybe == b.maybe && a.maybe_rule == b.maybe_rule && a.accept_decider == b.accept_decider &&
         same_rewrites(a, b);
}
bool same_provenance(const Piece& a, const Piece& b) {
  return a.verdict == b.verdict && a.uncertain_by == b.uncertain_by && a.decider == b.decider;
}

std::size_t hash_provenance(const Work& w) {
  std::size_t h = std::hash<const void*>()(w.maybe_rule) * 31 + w.maybe;
  h = h * 31 + std::hash<const void*>()(w.accept_decider.rule);
  h = h * 31 + std::hash<const void*>()(w.accept_decider.policy);
  if (const PortSet* dport = w.rewritten_dport())
    for (const auto& iv : dport->intervals()) h = h * 31 + iv.lo * 65537u + iv.hi;
  if (const AddrIntervals* dst = w.rewritten_dst())
    for (const auto& iv : dst->intervals()) h = h * 31 + static_cast<std::size_t>(iv.lo ^ (iv.hi >> 5));
  return h;
}
std::size_t hash_provenance(const Piece& p) {
  std::size_t h = std::hash<const void*>()(p.uncertain_by) * 31 + static_cast<std::size_t>(p.verdict);
  h = h * 31 + std::hash<const void*>()(p.decider.rule);
  return h * 31 + std::hash<const void*>()(p.decider.policy);
}

// The union of `parts` and of `with`, in one sort (rather than one merge per part).
// `parts` is left sorted.
AddrIntervals united(std::vector<Interval<u128>>& parts, const AddrIntervals& with = {}) {
  parts.insert(parts.end(), with.intervals().begin(), with.intervals().end());
  std::sort(parts.begin(), parts.end(), [](const auto& x, const auto& y) { return x.lo < y.lo; });
  AddrIntervals all;
  for (const auto& iv : parts) all.add(iv.lo, iv.hi);
  return all;
}

// Grouping by hash: the group filed under `hash` that `belongs` accepts, or else a new
// group numbered `count`, filed under `hash`. Returns the group and whether it is new.
template <class Belongs>
std::pair<std::size_t, bool> group_of(std::unordered_multimap<std::size_t, std::size_t>& index, std::size_t hash,
                                      std::size_t count, Belongs&& belongs) {
  auto [first, last] = index.equal_range(hash);
  for (auto it = first; it != last; ++it)
    if (belongs(it->second)) return {it->second, false};
  index.emplace(hash, count);
  return {count, true};
}

// Joins items that differ only in one address field (the parts a piece was cut
// into that met the same fate), keeping the order of first appearance.
template <class Item>
void coalesce_along(std::vector<Item>& items, AddrIntervals Box::*free) {
  if (items.size() < 2) return;
  std::unordered_multimap<std::size_t, std::size_t> seen;  // hash -> index in out
  std::vector<Item> out;
  std::vector<std::vector<Interval<u128>>> joined;  // per item of out: intervals to add
  out.reserve(items.size());
  for (auto& item : items) {
    std::size_t h = hash_but(item.box, free) ^ (hash_provenance(item) * 0x9e3779b97f4a7c15ULL);
    auto [group, is_new] = group_of(seen, h, out.size(), [&](std::size_t g) {
      return same_but(out[g].box, item.box, free) && same_provenance(out[g], item);
    });
    if (is_new) {
      out.push_back(std::move(item));
      joined.emplace_back();
    } else {
      const auto& ivs = (item.box.*free).intervals();
      joined[group].insert(joined[group].end(), ivs.begin(), ivs.end());
    }
  }
  for (std::size_t i = 0; i < out.size(); ++i)
    if (!joined[i].empty()) out[i].box.*free = united(joined[i], out[i].box.*free);
  items = std::move(out);
}

// Re-partitions items that differ only in destination ports and addresses so that
// each holds a set of ports with one address set ("tcp 1-79,81-442,444-65535 to
// S80 and S443" rather than one item per port hole): the parts cut by address leave
// per-port holes that would otherwise each be split again by every later port rule.
template <class Item>
void transpose_to_ports(std::vector<Item>& items) {
  if (items.size() < 2) return;
  auto same = [](const Item& a, const Item& b) {
    const Box &x = a.box, &y = b.box;
    return x.family == y.family && x.proto == y.proto && x.src == y.src && x.sport == y.sport &&
           x.in_iface == y.in_iface && x.out_iface == y.out_iface && x.state == y.state && same_provenance(a, b);
  };
  std::vector<std::vector<std::size_t>> groups;
  std::unordered_multimap<std::size_t, std::size_t> seen;  // hash -> group
  for (std::size_t i = 0; i < items.size(); ++i) {
    Box key = items[i].box;
    key.dport = PortSet();
    std::size_t h = hash_but(key, &Box::dst) ^ (hash_provenance(items[i]) * 0x9e3779b97f4a7c15ULL);
    auto [group, is_new] =
        group_of(seen, h, groups.size(), [&](std::size_t g) { return same(items[groups[g].front()], items[i]); });
    if (is_new) {
      groups.push_back({i});
    } else {
      groups[group].push_back(i);
    }
  }
  std::vector<Item> out;
  out.reserve(items.size());
  for (const auto& group : groups) {
    std::vector<std::uint32_t> bounds;
    for (std::size_t i : group)
      for (const auto& iv : items[i].box.dport.intervals()) {
        bounds.push_back(iv.lo);
        bounds.push_back(iv.hi + 1);
      }
    std::sort(bounds.begin(), bounds.end());
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
    if (group.size() < 2 || bounds.size() * group.size() > 2'000'000) {
      for (std::size_t i : group) out.push_back(std::move(items[i]));
      continue;
    }
    // For every elementary port interval, the union of the addresses of the items that
    // hold it; port intervals with equal address sets become one item.
    std::vector<std::pair<AddrIntervals, PortSet>> by_addresses;
    std::unordered_multimap<std::size_t, std::size_t> index;
    for (std::size_t k = 0; k + 1 < bounds.size(); ++k) {
      std::uint32_t lo = bounds[k], hi = bounds[k + 1] - 1;
      std::vector<Interval<u128>> parts;
      for (std::size_t i : group)
        if (items[i].box.dport.contains(lo))
          parts.insert(parts.end(), items[i].box.dst.intervals().begin(), items[i].box.dst.intervals().end());
      if (parts.empty()) continue;
      AddrIntervals dst = united(parts);
      std::size_t h = 0;
      for (const auto& iv : dst.intervals()) h = h * 1000003u + static_cast<std::size_t>(iv.lo ^ (iv.hi >> 7));
      auto [same_addresses, is_new] =
          group_of(index, h, by_addresses.size(), [&](std::size_t g) { return by_addresses[g].first == dst; });
      if (is_new) {
        by_addresses.push_back({std::move(dst), PortSet(lo, hi)});
      } else {
        by_addresses[same_addresses].second.add(lo, hi);
      }
    }
    if (by_addresses.size() >= group.size()) {  // no gain: keep the items as they are
      for (std::size_t i : group) out.push_back(std::move(items[i]));
      continue;
    }
    for (auto& [dst, ports] : by_addresses) {
      Item item = items[group.front()];
      item.box.dst = std::move(dst);
      item.box.dport = std::move(ports);
      out.push_back(std::move(item));
    }
  }
  items = std::move(out);
}

// Destination parts first, then sources that rules on the way split, then again the
// destinations that became equal, then per-port holes.
template <class Item>
void coalesce_parts(std::vector<Item>& items) {
  coalesce_along(items, &Box::dst);
  coalesce_along(items, &Box::src);
  coalesce_along(items, &Box::dst);
  transpose_to_ports(items);
}

// A field no rule below a chain looks at or changes leaves a call into it with the value
// it came in with, in every part: the call's result for one piece is that for another
// piece that differs only there, with the field put back.
void clear_fields(std::uint16_t fields, Box& box) {
  if (fields & kRuleFieldProto) box.proto.reset();
  if (fields & kRuleFieldSrc) box.src = AddrIntervals();
  if (fields & kRuleFieldDst) box.dst = AddrIntervals();
  if (fields & kRuleFieldSport) box.sport = PortSet();
  if (fields & kRuleFieldDport) box.dport = PortSet();
  if (fields & kRuleFieldInIface) box.in_iface.reset();
  if (fields & kRuleFieldOutIface) box.out_iface.reset();
  if (fields & kRuleFieldState) box.state.reset();
}
void copy_fields(std::uint16_t fields, Box& to, const Box& from) {
  if (fields & kRuleFieldProto) to.proto = from.proto;
  if (fields & kRuleFieldSrc) to.src = from.src;
  if (fields & kRuleFieldDst) to.dst = from.dst;
  if (fields & kRuleFieldSport) to.sport = from.sport;
  if (fields & kRuleFieldDport) to.dport = from.dport;
  if (fields & kRuleFieldInIface) to.in_iface = from.in_iface;
  if (fields & kRuleFieldOutIface) to.out_iface = from.out_iface;
  if (fields & kRuleFieldState) to.state = from.state;
}

// What the memo knows of a chain: whether calls into it are kept, the chains it reaches,
// how deep its calls nest, and the fields their rules look at or change.
struct ChainFacts {
  bool memoized = false;         // large (indexed) and no call below it leads back into a chain above
  std::vector<int> reaches;      // sorted: the chain and every chain below it
  std::size_t depth = 0;         // calls nested below it, at most
  std::uint16_t fields = 0;      // looked at by rules that cut pieces, or changed
  std::uint16_t hit_fields = 0;  // looked at only by jumps to chains that change nothing: they cut
                                 // nothing, but decide which rules count as matched
};

// One call's result, as evaluated for the first piece that made it.
struct CallResult {
  ChainOutcome outcome;
  std::vector<const Rule*> matched;  // every rule a piece met, in order (repeats kept)
  std::vector<std::string> problems;
  bool atomized = false, truncated = false;
};

// A call's pieces: its own, or those of a result the memo keeps (shared, so copied out
// one by one) with the fields the chain ignores put back from the piece that made the
// call.
struct CallOutcome {
  ChainOutcome owned;
  std::shared_ptr<const CallResult> kept;
  std::uint16_t ignored = 0;  // fields copied from `caller` into kept pieces
  Box caller;

  const ChainOutcome& pieces() const { return kept ? kept->outcome : owned; }
  // Calls on_decided(Decided&&) and on_returned(Work&&) for each piece in order.
  template <class OnDecided, class OnReturned>
  void hand_out(OnDecided on_decided, OnReturned on_returned) {
    if (!kept) {
      for (auto& d : owned.decided) on_decided(std::move(d));
      for (auto& w : owned.returned) on_returned(std::move(w));
      return;
    }
    for (const auto& d : kept->outcome.decided) {
      Decided copy = d;
      copy_fields(ignored, copy.work.box, caller);
      on_decided(std::move(copy));
    }
    for (const auto& w : kept->outcome.returned) {
      Work copy = w;
      copy_fields(ignored, copy.box, caller);
      on_returned(std::move(copy));
    }
  }
};

struct CallKey {
  int chain = -1;
  std::size_t max_pieces = 0, max_call_depth = 0, min_cuts = 0;
  bool use_index = true;
  Work piece;      // the fields the chain ignores cleared
  Box hit_fields;  // the piece's ChainFacts::hit_fields (all others cleared)
};

}  // namespace

class ChainCallMemo {
 public:
  struct Entry {
    CallKey key;
    std::shared_future<std::shared_ptr<const CallResult>> result;
  };
  std::mutex mutex;
  const Ruleset* ruleset = nullptr;
  std::vector<std::unique_ptr<ChainFacts>> facts;  // per chain, on first use
  std::unordered_multimap<std::size_t, std::shared_ptr<Entry>> calls;
};

std::shared_ptr<ChainCallMemo> make_chain_call_memo() { return std::make_shared<ChainCallMemo>(); }

namespace {

// A memoized call is walked in parts on two threads when at least this many rules of the
// chain can meet the piece (run_chain_in_parts()).
constexpr std::size_t kMinRulesForTwoThreads = 8192;
// The parts such a call is cut into (run_chain_in_parts()): at least this many, and more
// for larger chains, so that a part's rules stay about as many whatever the chain's size
// (a part's pieces look their candidate rules up by destination, and each lookup lists
// the part's rules that the piece's addresses reach: with eight parts of a 200,000-rule
// chain, that made the look-ups grow with the square of the chain).
constexpr std::size_t kPartsOfALargeCall = 8;
constexpr std::size_t kRulesPerPart = 2500;

// Thrown when the box evaluator's work passes EvalOptions::box_work_budget.
struct BoxWorkExceeded {};

// The pieces cut in one evaluation (shared with the evaluators of a call's parts), and
// how many may be.
struct WorkBudget {
  std::atomic<std::size_t> spent{0};
  std::size_t limit = 0;
  // Set: give up as soon as another evaluation found that boxes fragment on this ruleset
  // (the evaluations of an analysis start on both cores before any has found it).
  const RuleIndex* gives_up_with = nullptr;
  // Counted by each evaluator in batches (two threads on one counter would share its cache
  // line at every cut).
  static constexpr std::size_t kBatch = 256;
  void spend(std::size_t& unspent) {
    if (++unspent < kBatch) return;
    unspent = 0;
    if (spent.fetch_add(kBatch, std::memory_order_relaxed) >= limit) throw BoxWorkExceeded{};
    if (gives_up_with && gives_up_with->boxes_fragment()) throw BoxWorkExceeded{};
  }
};

class Evaluator {
 public:
  // `budget`: null for no limit on the pieces cut.
  Evaluator(const Ruleset& rs, const EvalOptions& opts, EvalResult& result, std::shared_ptr<WorkBudget> budget = {})
      : rs_(rs), opts_(opts), result_(result), index_(rule_index(rs)), budget_(std::move(budget)) {}

  ChainOutcome run_chain(int chain_index, std::size_t start, std::vector<Work> live) {
    ChainOutcome out;
    const Chain& chain = rs_.chains[static_cast<std::size_t>(chain_index)];
    stack_.push_back(chain_index);
    const ChainIndex* index = opts_.use_index ? index_->chain(chain_index) : nullptr;
    if (!index) {
      std::vector<int> positions;
      for (std::size_t i = start; i < chain.rules.size(); ++i) positions.push_back(static_cast<int>(i));
      run_rules(chain, chain_index, positions, std::move(live), out);
    } else {
      // Piece by piece: each only visits the rules the index says can overlap
      // it. A piece that comes back from a called chain (or is otherwise handed
      // on by a rule) continues with a list of its own, so that the thousands of
      // small pieces kube-proxy's service jumps return do not all walk every
      // later rule. A piece that very many rules cut by destination address is
      // first cut into the parts between those rules' boundaries, so that no
      // part drags a long list of holes along.
      std::vector<std::pair<Work, std::size_t>> pending;  // piece, first position
      pending.reserve(live.size());
      for (auto& w : live) pending.emplace_back(std::move(w), start);
      while (!pending.empty()) {
        Work w = std::move(pending.back().first);
        std::size_t from = pending.back().second;
        pending.pop_back();
        auto positions = index->candidates(index_query(w), from);
        std::vector<Work> parts;
        if (!w.rewritten_dst() && cut_by_destination(chain, positions, w, opts_.min_cuts_to_split, parts)) {
          atomized_ = true;
          for (auto& part : parts) {
            auto part_positions = index->candidates(index_query(part), from);
            std::vector<Work> one;
            one.push_back(std::move(part));
            run_rules(chain, chain_index, part_positions, std::move(one), out, &pending);
          }
        } else {
          std::vector<Work> one;
          one.push_back(std::move(w));
          run_rules(chain, chain_index, positions, std::move(one), out, &pending);
        }
      }
    }
    stack_.pop_back();
    return out;
  }

  // Runs `live` through the rules at `positions` (ascending) of the chain.
  // Pieces a rule hands on (rather than the parts outside its match) go to
  // `handed_on` with the next position when given.
  void run_rules(const Chain& chain, int chain_index, const std::vector<int>& positions, std::vector<Work> live,
                 ChainOutcome& out, std::vector<std::pair<Work, std::size_t>>* handed_on = nullptr) {
    std::vector<Work> next;
    for (std::size_t k = 0; k < positions.size() && !live.empty(); ++k) {
      std::size_t i = static_cast<std::size_t>(positions[k]);
      const Rule& rule = chain.rules[i];
      if (rule.action.kind == ActionKind::Continue || &rule == opts_.skip_rule) continue;
      if (opts_.skip_if && opts_.skip_if(rule)) {
        if (opts_.on_skipped_match)
          for (const auto& w : live) {
            bool split_dport = false, split_dst = false;
            if (overlap(w, rule.match, split_dport, split_dst) != Overlap::None) {
              opts_.on_skipped_match(rule);
              break;
            }
          }
        continue;
      }
      if (rule.action.kind == ActionKind::Jump && call_changes_nothing(rule.action.target_chain)) {
        // The call hands every piece back as it was: no need to cut the pieces by its
        // match (kube-proxy jumps to KUBE-MARK-MASQ from every endpoint chain by source
        // address). The rule still counts as reached by the pieces it overlaps.
        if (opts_.on_match || !recorders_.empty())
          for (const auto& w : live) {
            bool split_dport = false, split_dst = false;
            if (overlap(w, rule.match, split_dport, split_dst) != Overlap::None) {
              matched_rule(rule);
              break;
            }
          }
        continue;
      }
      if (live.size() > opts_.max_pieces) {
        result_.truncated = true;
        result_.problems.push_back(
            fmt::format("the region split into more than {} pieces in chain "
                        "{}; the rest is undetermined",
                        opts_.max_pieces, chain.name));
        for (auto& w : live) out.decided.push_back({std::move(w), Verdict::Undetermined, {&rule, nullptr, {}}});
        live.clear();
        break;
      }
      next.clear();
      next.reserve(live.size());
      Work matched;  // split() assigns it; declared once: a default Work allocates its port sets
      for (auto& w : live) {
        std::size_t rest_from = next.size();
        Reach reach_before = handed_on ? reach(w) : Reach{};
        Overlap ov = split(w, rule.match, matched, next);
        if (ov == Overlap::None) {
          next.push_back(std::move(w));
          continue;
        }
        if (budget_) budget_->spend(unspent_);
        // A part left outside the match that is much narrower than the piece was (the
        // piece's ports cut down to the rule's port, say) continues with a candidate list
        // of its own: otherwise every such part of a wide piece walks every later rule the
        // wide piece could meet, which is quadratic in chains of one rule per port.
        if (handed_on)
          for (std::size_t j = rest_from; j < next.size();) {
            if (reach(next[j]).much_narrower_than(reach_before)) {
              handed_on->emplace_back(std::move(next[j]), i + 1);
              next.erase(next.begin() + static_cast<std::ptrdiff_t>(j));
            } else {
              ++j;
            }
          }
        bool maybe = ov == Overlap::Maybe || rule.match.has_unknown();
        matched_rule(rule);
        if (maybe && !matched.maybe_rule) matched.maybe_rule = &rule;
        std::size_t before = next.size();
        apply(rule, chain_index, i, std::move(matched), maybe, next, out);
        // What the rule hands on (a call's returned pieces, say) lies within the piece, so
        // the piece's candidates still hold for it; only a much narrower part looks its own
        // up (else each of a thousand calls in a row would look up the rules after it).
        if (handed_on && next.size() > before) {
          std::size_t kept = before;
          for (std::size_t j = before; j < next.size(); ++j) {
            if (reach(next[j]).much_narrower_than(reach_before)) {
              handed_on->emplace_back(std::move(next[j]), i + 1);
            } else {
              if (kept != j) next[kept] = std::move(next[j]);
              ++kept;
            }
          }
          next.resize(kept);
        }
      }
      live.swap(next);
    }
    next = {};  // as large as `live` can be: freed before `live` is handed back
    if (out.returned.empty()) {
      out.returned.swap(live);
    } else {
      make_room(out.returned, live.size());
      for (auto& w : live) out.returned.push_back(std::move(w));
    }
  }

  // How far a piece reaches in the fields the rule index looks at: from the lowest to the
  // highest destination port and address (less one).
  struct Reach {
    u128 ports = 0, addresses = 0;
    bool much_narrower_than(const Reach& wide) const {
      return ports < wide.ports / 16 || addresses < wide.addresses / 16;
    }
  };
  template <class Set>
  static u128 width(const Set& s) {
    return s.empty() ? 0 : u128(s.intervals().back().hi) - u128(s.intervals().front().lo);
  }
  static Reach reach(const Work& w) {
    IndexQuery q = index_query(w);
    return {width(*q.dport), width(*q.dst)};
  }

  static IndexQuery index_query(const Work& w) {
    IndexQuery q;
    q.proto = &w.box.proto;
    q.dport = w.rewritten_dport() ? w.rewritten_dport() : &w.box.dport;
    q.dst = w.rewritten_dst() ? w.rewritten_dst() : &w.box.dst;
    q.src = &w.box.src;
    q.v6 = w.box.family == Family::V6;
    return q;
  }

  // Cuts w's destination at the boundaries of the destination intervals of the
  // rules at `positions`, when many of them constrain it. False (parts
  // untouched) otherwise.
  static bool cut_by_destination(const Chain& chain, const std::vector<int>& positions, const Work& w,
                                 std::size_t min_cuts, std::vector<Work>& parts) {
    if (positions.size() < min_cuts) return false;
    std::vector<std::pair<u128, u128>> cuts;
    for (int pos : positions) {
      const Match& m = chain.rules[static_cast<std::size_t>(pos)].match;
      if (!m.dst) continue;
      for (const auto& iv : m.dst->of(w.box.family).intervals())
        if (w.box.dst.intersects(AddrIntervals(iv.lo, iv.hi))) cuts.emplace_back(iv.lo, iv.hi);
    }
    if (cuts.size() < min_cuts) return false;
    std::vector<u128> bounds;  // starts of parts
    bounds.reserve(cuts.size() * 2);
    const u128 max = family_max(w.box.family);
    for (const auto& [lo, hi] : cuts) {
      bounds.push_back(lo);
      if (hi < max) bounds.push_back(hi + 1);
    }
    std::sort(bounds.begin(), bounds.end());
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
    // Sweep the destination's intervals against the part boundaries.
    std::size_t b = 0;
    for (const auto& iv : w.box.dst.intervals()) {
      u128 lo = iv.lo;
      while (b < bounds.size() && bounds[b] <= lo) ++b;
      while (true) {
        u128 hi = iv.hi;
        if (b < bounds.size() && bounds[b] - 1 < hi) hi = bounds[b] - 1;
        Work part = w;
        part.box.dst = AddrIntervals(lo, hi);
        parts.push_back(std::move(part));
        if (hi == iv.hi) break;
        lo = hi + 1;
        ++b;
      }
    }
    return true;
  }

  std::vector<Piece> run_pipeline(const Pipeline& p, const Box& query) {
    std::vector<Work> pieces;
    pieces.push_back(Work{query, {}, 0, nullptr, {}});
    std::vector<Piece> final_pieces;
    auto finish = [&](Work& w, Verdict v, const Decider& d) {
      Piece piece;
      piece.box = std::move(w.box);
      piece.decider = d;
      piece.verdict = v;
      if (v == Verdict::Deny && (w.maybe & kMaybeAccept)) piece.verdict = Verdict::Undetermined;
      if (v == Verdict::Accept && (w.maybe & kMaybeDeny)) piece.verdict = Verdict::Undetermined;
      if (piece.verdict == Verdict::Undetermined) piece.uncertain_by = w.maybe_rule ? w.maybe_rule : d.rule;
      final_pieces.push_back(std::move(piece));
    };
    for (std::size_t s = 0; s < p.stages.size(); ++s) {
      const Stage& stage = p.stages[s];
      const Chain& chain = rs_.chains[static_cast<std::size_t>(stage.chain)];
      ChainOutcome out = run_chain(stage.chain, 0, std::move(pieces));
      pieces.clear();
      Decider policy_decider{nullptr, &chain, {}};
      Verdict policy = Verdict::Accept;
      if (chain.policy == PolicyKind::Deny) policy = Verdict::Deny;
      auto passes = [&](Verdict v) {
        return v == Verdict::Accept || (stage.nat && v != Verdict::Deny && v != Verdict::Undetermined);
      };
      auto passed = [&](Work& w, const Decider& d) {
        w.maybe &= static_cast<std::uint8_t>(~kMaybeAccept);
        if (!stage.nat && (d.rule || !w.accept_decider.rule)) w.accept_decider = d;
      };
      auto pass_or_finish = [&](Work& w, Verdict v, const Decider& d) {
        if (passes(v)) {
          passed(w, d);
          pieces.push_back(std::move(w));
        } else {
          finish(w, v, d);
        }
      };
      // The pieces can be many (kube-proxy's services): the list of those that all pass
      // by the policy goes on as it is; else each list is reserved to size and freed as
      // soon as it is passed on.
      if (out.decided.empty() && passes(policy)) {
        pieces = std::move(out.returned);
        for (auto& w : pieces) passed(w, policy_decider);
      } else {
        std::size_t passing = 0;
        for (const auto& d : out.decided) passing += passes(d.verdict) ? 1 : 0;
        if (passes(policy)) passing += out.returned.size();
        pieces.reserve(passing);
        make_room(final_pieces, out.decided.size() + out.returned.size() - passing);
        for (auto& d : out.decided) pass_or_finish(d.work, d.verdict, d.decider);
        out.decided = {};
        for (auto& w : out.returned) pass_or_finish(w, policy, policy_decider);
        out.returned = {};
      }
      if (atomized_) coalesce_parts(pieces);
      if (opts_.join_rewritten && stage.nat && s + 1 < p.stages.size() && pieces.size() > 1)
        join_rewritten(pieces, destination_atoms(p, s + 1, p.family));
    }
    make_room(final_pieces, pieces.size());
    for (auto& w : pieces) {
      Decider d = w.accept_decider;
      if (!d.rule && !d.policy) d.implicit = "no chain filters this path";
      finish(w, Verdict::Accept, d);
    }
    if (atomized_) coalesce_parts(final_pieces);
    return final_pieces;
  }

 private:
  bool on_stack(int chain) const {
    for (int c : stack_)
      if (c == chain) return true;
    return false;
  }

  // Evaluates a call into `target` for w; false when the call cannot be
  // followed.
  bool can_call(const Rule& rule) {
    std::string problem = call_problem(rs_, rule, stack_, opts_.max_call_depth);
    if (problem.empty()) return true;
    result_.problems.push_back(std::move(problem));
    return false;
  }

  void apply(const Rule& rule, int chain_index, std::size_t rule_pos, Work m, bool maybe, std::vector<Work>& next,
             ChainOutcome& out) {
    Decider here{&rule, nullptr, {}};
    auto tag = [&](Work& w, Verdict v) {
      w.maybe |= maybe_bits(v);
      if (!w.maybe_rule) w.maybe_rule = &rule;
    };
    switch (rule.action.kind) {
      case ActionKind::Continue:
        next.push_back(std::move(m));
        return;
      case ActionKind::Accept:
      case ActionKind::Deny:
      case ActionKind::Unknown: {
        Verdict v = rule.action.kind == ActionKind::Accept ? Verdict::Accept
                    : rule.action.kind == ActionKind::Deny ? Verdict::Deny
                                                           : Verdict::Undetermined;
        if (maybe) {
          tag(m, v);
          next.push_back(std::move(m));
        } else {
          if (v == Verdict::Undetermined && !m.maybe_rule) m.maybe_rule = &rule;
          out.decided.push_back({std::move(m), v, here});
        }
        return;
      }
      case ActionKind::Jump:
      case ActionKind::Goto: {
        bool is_goto = rule.action.kind == ActionKind::Goto;
        if (!can_call(rule)) {
          if (!m.maybe_rule) m.maybe_rule = &rule;
          out.decided.push_back({std::move(m), Verdict::Undetermined, here});
          return;
        }
        std::vector<Work> one;
        one.push_back(std::move(m));
        CallOutcome sub = call_chain(rule.action.target_chain, std::move(one));
        const ChainOutcome& pieces = sub.pieces();
        if (maybe) {
          make_room(next, pieces.decided.size() + pieces.returned.size());
        } else {
          make_room(out.decided, pieces.decided.size());
          make_room(is_goto ? out.returned : next, pieces.returned.size());
        }
        sub.hand_out(
            [&](Decided&& d) {
              if (maybe) {
                tag(d.work, d.verdict);
                next.push_back(std::move(d.work));
              } else {
                out.decided.push_back(std::move(d));
              }
            },
            [&](Work&& w) {
              if (!is_goto) {
                next.push_back(std::move(w));
              } else if (maybe) {
                // Either returned to our caller or continued here: we cannot tell
                // which.
                tag(w, Verdict::Undetermined);
                next.push_back(std::move(w));
              } else {
                out.returned.push_back(std::move(w));
              }
            });
        return;
      }
      case ActionKind::Return: {
        if (!maybe) {
          out.returned.push_back(std::move(m));
          return;
        }
        // Either it returns now, or the rest of this chain decides it (or returns
        // later).
        std::vector<Work> one;
        one.push_back(std::move(m));
        stack_.pop_back();  // run_chain pushes this chain again
        ChainOutcome rest = run_chain(chain_index, rule_pos + 1, std::move(one));
        stack_.push_back(chain_index);
        for (auto& d : rest.decided) {
          tag(d.work, d.verdict);
          out.returned.push_back(std::move(d.work));
        }
        for (auto& w : rest.returned) out.returned.push_back(std::move(w));
        return;
      }
      case ActionKind::Rewrite: {
        if (maybe) {
          tag(m, Verdict::Undetermined);
          next.push_back(std::move(m));
          return;
        }
        if (rule.action.new_dport || rule.action.new_daddr) {
          auto rewrites = std::make_shared<Rewrites>(m.rewrites ? *m.rewrites : Rewrites{});
          if (rule.action.new_dport) rewrites->dport = *rule.action.new_dport;
          if (rule.action.new_daddr) rewrites->dst = rule.action.new_daddr->of(m.box.family);
          m.rewrites = std::move(rewrites);
        }
        out.decided.push_back({std::move(m), Verdict::Accept, here});
        return;
      }
      case ActionKind::SetState: {
        if (maybe) {
          tag(m, Verdict::Undetermined);
        } else if (rule.action.new_state) {
          m.box.state = *rule.action.new_state;
        }
        next.push_back(std::move(m));
        return;
      }
    }
  }

  // EvalOptions::on_match, and the calls being kept for the memo.
  void matched_rule(const Rule& rule) {
    if (opts_.on_match) opts_.on_match(rule);
    for (auto* record : recorders_) record->push_back(&rule);
  }

  // The facts of `chain` (memo's mutex held).
  const ChainFacts& facts_of(ChainCallMemo& memo, int chain) {
    auto& slot = memo.facts[static_cast<std::size_t>(chain)];
    if (slot) return *slot;
    slot = std::make_unique<ChainFacts>();
    ChainFacts& facts = *slot;
    // Depth-first over the calls: a call back into a chain on the way down (a loop) makes
    // the chain's calls depend on the caller's stack, so they are not kept.
    const std::size_t n = rs_.chains.size();
    std::vector<std::uint8_t> state(n, 0);  // 0 unseen, 1 on the way down, 2 done
    std::vector<std::size_t> depth(n, 0);
    bool loop = false;
    std::vector<std::pair<int, std::size_t>> stack{{chain, 0}};  // chain, next rule
    state[static_cast<std::size_t>(chain)] = 1;
    while (!stack.empty() && !loop) {
      auto& [c, next] = stack.back();
      const auto& rules = rs_.chains[static_cast<std::size_t>(c)].rules;
      if (next == rules.size()) {
        state[static_cast<std::size_t>(c)] = 2;  // reached: listed in `reaches` below
        int done = c;
        stack.pop_back();
        if (!stack.empty())
          depth[static_cast<std::size_t>(stack.back().first)] =
              std::max(depth[static_cast<std::size_t>(stack.back().first)], depth[static_cast<std::size_t>(done)] + 1);
        continue;
      }
      const Rule& r = rules[next++];
      bool only_counted = r.action.kind == ActionKind::Jump && r.action.target_chain >= 0 &&
                          index_->only_continue_rules(rs_, r.action.target_chain);
      (only_counted ? facts.hit_fields : facts.fields) |= fields_of(r);
      int target = r.action.target_chain;
      if (target < 0 || (r.action.kind != ActionKind::Jump && r.action.kind != ActionKind::Goto)) continue;
      auto t = static_cast<std::size_t>(target);
      if (state[t] == 1) {
        loop = true;
      } else if (state[t] == 2) {
        depth[static_cast<std::size_t>(c)] = std::max(depth[static_cast<std::size_t>(c)], depth[t] + 1);
      } else {
        state[t] = 1;
        stack.emplace_back(target, 0);
      }
    }
    for (std::size_t c = 0; c < n; ++c)  // in order: binary-searched (a sort of ~60k chains took 2-3 ms)
      if (state[c] == 2) facts.reaches.push_back(static_cast<int>(c));
    facts.depth = depth[static_cast<std::size_t>(chain)];
    facts.memoized = !loop && index_->chain(chain) != nullptr;
    return facts;
  }

  // A call into `target` for `live` (one piece): through the memo when the call's result
  // cannot depend on anything but the piece's fields that the chain looks at.
  CallOutcome call_chain(int target, std::vector<Work> live) {
    ChainCallMemo* memo = opts_.memo.get();
    if (!memo || live.size() != 1 || opts_.skip_rule || opts_.skip_if || !index_->chain(target))
      return {run_chain(target, 0, std::move(live))};  // small chains are cheaper to walk than to look up
    std::unique_lock<std::mutex> lock(memo->mutex);
    if (!memo->ruleset) memo->ruleset = &rs_;
    if (memo->ruleset != &rs_) return {run_chain(target, 0, std::move(live))};
    if (memo->facts.size() != rs_.chains.size()) memo->facts.resize(rs_.chains.size());
    const ChainFacts& facts = facts_of(*memo, target);
    bool independent = facts.memoized && stack_.size() + facts.depth + 1 < opts_.max_call_depth;
    for (int c : stack_)
      if (std::binary_search(facts.reaches.begin(), facts.reaches.end(), c)) independent = false;
    if (!independent) {
      lock.unlock();
      return {run_chain(target, 0, std::move(live))};
    }
    const std::uint16_t ignored = static_cast<std::uint16_t>(~facts.fields);
    CallKey key{target,          opts_.max_pieces, opts_.max_call_depth, opts_.min_cuts_to_split,
                opts_.use_index, live.front(),     live.front().box};
    clear_fields(ignored, key.piece.box);
    clear_fields(static_cast<std::uint16_t>(~(facts.hit_fields & ignored)), key.hit_fields);
    // Whether the rules matched are wanted: then the fields that decide them must agree.
    const bool want_matches = opts_.on_match || !recorders_.empty();
    std::size_t h = hash_but(key.piece.box, &Box::dst) ^ (hash_provenance(key.piece) * 0x9e3779b97f4a7c15ULL);
    for (const auto& iv : key.piece.box.dst.intervals()) h = h * 31 + static_cast<std::size_t>(iv.lo ^ (iv.hi >> 3));
    h = h * 31 + static_cast<std::size_t>(target);
    std::shared_future<std::shared_ptr<const CallResult>> known;
    auto [first, last] = memo->calls.equal_range(h);
    for (auto it = first; it != last; ++it) {
      const CallKey& other = it->second->key;
      if (other.chain == key.chain && other.max_pieces == key.max_pieces &&
          other.max_call_depth == key.max_call_depth && other.min_cuts == key.min_cuts &&
          other.use_index == key.use_index && same_but(other.piece.box, key.piece.box, &Box::dst) &&
          other.piece.box.dst == key.piece.box.dst && same_provenance(other.piece, key.piece) &&
          (!want_matches ||
           (same_but(other.hit_fields, key.hit_fields, &Box::dst) && other.hit_fields.dst == key.hit_fields.dst))) {
        known = it->second->result;
        break;
      }
    }
    if (known.valid()) {
      lock.unlock();
      std::shared_ptr<const CallResult> result = known.get();  // waits while another thread evaluates it
      take_over(result->matched, result->problems, result->truncated, result->atomized);
      return {{}, std::move(result), ignored, std::move(live.front().box)};
    }
    auto entry = std::make_shared<ChainCallMemo::Entry>();
    entry->key = std::move(key);
    std::promise<std::shared_ptr<const CallResult>> promise;
    entry->result = promise.get_future().share();
    memo->calls.emplace(h, entry);
    lock.unlock();
    auto result = std::make_shared<CallResult>();
    std::size_t problems_before = result_.problems.size();
    bool truncated_before = result_.truncated, atomized_before = atomized_;
    result_.truncated = false;
    atomized_ = false;
    recorders_.push_back(&result->matched);
    try {
      result->outcome = run_chain_in_parts(target, std::move(live));
    } catch (...) {
      recorders_.pop_back();
      promise.set_exception(std::current_exception());
      // Given up (BoxWorkExceeded): the call is not known, later evaluations make it again.
      std::lock_guard<std::mutex> relock(memo->mutex);
      auto [from, to] = memo->calls.equal_range(h);
      for (auto it = from; it != to; ++it)
        if (it->second == entry) {
          memo->calls.erase(it);
          break;
        }
      throw;
    }
    recorders_.pop_back();
    result->problems.assign(result_.problems.begin() + static_cast<std::ptrdiff_t>(problems_before),
                            result_.problems.end());
    result->truncated = result_.truncated;
    result->atomized = atomized_;
    result_.truncated = result_.truncated || truncated_before;
    atomized_ = atomized_ || atomized_before;
    std::shared_ptr<const CallResult> kept = result;
    promise.set_value(std::move(result));
    return {{}, std::move(kept)};  // evaluated for this very piece: nothing to put back
  }

  // A memoized call for one piece that very many rules of the chain can meet: the piece
  // is cut into parts at quantiles of those rules' destinations, and two threads (this
  // one and a helper) take the parts in turn, each walked by an evaluator of its own
  // whose matched rules are replayed here in the parts' order (the other evaluations of
  // the analysis are waiting for this call meanwhile). More parts than threads keep both
  // busy to the end: the parts' costs differ. Each packet meets the same rules either
  // way; the parts' pieces stay apart.
  ChainOutcome run_chain_in_parts(int target, std::vector<Work> live) {
    const ChainIndex* index = opts_.use_index ? index_->chain(target) : nullptr;
    if (!index || live.size() != 1 || live.front().rewritten_dst()) return run_chain(target, 0, std::move(live));
    const Work& w = live.front();
    std::vector<u128> starts;
    for (int pos : index->candidates(index_query(w), 0)) {
      const Match& m = rs_.chains[static_cast<std::size_t>(target)].rules[static_cast<std::size_t>(pos)].match;
      if (m.dst && !m.dst->of(w.box.family).empty()) starts.push_back(m.dst->of(w.box.family).intervals().front().lo);
    }
    if (starts.size() < kMinRulesForTwoThreads) return run_chain(target, 0, std::move(live));
    std::sort(starts.begin(), starts.end());
    const std::size_t part_count = std::max(kPartsOfALargeCall, starts.size() / kRulesPerPart);
    std::vector<Work> parts;
    u128 from = 0;
    for (std::size_t k = 1; k <= part_count; ++k) {
      u128 to = k == part_count ? family_max(w.box.family) : starts[starts.size() * k / part_count];
      if (k < part_count && (to <= from)) continue;  // repeated starts: no part between them
      u128 last = k == part_count ? to : to - 1;
      Work part = w;
      part.box.dst = w.box.dst.intersect(AddrIntervals(from, last));
      if (!part.box.dst.empty()) parts.push_back(std::move(part));
      from = to;
    }
    if (parts.size() < 2) return run_chain(target, 0, std::move(live));
    struct PartResult {
      ChainOutcome outcome;
      std::vector<const Rule*> matched;
      EvalResult result;
      bool atomized = false;
    };
    std::vector<PartResult> results(parts.size());
    EvalOptions side_options = opts_;
    side_options.on_match = nullptr;  // called on this thread only, below
    for_each_index_on_two_threads(parts.size(), true, [&](std::size_t k) {
      PartResult& r = results[k];
      Evaluator side(rs_, side_options, r.result, budget_);
      side.stack_ = stack_;
      side.recorders_.push_back(&r.matched);
      std::vector<Work> one;
      one.push_back(std::move(parts[k]));
      r.outcome = side.run_chain(target, 0, std::move(one));
      r.atomized = side.atomized_;
    });
    ChainOutcome out;
    std::size_t decided = 0, returned = 0;
    for (const auto& r : results) {
      decided += r.outcome.decided.size();
      returned += r.outcome.returned.size();
    }
    out.decided.reserve(decided);
    out.returned.reserve(returned);
    for (auto& r : results) {
      for (auto& d : r.outcome.decided) out.decided.push_back(std::move(d));
      for (auto& ret : r.outcome.returned) out.returned.push_back(std::move(ret));
      take_over(r.matched, r.result.problems, r.result.truncated, r.atomized);
    }
    return out;
  }

  // What a call evaluated elsewhere (the memo, a part's evaluator) did, as if
  // evaluated here: the rules its pieces matched, its problems, whether it was cut short
  // and whether it cut pieces by destination.
  void take_over(const std::vector<const Rule*>& matched, const std::vector<std::string>& problems, bool truncated,
                 bool atomized) {
    for (const Rule* r : matched) matched_rule(*r);
    result_.problems.insert(result_.problems.end(), problems.begin(), problems.end());
    if (truncated) result_.truncated = true;
    if (atomized) atomized_ = true;
  }

  // The boundaries of the destination intervals of every rule the stages from `first` on
  // can reach (through jumps and gotos), sorted: between two of them, no rule tells one
  // destination from another.
  std::vector<u128> destination_atoms(const Pipeline& p, std::size_t first, Family family) const {
    std::vector<std::uint8_t> seen(rs_.chains.size(), 0);
    std::vector<int> todo;
    for (std::size_t s = first; s < p.stages.size(); ++s) todo.push_back(p.stages[s].chain);
    std::vector<u128> bounds;
    const u128 max = family_max(family);
    while (!todo.empty()) {
      int c = todo.back();
      todo.pop_back();
      if (c < 0 || static_cast<std::size_t>(c) >= seen.size() || seen[static_cast<std::size_t>(c)]) continue;
      seen[static_cast<std::size_t>(c)] = 1;
      for (const Rule& r : rs_.chains[static_cast<std::size_t>(c)].rules) {
        if (r.action.target_chain >= 0) todo.push_back(r.action.target_chain);
        if (!r.match.dst) continue;
        for (const auto& iv : r.match.dst->of(family).intervals()) {
          bounds.push_back(iv.lo);
          if (iv.hi < max) bounds.push_back(iv.hi + 1);
        }
      }
    }
    std::sort(bounds.begin(), bounds.end());
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
    return bounds;
  }

  // Joins pieces that differ only in their original destination and in a rewritten
  // destination that lies, for each of them, between the same two `atoms` boundaries
  // (EvalOptions::join_rewritten). Later rules see the rewritten destination only, and
  // each of them holds all of such an interval or none of it, so the joined piece meets
  // every later rule exactly as each part would. Order of first appearance is kept. Done
  // in place: a joined piece goes where its first part was, at or before the part read.
  static void join_rewritten(std::vector<Work>& pieces, const std::vector<u128>& atoms) {
    auto atom_of = [&atoms](const AddrIntervals& set) -> std::ptrdiff_t {
      if (set.empty()) return -1;
      auto above = std::upper_bound(atoms.begin(), atoms.end(), set.intervals().front().lo);
      if (above != atoms.end() && set.intervals().back().hi >= *above) return -1;  // spans a boundary
      return above - atoms.begin();
    };
    auto same_except_destination = [](const Work& a, const Work& b) {
      const Box &x = a.box, &y = b.box;
      return x.family == y.family && x.proto == y.proto && x.src == y.src && x.sport == y.sport && x.dport == y.dport &&
             x.in_iface == y.in_iface && x.out_iface == y.out_iface && x.state == y.state && a.maybe == b.maybe &&
             a.accept_decider == b.accept_decider && (a.rewrites->dport == b.rewrites->dport);
    };
    std::unordered_multimap<std::size_t, std::size_t> groups;      // hash -> index of the joined piece
    std::size_t kept = 0;                                          // pieces[0, kept) are the joined pieces
    std::vector<std::vector<Interval<u128>>> original, rewritten;  // per joined piece: its later parts'
    auto keep = [&](Work& w) {
      if (&pieces[kept] != &w) pieces[kept] = std::move(w);
      ++kept;
      original.emplace_back();
      rewritten.emplace_back();
    };
    for (auto& w : pieces) {
      std::ptrdiff_t atom = w.rewritten_dst() ? atom_of(*w.rewritten_dst()) : -1;
      if (atom < 0) {
        keep(w);
        continue;
      }
      Box key = w.box;
      key.dst = AddrIntervals();
      std::size_t h = hash_but(key, &Box::dst) * 31 + static_cast<std::size_t>(atom);
      h = h * 31 + w.maybe;
      auto [group, is_new] = group_of(groups, h, kept, [&](std::size_t g) {
        return atom_of(*pieces[g].rewritten_dst()) == atom && same_except_destination(pieces[g], w);
      });
      if (is_new) {
        keep(w);
      } else {
        const auto& dst = w.box.dst.intervals();
        original[group].insert(original[group].end(), dst.begin(), dst.end());
        const auto& seen = w.rewritten_dst()->intervals();
        rewritten[group].insert(rewritten[group].end(), seen.begin(), seen.end());
      }
    }
    pieces.resize(kept);
    if (kept < pieces.capacity() / 2) pieces.shrink_to_fit();
    for (std::size_t i = 0; i < kept; ++i) {
      if (original[i].empty()) continue;
      pieces[i].box.dst = united(original[i], pieces[i].box.dst);
      auto rewrites = std::make_shared<Rewrites>(*pieces[i].rewrites);
      rewrites->dst = united(rewritten[i], *pieces[i].rewritten_dst());
      pieces[i].rewrites = std::move(rewrites);
    }
  }

  // Whether a jump to `target` returns every piece unchanged: the chain exists, is not
  // being evaluated, the call stays within the depth limit, and every rule of it only
  // counts, logs or marks (or it has none). Such a call neither decides nor rewrites
  // anything, so its rules' splits would only fragment the region.
  bool call_changes_nothing(int target) {
    return fwm::call_changes_nothing(rs_, *index_, target, stack_, opts_.max_call_depth);
  }

  const Ruleset& rs_;
  const EvalOptions& opts_;
  EvalResult& result_;
  std::shared_ptr<const RuleIndex> index_;
  std::vector<int> stack_;
  bool atomized_ = false;                             // some piece was cut by destination: coalesce the results
  std::vector<std::vector<const Rule*>*> recorders_;  // the memoized calls under way: rules matched
  std::shared_ptr<WorkBudget> budget_;
  std::size_t unspent_ = 0;  // cuts not yet counted in budget_
};

}  // namespace

std::string call_problem(const Ruleset& rs, const Rule& rule, const std::vector<int>& stack,
                         std::size_t max_call_depth) {
  const int target = rule.action.target_chain;
  if (target < 0)
    return fmt::format("{}:{}: jump to a chain that does not exist ({})", rule.span.file, rule.span.line,
                       rule.action.label);
  if (std::find(stack.begin(), stack.end(), target) != stack.end())
    return fmt::format("{}:{}: jump loop: chain {} is already being evaluated", rule.span.file, rule.span.line,
                       rs.chains[static_cast<std::size_t>(target)].name);
  if (stack.size() >= max_call_depth)
    return fmt::format("{}:{}: chain calls nested deeper than {}", rule.span.file, rule.span.line, max_call_depth);
  return {};
}

bool call_changes_nothing(const Ruleset& rs, const RuleIndex& index, int target, const std::vector<int>& stack,
                          std::size_t max_call_depth) {
  if (target < 0 || static_cast<std::size_t>(target) >= rs.chains.size() ||
      std::find(stack.begin(), stack.end(), target) != stack.end() || stack.size() >= max_call_depth)
    return false;
  return index.only_continue_rules(rs, target);
}

PortVerdicts port_verdicts(const std::vector<Piece>& pieces, const PortSet& universe) {
  PortSet not_accepted, undetermined, denied;
  for (const auto& piece : pieces) {
    if (piece.verdict != Verdict::Accept) not_accepted.add(piece.box.dport);
    if (piece.verdict == Verdict::Undetermined) undetermined.add(piece.box.dport);
    if (piece.verdict == Verdict::Deny) denied.add(piece.box.dport);
  }
  return {universe.subtract(not_accepted), undetermined.subtract(denied)};
}

namespace {

EvalResult evaluate_with_boxes(const Ruleset& ruleset, const Pipeline& pipeline, const Box& query,
                               const EvalOptions& options, std::shared_ptr<WorkBudget> budget = {}) {
  EvalResult result;
  if (query.empty()) return result;
  Evaluator ev(ruleset, options, result, std::move(budget));
  result.pieces = ev.run_pipeline(pipeline, query);
  return result;
}

// FWM_EVAL_ENGINE=boxes or =diagrams makes every EvalEngine::Auto evaluation take that
// engine (the golden tests run once with each).
EvalEngine engine_for(EvalEngine asked) {
  if (asked != EvalEngine::Auto) return asked;
  static const EvalEngine forced = [] {
    const char* env = std::getenv("FWM_EVAL_ENGINE");
    std::string_view name = env ? env : "";
    return name == "boxes" ? EvalEngine::Boxes : name == "diagrams" ? EvalEngine::Diagrams : EvalEngine::Auto;
  }();
  return forced;
}

}  // namespace

EvalResult evaluate(const Ruleset& ruleset, const Pipeline& pipeline, const Box& query, const EvalOptions& options) {
  const EvalEngine engine = engine_for(options.engine);
  if (engine == EvalEngine::Auto)
    if (const SourceSlicesMet slices = source_slices_met(ruleset, query, options); slices.count() >= 2) {
      auto budget = std::make_shared<WorkBudget>();
      budget->limit = kWholeQueryWorkBeforeSlices;
      try {
        return evaluate_with_boxes(ruleset, pipeline, query, options, budget);
      } catch (const BoxWorkExceeded&) {
        return evaluate_in_source_slices(ruleset, pipeline, query, options, slices);
      }
    }
  if (engine == EvalEngine::Diagrams)
    if (auto result = evaluate_with_bdds(ruleset, pipeline, query, options)) return std::move(*result);
  if (engine == EvalEngine::Auto && !query.empty()) {
    const auto index = rule_index(ruleset);
    if (options.follow_fragmentation && index->boxes_fragment())
      if (auto result = evaluate_with_bdds(ruleset, pipeline, query, options)) return std::move(*result);
    auto budget = std::make_shared<WorkBudget>();
    budget->limit = options.box_work_budget ? options.box_work_budget : index->rule_count() + 20'000;
    if (options.follow_fragmentation) budget->gives_up_with = index.get();
    try {
      return evaluate_with_boxes(ruleset, pipeline, query, options, budget);
    } catch (const BoxWorkExceeded&) {
      index->note_boxes_fragment();
      if (auto result = evaluate_with_bdds(ruleset, pipeline, query, options)) return std::move(*result);
    }
  }
  return evaluate_with_boxes(ruleset, pipeline, query, options);
}

}  // namespace fwm
