// FWM001: A required port range is denied (see docs/rules/FWM001.md).
#include "checks/check_support.h"

namespace fwm {

class RequiredPortDenied final : public Check {
 public:
  const CheckInfo& info() const override {
    static const CheckInfo kInfo{.id = "FWM001",
                                 .name = "RequiredPortDenied",
                                 .short_description = "A required port range is denied",
                                 .default_level = Severity::Error,
                                 .needs_roles = true,
                                 .security_severity = "5.0",
                                 .precision = "very-high",
                                 .tags = {"security", "availability", "port-matrix"}};
    return kInfo;
  }
  void run(const AnalysisContext& ctx, std::vector<Finding>& out) const override {
    report_requirement_gaps(ctx, info(), GapKind::Denied, /*want_optional=*/false, out);
  }
};

std::unique_ptr<Check> make_required_port_denied_check() { return std::make_unique<RequiredPortDenied>(); }

}  // namespace fwm
