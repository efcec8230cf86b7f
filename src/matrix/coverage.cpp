#include "matrix/coverage.h"

#include <atomic>
#include <thread>

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
                           bool join_rewritten, std::shared_ptr<ChainCallMemo> memo) {
  EvalOptions options;
  options.join_rewritten = join_rewritten;
  // The diagram evaluator where the box evaluator would fragment.
  options.engine = EvalEngine::Auto;
  options.memo = std::move(memo);
  options.max_call_depth = limits.max_call_depth;
  options.max_pieces = limits.max_pieces;
  EvalResult result = evaluate(rs, pipeline, query, options);
  for (auto& problem : result.problems) problem = with_eval_limit_hint(problem, limits);
  return result;
}

std::vector<RequirementCoverage> compute_coverage(const Ruleset& rs,
                                                  const std::vector<const Requirement*>& requirements,
                                                  const CoverageOptions& options) {
  std::vector<RequirementCoverage> out(requirements.size());
  auto work = [&](std::size_t i) {
    const Requirement& req = *requirements[i];
    RequirementCoverage& cov = out[i];
    cov.requirement = &req;
    for (Family f : {Family::V4, Family::V6}) {
      if (!rs.covers(f)) continue;
      for (int proto : req.protocols) {
        CoverageSlice slice;
        slice.family = f;
        slice.protocol = proto;
        slice.required = req.ports;
        const Pipeline* p = rs.pipeline(f, req.direction);
        if (!p) {
          slice.no_path = true;
          slice.open = req.ports;  // nothing filters this path
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
  std::size_t threads = std::max<std::size_t>(1, std::min(options.threads, requirements.size()));
  if (threads == 1) {
    for (std::size_t i = 0; i < requirements.size(); ++i) work(i);
    return out;
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (std::size_t i = next++; i < requirements.size(); i = next++) work(i);
    });
  for (auto& th : pool) th.join();
  return out;
}

}  // namespace fwm
