// FWM031: a rule is redundant — removing it changes no verdict (see docs/rules/FWM031.md).
#include <fmt/format.h>

#include "checks/check.h"
#include "checks/check_support.h"

namespace fwm {

class RedundantRuleCheck final : public Check {
 public:
  const CheckInfo& info() const override {
    static const CheckInfo kInfo{.id = "FWM031",
                                 .name = "RedundantRule",
                                 .short_description = "A rule is redundant: removing it changes no verdict",
                                 .default_level = Severity::Note,
                                 .needs_roles = false,
                                 .needs_anomalies = true,
                                 .security_severity = "1.0",
                                 .precision = "very-high",
                                 .tags = {"security", "maintainability"}};
    return kInfo;
  }
  void run(const AnalysisContext& ctx, std::vector<Finding>& out) const override {
    if (!ctx.anomalies) return;
    for (const auto& r : ctx.anomalies->redundant) {
      Finding f;
      f.rule_id = info().id;
      f.level = info().default_level;
      f.location = r.rule->span;
      f.snippet = r.rule->text;
      f.message = fmt::format(
          "rule `{}` (line {}) is redundant: without it every packet it decides gets the same "
          "verdict from {}",
          r.rule->text, r.rule->span.line, decider_text(r.instead));
      add_related_deciders(*ctx.ruleset, r.covered_by, "decides its packets without it", f);
      f.fingerprint_basis = normalized_text(*ctx.ruleset, *r.rule);
      std::string reason;
      if (suppressed_by(Decider{r.rule, nullptr, {}}, info().id, reason)) f.suppression = reason;
      out.push_back(std::move(f));
    }
  }
};

std::unique_ptr<Check> make_redundant_rule_check() { return std::make_unique<RedundantRuleCheck>(); }

}  // namespace fwm
