#include "report/html_matrix.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <optional>
#include <set>
#include <tuple>

#include "ir/services.h"
#include "matrix/pack.h"

namespace fwm::html {

std::string esc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

// Ascending severity: a cell shows the worst of its parts.
enum class Status { Open, Undetermined, Denied };

const char* status_name(Status s) {
  switch (s) {
    case Status::Open:
      return "open";
    case Status::Undetermined:
      return "undetermined";
    case Status::Denied:
      return "denied";
  }
  return "open";
}

// A checked file, or one Windows profile of it: a column of the matrix.
struct Column {
  std::string file;
  std::string variant;
};

struct PartRef {
  const PortAxis* axis;
  const RequirementPart* part;
};

struct Row {
  const RequirementPart* meta = nullptr;
  std::size_t table_order = 0;
  std::vector<std::vector<PartRef>> cells;  // per column
};

struct Outcome {
  Status status = Status::Open;
  std::string html;   // short text, line numbers linked to the source
  std::string title;  // the rules' text, for the tooltip
};

std::vector<Column> columns_of(const Report& r) {
  std::vector<Column> cols;
  for (const auto& a : r.axes)
    if (std::none_of(cols.begin(), cols.end(),
                     [&](const Column& c) { return c.file == a.file && c.variant == a.variant; }))
      cols.push_back({a.file, a.variant});
  return cols;
}

std::size_t column_of(const std::vector<Column>& cols, const PortAxis& a) {
  for (std::size_t i = 0; i < cols.size(); ++i)
    if (cols[i].file == a.file && cols[i].variant == a.variant) return i;
  return 0;
}

std::string line_link(const std::string& file, std::size_t line, const SourceIndex& sources, bool word = true) {
  auto it = sources.find(file);
  std::string text = word ? fmt::format("line {}", line) : std::to_string(line);
  if (it == sources.end()) return text;
  return fmt::format(R"(<a href="#src-{}-L{}">{}</a>)", it->second, line, text);
}

// "at line 5", "at lines 5, 9", "by the default deny policy of chain X": what decided.
std::string deciders_html(const std::vector<PortDecision>& ds, const std::string& file, const SourceIndex& sources) {
  std::set<std::size_t> lines;
  std::vector<std::string> defaults;
  for (const auto& d : ds) {
    if (d.line)
      lines.insert(d.line);
    else if (std::find(defaults.begin(), defaults.end(), d.text) == defaults.end())
      defaults.push_back(d.text);
  }
  std::vector<std::string> parts;
  if (!lines.empty()) {
    std::vector<std::string> links;
    for (auto line : lines) {
      if (links.size() == 4) break;
      links.push_back(line_link(file, line, sources, lines.size() == 1));
    }
    std::string text = fmt::format("at {}{}", lines.size() == 1 ? "" : "lines ", fmt::join(links, ", "));
    if (lines.size() > links.size()) text += fmt::format(" and {} more", lines.size() - links.size());
    parts.push_back(text);
  }
  for (const auto& d : defaults) parts.push_back("by " + esc(d));
  return fmt::format("{}", fmt::join(parts, " and "));
}

std::string deciders_title(const std::vector<PortDecision>& ds, const char* what) {
  constexpr std::size_t kMax = 8;  // a blocklist denies each port by hundreds of rules
  std::string out;
  for (std::size_t i = 0; i < ds.size(); ++i) {
    const auto& d = ds[i];
    if (i == kMax) {
      out += fmt::format("\nand {} more", ds.size() - kMax);
      break;
    }
    if (!out.empty()) out += "\n";
    out += fmt::format("{} {}: ", what, format_ports(d.ports, 6));
    std::string text = d.text.size() > 200 ? d.text.substr(0, 200) + "…" : d.text;
    out += d.line ? fmt::format("line {}: {}", d.line, text) : text;
    if (!d.because.empty()) out += fmt::format(" ({})", d.because);
  }
  return out;
}

// "because <condition> (line 7)" for the undetermined ports of a part.
std::string because_html(const std::vector<PortDecision>& ds, const std::string& file, const SourceIndex& sources) {
  std::vector<std::string> reasons;
  for (const auto& d : ds) {
    std::string reason = esc(d.because.empty() ? "a condition the file does not decide" : d.because);
    if (d.line) reason += " (" + line_link(file, d.line, sources) + ")";
    if (std::find(reasons.begin(), reasons.end(), reason) == reasons.end()) reasons.push_back(reason);
  }
  if (reasons.empty()) return "because a condition the file does not decide";
  std::string text = "because " + reasons.front();
  if (reasons.size() > 1) text += fmt::format(" and {} more", reasons.size() - 1);
  return text;
}

std::string partial(const PortSet& part, const PortSet& whole) {
  return part == whole ? std::string() : " " + esc(format_ports(part, 6));
}

Outcome part_outcome(const PortAxis& a, const RequirementPart& p, const SourceIndex& sources) {
  Outcome o;
  o.title = deciders_title(p.denied_by, "denied");
  if (!p.undetermined_by.empty())
    o.title += (o.title.empty() ? "" : "\n") + deciders_title(p.undetermined_by, "undetermined");
  for (const auto& problem : p.problems) o.title += (o.title.empty() ? "" : "\n") + problem;
  if (p.no_path) {
    o.html = "open (no filtering on this path)";
    return o;
  }
  if (p.min_open) {
    auto open = p.open.count();
    auto undetermined = p.undetermined.count();
    if (open >= p.min_open) {
      o.html = fmt::format("open ({} ports, at least {} needed)", open, p.min_open);
    } else if (open + undetermined >= p.min_open) {
      o.status = Status::Undetermined;
      o.html = fmt::format("undetermined: {} of at least {} ports open, others {}", open, p.min_open,
                           because_html(p.undetermined_by, a.file, sources));
    } else {
      o.status = Status::Denied;
      o.html = fmt::format("denied: only {} of at least {} ports open, the others denied {}", open, p.min_open,
                           deciders_html(p.denied_by, a.file, sources));
    }
    return o;
  }
  if (!p.denied.empty()) {
    o.status = Status::Denied;
    o.html = fmt::format("denied{} {}", partial(p.denied, p.required), deciders_html(p.denied_by, a.file, sources));
    if (!p.undetermined.empty())
      o.html += fmt::format("; undetermined{} {}", partial(p.undetermined, p.required),
                            because_html(p.undetermined_by, a.file, sources));
  } else if (!p.undetermined.empty()) {
    o.status = Status::Undetermined;
    o.html = fmt::format("undetermined{} {}", partial(p.undetermined, p.required),
                         because_html(p.undetermined_by, a.file, sources));
  } else {
    o.html = "open";
  }
  return o;
}

std::string proto_upper(const std::string& p) {
  std::string out = p;
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The requirement's own ports, coloured by what the cell's parts say about them: a
// per-requirement axis, so that a denied part of a range shows at its place.
std::string mini_bar(const RequirementPart& part, bool spare_is_fine) {
  const PortSet& required = part.required;
  if (required.count() < 2) return {};
  const PortSet& denied = part.denied;
  PortSet undetermined = part.undetermined.subtract(denied);
  std::set<std::uint32_t> cuts;
  for (const PortSet* s : std::array<const PortSet*, 3>{&required, &denied, &undetermined})
    for (const auto& iv : s->intervals()) {
      cuts.insert(iv.lo);
      cuts.insert(iv.hi + 1);
    }
  struct Seg {
    std::uint32_t lo, hi;
    const char* cls;
  };
  std::vector<Seg> segs;
  for (auto it = cuts.begin(); std::next(it) != cuts.end(); ++it) {
    std::uint32_t lo = *it, hi = *std::next(it) - 1;
    if (!required.contains(lo)) continue;
    const char* cls = denied.contains(lo)         ? (spare_is_fine ? "spare" : "denied")
                      : undetermined.contains(lo) ? "undetermined"
                                                  : "open";
    segs.push_back({lo, hi, cls});
  }
  constexpr double kWidth = 160.0;
  double total = static_cast<double>(required.count());
  std::vector<double> widths;
  double sum = 0;
  for (const auto& s : segs) {
    widths.push_back(std::max(2.0, kWidth * (s.hi - s.lo + 1) / total));
    sum += widths.back();
  }
  std::string out = fmt::format(R"(<svg class="mini" width="{0}" height="8" viewBox="0 0 {0} 8">)", kWidth);
  double x = 0;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    double w = widths[i] * kWidth / sum;
    std::string range =
        segs[i].lo == segs[i].hi ? std::to_string(segs[i].lo) : fmt::format("{}-{}", segs[i].lo, segs[i].hi);
    out += fmt::format(R"(<rect class="{}" x="{:.1f}" y="0" width="{:.1f}" height="8"><title>{} {}</title></rect>)",
                       segs[i].cls, x, w, range, segs[i].cls);
    x += w;
  }
  return out + "</svg>";
}

struct Cell {
  std::string cls;  // open, denied, undetermined, optional, none
  std::string html;
};

Cell render_cell(const Row& row, std::size_t col, const SourceIndex& sources) {
  const auto& refs = row.cells[col];
  if (refs.empty()) return {"none", R"(<td class="cell none" data-status="none">not checked</td>)"};
  std::set<std::string> families, protocols;
  for (const auto& ref : refs) {
    families.insert(ref.axis->family);
    protocols.insert(ref.axis->protocol);
  }
  // Parts with the same answer are told once; others are named by family and protocol.
  struct Group {
    Outcome outcome;
    std::vector<std::string> where;
    const RequirementPart* part;
  };
  std::vector<Group> groups;
  Status worst = Status::Open;
  std::string title;
  for (const auto& ref : refs) {
    Outcome o = part_outcome(*ref.axis, *ref.part, sources);
    worst = std::max(worst, o.status);
    std::vector<std::string> label;
    if (families.size() > 1) label.push_back(ref.axis->family);
    if (protocols.size() > 1) label.push_back(proto_upper(ref.axis->protocol));
    std::string where = fmt::format("{}", fmt::join(label, " "));
    if (!o.title.empty() && title.find(o.title) == std::string::npos) title += (title.empty() ? "" : "\n") + o.title;
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) { return g.outcome.html == o.html; });
    if (it == groups.end())
      groups.push_back({o, {where}, ref.part});
    else
      it->where.push_back(where);
  }
  std::stable_sort(groups.begin(), groups.end(),
                   [](const Group& a, const Group& b) { return a.outcome.status > b.outcome.status; });
  const RequirementPart& meta = *row.meta;
  bool optional = meta.optional && worst != Status::Open;
  std::string cls = optional ? "optional" : status_name(worst);
  bool spare_is_fine = meta.min_open && worst == Status::Open;
  std::string body;
  for (const auto& g : groups) {
    std::string text = g.outcome.html;
    if (groups.size() > 1)
      text = fmt::format(R"(<span class="where">{}:</span> {})", fmt::join(g.where, ", "), text);
    else if (text == "open")
      text.clear();  // the badge says it
    if (!text.empty()) body += fmt::format(R"(<div class="{}">{}</div>)", status_name(g.outcome.status), text);
    body += mini_bar(*g.part, spare_is_fine);
  }
  static const std::map<std::string, std::string> kIcons = {
      {"open", "&#10003;"}, {"denied", "&#10007;"}, {"undetermined", "?"}, {"optional", "&#9675;"}};
  std::string head = fmt::format(R"(<span class="badge">{} {}</span>)", kIcons.at(cls),
                                 optional ? "optional, not open" : status_name(worst));
  return {cls, fmt::format(R"(<td class="cell {}" data-status="{}"{}>{}{}</td>)", cls, cls,
                           title.empty() ? "" : fmt::format(R"( title="{}")", esc(title)), head, body)};
}

