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
  std::vector<std::string> what;      // "every TCP port", "every protocol": by this decider alone
  std::vector<std::string> together;  // what it accepts only with `helpers`
  std::vector<Decider> helpers;
};

// Where some deciders together accept every source, source port and destination port of
// the path: as boxes over the other fields, and as protocols.
struct Coverage {
  std::vector<Box> boxes;
  ProtoSet anywhere;    // on some destination, interface and state
  ProtoSet everywhere;  // on every destination and interface of the path (in some state)
};

// The protocols and the destinations, interfaces and states (as boxes whose source,
// source port and destination port are the query's whole ranges) where the pieces hold
// every source, source port and destination port of `query`.
// Past the diagram limits, a problem naming the flag goes to `problems`.
Coverage every_source_and_port(Family f, const Box& query, const std::vector<const Piece*>& pieces,
                               const Limits& limits, std::vector<std::string>* problems) {
  // Only a decider whose pieces together reach every source and port can hold them all
  // somewhere (most rules accept a few ports: no diagram for them).
  std::vector<Interval<u128>> source_parts;
  std::vector<Interval<std::uint32_t>> sport_parts, dport_parts;
  for (const Piece* p : pieces) {
    source_parts.insert(source_parts.end(), p->box.src.intervals().begin(), p->box.src.intervals().end());
    sport_parts.insert(sport_parts.end(), p->box.sport.intervals().begin(), p->box.sport.intervals().end());
    dport_parts.insert(dport_parts.end(), p->box.dport.intervals().begin(), p->box.dport.intervals().end());
  }
  const AddrIntervals sources = AddrIntervals::union_of(std::move(source_parts));
  const PortSet sports = PortSet::union_of(std::move(sport_parts)), dports = PortSet::union_of(std::move(dport_parts));
  if (!query.src.subset_of(sources) || !query.sport.subset_of(sports) || !query.dport.subset_of(dports)) return {};
  PacketBdds bdds(f, diagram_node_limit(limits.max_pieces));
  Coverage coverage;
  std::vector<Box>& out = coverage.boxes;
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
    // The protocols held on every destination and interface of the path, in some state:
    // those missing nowhere there.
    const DiagramVarSet where = bdds.var_set({&l.in_iface, &l.out_iface, &l.dst, &l.state, &l.src, &l.sport, &l.dport});
    Box path = query;
    path.state = ct_all();
    Diagram in_some_state = bdds.manager().exists(all_there, bdds.var_set({&l.state}));
    Diagram missing_somewhere = bdds.manager().exists(bdds.box(path, false) - in_some_state, where);
    Diagram held_somewhere = bdds.manager().exists(all_there, where);
    std::vector<Box> everywhere;
    if (bdds.to_boxes(held_somewhere - missing_somewhere, false, limits.max_pieces, everywhere))
      for (const Box& b : everywhere) coverage.everywhere |= b.proto;
  } catch (const DiagramNodeLimit&) {
    cut_short("need more diagram nodes (4 per piece) than allow");
    return {};
  }
  for (Box& b : out) {
    b.src = query.src;
    b.sport = query.sport;
    b.dport = query.dport;
    coverage.anywhere |= b.proto;
  }
  return coverage;
}

