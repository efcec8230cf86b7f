#include <fmt/format.h>
#include <fmt/ranges.h>

#include "report/report.h"

namespace fwm {

ReportCounts count_findings(const Report& r) {
  ReportCounts c;
  for (const auto& f : r.findings) {
    if (f.suppression) {
      ++c.suppressed;
      continue;
    }
    switch (f.level) {
      case Severity::Error:
        ++c.errors;
        break;
      case Severity::Warning:
        ++c.warnings;
        break;
      case Severity::Note:
        ++c.notes;
        break;
    }
  }
  return c;
}

std::string render_summary(const Report& r) {
  auto c = count_findings(r);
  std::string inputs;
  for (const auto& in : r.inputs) {
    if (!inputs.empty()) inputs += ", ";
    inputs += fmt::format("{} ({}, {} rules)", in.file, in.format, in.rules);
  }
  return fmt::format("{} error{}, {} warning{}, {} note{}{} in {}{}\n", c.errors, c.errors == 1 ? "" : "s", c.warnings,
                     c.warnings == 1 ? "" : "s", c.notes, c.notes == 1 ? "" : "s",
                     c.suppressed ? fmt::format(", {} suppressed", c.suppressed) : "", inputs,
                     r.roles.empty() ? "" : fmt::format(" for role {}", fmt::join(r.roles, ",")));
}

std::string fix_edit_heading(const FixEdit& e) {
  std::size_t n = e.lines.size();
  if (e.replace) return fmt::format("fix: replace line {} with {} line{}", e.line, n, n == 1 ? "" : "s");
  return fmt::format("fix: insert {} line{} before line {}", n, n == 1 ? "" : "s", e.line);
}

}  // namespace fwm
