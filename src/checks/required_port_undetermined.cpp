// FWM002: A required port range is undetermined (see docs/rules/FWM002.md).
#include "checks/check_support.h"

namespace fwm {

class RequiredPortUndetermined final : public Check {
 public:
  const CheckInfo& info() const override {
    static const CheckInfo kInfo{"FWM002", "RequiredPortUndetermined", "A required port range is undetermined", Severity::Warning, true};
    return kInfo;
  }
  void run(const AnalysisContext& ctx, std::vector<Finding>& out) const override {
    report_requirement_gaps(ctx, info(), GapKind::Undetermined, /*want_optional=*/false, out);
  }
};

std::unique_ptr<Check> make_required_port_undetermined_check() { return std::make_unique<RequiredPortUndetermined>(); }

}  // namespace fwm