const std::map<std::string, std::string>& table_titles() {
  // The tables of Microsoft's "Port and protocol requirements for servers" and of the
  // Edge packs (rules/*.yaml name them in their comments).
  static const std::map<std::string, std::string> kTitles = {
      {"servers", "Required server ports (by server role)"},
      {"hlb-only", "Hardware load balancer ports if using only hardware load balancing"},
      {"hlb-dns", "Hardware load balancer ports if using DNS load balancing"},
      {"clients", "Required client ports"},
      {"edge-external-firewall", "Edge Server: external firewall"},
      {"edge-internal-firewall", "Edge Server: internal firewall"},
      {"reverse-proxy", "Reverse proxy"},
  };
  return kTitles;
}

std::string column_header(const std::vector<Column>& cols, const std::vector<std::array<std::size_t, 4>>& counts) {
  bool variants = std::any_of(cols.begin(), cols.end(), [](const Column& c) { return !c.variant.empty(); });
  std::string top, second;
  auto count_html = [&](std::size_t i) {
    const auto& c = counts[i];
    std::vector<std::string> parts;
    const char* names[] = {"open", "denied", "undetermined", "optional"};
    for (std::size_t k = 0; k < 4; ++k)
      if (c[k]) parts.push_back(fmt::format(R"(<span class="{}">{} {}</span>)", names[k], c[k], names[k]));
    return fmt::format(R"(<div class="counts">{}</div>)", fmt::join(parts, " · "));
  };
  for (std::size_t i = 0; i < cols.size();) {
    std::size_t j = i;
    while (j < cols.size() && cols[j].file == cols[i].file) ++j;
    bool single = j == i + 1 && cols[i].variant.empty();
    if (!variants || single) {
      top += fmt::format(R"(<th class="file"{}><span class="path">{}</span>{}</th>)", variants ? R"( rowspan="2")" : "",
                         esc(cols[i].file), count_html(i));
    } else {
      top +=
          fmt::format(R"(<th class="file" colspan="{}"><span class="path">{}</span></th>)", j - i, esc(cols[i].file));
      for (std::size_t k = i; k < j; ++k)
        second += fmt::format(R"(<th class="profile">{}{}</th>)",
                              esc(cols[k].variant.empty() ? "(all)" : cols[k].variant), count_html(k));
    }
    i = j;
  }
  std::string head =
      R"(<th rowspan="ROWS">role</th><th rowspan="ROWS">service</th><th rowspan="ROWS">protocol</th><th rowspan="ROWS">ports</th>)";
  std::string rows = variants ? "2" : "1";
  for (auto pos = head.find("ROWS"); pos != std::string::npos; pos = head.find("ROWS")) head.replace(pos, 4, rows);
  std::string out = "<thead><tr>" + head + top + "</tr>";
  if (variants) out += "<tr>" + second + "</tr>";
  return out + "</thead>";
}

