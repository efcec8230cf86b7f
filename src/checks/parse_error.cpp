// FWM090: The input could not be parsed (see docs/rules/FWM090.md).
#include "checks/check_support.h"

namespace fwm {

class ParseError final : public Check {
 public:
  const CheckInfo& info() const override {
    static const CheckInfo kInfo{.id = "FWM090",
                                 .name = "ParseError",
                                 .short_description = "The input could not be parsed",
                                 .default_level = Severity::Error,
                                 .needs_roles = false,
                                 .security_severity = "5.0",
                                 .precision = "very-high",
                                 .tags = {"security", "coverage"}};
    return kInfo;
  }
  void run(const AnalysisContext& ctx, std::vector<Finding>& out) const override {
    report_diagnostics(ctx, info(), out);
  }
};

std::unique_ptr<Check> make_parse_error_check() { return std::make_unique<ParseError>(); }

}  // namespace fwm
