#include <fmt/format.h>

#include "checks/check.h"
#include "ir/services.h"
#include "report/diff_report.h"

namespace fwm {

std::string describe_change(const VerdictChange& c) {
  std::string sources = format_addr_intervals(c.family, c.sources, 4);
  if (c.sources == AddrIntervals(0, family_max(c.family)).subtract(
                       parse_address_expr(c.family == Family::V4 ? "127.0.0.0/8" : "::1").set.of(c.family)))
    sources = "any source";
  return fmt::format("{} {} from {} ({} {}): {} -> {}", c.protocol == kProtoTcp ? "TCP" : "UDP", format_ports(c.ports),
                     sources, family_name(c.family), direction_name(c.direction), verdict_name(c.before),
                     verdict_name(c.after));
}

std::string describe_decider(const Decider& d) {
  std::string text = decider_text(d);
  if (d.rule) text += fmt::format(" in {}", d.rule->span.file);
  else if (d.policy && d.policy->policy_span.line) text += fmt::format(" in {}", d.policy->policy_span.file);
  return text;
}

}  // namespace fwm
