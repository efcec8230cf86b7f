// FWM020: a rule or policy accepts every port of a protocol, or every protocol, from any
// source (see docs/rules/FWM020.md).
#include <fmt/format.h>

#include <map>

#include "checks/check_support.h"
#include "eval/packet_bdd.h"
#include "ir/services.h"

namespace fwm {

namespace {

struct Wide {
  Decider decider;
  std::vector<std::string> what;  // "every TCP port", "every protocol"
};

// The protocols and the destinations, interfaces and states (as boxes whose source,
// source port and destination port are the query's whole ranges) where the pieces hold
// every source, source port and destination port of `query`.
// Past the diagram limits, a problem naming the flag goes to `problems`.
std::vector<Box> every_source_and_port(Family f, const Box& query, const std::vector<const Piece*>& pieces,
                                       const Limits& limits, std::vector<std::string>* problems) {
  // Only a decider whose pieces together reach every source and port can hold them all
  // somewhere (most rules accept a few ports: no diagram for them).
  AddrIntervals sources;
  PortSet sports, dports;
  for (const Piece* p : pieces) {
    sources.add(p->box.src);
    sports.add(p->box.sport);
    dports.add(p->box.dport);
  }
  if (!query.src.subset_of(sources) || !query.sport.subset_of(sports) || !query.dport.subset_of(dports)) return {};
  PacketBdds bdds(f, diagram_node_limit(limits.max_pieces));
  std::vector<Box> out;
  auto cut_short = [&](const char* what) {
    if (problems)
      problems->push_back(
          with_eval_limit_hint(fmt::format("FWM020 is not decided for {}: its accepted packets {} more than {} pieces",
                                           decider_text(pieces.front()->decider), what, limits.max_pieces),
                               limits));
  };
  try {
    Diagram accepted = bdds.no();
    for (const Piece* p : pieces) accepted |= bdds.box(p->box, false);
    Box domain = Box::everything(f, kMaxIfaceClasses);
    domain.state = ct_all();
    domain.src = query.src;
    domain.sport = query.sport;
    domain.dport = query.dport;
    const BddLayout& l = bdds.layout();
    const DiagramVarSet universal = bdds.var_set({&l.src, &l.sport, &l.dport});
    Diagram some_missing = bdds.manager().exists(bdds.box(domain, false) - accepted, universal);
    Diagram all_there = bdds.manager().exists(accepted, universal) - some_missing;
    if (!bdds.to_boxes(all_there, false, limits.max_pieces, out)) cut_short("split into");
  } catch (const DiagramNodeLimit&) {
    cut_short("need more diagram nodes (4 per piece) than allow");
    return {};
  }
  for (Box& b : out) {
    b.src = query.src;
    b.sport = query.sport;
    b.dport = query.dport;
  }
  return out;
}

}  // namespace

class AcceptAll final : public Check {
 public:
  const CheckInfo& info() const override {
    static const CheckInfo kInfo{
        .id = "FWM020",
        .name = "AcceptAll",
        .short_description = "A rule or policy accepts every port of a protocol, or every protocol, from any source",
        .default_level = Severity::Error,
        .needs_roles = false,
        .security_severity = "8.8",
        .precision = "very-high",
        .tags = {"security", "exposure", "external/cwe/cwe-284"}};
    return kInfo;
  }

  void run(const AnalysisContext& ctx, std::vector<Finding>& out) const override {
    const Ruleset& rs = *ctx.ruleset;
    for (Direction d : {Direction::In, Direction::Forward}) {
      for (Family f : {Family::V4, Family::V6}) {
        EvalResult storage;
        const EvalResult* result = open_path_evaluation(ctx, f, d, storage);
        if (!result) continue;
        Box q = open_region(rs, f, d);
        if (ctx.evaluation_problems)
          ctx.evaluation_problems->insert(ctx.evaluation_problems->end(), result->problems.begin(),
                                          result->problems.end());
        std::map<std::pair<const Rule*, const Chain*>, Wide> wide;
        // Per decider, the packets it accepts, whatever pieces the evaluation cut them into:
        // a protocol counts when some destination, interface and state has all sources,
        // source ports and destination ports of the path accepted by that one decider.
        std::map<std::pair<const Rule*, const Chain*>, std::vector<const Piece*>> accepted;
        for (const auto& piece : result->pieces)
          if (piece.verdict == Verdict::Accept) accepted[{piece.decider.rule, piece.decider.policy}].push_back(&piece);
        for (const auto& [key, pieces] : accepted) {
          for (const Box& whole : every_source_and_port(f, q, pieces, ctx.limits, ctx.evaluation_problems)) {
            std::vector<std::string> what;
            if (whole.proto.all()) {
              what.push_back("every protocol and port");
            } else if (whole.proto.count() >= 250) {
              std::vector<std::string> missing;
              for (int proto = 0; proto < 256; ++proto)
                if (!whole.proto.test(static_cast<std::size_t>(proto))) missing.push_back(proto_name(proto));
              what.push_back(fmt::format("every protocol but {}", fmt::join(missing, ", ")));
            } else {
              for (int proto : {kProtoTcp, kProtoUdp})
                if (whole.proto.test(static_cast<std::size_t>(proto)))
                  what.push_back(fmt::format("every {} port", proto == kProtoTcp ? "TCP" : "UDP"));
            }
            if (what.empty()) continue;
            auto& entry = wide[key];
            entry.decider = pieces.front()->decider;
            for (auto& w : what)
              if (std::find(entry.what.begin(), entry.what.end(), w) == entry.what.end()) entry.what.push_back(w);
          }
        }
        for (const auto& [key, w] : wide) {
          Finding finding;
          finding.rule_id = info().id;
          finding.level = info().default_level;
          finding.location = decider_location(rs, w.decider, finding.snippet);
          std::string family = rs.covers(Family::V4) && rs.covers(Family::V6) ? fmt::format(" {}", family_name(f)) : "";
          finding.message = fmt::format("{} accepts {} from any source on the{} {} path{}.", decider_text(w.decider),
                                        fmt::join(w.what, " and "), family, direction_name(d),
                                        w.decider.rule ? "" : " (nothing before it denies the rest)");
          finding.fingerprint_basis =
              fmt::format("{}|{}|{}", direction_name(d), family_name(f), decider_basis(*ctx.ruleset, w.decider));
          finding.properties["direction"] = direction_name(d);
          finding.properties["family"] = family_name(f);
          std::string reason;
          if (suppressed_by(w.decider, info().id, reason)) finding.suppression = reason;
          out.push_back(std::move(finding));
        }
      }
    }
  }
};

std::unique_ptr<Check> make_accept_all_check() { return std::make_unique<AcceptAll>(); }

}  // namespace fwm
