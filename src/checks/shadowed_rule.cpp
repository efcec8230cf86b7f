// FWM030: a rule is shadowed — earlier rules decide everything it matches (see
// docs/rules/FWM030.md).
#include <fmt/format.h>

#include "checks/check.h"
#include "checks/check_support.h"

namespace fwm {

class ShadowedRuleCheck final : public Check {
 public:
  const CheckInfo& info() const override {
    static const CheckInfo kInfo{.id = "FWM030",
                                 .name = "ShadowedRule",
                                 .short_description = "A rule is shadowed: earlier rules decide everything it matches",
                                 .default_level = Severity::Warning,
                                 .needs_roles = false,
                                 .needs_anomalies = true,
                                 .security_severity = "2.0",
                                 .precision = "very-high",
                                 .tags = {"security", "maintainability", "correctness"}};
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
      if (s.covered_by.empty()) {
        f.message = fmt::format(
            "rule `{}` (line {}) is never reached: the rules before it in chain {} (or the "
            "chains that lead to it) decide every packet it matches",
            s.rule->text, s.rule->span.line, rs.chains[static_cast<std::size_t>(s.rule->chain)].name);
      } else {
        const std::size_t others = s.covered_by.size() - 1;
        f.message = fmt::format("rule `{}` (line {}) is never reached: {}{} {} every packet it matches first",
                                s.rule->text, s.rule->span.line, decider_text(s.covered_by.front()),
                                others == 0 ? "" : fmt::format(" and {} other{}", others, others == 1 ? "" : "s"),
                                others == 0 ? "decides" : "decide");
        add_related_deciders(rs, s.covered_by, "decides packets this rule matches", f);
      }
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
