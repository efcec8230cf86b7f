// FWM091: a construct was read but not modelled (see docs/rules/FWM091.md).
#include "checks/check.h"

namespace fwm {

class UnmodelledConstruct final : public Check {
 public:
  const CheckInfo& info() const override {
    static const CheckInfo kInfo{"FWM091", "UnmodelledConstruct",
                                 "A construct was read but not modelled; the analysis over-approximated it",
                                 Severity::Warning, false};
    return kInfo;
  }
  void run(const AnalysisContext& ctx, std::vector<Finding>& out) const override {
    for (const auto& d : ctx.ruleset->diagnostics) {
      if (d.id != info().id) continue;
      Finding f;
      f.rule_id = d.id;
      f.level = d.severity;
      f.message = d.message;
      f.location = d.span;
      f.snippet = d.snippet;
      auto cut = d.message.find(" (");  // the occurrence count is not part of the identity
      f.fingerprint_basis = d.message.substr(0, cut);
      out.push_back(std::move(f));
    }
  }
};

std::unique_ptr<Check> make_unmodelled_construct_check() { return std::make_unique<UnmodelledConstruct>(); }

}  // namespace fwm
