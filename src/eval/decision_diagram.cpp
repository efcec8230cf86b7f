#include "eval/decision_diagram.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace fwm {

namespace {
constexpr std::uint32_t kTerminalVar = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint32_t kFreeVar = kTerminalVar - 1;
constexpr std::size_t kFirstCollection = std::size_t(1) << 20;  // nodes
constexpr std::size_t kMinCache = std::size_t(1) << 16, kMaxCache = std::size_t(1) << 20;

std::size_t power_of_two_at_least(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

std::size_t node_hash(std::uint32_t var, DiagramNode low, DiagramNode high) {
  std::uint64_t h = std::uint64_t(var) * 0x9E3779B97F4A7C15ULL;
  h ^= std::uint64_t(low) * 0xC2B2AE3D27D4EB4FULL + (h << 6) + (h >> 2);
  h ^= std::uint64_t(high) * 0x165667B19E3779F9ULL + (h << 6) + (h >> 2);
  return static_cast<std::size_t>(h ^ (h >> 31));
}
}  // namespace

// ---------------------------------------------------------------------------------
// Diagram handles

Diagram::Diagram(DiagramManager* manager, DiagramNode node) : manager_(manager), node_(node) {
  if (manager_) manager_->ref(node_);
}
Diagram::Diagram(const Diagram& other) : manager_(other.manager_), node_(other.node_) {
  if (manager_) manager_->ref(node_);
}
Diagram::Diagram(Diagram&& other) noexcept : manager_(other.manager_), node_(other.node_) {
  other.node_ = kDiagramFalse;
}
Diagram& Diagram::operator=(const Diagram& other) {
  if (other.manager_) other.manager_->ref(other.node_);
  if (manager_) manager_->unref(node_);
  manager_ = other.manager_;
  node_ = other.node_;
  return *this;
}
Diagram& Diagram::operator=(Diagram&& other) noexcept {
  if (this != &other) {
    if (manager_) manager_->unref(node_);
    manager_ = other.manager_;
    node_ = other.node_;
    other.node_ = kDiagramFalse;
  }
  return *this;
}
Diagram::~Diagram() {
  if (manager_) manager_->unref(node_);
}
Diagram Diagram::operator&(const Diagram& other) const { return manager_->apply_and(*this, other); }
Diagram Diagram::operator|(const Diagram& other) const {
  DiagramManager* m = manager_ ? manager_ : other.manager_;
  return m->apply_or(*this, other);
}
Diagram Diagram::operator-(const Diagram& other) const { return manager_->apply_diff(*this, other); }

// ---------------------------------------------------------------------------------
// The manager

DiagramManager::DiagramManager(std::uint32_t var_count, std::size_t max_nodes)
    : var_count_(var_count),
      max_nodes_(max_nodes),
      first_collection_(std::min(kFirstCollection, std::max<std::size_t>(max_nodes, 4096))),
      collect_at_(first_collection_) {
  nodes_.push_back({kTerminalVar, kDiagramFalse, kDiagramFalse});
  nodes_.push_back({kTerminalVar, kDiagramTrue, kDiagramTrue});
  refs_.assign(2, 0);
  table_.assign(std::size_t(1) << 12, 0);
  cache_.assign(kMinCache, CacheEntry{});
}

Diagram DiagramManager::var(std::uint32_t v, bool positive) {
  safe_point();
  return {this, positive ? make(v, kDiagramFalse, kDiagramTrue) : make(v, kDiagramTrue, kDiagramFalse)};
}

DiagramVarSet DiagramManager::var_set(const std::vector<std::uint32_t>& vars) {
  DiagramVarSet s;
  s.id = next_var_set_++;
  s.member.assign(var_count_, 0);
  for (std::uint32_t v : vars) {
    s.member[v] = 1;
    s.last = std::max(s.last, v);
  }
  return s;
}

Diagram DiagramManager::range(const std::vector<std::uint32_t>& vars, u128 lo, u128 hi, const Diagram& below) {
  safe_point();
  const std::size_t w = vars.size();
  auto bit = [w](u128 value, std::size_t depth) { return static_cast<int>((value >> (w - 1 - depth)) & 1); };
  const DiagramNode rest = below.node();
  // Depth-first over the bits: only the bits where the value is still pinned to lo or to hi
  // get nodes (at most two chains below the first bit where lo and hi differ).
  auto build = [&](auto& self, std::size_t depth, bool lo_tight, bool hi_tight) -> DiagramNode {
    if ((!lo_tight && !hi_tight) || depth == w) return rest;
    const int lb = bit(lo, depth), hb = bit(hi, depth);
    DiagramNode zero =
        (lo_tight && lb == 1) ? kDiagramFalse : self(self, depth + 1, lo_tight && lb == 0, hi_tight && hb == 0);
    DiagramNode one =
        (hi_tight && hb == 0) ? kDiagramFalse : self(self, depth + 1, lo_tight && lb == 1, hi_tight && hb == 1);
    return make(vars[depth], zero, one);
  };
  if (lo > hi) return constant(false);
  return {this, build(build, 0, true, true)};
}

Diagram DiagramManager::apply_and(const Diagram& a, const Diagram& b) {
  safe_point();
  return {this, and_rec(a.node(), b.node())};
}
Diagram DiagramManager::apply_or(const Diagram& a, const Diagram& b) {
  safe_point();
  return {this, or_rec(a.node(), b.node())};
}
Diagram DiagramManager::apply_diff(const Diagram& a, const Diagram& b) {
  safe_point();
  return {this, diff_rec(a.node(), b.node())};
}
Diagram DiagramManager::exists(const Diagram& a, const DiagramVarSet& vars) {
  safe_point();
  return {this, exists_rec(a.node(), vars)};
}

DiagramNode DiagramManager::make(std::uint32_t var, DiagramNode low, DiagramNode high) {
  if (low == high) return low;
  if ((nodes_.size() + 1) * 10 > table_.size() * 7) rehash(table_.size() * 2);  // load at most 0.7
  const std::size_t mask = table_.size() - 1;
  const std::size_t h = node_hash(var, low, high);
  // A slot holds the node and 32 bits of its hash: most slots that hold another node are
  // passed over without reading that node.
  const std::uint64_t tag = (static_cast<std::uint64_t>(h >> 32) | 1) << 32;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    const std::uint64_t slot = table_[i];
    if (slot == 0) {
      DiagramNode n;
      if (!free_.empty()) {
        n = free_.back();
        free_.pop_back();
        nodes_[n] = {var, low, high};
        refs_[n] = 0;
      } else {
        n = static_cast<DiagramNode>(nodes_.size());
        nodes_.push_back({var, low, high});
        refs_.push_back(0);
      }
      table_[i] = tag | n;
      return n;
    }
    if ((slot & ~std::uint64_t(0xffffffff)) != tag) continue;
    const DiagramNode n = static_cast<DiagramNode>(slot);
    const NodeData& d = nodes_[n];
    if (d.var == var && d.low == low && d.high == high) return n;
  }
}

