// One self-contained HTML file (no network access): per file, family and protocol a
// picture of the 0-65535 port axis with required, open, denied, undetermined, accepted and
// excess intervals; the findings table linked to the config lines, which are included.
#include <fmt/format.h>

#include "ir/services.h"
#include "report/report.h"

namespace fwm {

namespace {

std::string esc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

constexpr double kAxisWidth = 1000.0;

std::string bar(const PortSet& set, int row, const char* cls, const char* label) {
  std::string out = fmt::format(R"(<text x="0" y="{}" class="label">{}</text>)", row * 18 + 13, label);
  for (const auto& iv : set.intervals()) {
    double x = 110 + iv.lo * kAxisWidth / 65536.0;
    double w = std::max(1.0, (iv.hi - iv.lo + 1) * kAxisWidth / 65536.0);
    std::string range = iv.lo == iv.hi ? std::to_string(iv.lo) : fmt::format("{}-{}", iv.lo, iv.hi);
    out += fmt::format(R"(<rect class="{}" x="{:.2f}" y="{}" width="{:.2f}" height="14" data-lo="{}" data-hi="{}"><title>{} {}</title></rect>)",
                       cls, x, row * 18 + 2, w, iv.lo, iv.hi, label, range);
  }
  return out;
}

std::string axis_svg(const PortAxis& a) {
  std::string out = fmt::format(R"(<svg class="axis" viewBox="0 0 {} 130" width="100%" role="img" aria-label="{} {} {}">)",
                                110 + kAxisWidth + 10, esc(a.file), a.family, a.protocol);
  out += bar(a.required, 0, "required", "required");
  out += bar(a.open, 1, "open", "open");
  out += bar(a.denied, 2, "denied", "denied");
  out += bar(a.undetermined, 3, "undetermined", "undetermined");
  out += bar(a.accepted, 4, "accepted", "accepted");
  out += bar(a.excess, 5, "excess", "excess");
  for (std::uint32_t tick : {0u, 1024u, 16384u, 32768u, 49152u, 57501u, 65535u}) {
    double x = 110 + tick * kAxisWidth / 65536.0;
    out += fmt::format(R"(<line x1="{:.2f}" x2="{:.2f}" y1="0" y2="110" class="tick"/><text x="{:.2f}" y="126" class="tick-label">{}</text>)",
                       x, x, x, tick);
  }
  return out + "</svg>";
}

}  // namespace

std::string render_html(const Report& r) {
  auto c = count_findings(r);
  std::string out = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fwmatrix report</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
h1{margin-bottom:0} .summary{color:#555;margin-top:.3em}
svg.axis{max-width:1140px;display:block;margin:.5em 0 1.5em}
rect.required{fill:#7aa6d8} rect.open{fill:#3c9a5f} rect.denied{fill:#d9463b}
rect.undetermined{fill:#e0a526} rect.accepted{fill:#8d8d8d} rect.excess{fill:#a347ba}
.label{font-size:12px} .tick{stroke:#ccc;stroke-width:.5} .tick-label{font-size:9px;fill:#777;text-anchor:middle}
table{border-collapse:collapse;width:100%} td,th{border:1px solid #ddd;padding:4px 6px;vertical-align:top;font-size:13px}
tr.error td.level{color:#b3261e;font-weight:bold} tr.warning td.level{color:#9a6700} tr.note td.level{color:#0b5cad}
pre.source{background:#f6f8fa;padding:.5em;overflow:auto;font-size:12px} pre.source > span{display:block}
pre.source > span:target{background:#fff3bf} .lineno{color:#999;display:inline-block;width:4em}
</style></head><body>
<h1>fwmatrix</h1>
)";
  out += fmt::format(R"(<p class="summary" id="summary">{} error{}, {} warning{}, {} note{}{}{}</p>)", c.errors,
                     c.errors == 1 ? "" : "s", c.warnings, c.warnings == 1 ? "" : "s", c.notes, c.notes == 1 ? "" : "s",
                     c.suppressed ? fmt::format(", {} suppressed", c.suppressed) : "",
                     r.roles.empty() ? "" : esc(fmt::format(" — roles {}", fmt::join(r.roles, ", "))));
  std::map<std::string, std::size_t> file_index;
  for (const auto& [file, text] : r.sources) file_index.emplace(file, file_index.size());
  if (!r.axes.empty()) {
    out += R"(<section id="axes"><h2>Inbound ports</h2>)";
    for (const auto& a : r.axes) {
      out += fmt::format(R"(<h3>{} — {} {}</h3>)", esc(a.file), a.family, a.protocol == "tcp" ? "TCP" : "UDP");
      out += fmt::format(R"(<p class="axis-text">required {}; denied {}; excess {}</p>)", esc(format_ports(a.required, 40)),
                         esc(format_ports(a.denied, 40)), esc(format_ports(a.excess, 40)));
      out += axis_svg(a);
    }
    out += "</section>\n";
  }
  out += R"(<section id="findings"><h2>Findings</h2><table><thead><tr><th>level</th><th>id</th><th>location</th><th>message</th></tr></thead><tbody>)";
  for (const auto& f : r.findings) {
    auto it = file_index.find(f.location.file);
    std::string where = fmt::format("{}:{}", esc(f.location.file), f.location.line);
    std::string link = it == file_index.end() ? where
                                              : fmt::format(R"(<a href="#src-{}-L{}">{}</a>)", it->second, f.location.line, where);
    out += fmt::format(R"(<tr class="finding {}" data-id="{}"><td class="level">{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>)",
                       severity_name(f.level), f.rule_id, severity_name(f.level), f.suppression ? " (suppressed)" : "",
                       f.rule_id, link, esc(f.message));
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
  for (const auto& n : r.notes) out += fmt::format("<p class=\"note\">{}</p>\n", esc(n));
  // A small script: counts what was drawn, so a browser test can see the page rendered.
  out += R"(<script>
document.addEventListener('DOMContentLoaded', function () {
  var rects = document.querySelectorAll('svg.axis rect');
  var p = document.createElement('p');
  p.id = 'rendered';
  p.textContent = rects.length + ' intervals drawn on ' + document.querySelectorAll('svg.axis').length + ' axes';
  document.body.appendChild(p);
});
</script>
</body></html>
)";
  return out;
}

}  // namespace fwm
