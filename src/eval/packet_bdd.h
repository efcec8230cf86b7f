// Packet sets as binary decision diagrams (decision_diagram.h): one variable per header
// bit, so that a set cut by thousands of rules on different fields stays one diagram
// whose size grows with the rules, not with the product of their cuts (the box splitting
// of evaluator.cpp multiplies pieces with every address cut).
#pragma once

#include <bitset>
#include <memory>
#include <vector>

#include "eval/decision_diagram.h"
#include "eval/region.h"

namespace fwm {

// The variables of one header field, most significant bit first.
struct BddField {
  std::vector<std::uint32_t> vars;
  unsigned width() const { return static_cast<unsigned>(vars.size()); }
};

// The variable layout of one address family. Top to bottom: protocol, interfaces,
// conntrack state, source address, destination address (original and current bits
// interleaved), source port, destination port (interleaved likewise), and two flags that
// say an unknown condition may have given an accept or a deny (evaluator.cpp's
// Work::maybe). "Current" destination bits are what rules see after a DNAT rewrote them;
// "original" ones keep the query's value for reporting.
struct BddLayout {
  BddField proto, in_iface, out_iface, state, src, dst, dst_original, sport, dport, dport_original;
  std::uint32_t maybe_accept = 0, maybe_deny = 0;
  std::uint32_t var_count = 0;
};

class BoxReader;

// The diagram nodes an evaluation may keep alive for `--max-pieces` (4 per piece).
inline std::size_t diagram_node_limit(std::size_t max_pieces) {
  return max_pieces > (std::size_t(1) << 28) ? std::size_t(1) << 30 : max_pieces * 4;
}

// The packet sets of one family, in a manager of their own (one evaluation, one thread).
class PacketBdds {
 public:
  // `max_nodes`: live diagram nodes allowed (an operation past it throws DiagramNodeLimit).
  PacketBdds(Family family, std::size_t max_nodes);
  ~PacketBdds();

  const BddLayout& layout() const { return layout_; }
  DiagramManager& manager() { return manager_; }
  Diagram yes() { return manager_.constant(true); }
  Diagram no() { return manager_.constant(false); }
  Diagram var(std::uint32_t v, bool positive = true) { return manager_.var(v, positive); }
  DiagramVarSet var_set(const std::vector<const BddField*>& fields);

  // Values of a field over `below` (the conditions on the fields under it).
  template <class Set>
  Diagram intervals(const BddField& field, const Set& set, const Diagram& below) {
    Diagram out = no();
    for (const auto& iv : set.intervals())
      out |= manager_.range(field.vars, static_cast<u128>(iv.lo), static_cast<u128>(iv.hi), below);
    return out;
  }
  template <std::size_t N>
  Diagram bits(const BddField& field, const std::bitset<N>& set, const Diagram& below) {
    if (set.all() && (std::size_t(1) << field.width()) == N) return below;
    Diagram out = no();
    for (std::size_t i = 0; i < N;) {
      if (!set.test(i)) {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j + 1 < N && set.test(j + 1)) ++j;
      out |= manager_.range(field.vars, i, j, below);
      i = j + 1;
    }
    return out;
  }

  // The packets of a box, on the current destination bits (and the original ones equal to
  // them when `track_original`), with no maybe flag set.
  Diagram box(const Box& b, bool track_original);
  // The packets a rule's known conditions match, on the current destination bits.
  Diagram match(const Match& m);

  // The set as boxes on the original destination bits (current ones when
  // `!track_original`), one per path through the fields of the diagram: a field that the
  // set does not constrain below some value of the fields above is one whole interval.
  // False when more than `max_boxes` would come out (`out` then holds the first ones).
  bool to_boxes(const Diagram& set, bool track_original, std::size_t max_boxes, std::vector<Box>& out);

 private:
  Family family_;
  BddLayout layout_;
  DiagramManager manager_;
  std::unique_ptr<DiagramVarSet> drop_current_;
  std::unique_ptr<BoxReader> reader_;  // its memo holds node numbers: read while the sets live
  bool reader_tracks_original_ = false;
};

}  // namespace fwm
