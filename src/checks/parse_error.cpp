// FWM090: the input could not be parsed (see docs/rules/FWM090.md).
#include "checks/check.h"

namespace fwm {

class ParseError final : public Check {
 public:
  const CheckInfo& info() const override {
    static const CheckInfo kInfo{"FWM090", "ParseError", "The input could not be parsed", Severity::Error, false};
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
      f.fingerprint_basis = d.message + "|" + d.snippet;
      out.push_back(std::move(f));
    }
  }
};

std::unique_ptr<Check> make_parse_error_check() { return std::make_unique<ParseError>(); }

}  // namespace fwm
