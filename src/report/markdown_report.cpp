// Markdown: a table for a pull-request comment or $GITHUB_STEP_SUMMARY.
#include <fmt/format.h>

#include "report/report.h"

namespace fwm {

namespace {
std::string cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += "<br>";
    else
      out += c;
  }
  return out;
}
}  // namespace

std::string render_markdown(const Report& r) {
  // The size the table may reach (the rest of 1 MiB is for the header, notes and the cut).
  constexpr std::size_t kMarkdownRowBudget = 1000 * 1024;
  auto c = count_findings(r);
  std::string out = "## fwmatrix\n\n";
  for (const auto& in : r.inputs) out += fmt::format("- `{}` ({}, {} rules)\n", in.file, in.format, in.rules);
  if (!r.roles.empty()) out += fmt::format("- roles: {}\n", fmt::join(r.roles, ", "));
  out += fmt::format("\n**{} error{}, {} warning{}, {} note{}**{}\n\n", c.errors, c.errors == 1 ? "" : "s", c.warnings,
                     c.warnings == 1 ? "" : "s", c.notes, c.notes == 1 ? "" : "s",
                     c.suppressed ? fmt::format(" ({} suppressed)", c.suppressed) : "");
  // GitHub stops a job summary at 1 MiB: rows stop short of it, and the notes follow.
  std::string notes;
  for (const auto& n : r.notes) notes += fmt::format("\n> {}\n", n);
  if (!r.findings.empty()) {
    out += "| level | id | location | message |\n|---|---|---|---|\n";
    std::size_t left_out = 0;
    for (const auto& f : r.findings) {
      if (f.suppression) continue;
      std::string message = f.message;
      for (const auto& e : f.fix) {
        message += "<br>" + fix_edit_heading(e) + ":";
        for (const auto& l : e.lines) message += fmt::format("<br>`{}`", l);
      }
      std::string row = fmt::format("| {} | {} | `{}:{}` | {} |\n", severity_name(f.level), f.rule_id, f.location.file,
                                    f.location.line, cell(message));
      if (left_out || out.size() + row.size() + notes.size() > kMarkdownRowBudget) {
        ++left_out;
        continue;
      }
      out += row;
    }
    if (left_out)
      out += fmt::format(
          "\n> {} more finding{} not shown: a job summary stops at 1 MiB. The SARIF or JSON report "
          "(`--report sarif` / `--report json`) has them all.\n",
          left_out, left_out == 1 ? "" : "s");
  }
  out += notes;
  return out;
}

}  // namespace fwm
