// FWM002: A required port range is undetermined (see docs/rules/FWM002.md).
#include "checks/check_support.h"

namespace fwm {

class RequiredPortUndetermined final : public Check {
 public:
  const CheckInfo& info() const override {
    static const CheckInfo kInfo{.id = "FWM002",
                                 .name = "RequiredPortUndetermined",
                                 .short_description = "A required port range is undetermined",
                                 .default_level = Severity::Warning,
                                 .needs_roles = true,
                                 .security_severity = "3.0",
                                 .precision = "high",
                                 .tags = {"security", "availability", "port-matrix"}};
    return kInfo;
  }
  void run(const AnalysisContext& ctx, std::vector<Finding>& out) const override {
    report_requirement_gaps(ctx, info(), GapKind::Undetermined, /*want_optional=*/false, out);
  }
};

std::unique_ptr<Check> make_required_port_undetermined_check() { return std::make_unique<RequiredPortUndetermined>(); }

}  // namespace fwm
