// FWM020: a rule or policy accepts every port of a protocol, or every protocol, from any
// source (see docs/rules/FWM020.md).
#include <fmt/format.h>

#include <map>

#include "checks/check_support.h"
#include "ir/services.h"

namespace fwm {

namespace {

struct Wide {
  Decider decider;
  std::vector<std::string> what;  // "every TCP port", "every protocol"
};

}  // namespace

class AcceptAll final : public Check {
 public:
  const CheckInfo& info() const override {
    static const CheckInfo kInfo{
        "FWM020", "AcceptAll", "A rule or policy accepts every port of a protocol, or every protocol, from any source",
        Severity::Error, false};
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
        for (const auto& piece : result->pieces) {
          if (piece.verdict != Verdict::Accept) continue;
          // Only whole-range pieces: all sources and all destination ports of the path.
          if (piece.box.src != q.src || piece.box.dport != q.dport || piece.box.sport != q.sport) continue;
          std::vector<std::string> what;
          if (piece.box.proto.all()) {
            what.push_back("every protocol and port");
          } else if (piece.box.proto.count() >= 250) {
            std::vector<std::string> missing;
            for (int proto = 0; proto < 256; ++proto)
              if (!piece.box.proto.test(static_cast<std::size_t>(proto))) missing.push_back(proto_name(proto));
            what.push_back(fmt::format("every protocol but {}", fmt::join(missing, ", ")));
          } else {
            for (int proto : {kProtoTcp, kProtoUdp})
              if (piece.box.proto.test(static_cast<std::size_t>(proto)))
                what.push_back(fmt::format("every {} port", proto == kProtoTcp ? "TCP" : "UDP"));
          }
          if (what.empty()) continue;
          auto& entry = wide[{piece.decider.rule, piece.decider.policy}];
          entry.decider = piece.decider;
          for (auto& w : what)
            if (std::find(entry.what.begin(), entry.what.end(), w) == entry.what.end()) entry.what.push_back(w);
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
