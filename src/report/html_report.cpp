// One self-contained HTML file (no network access, no external assets): the port matrix
// (one row per requirement of the rule pack, one status per checked file and Windows
// profile, with a legend and a filter by status), the inbound ports of each file on a
// segmented axis (html_matrix.cpp), the findings linked to the config lines, which are
// included.
#include <fmt/format.h>

#include "report/html_matrix.h"
#include "report/report.h"

namespace fwm {

using html::esc;

std::string render_html(const Report& r) {
  auto c = count_findings(r);
  std::string out = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fwmatrix report)" +
                    (r.roles.empty() ? std::string() : esc(fmt::format(" — {}", fmt::join(r.roles, ", ")))) +
                    R"(</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em 2em;color:#222}
h1{margin-bottom:0} .summary{color:#555;margin-top:.3em} h2{margin-top:1.4em}
table.findings{border-collapse:collapse;width:100%} .findings td,.findings th{border:1px solid #ddd;padding:4px 6px;vertical-align:top;font-size:13px;text-align:left}
tr.error td.level{color:#b3261e;font-weight:bold} tr.warning td.level{color:#9a6700} tr.note td.level{color:#0b5cad}
pre.source{background:#f6f8fa;padding:.5em;overflow:auto;font-size:12px} pre.source > span{display:block}
pre.source > span:target{background:#fff3bf} .lineno{color:#999;display:inline-block;width:4em}
)" + std::string(html::kMatrixStyle) +
                    R"(</style></head><body>
<h1>fwmatrix</h1>
)";
  out += fmt::format(R"(<p class="summary" id="summary">{} error{}, {} warning{}, {} note{}{}{}</p>)", c.errors,
                     c.errors == 1 ? "" : "s", c.warnings, c.warnings == 1 ? "" : "s", c.notes, c.notes == 1 ? "" : "s",
                     c.suppressed ? fmt::format(", {} suppressed", c.suppressed) : "",
                     r.roles.empty() ? "" : esc(fmt::format(" — roles {}", fmt::join(r.roles, ", "))));
  if (!r.inputs.empty()) {
    std::vector<std::string> inputs;
    for (const auto& in : r.inputs)
      inputs.push_back(
          fmt::format("{} ({}, {} rule{})", esc(in.file), esc(in.format), in.rules, in.rules == 1 ? "" : "s"));
    out += fmt::format(R"(<p class="summary" id="inputs">checked: {}</p>)", fmt::join(inputs, "; "));
  }
  for (const auto& n : r.notes) out += fmt::format("<p class=\"note\">{}</p>\n", esc(n));
  html::SourceIndex file_index;
  for (const auto& [file, text] : r.sources) file_index.emplace(file, file_index.size());
  out += html::port_matrix_section(r, file_index);
  out += html::port_picture_section(r);
  out +=
      R"(<section id="findings"><h2>Findings</h2><table class="findings"><thead><tr><th>level</th><th>id</th><th>location</th><th>message</th></tr></thead><tbody>)";
  for (const auto& f : r.findings) {
    auto it = file_index.find(f.location.file);
    std::string where = fmt::format("{}:{}", esc(f.location.file), f.location.line);
    std::string link = it == file_index.end()
                           ? where
                           : fmt::format(R"(<a href="#src-{}-L{}">{}</a>)", it->second, f.location.line, where);
    out += fmt::format(
        R"(<tr class="finding {}" data-id="{}"><td class="level">{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>)",
        severity_name(f.level), f.rule_id, severity_name(f.level), f.suppression ? " (suppressed)" : "", f.rule_id,
        link, esc(f.message));
  }
  out += "</tbody></table></section>\n";
  for (const auto& [file, text] : r.sources) {
    std::size_t idx = file_index[file];
    out += fmt::format(R"(<section class="source-file"><h2>{}</h2><pre class="source">)", esc(file));
    std::size_t line = 1, start = 0;
    while (start <= text.size()) {
      auto end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      if (start == text.size() && start != 0) break;
      out += fmt::format(R"(<span id="src-{}-L{}"><span class="lineno">{}</span>{}</span>)", idx, line, line,
                         esc(text.substr(start, end - start)));
      ++line;
      start = end + 1;
    }
    out += "</pre></section>\n";
  }
  out += html::kMatrixScript;
  out += R"(</body></html>
)";
  return out;
}

}  // namespace fwm
