#include "ir/rule_index.h"

#include <algorithm>
#include <limits>

#include "ir/ruleset.h"

namespace fwm {

template <class T>
void IntervalStabber<T>::build() {
  std::sort(entries_.begin(), entries_.end(),
            [](const Entry& a, const Entry& b) { return a.lo < b.lo || (a.lo == b.lo && a.pos < b.pos); });
  max_hi_.assign(entries_.size(), T(0));
  build_max(0, entries_.size());
}

template <class T>
T IntervalStabber<T>::build_max(std::size_t l, std::size_t r) {
  if (l >= r) return T(0);
  std::size_t mid = l + (r - l) / 2;
  T m = std::max({entries_[mid].hi, build_max(l, mid), build_max(mid + 1, r)});
  max_hi_[mid] = m;
  return m;
}

template <class T>
void IntervalStabber<T>::stab(std::size_t l, std::size_t r, T lo, T hi, std::vector<const Entry*>& out,
                              std::size_t limit) const {
  while (l < r && out.size() <= limit) {
    std::size_t mid = l + (r - l) / 2;
    if (max_hi_[mid] < lo) return;  // nothing in [l, r) reaches lo
    stab(l, mid, lo, hi, out, limit);
    const Entry& e = entries_[mid];
    if (e.lo > hi) return;  // this one and everything right of it start after hi
    if (e.hi >= lo) out.push_back(&e);
    l = mid + 1;  // the right half, iteratively
  }
}

template <class T>
bool IntervalStabber<T>::collect(const IntervalSet<T>& query, std::vector<const Entry*>& out, std::size_t limit) const {
  if (entries_.empty()) return true;
  for (const auto& iv : query.intervals()) {
    stab(0, entries_.size(), iv.lo, iv.hi, out, limit);
    if (out.size() > limit) return false;
  }
  return true;
}

template class IntervalStabber<std::uint32_t>;
template class IntervalStabber<u128>;

namespace {

// Proto sets larger than this (e.g. "! -p tcp") are treated as matching any
// protocol.
constexpr std::size_t kMaxIndexedProtos = 16;

template <class T>
bool covers_everything(const IntervalSet<T>& set, T max_value) {
  return set.size() == 1 && set.intervals()[0].lo == 0 && set.intervals()[0].hi == max_value;
}

// Calls `f` with each protocol number in the set, in ascending order (a word at a time:
// most sets hold one protocol or a few).
template <class F>
void for_each_protocol(const std::bitset<256>& protocols, F&& f) {
  for (std::size_t p = protocols._Find_first(); p < protocols.size(); p = protocols._Find_next(p)) f(p);
}

// The share of its domain [0, max_value] that a set covers, roughly.
template <class T>
double share_of_domain(const IntervalSet<T>& set, T max_value) {
  return static_cast<double>(set.count()) / (static_cast<double>(max_value) + 1.0);
}

// Candidates few enough that narrowing them further by another field costs more than
// the evaluator's own check of each rule's match.
constexpr std::size_t kFewCandidates = 8;

// Sorted union of a sorted list and unsorted positions.
std::vector<int> merge_positions(const std::vector<int>& sorted, std::vector<int> more) {
  std::sort(more.begin(), more.end());
  std::vector<int> out;
  out.reserve(sorted.size() + more.size());
  std::set_union(sorted.begin(), sorted.end(), more.begin(), more.end(), std::back_inserter(out));
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

// The reach of a call: that of its chain, when the rule is a call (a goto hands back what
// its chain does not decide to the caller's caller: it is not indexed by its chain) to a
// chain that does something.
const ChainReach* call_reach(const Rule& rule, const std::vector<ChainReach>& reach) {
  if (rule.action.kind != ActionKind::Jump || rule.action.target_chain < 0) return nullptr;
  const ChainReach& r = reach[static_cast<std::size_t>(rule.action.target_chain)];
  return r.nothing ? nullptr : &r;
}

std::vector<ChainReach> chains_reach(const Ruleset& rs) {
  std::vector<ChainReach> reach(rs.chains.size());
  std::vector<std::uint8_t> state(rs.chains.size(), 0);  // 0 to do, 1 being worked out, 2 done
  auto work_out = [&](auto& self, std::size_t c) -> void {
    state[c] = 1;
    ChainReach out;
    // Intervals gathered, then sorted and joined once (a union per rule is quadratic in a
    // chain of thousands of rules).
    std::vector<Interval<std::uint32_t>> ports;
    std::bitset<256> protos;
    std::vector<Interval<u128>> sources_v4, sources_v6;
    auto gather = [](auto& into, const auto& set) {
      into.insert(into.end(), set.intervals().begin(), set.intervals().end());
    };
    bool any_port = false, any_proto = false, any_source = false;
    for (const Rule& rule : rs.chains[c].rules) {
      if (rule.action.kind == ActionKind::Continue || rule.match.never) continue;
      const Match& m = rule.match;
      const ChainReach* called = nullptr;
      if (rule.action.kind == ActionKind::Jump && rule.action.target_chain >= 0) {
        const auto t = static_cast<std::size_t>(rule.action.target_chain);
        if (state[t] == 0) self(self, t);
        if (state[t] == 1) {
          any_port = any_proto = any_source = true;  // a loop: anything
          out.nothing = false;
          continue;
        }
        if (reach[t].nothing) continue;  // the call changes nothing
        called = &reach[t];
      }
      out.nothing = false;
      if (m.dport) {
        gather(ports, *m.dport);
      } else if (called && called->dport) {
        gather(ports, *called->dport);
      } else {
        any_port = true;
      }
      if (m.proto) {
        protos |= *m.proto;
      } else if (called && called->proto) {
        protos |= *called->proto;
      } else {
        any_proto = true;
      }
      if (m.src) {
        gather(sources_v4, m.src->v4);
        gather(sources_v6, m.src->v6);
      } else if (called && called->src) {
        gather(sources_v4, called->src->v4);
        gather(sources_v6, called->src->v6);
      } else {
        any_source = true;
      }
    }
    if (!any_port) out.dport = PortSet::union_of(std::move(ports));
    if (!any_proto) out.proto = protos;
    if (!any_source) {
      out.src = AddrSet{AddrIntervals::union_of(std::move(sources_v4)), AddrIntervals::union_of(std::move(sources_v6))};
    }
    reach[c] = std::move(out);
    state[c] = 2;
  };
  for (std::size_t c = 0; c < rs.chains.size(); ++c)
    if (state[c] == 0) work_out(work_out, c);
  return reach;
}

ChainIndex::ChainIndex(const Chain& chain, const std::vector<ChainReach>& reach) {
  for (std::size_t i = 0; i < chain.rules.size(); ++i) {
    const Rule& rule = chain.rules[i];
    const Match& m = rule.match;
    if (rule.action.kind == ActionKind::Continue || m.never) continue;
    int pos = static_cast<int>(i);
    all_.push_back(pos);
    const ChainReach* called = call_reach(rule, reach);
    const std::bitset<256>* proto = m.proto ? &*m.proto : called && called->proto ? &*called->proto : nullptr;
    if (!proto || proto->count() > kMaxIndexedProtos) {
      proto_wild_.push_back(pos);
    } else {
      for_each_protocol(*proto, [&](std::size_t p) { by_proto_[p].push_back(pos); });
    }
    const PortSet* dport = m.dport ? &*m.dport : called && called->dport ? &*called->dport : nullptr;
    if (!dport) {
      dport_wild_.push_back(pos);
    } else {
      for (const auto& iv : dport->intervals()) dport_.add(iv.lo, iv.hi, pos);
    }
    if (!m.dst) {
      dst_wild_.push_back(pos);
    } else {
      for (const auto& iv : m.dst->v4.intervals()) dst_v4_.add(iv.lo, iv.hi, pos);
      for (const auto& iv : m.dst->v6.intervals()) dst_v6_.add(iv.lo, iv.hi, pos);
    }
    const AddrSet* src = m.src ? &*m.src : called && called->src ? &*called->src : nullptr;
    if (!src) {
      src_wild_.push_back(pos);
    } else {
      for (const auto& iv : src->v4.intervals()) src_v4_.add(iv.lo, iv.hi, pos);
      for (const auto& iv : src->v6.intervals()) src_v6_.add(iv.lo, iv.hi, pos);
    }
  }
  dport_.build();
  dst_v4_.build();
  dst_v6_.build();
  src_v4_.build();
  src_v6_.build();
}

std::vector<int> ChainIndex::candidates(const IndexQuery& q, std::size_t start) const {
  const std::vector<int>* best = &all_;
  std::vector<int> narrowed;
  auto consider = [&](std::vector<int> list) {
    if (list.size() < best->size()) {
      narrowed = std::move(list);
      best = &narrowed;
    }
  };
  auto by_stabber = [&](const auto& stabber, const auto& query, const std::vector<int>& wild) {
    if (wild.size() >= best->size()) return;
    // Each interval of the query is a stab of its own: a list of candidates shorter than
    // the query's intervals is cheaper to check rule by rule (a piece's ports after
    // hundreds of rules cut holes in them).
    if (query.size() > best->size()) return;
    std::vector<const typename std::remove_reference_t<decltype(stabber)>::Entry*> hits;
    if (!stabber.collect(query, hits, best->size() - wild.size())) return;
    std::vector<int> more;
    more.reserve(hits.size());
    for (const auto* e : hits) more.push_back(e->pos);
    consider(merge_positions(wild, std::move(more)));
  };
  // The narrowest of destination, source and port first (usually an address, the most
  // selective field of large chains): the others then stop as soon as they find more
  // rules than the first. A piece with one port and every address but a few (what a
  // rule "-d IP --dport P" leaves of the ports it does not match) would otherwise stab
  // every rule of the chain by address, once per rule that cuts it.
  const u128 max_address = q.v6 ? kMaxV6 : kMaxV4;
  struct Field {
    double share;
    int which;  // 0 destination, 1 source, 2 port
  };
  std::array<Field, 3> fields{};
  std::size_t used = 0;
  if (q.dst && !covers_everything(*q.dst, max_address)) fields[used++] = {share_of_domain(*q.dst, max_address), 0};
  if (q.src && !covers_everything(*q.src, max_address)) fields[used++] = {share_of_domain(*q.src, max_address), 1};
  if (q.dport && !covers_everything(*q.dport, kMaxPort)) fields[used++] = {share_of_domain(*q.dport, kMaxPort), 2};
  std::stable_sort(fields.begin(), fields.begin() + static_cast<std::ptrdiff_t>(used),
                   [](const Field& a, const Field& b) { return a.share < b.share; });
  for (std::size_t k = 0; k < used && best->size() > kFewCandidates; ++k) {
    if (fields[k].which == 0) by_stabber(q.v6 ? dst_v6_ : dst_v4_, *q.dst, dst_wild_);
    if (fields[k].which == 1) by_stabber(q.v6 ? src_v6_ : src_v4_, *q.src, src_wild_);
    if (fields[k].which == 2) by_stabber(dport_, *q.dport, dport_wild_);
  }
  if (q.proto && q.proto->count() <= kMaxIndexedProtos) {
    std::size_t estimate = proto_wild_.size();
    for_each_protocol(*q.proto, [&](std::size_t p) { estimate += by_proto_[p].size(); });
    if (estimate < best->size()) {
      std::vector<int> list = proto_wild_;
      for_each_protocol(*q.proto, [&](std::size_t p) {
        if (by_proto_[p].empty()) return;
        std::vector<int> joined;
        joined.reserve(list.size() + by_proto_[p].size());
        std::set_union(list.begin(), list.end(), by_proto_[p].begin(), by_proto_[p].end(), std::back_inserter(joined));
        list = std::move(joined);
      });
      consider(std::move(list));
    }
  }
  auto first = std::lower_bound(best->begin(), best->end(), static_cast<int>(start));
  return std::vector<int>(first, best->end());
}

RuleIndex::RuleIndex(const Ruleset& rs)
    : reach_(chains_reach(rs)), only_continue_(new std::atomic<std::uint64_t>[rs.chains.size()]()) {
  chains_.resize(rs.chains.size());
  for (std::size_t i = 0; i < rs.chains.size(); ++i) {
    std::size_t size = rs.chains[i].rules.size();
    rule_count_ += size;
    if (size < kIndexedChainMinRules) continue;
    chains_[i] = std::make_unique<ChainIndex>(rs.chains[i], reach_);
    indexed_sizes_.emplace_back(i, size);
  }
}

bool RuleIndex::fits(const Ruleset& rs) const {
  if (rs.chains.size() != chains_.size()) return false;
  for (const auto& [chain, size] : indexed_sizes_)
    if (rs.chains[chain].rules.size() != size) return false;
  return true;
}

bool RuleIndex::only_continue_rules(const Ruleset& rs, int chain) const {
  const auto c = static_cast<std::size_t>(chain);
  const auto& rules = rs.chains[c].rules;
  const std::uint64_t known = only_continue_[c].load(std::memory_order_relaxed);
  if (known != 0 && known >> 2 == rules.size()) return (known & 3) == 2;
  const bool only =
      std::all_of(rules.begin(), rules.end(), [](const Rule& r) { return r.action.kind == ActionKind::Continue; });
  only_continue_[c].store((std::uint64_t(rules.size()) << 2) | (only ? 2 : 1), std::memory_order_relaxed);
  return only;
}

const RuleIndex::WholeRuleset& RuleIndex::whole_ruleset(const Ruleset& rs) const {
  std::call_once(whole_ruleset_once_, [&] {
    auto one_value = [](const auto& set) {
      return set.size() == 1 && set.intervals().front().lo == set.intervals().front().hi;
    };
    for (const Chain& c : rs.chains)
      for (const Rule& r : c.rules) {
        if (r.match.has_unknown()) whole_ruleset_.unknown_conditions = true;
        if (r.action.kind == ActionKind::SetState) whole_ruleset_.sets_state = true;
        if (r.action.kind != ActionKind::Rewrite) continue;
        for (Family f : {Family::V4, Family::V6}) {
          const auto i = static_cast<std::size_t>(f);
          if (!r.match.families.test(i)) continue;
          whole_ruleset_.rewrites[i] = true;
          if ((r.action.new_dport && !one_value(*r.action.new_dport)) ||
              (r.action.new_daddr && !one_value(r.action.new_daddr->of(f))))
            whole_ruleset_.rewrites_to_one_value[i] = false;
        }
      }
  });
  return whole_ruleset_;
}

namespace {

// Cutting by source pays once the rules hold kSourceSlicesMinSlices slices' worth of
// source intervals (below it, one evaluation of the whole query is as cheap), and while
// rules without a source condition, which every slice walks again, are at most a
// kSourceSlicesMaxWideShare-th of them. Calls are not counted: the index hands a slice
// only the calls whose chain can match it.
constexpr std::size_t kSourceSlicesMinSlices = 16;
constexpr std::size_t kSourceSlicesMaxWideShare = 32;

std::vector<u128> plan_source_slices(const Ruleset& rs, Family f, std::size_t rules_per_slice) {
  const u128 max_address = f == Family::V6 ? kMaxV6 : kMaxV4;
  std::vector<Interval<u128>> cuts;
  std::size_t wide = 0;
  for (const Chain& c : rs.chains)
    for (const Rule& r : c.rules) {
      if (r.match.never || !r.match.families.test(static_cast<std::size_t>(f))) continue;
      if (r.action.kind == ActionKind::Continue) continue;
      if (r.match.src && !covers_everything(r.match.src->of(f), max_address)) {
        for (const auto& iv : r.match.src->of(f).intervals()) cuts.push_back(iv);
      } else if (r.action.kind != ActionKind::Jump && r.action.kind != ActionKind::Goto) {
        ++wide;
      }
    }
  if (rules_per_slice == 0 || cuts.size() < kSourceSlicesMinSlices * rules_per_slice ||
      wide * kSourceSlicesMaxWideShare > cuts.size())
    return {};
  std::sort(cuts.begin(), cuts.end(), [](const auto& a, const auto& b) { return a.lo < b.lo; });
  // Greedy, in address order: a slice takes the intervals that start in it until one more
  // would make them more than rules_per_slice; the next slice starts at that interval's
  // first address. (Wide intervals, a /8 over many /24s, are in every slice they span:
  // like rules without a source, each slice walks them again.)
  std::vector<u128> starts{0};
  std::size_t started = 0;  // intervals that start in the current slice
  for (const auto& iv : cuts) {
    if (started >= rules_per_slice && iv.lo > starts.back()) {
      starts.push_back(iv.lo);
      started = 0;
    }
    ++started;
  }
  if (starts.size() < 4) return {};
  return starts;
}

}  // namespace

const std::vector<u128>& RuleIndex::source_slices(const Ruleset& rs, Family f, std::size_t rules_per_slice) const {
  std::lock_guard<std::mutex> lock(source_slices_mutex_);
  const auto key = std::make_pair(f, rules_per_slice);
  auto it = source_slices_.find(key);
  if (it == source_slices_.end()) it = source_slices_.emplace(key, plan_source_slices(rs, f, rules_per_slice)).first;
  return it->second;
}

std::shared_ptr<const RuleIndex> rule_index(const Ruleset& rs) {
  std::lock_guard<std::mutex> lock(*rs.index_mutex);
  if (!rs.index_cache || !rs.index_cache->fits(rs)) rs.index_cache = std::make_shared<RuleIndex>(rs);
  return rs.index_cache;
}

}  // namespace fwm
