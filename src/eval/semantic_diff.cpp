#include "eval/semantic_diff.h"

#include <map>
#include <tuple>

namespace fwm {

namespace {

Box diff_region(const Ruleset& rs, Family f, Direction d, int proto) {
  Box q = Box::everything(f, rs.ifaces.size());
  q.proto = proto_only(proto);
  for (std::size_t i = 0; i < rs.ifaces.size(); ++i)
    if (rs.ifaces.class_is_loopback(i)) {
      q.in_iface.reset(i);
      if (d != Direction::In) q.out_iface.reset(i);
    }
  q.src = q.src.subtract(parse_address_expr(f == Family::V4 ? "127.0.0.0/8" : "::1").set.of(f));
  return q;
}

// A path a ruleset does not filter accepts everything.
std::vector<Piece> pieces_of(const Ruleset& rs, Family f, Direction d, const Box& q) {
  if (const Pipeline* p = rs.pipeline(f, d)) return evaluate(rs, *p, q).pieces;
  Piece all;
  all.box = q;
  all.verdict = Verdict::Accept;
  all.decider.implicit = "no chain filters this path";
  return {all};
}

}  // namespace

std::vector<VerdictChange> semantic_diff(const Ruleset& old_rs, const Ruleset& new_rs) {
  std::vector<VerdictChange> changes;
  for (Direction d : {Direction::In, Direction::Forward}) {
    for (Family f : {Family::V4, Family::V6}) {
      if (!old_rs.covers(f) || !new_rs.covers(f)) continue;
      if (!old_rs.pipeline(f, d) && !new_rs.pipeline(f, d)) continue;
      for (int proto : {kProtoTcp, kProtoUdp}) {
        Box q = diff_region(new_rs, f, d, proto);
        auto before = pieces_of(old_rs, f, d, q);
        auto after = pieces_of(new_rs, f, d, q);
        using Key = std::tuple<Verdict, Verdict, const Rule*, const Chain*, const Rule*, const Chain*>;
        std::map<Key, std::size_t> index;
        for (const auto& o : before) {
          for (const auto& n : after) {
            if (o.verdict == n.verdict || !o.box.dport.intersects(n.box.dport)) continue;
            auto common = intersect(o.box, n.box);
            if (!common) continue;
            Key key{o.verdict, n.verdict, o.decider.rule, o.decider.policy, n.decider.rule, n.decider.policy};
            auto it = index.find(key);
            if (it == index.end()) {
              index[key] = changes.size();
              changes.push_back({f, d, proto, o.verdict, n.verdict, o.decider, n.decider, common->dport, common->src});
            } else {
              changes[it->second].ports.add(common->dport);
              changes[it->second].sources.add(common->src);
            }
          }
        }
      }
    }
  }
  return changes;
}

}  // namespace fwm