// "every protocol and port", "every protocol but tcp", "every TCP port", ... for the
// protocols accepted from any source on some destination and interface; a protocol held
// there only on some of them, where others are held on all, is said so.
std::vector<std::string> describe(const Coverage& c) {
  std::vector<std::string> what;
  ProtoSet mentioned;
  if (c.anywhere.all()) {
    what.push_back("every protocol and port");
    mentioned = c.anywhere;
  } else if (c.anywhere.count() >= 250) {
    std::vector<std::string> missing;
    for (int proto = 0; proto < 256; ++proto)
      if (!c.anywhere.test(static_cast<std::size_t>(proto))) missing.push_back(proto_name(proto));
    what.push_back(fmt::format("every protocol but {}", fmt::join(missing, ", ")));
    mentioned = c.anywhere;
  } else {
    for (int proto : {kProtoTcp, kProtoUdp})
      if (c.anywhere.test(static_cast<std::size_t>(proto))) {
        what.push_back(fmt::format("every {} port", proto == kProtoTcp ? "TCP" : "UDP"));
        mentioned.set(static_cast<std::size_t>(proto));
      }
  }
  const ProtoSet partial = mentioned & ~c.everywhere;
  if (what.empty() || partial.none() || (mentioned & c.everywhere).none()) return what;
  std::vector<std::string> names;
  for (int proto = 0; proto < 256; ++proto)
    if (partial.test(static_cast<std::size_t>(proto))) names.push_back(proto_name(proto));
  what.back() += fmt::format(
      " ({} only on some interfaces or destinations)",
      names.size() <= 4 ? fmt::format("{}", fmt::join(names, ", ")) : fmt::format("{} protocols", names.size()));
  return what;
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
        ProtoSet reported;  // protocols some one decider accepts from any source
        for (const auto& [key, pieces] : accepted) {
          const Coverage coverage = every_source_and_port(f, q, pieces, ctx.limits, ctx.evaluation_problems);
          std::vector<std::string> what = describe(coverage);
          if (what.empty()) continue;
          reported |= coverage.anywhere;
          auto& entry = wide[key];
          entry.decider = pieces.front()->decider;
          entry.what = std::move(what);
        }
        add_joint(f, q, accepted, reported, ctx, wide);
        for (const auto& [key, w] : wide) {
          Finding finding;
          finding.rule_id = info().id;
          finding.level = info().default_level;
          finding.location = decider_location(rs, w.decider, finding.snippet);
          std::string family = rs.covers(Family::V4) && rs.covers(Family::V6) ? fmt::format(" {}", family_name(f)) : "";
          std::string with_others;
          if (!w.together.empty())
            with_others = fmt::format(
                "{}{} with {} before it (together they accept it all, though {} does alone)",
                w.what.empty() ? "" : ", and ", fmt::join(w.together, " and "),
                w.helpers.size() == 1 ? "the accepting rule" : fmt::format("the {} accepting rules", w.helpers.size()),
                w.helpers.size() == 1 ? "neither" : "none");
          finding.message = fmt::format("{} accepts {} from any source on the{} {} path{}{}.", decider_text(w.decider),
                                        fmt::join(w.what, " and "), family, direction_name(d),
                                        w.decider.rule ? "" : " (nothing before it denies the rest)", with_others);
          if (w.what.empty())  // only together with others
            finding.message = fmt::format(
                "{} accepts {} from any source on the{} {} path, with {} before it: together they accept "
                "it all, though {} does alone.",
                decider_text(w.decider), fmt::join(w.together, " and "), family, direction_name(d),
                w.helpers.size() == 1 ? "the accepting rule" : fmt::format("the {} accepting rules", w.helpers.size()),
                w.helpers.size() == 1 ? "neither" : "none");
          finding.fingerprint_basis =
              fmt::format("{}|{}|{}{}", direction_name(d), family_name(f), decider_basis(*ctx.ruleset, w.decider),
                          w.what.empty() ? "|together" : "");
          finding.properties["direction"] = direction_name(d);
          finding.properties["family"] = family_name(f);
          add_related_deciders(rs, w.helpers, "accepts the rest", finding);
          std::string reason;
          if (suppressed_by(w.decider, info().id, reason)) finding.suppression = reason;
          out.push_back(std::move(finding));
        }
      }
    }
  }

 private:
  // Several deciders may together accept, from any source, what none accepts alone: a rule
  // that accepts 10.0.0.0/8 before an ACCEPT policy that accepts the other sources opens
  // every port to every source (issue 25). Said at the decider that completes it (the
  // policy when it takes part, else the last of the rules), with the others as related places.
  static void add_joint(Family f, const Box& q,
                        const std::map<std::pair<const Rule*, const Chain*>, std::vector<const Piece*>>& accepted,
                        const ProtoSet& reported, const AnalysisContext& ctx,
                        std::map<std::pair<const Rule*, const Chain*>, Wide>& wide) {
    if (accepted.size() < 2 || reported.all()) return;
    std::vector<const Piece*> all_accepted;
    for (const auto& [key, pieces] : accepted)
      for (const Piece* p : pieces)
        if ((p->box.proto & ~reported).any()) all_accepted.push_back(p);
    Coverage together = every_source_and_port(f, q, all_accepted, ctx.limits, ctx.evaluation_problems);
    together.anywhere &= ~reported;
    together.everywhere &= ~reported;
    std::vector<std::string> what = describe(together);
    if (what.empty()) return;
    std::vector<Decider> contributors;  // the deciders of pieces with some of those protocols
    for (const auto& [key, pieces] : accepted)
      if (std::any_of(pieces.begin(), pieces.end(),
                      [&](const Piece* p) { return (p->box.proto & together.anywhere).any(); }))
        contributors.push_back(pieces.front()->decider);
    if (contributors.size() < 2) return;
    auto before = [](const Decider& a, const Decider& b) {  // b completes it rather than a
      if (!a.rule || !b.rule) return !b.rule && a.rule;
      return a.rule->span.line < b.rule->span.line;
    };
    const Decider last = *std::max_element(contributors.begin(), contributors.end(), before);
    Wide& entry = wide[{last.rule, last.policy}];
    entry.decider = last;
    entry.together = std::move(what);
    for (const Decider& c : contributors)
      if (c.rule != last.rule || c.policy != last.policy) entry.helpers.push_back(c);
  }
};

std::unique_ptr<Check> make_accept_all_check() { return std::make_unique<AcceptAll>(); }

}  // namespace fwm