std::string legend(bool matrix) {
  const std::tuple<const char*, const char*, bool> kLegend[] = {
      {"open", "open: some peer can reach every port", true},
      {"denied", "denied: at the line named", true},
      {"undetermined", "undetermined: depends on a condition the file does not decide", true},
      {"optional", "optional: not open, but the pack marks the port optional", true},
      {"excess", "reachable but not required", false},
      {"gap", "neither required nor reachable (compressed)", false},
  };
  std::string out = matrix ? R"(<div class="legend" id="legend">)" : R"(<div class="legend">)";
  for (const auto& [cls, text, in_matrix] : kLegend)
    if (in_matrix || !matrix)
      if (matrix || std::string(cls) != "optional")
        out += fmt::format(R"(<span class="item"><span class="swatch {}"></span>{}</span>)", cls, text);
  return out + "</div>";
}

}  // namespace

std::string port_matrix_section(const Report& r, const SourceIndex& sources) {
  if (r.axes.empty()) return {};
  std::vector<Column> cols = columns_of(r);
  // The pack again, for its title and the role names of Microsoft's table (ids when it
  // cannot be found by name: a pack given as a path under another name).
  std::optional<Pack> pack;
  if (!r.pack.empty()) pack = find_pack(r.pack, "").pack;
  std::map<std::string, std::size_t> table_order;
  if (pack)
    for (const auto& req : pack->requirements) table_order.emplace(req.table, table_order.size());
  std::map<std::string, Row> rows;
  for (const auto& a : r.axes) {
    std::size_t col = column_of(cols, a);
    for (const auto& p : a.requirements) {
      table_order.emplace(p.table, table_order.size());
      Row& row = rows[p.id];
      if (!row.meta) {
        row.meta = &p;
        row.cells.resize(cols.size());
      }
      row.cells[col].push_back({&a, &p});
    }
  }
  std::vector<Row*> ordered;
  for (auto& [id, row] : rows) {
    row.table_order = table_order[row.meta->table];
    ordered.push_back(&row);
  }
  std::stable_sort(ordered.begin(), ordered.end(), [](const Row* a, const Row* b) {
    return std::make_tuple(a->table_order, a->meta->row, a->meta->id) <
           std::make_tuple(b->table_order, b->meta->row, b->meta->id);
  });

  // Cells first: the header counts them, the filter offers the statuses there are.
  std::vector<std::array<std::size_t, 4>> counts(cols.size(), {0, 0, 0, 0});
  std::map<std::string, std::size_t> rows_with;  // status -> rows with a cell of it
  std::string body;
  std::string table;
  for (const Row* row : ordered) {
    const RequirementPart& m = *row->meta;
    if (m.table != table) {
      if (!table.empty()) body += "</tbody>";
      table = m.table;
      auto title = table_titles().find(table);
      body += fmt::format(R"(<tbody data-table="{}"><tr class="group"><th colspan="{}">{}</th></tr>)", esc(table),
                          4 + cols.size(), esc(title == table_titles().end() ? table : title->second));
    }
    std::string cells;
    std::set<std::string> statuses;
    for (std::size_t c = 0; c < cols.size(); ++c) {
      Cell cell = render_cell(*row, c, sources);
      cells += cell.html;
      statuses.insert(cell.cls);
      static const std::map<std::string, std::size_t> kSlot = {
          {"open", 0}, {"denied", 1}, {"undetermined", 2}, {"optional", 3}};
      if (auto it = kSlot.find(cell.cls); it != kSlot.end()) ++counts[c][it->second];
    }
    for (const auto& s : statuses) ++rows_with[s];
    const RoleDef* role = pack ? pack->role(m.role) : nullptr;
    std::string ports = esc(format_ports(m.required, 1000));
    if (m.min_open) ports += fmt::format(R"(<div class="sub">at least {} of them</div>)", m.min_open);
    body += fmt::format(
        R"(<tr class="req" id="req-{0}" data-requirement="{0}" data-status="{1}"><td class="role">{2}<div class="sub">{3}</div></td><td class="service"{4}>{5}{6}</td><td class="proto">{7}{8}</td><td class="ports">{9}</td>{10}</tr>)",
        esc(m.id), esc(fmt::format("{}", fmt::join(statuses, " "))), esc(role ? role->name : m.role), esc(m.role),
        m.note.empty() ? "" : fmt::format(R"( title="{}")", esc(m.note)), esc(m.service),
        fmt::format(R"(<div class="sub">{}{}</div>)", esc(m.id), m.optional ? " · optional" : ""),
        esc(m.protocol_label), m.inbound ? "" : R"(<div class="sub">outbound</div>)", ports, cells);
  }
  if (!table.empty()) body += "</tbody>";

  std::string out = R"(<section id="matrix-section"><h2>Port matrix</h2>)";
  if (pack)
    out += fmt::format(R"(<p class="pack">Rule pack {}: {}{}</p>)", esc(pack->name), esc(pack->title),
                       pack->source_document.empty() ? "" : ". Source: " + esc(pack->source_document));
  out +=
      R"(<p class="explain">One row per requirement of the rule pack for the roles checked, one column per checked file and Windows profile. A cell is green when some peer can reach every port of the requirement, red when some are denied (with the deciding line), amber when the answer depends on a condition the file does not decide.</p>)";
  out += legend(true);
  out += R"(<fieldset id="status-filter"><legend>Show requirements with a cell that is</legend>)";
  for (const char* s : {"open", "denied", "undetermined", "optional", "none"}) {
    std::size_t n = rows_with.count(s) ? rows_with[s] : 0;
    if (!n && std::string(s) == "none") continue;
    out += fmt::format(R"(<label class="{0}"><input type="checkbox" value="{0}" checked{2}> {0} ({1})</label>)", s, n,
                       n ? "" : " disabled");
  }
  out += fmt::format(R"(<span id="shown">{} requirements</span></fieldset>)", ordered.size());
  out +=
      R"(<div class="scroll"><table id="matrix">)" + column_header(cols, counts) + body + "</table></div></section>\n";
  return out;
}

