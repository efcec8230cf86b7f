// Markdown: a table for a pull-request comment or $GITHUB_STEP_SUMMARY.
#include <fmt/format.h>

#include "report/report.h"

namespace fwm {

namespace {
std::string cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += "<br>";
    else out += c;
  }
  return out;
}
}  // namespace

std::string render_markdown(const Report& r) {
  auto c = count_findings(r);
  std::string out = "## fwmatrix\n\n";
  for (const auto& in : r.inputs) out += fmt::format("- `{}` ({}, {} rules)\n", in.file, in.format, in.rules);
  if (!r.roles.empty()) out += fmt::format("- roles: {}\n", fmt::join(r.roles, ", "));
  out += fmt::format("\n**{} error{}, {} warning{}, {} note{}**{}\n\n", c.errors, c.errors == 1 ? "" : "s", c.warnings,
                     c.warnings == 1 ? "" : "s", c.notes, c.notes == 1 ? "" : "s",
                     c.suppressed ? fmt::format(" ({} suppressed)", c.suppressed) : "");
  if (!r.findings.empty()) {
    out += "| level | id | location | message |\n|---|---|---|---|\n";
    for (const auto& f : r.findings) {
      if (f.suppression) continue;
      out += fmt::format("| {} | {} | `{}:{}` | {} |\n", severity_name(f.level), f.rule_id, f.location.file,
                         f.location.line, cell(f.message));
    }
  }
  for (const auto& n : r.notes) out += fmt::format("\n> {}\n", n);
  return out;
}

}  // namespace fwm
