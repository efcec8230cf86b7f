#include "eval/packet_bdd.h"

#include <algorithm>
#include <unordered_map>

namespace fwm {

namespace {

constexpr unsigned kAddressBits[2] = {32, 128};

// Lays the variables of one family out (see BddLayout).
BddLayout make_layout(Family f) {
  BddLayout l;
  std::uint32_t next = 0;
  auto field = [&next](BddField& fld, unsigned width) {
    for (unsigned i = 0; i < width; ++i) fld.vars.push_back(next++);
  };
  auto interleaved = [&next](BddField& original, BddField& current, unsigned width) {
    for (unsigned i = 0; i < width; ++i) {
      original.vars.push_back(next++);
      current.vars.push_back(next++);
    }
  };
  const unsigned addr = kAddressBits[static_cast<int>(f)];
  field(l.proto, 8);
  field(l.in_iface, 8);
  field(l.out_iface, 8);
  field(l.state, 3);
  field(l.src, addr);
  interleaved(l.dst_original, l.dst, addr);
  field(l.sport, 16);
  interleaved(l.dport_original, l.dport, 16);
  l.maybe_accept = next++;
  l.maybe_deny = next++;
  l.var_count = next;
  return l;
}

}  // namespace

PacketBdds::PacketBdds(Family family, std::size_t max_nodes)
    : family_(family), layout_(make_layout(family)), manager_(layout_.var_count, max_nodes) {}

DiagramVarSet PacketBdds::var_set(const std::vector<const BddField*>& fields) {
  std::vector<std::uint32_t> vars;
  for (const BddField* f : fields) vars.insert(vars.end(), f->vars.begin(), f->vars.end());
  return manager_.var_set(vars);
}

Diagram PacketBdds::box(const Box& b, bool track_original) {
  const BddLayout& l = layout_;
  // Built from the bottom field up, each over the diagram of the fields below it.
  Diagram d = var(l.maybe_accept, false) & var(l.maybe_deny, false);
  d = intervals(l.dport, b.dport, d);
  d = intervals(l.sport, b.sport, d);
  d = intervals(l.dst, b.dst, d);
  d = intervals(l.src, b.src, d);
  d = bits(l.state, b.state, d);
  d = bits(l.out_iface, b.out_iface, d);
  d = bits(l.in_iface, b.in_iface, d);
  d = bits(l.proto, b.proto, d);
  if (track_original) {
    auto equal = [this](const BddField& x, const BddField& y) {
      Diagram out = yes();
      for (unsigned k = x.width(); k-- > 0;)
        out = ((var(x.vars[k]) & var(y.vars[k])) | (var(x.vars[k], false) & var(y.vars[k], false))) & out;
      return out;
    };
    d &= equal(l.dst_original, l.dst) & equal(l.dport_original, l.dport);
  }
  return d;
}

Diagram PacketBdds::match(const Match& m) {
  if (m.never || !m.families.test(static_cast<std::size_t>(family_))) return no();
  const BddLayout& l = layout_;
  Diagram d = yes();
  if (m.dport) d = intervals(l.dport, *m.dport, d);
  if (m.sport) d = intervals(l.sport, *m.sport, d);
  if (m.dst) d = intervals(l.dst, m.dst->of(family_), d);
  if (m.src) d = intervals(l.src, m.src->of(family_), d);
  if (m.state) d = bits(l.state, *m.state, d);
  if (m.out_iface) d = bits(l.out_iface, *m.out_iface, d);
  if (m.in_iface) d = bits(l.in_iface, *m.in_iface, d);
  if (m.proto) d = bits(l.proto, *m.proto, d);
  return d;
}

// The fields a box is read from, in variable order.
enum BoxField { kProto, kInIface, kOutIface, kState, kSrc, kDst, kSport, kDport, kBoxFields };

// Reads a diagram back as boxes: for each field in turn, the values that lead from a node
// to each node below the field (a set of intervals per such node).
class BoxReader {
 public:
  BoxReader(const DiagramManager& manager, std::vector<const BddField*> fields, std::uint32_t var_count)
      : manager_(manager), fields_(std::move(fields)), place_(var_count) {
    for (std::size_t f = 0; f < fields_.size(); ++f)
      for (std::size_t bit = 0; bit < fields_[f]->vars.size(); ++bit)
        place_[fields_[f]->vars[bit]] = {static_cast<int>(f), static_cast<int>(bit)};
  }

  // Forgets what it read (node numbers are reused once a collection freed them).
  void forget() { memo_.clear(); }

  // Appends the boxes of `root` to `out` (fields not read keep `partial`'s values); false
  // when more than `max_boxes` would be there. Variables of no field read (the maybe flags
  // at the bottom) count as quantified away: a path that reaches a node of theirs holds for
  // some value of them.
  bool read(DiagramNode root, Box& partial, std::size_t max_boxes, std::vector<Box>& out) {
    max_boxes_ = max_boxes;
    out_ = &out;
    return walk(root, 0, partial);
  }

 private:
  struct Edge {
    std::vector<Interval<u128>> values;  // ascending
    DiagramNode child;
  };
  struct Place {
    int field = -1, bit = -1;
  };