namespace {

struct Segment {
  std::uint32_t lo, hi;
  std::string cls;  // open, denied, undetermined, required, excess, gap
};

std::vector<Segment> segments(const PortAxis& a) {
  std::set<std::uint32_t> cuts{0, kMaxPort + 1};
  for (const PortSet* s : {&a.required, &a.open, &a.denied, &a.undetermined, &a.excess})
    for (const auto& iv : s->intervals()) {
      cuts.insert(iv.lo);
      cuts.insert(iv.hi + 1);
    }
  std::vector<Segment> out;
  for (auto it = cuts.begin(); std::next(it) != cuts.end(); ++it) {
    std::uint32_t lo = *it, hi = *std::next(it) - 1;
    std::string cls = !a.required.contains(lo)      ? (a.excess.contains(lo) ? "excess" : "gap")
                      : a.denied.contains(lo)       ? "denied"
                      : a.undetermined.contains(lo) ? "undetermined"
                      : a.open.contains(lo)         ? "open"
                                                    : "required";
    if (!out.empty() && out.back().cls == cls && out.back().hi + 1 == lo)
      out.back().hi = hi;
    else
      out.push_back({lo, hi, cls});
  }
  return out;
}

std::string range_text(std::uint32_t lo, std::uint32_t hi) {
  return lo == hi ? std::to_string(lo) : fmt::format("{}–{}", lo, hi);
}

// A segmented axis: every required or reachable range is a block at least 12 pixels wide
// (wider with the logarithm of its size), the ranges between them a short break.
std::string axis_svg(const PortAxis& a) {
  auto segs = segments(a);
  constexpr double kGap = 18, kBarY = 6, kBarH = 22, kLabelY = 38, kPad = 10;
  std::vector<double> widths;
  double total = kPad;
  for (const auto& s : segs) {
    double w = s.cls == "gap" ? kGap : 12.0 + 9.0 * std::log2(static_cast<double>(s.hi - s.lo + 1));
    widths.push_back(w);
    total += w;
  }
  total += kPad + 30;
  double height = 104;
  std::string body;
  double x = kPad;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const auto& s = segs[i];
    double w = widths[i];
    std::string range = range_text(s.lo, s.hi);
    if (s.cls == "gap") {
      body += fmt::format(
          R"(<g class="gap" data-lo="{}" data-hi="{}"><title>{}: neither required nor reachable</title><line x1="{:.1f}" x2="{:.1f}" y1="{}" y2="{}"/><path d="M{:.1f} {} l4 -6 l4 12 l4 -6"/></g>)",
          s.lo, s.hi, range, x, x + w, kBarY + kBarH / 2, kBarY + kBarH / 2, x + w / 2 - 6, kBarY + kBarH / 2);
    } else {
      std::vector<std::string> ids;
      for (const auto& p : a.requirements)
        if (p.inbound && !p.required.intersect(PortSet(s.lo, s.hi)).empty() &&
            std::find(ids.begin(), ids.end(), p.id) == ids.end())
          ids.push_back(p.id);
      std::string what = s.cls == "excess" ? "reachable, not required" : "required, " + s.cls;
      std::string who;
      if (!ids.empty()) {
        std::size_t shown = std::min<std::size_t>(ids.size(), 4);
        who = fmt::format(" ({}{})", fmt::join(ids.begin(), ids.begin() + static_cast<long>(shown), ", "),
                          ids.size() > shown ? fmt::format(" and {} more", ids.size() - shown) : "");
      }
      body += fmt::format(
          R"(<rect class="{}" x="{:.1f}" y="{}" width="{:.1f}" height="{}" data-lo="{}" data-hi="{}"><title>{} {}: {}{}</title></rect>)",
          s.cls, x + 0.5, kBarY, w - 1, kBarH, s.lo, s.hi, proto_upper(a.protocol), range, what, esc(who));
      double lx = x + w / 2 + 3;
      body += fmt::format(R"svg(<text class="port" x="{:.1f}" y="{}" transform="rotate(-45 {:.1f} {})">{}</text>)svg",
                          lx, kLabelY, lx, kLabelY, range);
    }
    x += w;
  }
  // Both ends of the axis, when a break holds them.
  if (!segs.empty() && segs.front().cls == "gap")
    body += fmt::format(R"(<text class="end" x="{}" y="{}">0</text>)", kPad, kLabelY);
  if (!segs.empty() && segs.back().cls == "gap")
    body += fmt::format(R"(<text class="end" x="{:.1f}" y="{}">65535</text>)", x - 12, kLabelY);
  return fmt::format(
      R"(<svg class="axis" width="{0:.0f}" height="{1:.0f}" viewBox="0 0 {0:.0f} {1:.0f}" role="img" aria-label="{2} ports">{3}</svg>)",
      total, height, proto_upper(a.protocol), body);
}

