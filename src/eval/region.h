// A region of packet space: a product of per-field sets for one address family.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/ruleset.h"

namespace fwm {

struct Box {
  Family family = Family::V4;
  ProtoSet proto = proto_all();
  AddrIntervals src;
  AddrIntervals dst;
  PortSet sport = all_ports();
  PortSet dport = all_ports();
  IfaceSet in_iface;
  IfaceSet out_iface;
  CtStateSet state = ct_only(CtState::New);

  static Box everything(Family f, std::size_t iface_classes);
  bool empty() const;
};

// How many packets a box holds, roughly (a float: whole IPv6 ranges overflow integers);
// with `dports`, counting those destination ports instead of the box's.
long double packet_count(const Box& b, const PortSet* dports = nullptr);

// The common part of two boxes of the same family, if any.
std::optional<Box> intersect(const Box& a, const Box& b);

// A query: one or more boxes (usually one per family).
struct Region {
  std::vector<Box> boxes;
};

// Fields of a box that a rewrite (DNAT/REDIRECT) replaced: later rules see these values
// while the box keeps the original ones for reporting.
struct Rewrites {
  std::optional<PortSet> dport;
  std::optional<AddrIntervals> dst;
};

}  // namespace fwm
