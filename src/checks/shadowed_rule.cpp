// FWM030: a rule is shadowed — earlier rules decide everything it matches (see
// docs/rules/FWM030.md).
#include <fmt/format.h>

#include "checks/check.h"

namespace fwm {

class ShadowedRuleCheck final : public Check {
 public:
  const CheckInfo& info() const override {
    static const CheckInfo kInfo{
        "FWM030",          "ShadowedRule", "A rule is shadowed: earlier rules decide everything it matches",
        Severity::Warning, false,          true};
    return kInfo;
  }
  void run(const AnalysisContext& ctx, std::vector<Finding>& out) const override {
    if (!ctx.anomalies) return;
    const Ruleset& rs = *ctx.ruleset;
    for (const auto& s : ctx.anomalies->shadowed) {
      Finding f;
      f.rule_id = info().id;
      f.level = info().default_level;
      f.location = s.rule->span;
      f.snippet = s.rule->text;
      f.message = fmt::format(
          "rule `{}` (line {}) is never reached: the rules before it in chain {} (or the "
          "chains that lead to it) decide every packet it matches",
          s.rule->text, s.rule->span.line, rs.chains[static_cast<std::size_t>(s.rule->chain)].name);
      f.fingerprint_basis = normalized_text(rs, *s.rule);
      std::string reason;
      if (suppressed_by(Decider{s.rule, nullptr, {}}, info().id, reason)) f.suppression = reason;
      out.push_back(std::move(f));
    }
    for (const Chain* c : ctx.anomalies->unreachable_chains) {
      const Rule& first = c->rules.front();
      Finding f;
      f.rule_id = info().id;
      f.level = info().default_level;
      f.location = first.span;
      f.snippet = first.text;
      f.message = fmt::format(
          "chain {} is never reached: no rule jumps to it, so its {} rule{} take no part in any "
          "verdict",
          c->name, c->rules.size(), c->rules.size() == 1 ? "" : "s");
      f.fingerprint_basis = "unreachable chain " + c->name;
      out.push_back(std::move(f));
    }
  }
};

std::unique_ptr<Check> make_shadowed_rule_check() { return std::make_unique<ShadowedRuleCheck>(); }

}  // namespace fwm