bool same_picture(const PortAxis& a, const PortAxis& b) {
  return a.protocol == b.protocol && a.required == b.required && a.open == b.open && a.denied == b.denied &&
         a.undetermined == b.undetermined && a.accepted == b.accepted;
}

}  // namespace

std::string port_picture_section(const Report& r) {
  if (r.axes.empty()) return {};
  std::string out =
      R"(<section id="axes"><h2>Inbound ports</h2><p class="explain">Each block is a required or reachable port range, at least as wide as a single port needs to be seen (wider for larger ranges); a break stands for the ports between them, neither required nor reachable. Hover a block for its ports and requirements.</p>)" +
      legend(false);
  for (const auto& col : columns_of(r)) {
    out += fmt::format(R"(<h3>{}{}</h3>)", esc(col.file), col.variant.empty() ? "" : " — " + esc(col.variant));
    std::vector<const PortAxis*> axes;
    for (const auto& a : r.axes)
      if (a.file == col.file && a.variant == col.variant) axes.push_back(&a);
    std::vector<bool> done(axes.size(), false);
    for (const char* proto : {"tcp", "udp"})
      for (std::size_t i = 0; i < axes.size(); ++i) {
        if (done[i] || axes[i]->protocol != proto) continue;
        std::vector<std::string> families{axes[i]->family};
        for (std::size_t j = i + 1; j < axes.size(); ++j)
          if (!done[j] && same_picture(*axes[i], *axes[j])) {
            done[j] = true;
            families.push_back(axes[j]->family);
          }
        done[i] = true;
        const PortAxis& a = *axes[i];
        out += fmt::format(R"(<figure class="axis" data-protocol="{}"><figcaption>{} — {}</figcaption>)", a.protocol,
                           proto_upper(a.protocol), fmt::join(families, " and "));
        out += R"(<div class="scroll">)" + axis_svg(a) + "</div>";
        out += fmt::format(
            R"(<p class="axis-text">required {}; denied {}; undetermined {}; reachable but not required {}</p></figure>)",
            esc(a.required.empty() ? "none" : format_ports(a.required, 40)),
            esc(a.denied.empty() ? "none" : format_ports(a.denied, 40)),
            esc(a.undetermined.empty() ? "none" : format_ports(a.undetermined, 40)),
            esc(a.excess.empty() ? "none" : format_ports(a.excess, 40)));
      }
  }
  return out + "</section>\n";
}