void DiagramManager::rehash(std::size_t buckets) {
  table_.assign(buckets, 0);
  const std::size_t mask = buckets - 1;
  for (DiagramNode n = 2; n < nodes_.size(); ++n) {
    const NodeData& d = nodes_[n];
    if (d.var == kFreeVar) continue;
    const std::size_t h = node_hash(d.var, d.low, d.high);
    std::size_t i = h & mask;
    while (table_[i] != 0) i = (i + 1) & mask;
    table_[i] = ((static_cast<std::uint64_t>(h >> 32) | 1) << 32) | n;
  }
}

void DiagramManager::safe_point() {
  if (free_.empty() && nodes_.size() >= collect_at_) collect();
}

void DiagramManager::collect() {
  std::vector<std::uint8_t> marked(nodes_.size(), 0);
  marked[0] = marked[1] = 1;
  std::vector<DiagramNode> stack;
  for (DiagramNode n = 2; n < nodes_.size(); ++n)
    if (refs_[n] > 0 && !marked[n]) {
      stack.push_back(n);
      marked[n] = 1;
      while (!stack.empty()) {
        DiagramNode m = stack.back();
        stack.pop_back();
        for (DiagramNode c : {nodes_[m].low, nodes_[m].high})
          if (!marked[c]) {
            marked[c] = 1;
            stack.push_back(c);
          }
      }
    }
  free_.clear();
  std::size_t live = 0;
  for (DiagramNode n = static_cast<DiagramNode>(nodes_.size()); n-- > 2;) {
    if (marked[n]) {
      ++live;
    } else {
      nodes_[n].var = kFreeVar;
      free_.push_back(n);
    }
  }
  if (live > max_nodes_) throw DiagramNodeLimit{};
  rehash(table_.size());
  const std::size_t cache_size = std::clamp(power_of_two_at_least(nodes_.size() / 2), kMinCache, kMaxCache);
  cache_.assign(cache_size, CacheEntry{});
  // Collect again once the free slots are used up and the table holds twice the live
  // nodes (never before the first collection's size).
  collect_at_ = std::max(first_collection_, 2 * live);
}

