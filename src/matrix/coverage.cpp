#include "matrix/coverage.h"

#include <algorithm>
#include <map>

#include "util/two_threads.h"

namespace fwm {

Box requirement_query(const Ruleset& rs, const Requirement& req, Family family, int protocol) {
  Box q = Box::everything(family, rs.ifaces.size());
  q.proto = proto_only(protocol);
  q.dport = req.ports;
  if (req.source_ports) q.sport = *req.source_ports;
  AddrSet loopback = parse_address_expr(family == Family::V4 ? "127.0.0.0/8" : "::1").set;
  // Traffic from other hosts never arrives on (or leaves through) the loopback interface.
  for (std::size_t i = 0; i < rs.ifaces.size(); ++i) {
    if (!rs.ifaces.class_is_loopback(i)) continue;
    if (req.direction == Direction::Out) {
      q.out_iface.reset(i);
    } else {
      q.in_iface.reset(i);
    }
  }
  if (req.direction == Direction::Out) {
    q.dst = q.dst.subtract(loopback.of(family));
  } else {
    q.src = q.src.subtract(loopback.of(family));
  }
  return q;
}

void keep_unaccepted_pieces(CoverageSlice& slice) {
  std::erase_if(slice.pieces, [](const Piece& p) { return p.verdict == Verdict::Accept; });
  slice.pieces.shrink_to_fit();
}

namespace {

void classify(CoverageSlice& slice) {
  PortSet any_undetermined;
  for (const auto& p : slice.pieces) {
    if (p.verdict == Verdict::Accept) slice.open.add(p.box.dport);
    if (p.verdict == Verdict::Undetermined) any_undetermined.add(p.box.dport);
  }
  slice.open = slice.open.intersect(slice.required);
  slice.undetermined = any_undetermined.intersect(slice.required).subtract(slice.open);
  slice.denied = slice.required.subtract(slice.open).subtract(slice.undetermined);
  keep_unaccepted_pieces(slice);
}

}  // namespace

EvalResult evaluate_within(const Ruleset& rs, const Pipeline& pipeline, const Box& query, const Limits& limits,
                           bool join_rewritten, std::shared_ptr<ChainCallMemo> memo, std::size_t slice_threads) {
  EvalOptions options;
  options.join_rewritten = join_rewritten;
  // The diagram evaluator where the box evaluator would fragment.
  options.engine = EvalEngine::Auto;
  options.memo = std::move(memo);
  options.max_call_depth = limits.max_call_depth;
  options.max_pieces = limits.max_pieces;
  options.slice_threads = slice_threads;
  EvalResult result = evaluate(rs, pipeline, query, options);
  for (auto& problem : result.problems) problem = with_eval_limit_hint(problem, limits);
  return result;
}

namespace {

// The requirements of one path (family, direction and source ports) evaluated as one
// query: the union of their protocols and ports, every other field as each of them asks.
// A packet's verdict, deciding rule and first unknown condition do not depend on the other
// packets of the query, so each requirement's pieces are the joint pieces cut down to its
// protocol and ports: one evaluation instead of one per requirement and protocol (a
// hundred on a Front End), which on large rulesets is most of the time.
struct JointQuery {
  Family family = Family::V4;
  Direction direction = Direction::In;
  std::optional<PortSet> source_ports;
  ProtoSet protocols;
  PortSet ports;
  std::vector<std::size_t> members;  // requirement indices
  bool usable = false;               // evaluated, without a limit or an unnamed unknown
  std::vector<std::string> problems;
  // Per protocol: the ports some accepted packet has, those some undetermined packet has,
  // and the pieces that are not accepted (what the slices keep).
  std::map<int, PortSet> accepted_ports, undetermined_ports;
  std::vector<Piece> unaccepted;
};

std::vector<JointQuery> joint_queries(const Ruleset& rs, const std::vector<const Requirement*>& requirements,
                                      const CoverageOptions& options) {
  std::vector<JointQuery> joint;
  if (!options.joint) return joint;
  for (Family f : {Family::V4, Family::V6}) {
    if (!rs.covers(f)) continue;
    for (std::size_t i = 0; i < requirements.size(); ++i) {
      const Requirement& req = *requirements[i];
      if (!rs.pipeline(f, req.direction) || req.protocols.empty()) continue;
      auto same = [&](const JointQuery& q) {
        return q.family == f && q.direction == req.direction && q.source_ports == req.source_ports;
      };
      auto it = std::find_if(joint.begin(), joint.end(), same);
      if (it == joint.end()) {
        joint.push_back({.family = f, .direction = req.direction, .source_ports = req.source_ports});
        it = joint.end() - 1;
      }
      for (int proto : req.protocols) it->protocols.set(static_cast<std::size_t>(proto));
      it->ports.add(req.ports);
      it->members.push_back(i);
    }
  }
  // One requirement alone gains nothing.
  std::erase_if(joint, [](const JointQuery& q) { return q.members.size() < 2; });
  return joint;
}

void evaluate_joint(const Ruleset& rs, const std::vector<const Requirement*>& requirements, JointQuery& q,
                    const Limits& limits) {
  const Requirement& first = *requirements[q.members.front()];
  Box query = requirement_query(rs, first, q.family, first.protocols.front());
  query.proto = q.protocols;
  query.dport = q.ports;
  // Its source slices on both cores: the joint queries are few (one or two a family).
  EvalResult r = evaluate_within(rs, *rs.pipeline(q.family, q.direction), query, limits, false, nullptr, 2);
  // A limit cut short, or the diagram evaluator left an unknown unnamed: each requirement
  // on its own (as without joint coverage), so that its problems and reasons are its own.
  const bool unnamed_unknown = r.by_bdds && std::any_of(r.pieces.begin(), r.pieces.end(), [](const Piece& p) {
                                 return p.verdict == Verdict::Undetermined && !p.uncertain_by;
                               });
  if (r.truncated || !r.problems.empty() || unnamed_unknown) return;
  q.usable = true;
  for (Piece& p : r.pieces) {
    if (p.verdict == Verdict::Deny) {
      q.unaccepted.push_back(std::move(p));
      continue;
    }
    auto& ports = p.verdict == Verdict::Accept ? q.accepted_ports : q.undetermined_ports;
    for (std::size_t proto = p.box.proto._Find_first(); proto < p.box.proto.size();
         proto = p.box.proto._Find_next(proto))
      ports[static_cast<int>(proto)].add(p.box.dport);
    if (p.verdict == Verdict::Undetermined) q.unaccepted.push_back(std::move(p));
  }
  r.pieces = {};
}

// A requirement's slice out of the joint evaluation: exactly what its own evaluation
// finds, up to how the pieces are cut.
void slice_from_joint(const JointQuery& q, CoverageSlice& slice) {
  const auto proto = static_cast<std::size_t>(slice.protocol);
  auto ports_of = [&](const std::map<int, PortSet>& by_proto) {
    auto it = by_proto.find(slice.protocol);
    return it == by_proto.end() ? PortSet() : it->second.intersect(slice.required);
  };
  slice.open = ports_of(q.accepted_ports);
  slice.undetermined = ports_of(q.undetermined_ports).subtract(slice.open);
  slice.denied = slice.required.subtract(slice.open).subtract(slice.undetermined);
  for (const Piece& p : q.unaccepted) {
    if (!p.box.proto.test(proto) || !p.box.dport.intersects(slice.required)) continue;
    Piece part = p;
    part.box.proto = proto_only(slice.protocol);
    part.box.dport = p.box.dport.intersect(slice.required);
    slice.pieces.push_back(std::move(part));
  }
}

}  // namespace

std::vector<RequirementCoverage> compute_coverage(const Ruleset& rs,
                                                  const std::vector<const Requirement*>& requirements,
                                                  const CoverageOptions& options) {
  std::vector<JointQuery> joint = joint_queries(rs, requirements, options);
  for_each_index_on_two_threads(joint.size(), options.threads >= 2,
                                [&](std::size_t j) { evaluate_joint(rs, requirements, joint[j], options.limits); });
  // Per requirement and family: its joint query, when one answered it.
  std::map<std::pair<std::size_t, Family>, const JointQuery*> joint_of;
  for (const JointQuery& q : joint)
    if (q.usable)
      for (std::size_t i : q.members) joint_of[{i, q.family}] = &q;
  std::vector<RequirementCoverage> out(requirements.size());
  auto work = [&](std::size_t i) {
    const Requirement& req = *requirements[i];
    RequirementCoverage& cov = out[i];
    cov.requirement = &req;
    for (Family f : {Family::V4, Family::V6}) {
      if (!rs.covers(f)) continue;
      auto joint_it = joint_of.find({i, f});
      for (int proto : req.protocols) {
        CoverageSlice slice;
        slice.family = f;
        slice.protocol = proto;
        slice.required = req.ports;
        const Pipeline* p = rs.pipeline(f, req.direction);
        if (!p) {
          slice.no_path = true;
          slice.open = req.ports;  // nothing filters this path
        } else if (joint_it != joint_of.end()) {
          slice_from_joint(*joint_it->second, slice);
        } else {
          EvalResult r = evaluate_within(rs, *p, requirement_query(rs, req, f, proto), options.limits);
          slice.pieces = std::move(r.pieces);
          slice.problems = std::move(r.problems);
          classify(slice);
        }
        cov.slices.push_back(std::move(slice));
      }
    }
  };
  for_each_index_on_two_threads(requirements.size(), options.threads >= 2, work);
  return out;
}

}  // namespace fwm