const char* const kMatrixStyle = R"(
.explain,.pack{color:#555;max-width:70em}
.legend{display:flex;flex-wrap:wrap;gap:.4em 1.4em;margin:.6em 0;font-size:13px}
.legend .item{display:inline-flex;align-items:center;gap:.4em}
.swatch{display:inline-block;width:14px;height:14px;border-radius:2px;border:1px solid #0002}
.swatch.open,rect.open{background:#2e8b57;fill:#2e8b57} .swatch.denied,rect.denied{background:#d93b30;fill:#d93b30}
.swatch.undetermined,rect.undetermined{background:#e8a317;fill:#e8a317} .swatch.optional{background:#8796a8}
.swatch.excess,rect.excess{background:#9b4dca;fill:#9b4dca} rect.required{fill:#7aa6d8}
.swatch.gap{background:repeating-linear-gradient(90deg,#bbb 0 2px,#fff 2px 4px)} rect.spare{fill:#d6d6d6}
#status-filter{border:1px solid #ddd;border-radius:4px;margin:.6em 0;padding:.3em .8em;font-size:13px}
#status-filter label{margin-right:1.2em} #shown{color:#555;margin-left:1em}
.scroll{overflow-x:auto}
table#matrix{border-collapse:collapse;width:auto;min-width:60%}
#matrix th,#matrix td{border:1px solid #ddd;padding:4px 6px;vertical-align:top;font-size:13px;text-align:left}
#matrix thead th{background:#f3f4f6;position:sticky;top:0}
#matrix th.file .path{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
#matrix .counts{font-weight:normal;font-size:11px;margin-top:.2em}
.counts .open{color:#1e6b40} .counts .denied{color:#b3261e} .counts .undetermined{color:#8a5a00} .counts .optional{color:#555}
#matrix tr.group th{background:#e8eef7;text-align:left;font-size:13px}
#matrix .sub{color:#777;font-size:11px} #matrix td.ports{font-family:ui-monospace,monospace;white-space:nowrap}
#matrix td.cell{min-width:11em;max-width:24em} #matrix td.role{white-space:nowrap}
td.cell.open{background:#e7f5ec} td.cell.denied{background:#fde8e6} td.cell.undetermined{background:#fff3d6}
td.cell.optional{background:#eef1f5} td.cell.none{color:#999}
td.cell .badge{font-weight:600;display:block} td.cell.open .badge{color:#1e6b40} td.cell.denied .badge{color:#b3261e}
td.cell.undetermined .badge{color:#8a5a00} td.cell.optional .badge{color:#4a5563}
td.cell .where{font-weight:600} svg.mini{display:block;margin-top:3px;border:1px solid #0001}
figure.axis{margin:.4em 0 1.2em} figure.axis figcaption{font-weight:600;font-size:13px}
svg.axis .port{font-size:10px;text-anchor:end;fill:#333} svg.axis .end{font-size:10px;fill:#999}
svg.axis .gap line{stroke:#bbb;stroke-width:1;stroke-dasharray:2 2} svg.axis .gap path{stroke:#999;fill:none}
.axis-text{color:#555;font-size:12px;margin:.2em 0}
)";

const char* const kMatrixScript = R"(<script>
(function () {
  var boxes = document.querySelectorAll('#status-filter input[type=checkbox]');
  var rows = document.querySelectorAll('#matrix tr.req');
  var shown = document.getElementById('shown');
  if (!shown) return;
  function apply() {
    var on = {};
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    var n = 0;
    rows.forEach(function (tr) {
      var visible = tr.getAttribute('data-status').split(' ').some(function (s) { return on[s]; });
      tr.hidden = !visible;
      if (visible) n++;
    });
    document.querySelectorAll('#matrix tbody').forEach(function (tb) {
      tb.hidden = !tb.querySelector('tr.req:not([hidden])');
    });
    shown.textContent = n + ' of ' + rows.length + ' requirements shown';
  }
  boxes.forEach(function (b) { b.addEventListener('change', apply); });
  apply();
})();
</script>
)";

}  // namespace fwm::html
