// FWM003: An optional port is denied (see docs/rules/FWM003.md).
#include "checks/check_support.h"

namespace fwm {

class OptionalPortDenied final : public Check {
 public:
  const CheckInfo& info() const override {
    static const CheckInfo kInfo{.id = "FWM003",
                                 .name = "OptionalPortDenied",
                                 .short_description = "An optional port is denied",
                                 .default_level = Severity::Note,
                                 .needs_roles = true,
                                 .security_severity = "1.0",
                                 .precision = "very-high",
                                 .tags = {"security", "availability", "port-matrix"}};
    return kInfo;
  }
  void run(const AnalysisContext& ctx, std::vector<Finding>& out) const override {
    report_requirement_gaps(ctx, info(), GapKind::Denied, /*want_optional=*/true, out);
  }
};

std::unique_ptr<Check> make_optional_port_denied_check() { return std::make_unique<OptionalPortDenied>(); }

}  // namespace fwm
