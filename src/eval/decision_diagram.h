// Reduced ordered binary decision diagrams, as small as the region evaluator needs: and,
// or, difference, existential quantification and direct construction of value ranges.
//
// Why not a library: Debian's BuDDy (libbdd-dev) keeps one node table per process (no
// two evaluations at once on two cores) and its calls cost about 170 ns each; the
// evaluator makes ranges bit by bit for every rule. Measured on 10,000 rules on their own
// /24 source and port set: 1.15 s per evaluation with BuDDy, see bench/README.md for
// this implementation's figures. Each DiagramManager is used by one thread.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/interval_set.h"  // u128

namespace fwm {

using DiagramNode = std::uint32_t;
constexpr DiagramNode kDiagramFalse = 0, kDiagramTrue = 1;

class DiagramManager;

// A diagram kept alive (reference counted, as BuDDy's bdd class): nodes no handle reaches
// are collected at the start of a later operation.
class Diagram {
 public:
  Diagram() = default;
  Diagram(DiagramManager* manager, DiagramNode node);
  Diagram(const Diagram& other);
  Diagram(Diagram&& other) noexcept;
  Diagram& operator=(const Diagram& other);
  Diagram& operator=(Diagram&& other) noexcept;
  ~Diagram();

  DiagramNode node() const { return node_; }
  bool is_false() const { return node_ == kDiagramFalse; }
  bool is_true() const { return node_ == kDiagramTrue; }
  friend bool operator==(const Diagram& a, const Diagram& b) { return a.node_ == b.node_; }

  Diagram operator&(const Diagram& other) const;
  Diagram operator|(const Diagram& other) const;
  Diagram operator-(const Diagram& other) const;  // difference
  Diagram& operator&=(const Diagram& other) { return *this = *this & other; }
  Diagram& operator|=(const Diagram& other) { return *this = *this | other; }
  Diagram& operator-=(const Diagram& other) { return *this = *this - other; }

 private:
  DiagramManager* manager_ = nullptr;
  DiagramNode node_ = kDiagramFalse;
};

// Variables to quantify, made once by DiagramManager::var_set().
struct DiagramVarSet {
  std::uint32_t id = 0;
  std::vector<std::uint8_t> member;  // per variable
  std::uint32_t last = 0;            // the lowest (largest-numbered) member
};

// Thrown by an operation when the live nodes pass the manager's limit.
struct DiagramNodeLimit {};

class DiagramManager {
 public:
  // Variables 0..var_count-1, 0 at the top. `max_nodes`: live nodes allowed.
  DiagramManager(std::uint32_t var_count, std::size_t max_nodes);
  DiagramManager(const DiagramManager&) = delete;
  DiagramManager& operator=(const DiagramManager&) = delete;

  Diagram constant(bool value) { return {this, value ? kDiagramTrue : kDiagramFalse}; }
  // The variable (true where it is 1) or its negation.
  Diagram var(std::uint32_t v, bool positive = true);
  // Values lo..hi of the unsigned number whose bits, most significant first, are `vars`
  // (increasing variable numbers), over `below` (what the variables under them must
  // satisfy: true for a lone field). Built node by node, no operation.
  Diagram range(const std::vector<std::uint32_t>& vars, u128 lo, u128 hi, const Diagram& below);
  DiagramVarSet var_set(const std::vector<std::uint32_t>& vars);

  Diagram apply_and(const Diagram& a, const Diagram& b);
  Diagram apply_or(const Diagram& a, const Diagram& b);
  Diagram apply_diff(const Diagram& a, const Diagram& b);
  Diagram exists(const Diagram& a, const DiagramVarSet& vars);

  // Reading: the variable of a non-terminal node and its children.
  std::uint32_t var_of(DiagramNode n) const { return nodes_[n].var; }
  DiagramNode low(DiagramNode n) const { return nodes_[n].low; }
  DiagramNode high(DiagramNode n) const { return nodes_[n].high; }
  bool is_terminal(DiagramNode n) const { return n <= kDiagramTrue; }

  std::size_t live_nodes() const { return nodes_.size() - free_.size(); }

 private:
  friend class Diagram;
  struct NodeData {
    std::uint32_t var;
    DiagramNode low, high;
  };
  struct CacheEntry {
    DiagramNode a = 0, b = 0;
    std::uint32_t op = 0;  // 0: empty
    DiagramNode result = 0;
  };
  enum Op : std::uint32_t { kAnd = 1, kOr, kDiff, kExistsBase };

  void ref(DiagramNode n) {
    if (n > kDiagramTrue) ++refs_[n];
  }
  void unref(DiagramNode n) {
    if (n > kDiagramTrue) --refs_[n];
  }
  DiagramNode make(std::uint32_t var, DiagramNode low, DiagramNode high);
  template <class Terminal>
  DiagramNode apply_rec(std::uint32_t op, bool commutes, DiagramNode a, DiagramNode b, const Terminal& terminal);
  DiagramNode and_rec(DiagramNode a, DiagramNode b);
  DiagramNode or_rec(DiagramNode a, DiagramNode b);
  DiagramNode diff_rec(DiagramNode a, DiagramNode b);
  DiagramNode exists_rec(DiagramNode a, const DiagramVarSet& vars);
  // Before an operation: collects unreachable nodes when the table has grown enough.
  void safe_point();
  void collect();
  void rehash(std::size_t buckets);
  CacheEntry& cache_slot(std::uint32_t op, DiagramNode a, DiagramNode b) {
    std::uint64_t h = (std::uint64_t(a) * 0x9E3779B97F4A7C15ULL) ^ (std::uint64_t(b) * 0xC2B2AE3D27D4EB4FULL) ^ op;
    return cache_[(h ^ (h >> 29)) & (cache_.size() - 1)];
  }

  std::uint32_t var_count_;
  std::size_t max_nodes_;
  std::vector<NodeData> nodes_;
  std::vector<std::uint32_t> refs_;
  std::vector<DiagramNode> free_;
  std::vector<std::uint64_t> table_;  // open addressing: hash bits << 32 | node; 0 = empty
  std::vector<CacheEntry> cache_;
  std::size_t first_collection_;  // nodes before the first collection
  std::size_t collect_at_;
  std::uint32_t next_var_set_ = 0;
};

}  // namespace fwm