namespace {
constexpr DiagramNode kDescend = std::numeric_limits<DiagramNode>::max();  // no node has it
}

// The recursion of and, or and difference: `terminal` answers the cases it can without
// descending (kDescend when it cannot); `commutes` orders the operands for the cache.
template <class Terminal>
DiagramNode DiagramManager::apply_rec(std::uint32_t op, bool commutes, DiagramNode a, DiagramNode b,
                                      const Terminal& terminal) {
  if (const DiagramNode t = terminal(a, b); t != kDescend) return t;
  if (commutes && a > b) std::swap(a, b);
  CacheEntry& slot = cache_slot(op, a, b);
  if (slot.op == op && slot.a == a && slot.b == b) return slot.result;
  const std::uint32_t va = nodes_[a].var, vb = nodes_[b].var, v = std::min(va, vb);
  const DiagramNode a0 = va == v ? nodes_[a].low : a, a1 = va == v ? nodes_[a].high : a;
  const DiagramNode b0 = vb == v ? nodes_[b].low : b, b1 = vb == v ? nodes_[b].high : b;
  const DiagramNode low = apply_rec(op, commutes, a0, b0, terminal);
  const DiagramNode high = apply_rec(op, commutes, a1, b1, terminal);
  const DiagramNode r = make(v, low, high);
  cache_slot(op, a, b) = {a, b, op, r};  // the recursion may have taken the slot
  return r;
}

DiagramNode DiagramManager::and_rec(DiagramNode a, DiagramNode b) {
  return apply_rec(kAnd, true, a, b, [](DiagramNode x, DiagramNode y) {
    if (x == kDiagramFalse || y == kDiagramFalse) return kDiagramFalse;
    if (x == kDiagramTrue || x == y) return y;
    if (y == kDiagramTrue) return x;
    return kDescend;
  });
}

DiagramNode DiagramManager::or_rec(DiagramNode a, DiagramNode b) {
  return apply_rec(kOr, true, a, b, [](DiagramNode x, DiagramNode y) {
    if (x == kDiagramTrue || y == kDiagramTrue) return kDiagramTrue;
    if (x == kDiagramFalse || x == y) return y;
    if (y == kDiagramFalse) return x;
    return kDescend;
  });
}

DiagramNode DiagramManager::diff_rec(DiagramNode a, DiagramNode b) {
  return apply_rec(kDiff, false, a, b, [](DiagramNode x, DiagramNode y) {
    if (x == kDiagramFalse || y == kDiagramTrue || x == y) return kDiagramFalse;
    if (y == kDiagramFalse) return x;
    return kDescend;
  });
}

DiagramNode DiagramManager::exists_rec(DiagramNode a, const DiagramVarSet& vars) {
  if (a <= kDiagramTrue || nodes_[a].var > vars.last) return a;
  const std::uint32_t op = kExistsBase + vars.id;
  CacheEntry& slot = cache_slot(op, a, 0);
  if (slot.op == op && slot.a == a) return slot.result;
  const NodeData d = nodes_[a];
  DiagramNode low = exists_rec(d.low, vars);
  DiagramNode high = exists_rec(d.high, vars);
  DiagramNode r = vars.member[d.var] ? or_rec(low, high) : make(d.var, low, high);
  cache_slot(op, a, 0) = {a, 0, op, r};
  return r;
}

}  // namespace fwm
