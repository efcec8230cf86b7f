// Plain text (coloured on a terminal): one block per finding, compiler style.
#include <fmt/format.h>

#include "report/report.h"

namespace fwm {

std::string render_text(const Report& r, bool color) {
  auto paint = [&](const char* code, const std::string& s) {
    return color ? fmt::format("\x1b[{}m{}\x1b[0m", code, s) : s;
  };
  std::string out;
  for (const auto& f : r.findings) {
    const char* level = severity_name(f.level);
    const char* code = f.level == Severity::Error ? "1;31" : f.level == Severity::Warning ? "1;33" : "1;36";
    out += fmt::format("{}:{}:{}: {} {}: {}", f.location.file, f.location.line, f.location.column, paint(code, level),
                       f.rule_id, f.message);
    if (f.suppression) out += fmt::format(" [suppressed: {}]", *f.suppression);
    if (!f.baseline_state.empty()) out += fmt::format(" [{}]", f.baseline_state);
    out += "\n";
    if (!f.snippet.empty()) out += fmt::format("    {}\n", paint("2", f.snippet));
    for (const auto& e : f.fix) {
      out += fmt::format("    {}\n", paint("32", fix_edit_heading(e) + ":"));
      for (const auto& l : e.lines) out += fmt::format("    {}\n", paint("32", "+ " + l));
    }
    if (!f.related.empty()) {
      // The other places, by line (their texts are in the SARIF and JSON reports).
      std::vector<std::string> lines;
      for (const auto& rel : f.related)
        lines.push_back(rel.location.file == f.location.file
                            ? std::to_string(rel.location.line)
                            : fmt::format("{}:{}", rel.location.file, rel.location.line));
      out += fmt::format(
          "    {} {}{}\n", paint("2", lines.size() + f.related_left_out == 1 ? "also line" : "also lines"),
          fmt::join(lines, ", "), f.related_left_out ? fmt::format(" and {} more", f.related_left_out) : "");
    }
  }
  for (const auto& n : r.notes) out += fmt::format("note: {}\n", n);
  out += render_summary(r);
  return out;
}

}  // namespace fwm
