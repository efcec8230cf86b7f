// `diff` as Markdown, for a pull-request comment or $GITHUB_STEP_SUMMARY.
#include <fmt/format.h>

#include "report/diff_report.h"

namespace fwm {

namespace {
std::string cell(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}
}  // namespace

std::string render_diff_markdown(const DiffReport& d) {
  std::string out = fmt::format("## fwmatrix diff\n\n`{}` ({}) → `{}` ({}){}\n\n", d.old_input.file, d.old_input.format,
                                d.new_input.file, d.new_input.format,
                                d.roles.empty() ? "" : fmt::format(", roles: {}", fmt::join(d.roles, ", ")));
  out += fmt::format("**{} verdict change{}, {} new finding{}, {} fixed**\n\n", d.changes.size(),
                     d.changes.size() == 1 ? "" : "s", d.new_findings.size(), d.new_findings.size() == 1 ? "" : "s",
                     d.fixed_findings.size());
  if (!d.requirements.empty()) {
    out += "### Requirements\n\n| | requirement | traffic | before | after |\n|---|---|---|---|---|\n";
    for (const auto& r : d.requirements)
      out += fmt::format("| {} | `{}` | {} | {} | {} |\n", r.worse ? "🔴" : "🟢", r.requirement, r.what, r.before, r.after);
    out += "\n";
  }
  if (!d.changes.empty()) {
    out += "### Verdict changes\n\n| change | now decided by | was decided by |\n|---|---|---|\n";
    for (const auto& c : d.changes)
      out += fmt::format("| {} | {} | {} |\n", cell(describe_change(c)), cell(describe_decider(c.new_decider)),
                         cell(describe_decider(c.old_decider)));
    out += "\n";
  }
  if (!d.new_findings.empty()) {
    out += "### New findings\n\n| level | id | location | message |\n|---|---|---|---|\n";
    for (const auto& f : d.new_findings)
      out += fmt::format("| {} | {} | `{}:{}` | {} |\n", severity_name(f.level), f.rule_id, f.location.file,
                         f.location.line, cell(f.message));
    out += "\n";
  }
  if (!d.fixed_findings.empty()) {
    out += "### Fixed findings\n\n";
    for (const auto& f : d.fixed_findings) out += fmt::format("- {} {}\n", f.rule_id, cell(f.message));
  }
  for (const auto& n : d.notes) out += fmt::format("\n> {}\n", n);
  return out;
}

}  // namespace fwm