  bool walk(DiagramNode node, std::size_t field, Box& partial) {
    if (node == kDiagramFalse) return true;
    if (field == kBoxFields) {
      if (out_->size() >= max_boxes_) return false;
      out_->push_back(partial);
      return true;
    }
    const std::vector<Edge>& edges = edges_of(node, field);
    for (const Edge& e : edges) {
      set_field(partial, field, e.values);
      if (!walk(e.child, field + 1, partial)) return false;
    }
    return true;
  }

  static void set_field(Box& b, std::size_t field, const std::vector<Interval<u128>>& values) {
    auto to_bits = [&values](auto& set) {
      set.reset();
      for (const auto& iv : values)
        for (u128 v = iv.lo; v <= iv.hi && v < set.size(); ++v) set.set(static_cast<std::size_t>(v));
    };
    switch (field) {
      case kProto:
        to_bits(b.proto);
        break;
      case kInIface:
        to_bits(b.in_iface);
        break;
      case kOutIface:
        to_bits(b.out_iface);
        break;
      case kState:
        to_bits(b.state);
        break;
      case kSrc:
      case kDst: {
        AddrIntervals set;
        for (const auto& iv : values) set.add(iv.lo, iv.hi);
        (field == kSrc ? b.src : b.dst) = std::move(set);
        break;
      }
      default: {
        PortSet set;
        for (const auto& iv : values) set.add(static_cast<std::uint32_t>(iv.lo), static_cast<std::uint32_t>(iv.hi));
        (field == kSport ? b.sport : b.dport) = std::move(set);
        break;
      }
    }
  }

  const std::vector<Edge>& edges_of(DiagramNode node, std::size_t field) {
    auto key = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(node)) << 4) | field;
    auto it = memo_.find(key);
    if (it != memo_.end()) return it->second;
    std::vector<Edge> edges;
    std::unordered_map<DiagramNode, std::size_t> by_child;
    const BddField& f = *fields_[field];
    const unsigned w = f.width();
    // Depth-first, low branch first: values come out in ascending order.
    auto emit = [&](u128 lo, u128 hi, DiagramNode child) {
      auto [slot, is_new] = by_child.emplace(child, edges.size());
      if (is_new) edges.push_back({{}, child});
      auto& vals = edges[slot->second].values;
      if (!vals.empty() && vals.back().hi + 1 == lo) {
        vals.back().hi = hi;
      } else {
        vals.push_back({lo, hi});
      }
    };
    std::vector<std::tuple<DiagramNode, unsigned, u128>> todo{{node, 0u, u128(0)}};  // node, depth, prefix
    while (!todo.empty()) {
      auto [n, depth, prefix] = todo.back();
      todo.pop_back();
      if (n == kDiagramFalse) continue;
      const unsigned free = w - depth;
      Place p = n == kDiagramTrue ? Place{} : place_of(manager_.var_of(n));
      if (depth == w || n == kDiagramTrue || p.field != static_cast<int>(field)) {
        const u128 lo = free >= 128 ? 0 : prefix << free;
        const u128 mask = free >= 128 ? ~u128(0) : (u128(1) << free) - 1;
        emit(lo, lo | mask, n);
        continue;
      }
      // Pushed high first so that low is taken first.
      if (static_cast<unsigned>(p.bit) == depth) {
        todo.emplace_back(manager_.high(n), depth + 1, (prefix << 1) | 1);
        todo.emplace_back(manager_.low(n), depth + 1, prefix << 1);
      } else {  // this bit is free here
        todo.emplace_back(n, depth + 1, (prefix << 1) | 1);
        todo.emplace_back(n, depth + 1, prefix << 1);
      }
    }
    return memo_.emplace(key, std::move(edges)).first->second;
  }

  Place place_of(std::uint32_t var) const {
    const Place& p = place_[var];
    if (p.field >= 0) return p;
    return {kBoxFields, 0};  // below every field read (quantified away)
  }

  const DiagramManager& manager_;
  std::vector<const BddField*> fields_;
  std::vector<Place> place_;  // per variable
  std::size_t max_boxes_ = 0;
  std::vector<Box>* out_ = nullptr;
  std::unordered_map<std::uint64_t, std::vector<Edge>> memo_;
};

PacketBdds::~PacketBdds() = default;

bool PacketBdds::to_boxes(const Diagram& set, bool track_original, std::size_t max_boxes, std::vector<Box>& out) {
  const BddLayout& l = layout_;
  // Read the original destination when it is tracked: the current one goes first (its
  // bits are interleaved with the original ones). Untracked, the original bits never
  // occur; the maybe flags lie below every field read.
  Diagram read = set;
  if (track_original) {
    if (!drop_current_) drop_current_ = std::make_unique<DiagramVarSet>(var_set({&l.dst, &l.dport}));
    read = manager_.exists(set, *drop_current_);
  }
  if (!reader_ || reader_tracks_original_ != track_original) {
    const BddField& dst = track_original ? l.dst_original : l.dst;
    const BddField& dport = track_original ? l.dport_original : l.dport;
    reader_ = std::make_unique<BoxReader>(
        manager_,
        std::vector<const BddField*>{&l.proto, &l.in_iface, &l.out_iface, &l.state, &l.src, &dst, &l.sport, &dport},
        l.var_count);
    reader_tracks_original_ = track_original;
  }
  if (track_original) reader_->forget();  // exists() above may have collected nodes read before
  Box partial;
  partial.family = family_;
  return reader_->read(read.node(), partial, max_boxes, out);
}

}  // namespace fwm
