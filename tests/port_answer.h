// What a ruleset answers for the ports of one protocol on one path: the unit tests of
// the evaluator and of each frontend ask it the same way.
#pragma once

#include "fwm_catch.hpp"
#include <string>
#include <vector>

#include "eval/evaluator.h"
#include "ir/ruleset.h"

namespace fwm::test {

struct PortQuery {
  int proto = kProtoTcp;
  Family family = Family::V4;
  const char* src = nullptr;    // source addresses (an address expression), or all
  const char* iface = nullptr;  // the interface (inbound; outbound on the Out path), or all
  Direction direction = Direction::In;
};

struct PortAnswer {
  PortSet accepted;
  PortSet undetermined;
  std::vector<std::string> problems;  // the evaluator's (limits, loops)
};

inline PortAnswer port_answer(const Ruleset& rs, const PortQuery& query) {
  Box q = Box::everything(query.family, rs.ifaces.size());
  q.proto = proto_only(query.proto);
  if (query.src) q.src = parse_address_expr(query.src).set.of(query.family);
  if (query.iface) {
    IfaceSet& field = query.direction == Direction::Out ? q.out_iface : q.in_iface;
    field.reset();
    field.set(rs.ifaces.classify(query.iface));
  }
  const Pipeline* p = rs.pipeline(query.family, query.direction);
  REQUIRE(p);
  auto r = evaluate(rs, *p, q);
  auto v = port_verdicts(r.pieces, all_ports());
  return {v.accepted, v.undetermined, r.problems};
}

}  // namespace fwm::test
