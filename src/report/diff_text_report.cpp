// `diff` as text.
#include <fmt/format.h>

#include "report/diff_report.h"

namespace fwm {

std::string render_diff_text(const DiffReport& d, bool color) {
  auto paint = [&](const char* code, const std::string& s) {
    return color ? fmt::format("\x1b[{}m{}\x1b[0m", code, s) : s;
  };
  std::string out = fmt::format("fwmatrix diff {} ({}) -> {} ({}){}\n", d.old_input.file, d.old_input.format,
                                d.new_input.file, d.new_input.format,
                                d.roles.empty() ? "" : fmt::format(" for role {}", fmt::join(d.roles, ",")));
  if (!d.requirements.empty()) {
    out += "\nRequirements whose status changed:\n";
    for (const auto& r : d.requirements)
      out += fmt::format("  {} {} {}: {} -> {}\n", paint(r.worse ? "1;31" : "1;32", r.worse ? "worse" : "better"),
                         r.requirement, r.what, r.before, r.after);
  }
  if (!d.changes.empty()) {
    out += "\nVerdicts that changed (new connections):\n";
    for (const auto& c : d.changes) {
      bool opened = c.after == Verdict::Accept;
      out += fmt::format("  {} {}\n      now: {}\n      was: {}\n", paint(opened ? "1;33" : "1;35", opened ? "opened" : "closed"),
                         describe_change(c), describe_decider(c.new_decider), describe_decider(c.old_decider));
    }
  } else {
    out += "\nNo verdict changed: both versions accept and deny the same new connections.\n";
  }
  for (const auto& f : d.new_findings)
    out += fmt::format("new {} {}: {}:{}: {}\n", severity_name(f.level), f.rule_id, f.location.file, f.location.line, f.message);
  for (const auto& f : d.fixed_findings)
    out += fmt::format("fixed {} {}: {}:{}: {}\n", severity_name(f.level), f.rule_id, f.location.file, f.location.line,
                       f.message);
  for (const auto& n : d.notes) out += fmt::format("note: {}\n", n);
  out += fmt::format("{} verdict change{}, {} new finding{}, {} fixed, {} unchanged\n", d.changes.size(),
                     d.changes.size() == 1 ? "" : "s", d.new_findings.size(), d.new_findings.size() == 1 ? "" : "s",
                     d.fixed_findings.size(), d.unchanged_findings);
  return out;
}

}  // namespace fwm
