// FWM091: A construct was read but not modelled; the analysis over-approximated it (see docs/rules/FWM091.md).
#include "checks/check_support.h"

namespace fwm {

class UnmodelledConstruct final : public Check {
 public:
  const CheckInfo& info() const override {
    static const CheckInfo kInfo{
        .id = "FWM091",
        .name = "UnmodelledConstruct",
        .short_description = "A construct was read but not modelled; the analysis over-approximated it",
        .default_level = Severity::Warning,
        .needs_roles = false,
        .security_severity = "3.0",
        .precision = "medium",
        .tags = {"security", "coverage"}};
    return kInfo;
  }
  void run(const AnalysisContext& ctx, std::vector<Finding>& out) const override {
    report_diagnostics(ctx, info(), out);
  }
};

std::unique_ptr<Check> make_unmodelled_construct_check() { return std::make_unique<UnmodelledConstruct>(); }

}  // namespace fwm
