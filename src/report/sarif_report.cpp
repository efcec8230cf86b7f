// SARIF 2.1.0 for GitHub code scanning: rules with help and helpUri, results with a
// physical location each, relative uris, fingerprints from content (fwmatrix/v1).
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "checks/check.h"
#include "report/report.h"

namespace fwm {

namespace {

// SARIF uris are relative to %SRCROOT% (the working directory): an absolute input path
// becomes relative too ("../../tmp/x.rules"), since GitHub rejects absolute ones.
std::string relative_uri(const std::string& file) {
  std::filesystem::path p(file);
  if (!p.is_absolute()) return p.generic_string();
  std::error_code ec;
  auto base = std::filesystem::current_path(ec);
  if (ec) return p.generic_string();
  auto rel = p.lexically_normal().lexically_relative(base);
  return rel.empty() ? p.generic_string() : rel.generic_string();
}
// SARIF's level names are fwmatrix's severity names.
const char* sarif_level(Severity s) { return severity_name(s); }

std::string first_paragraph(const std::string& md) {
  // The text after the heading, up to the first blank line following it.
  std::string out;
  bool started = false;
  std::size_t pos = 0;
  while (pos < md.size()) {
    auto end = md.find('\n', pos);
    if (end == std::string::npos) end = md.size();
    std::string line = md.substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind("#", 0) == 0 || line.rfind("**", 0) == 0) continue;
    if (line.empty()) {
      if (started) break;
      continue;
    }
    started = true;
    if (!out.empty()) out += ' ';
    out += line;
  }
  return out;
}

// Stands for the results array while the rest of the log is laid out.
constexpr const char* kResultsPlaceholder = "@@fwmatrix-results@@";

std::string with_period(std::string s) {
  if (!s.empty() && s.back() != '.') s += '.';
  return s;
}
}  // namespace

std::string render_sarif(const Report& r) {
  using json = nlohmann::ordered_json;
  json rules = json::array();
  std::map<std::string, int> rule_index;
  for (const auto& check : all_checks()) {
    const auto& info = check->info();
    std::string doc = check_doc(info.id);
    json rule;
    rule["id"] = info.id;
    rule["name"] = info.name;
    rule["shortDescription"] = {{"text", with_period(info.short_description)}};
    rule["fullDescription"] = {{"text", with_period(doc.empty() ? info.short_description : first_paragraph(doc))}};
    rule["helpUri"] = check_help_uri(info.id);
    rule["help"] = {{"text", doc.empty() ? with_period(info.short_description) : doc},
                    {"markdown", doc.empty() ? with_period(info.short_description) : doc}};
    rule["defaultConfiguration"] = {{"level", sarif_level(info.default_level)}};
    json tags = json::array({"firewall", "network"});
    for (const auto& tag : info.tags) tags.push_back(tag);
    rule["properties"] = {{"tags", std::move(tags)},
                          {"precision", info.precision},
                          {"security-severity", info.security_severity},
                          {"problem.severity", info.default_level == Severity::Error     ? "error"
                                               : info.default_level == Severity::Warning ? "warning"
                                                                                         : "recommendation"}};
    rule_index[info.id] = static_cast<int>(rules.size());
    rules.push_back(std::move(rule));
  }
  std::map<std::string, std::string> uris;  // input path -> relative uri (one look-up per file)
  auto uri_of = [&uris](const std::string& file) -> const std::string& {
    auto it = uris.find(file);
    if (it == uris.end()) it = uris.emplace(file, relative_uri(file)).first;
    return it->second;
  };
  auto result_of = [&](const Finding& f) {
    json res;
    res["ruleId"] = f.rule_id;
    if (auto it = rule_index.find(f.rule_id); it != rule_index.end()) res["ruleIndex"] = it->second;
    res["level"] = sarif_level(f.level);
    res["message"] = {{"text", with_period(f.message)}};
    json region;
    region["startLine"] = std::max(1, f.location.line);
    region["startColumn"] = std::max(1, f.location.column);
    if (f.location.end_line >= f.location.line && f.location.end_line > 0) {
      region["endLine"] = f.location.end_line;
      if (f.location.end_column > f.location.column || f.location.end_line > f.location.line)
        region["endColumn"] = f.location.end_column;
    }
    if (!f.snippet.empty()) region["snippet"] = {{"text", f.snippet}};
    res["locations"] =
        json::array({{{"physicalLocation",
                       {{"artifactLocation", {{"uri", uri_of(f.location.file)}, {"uriBaseId", "%SRCROOT%"}}},
                        {"region", region}}}}});
    if (!f.related.empty()) {
      json related = json::array();
      for (std::size_t i = 0; i < f.related.size(); ++i) {
        const RelatedLocation& rel = f.related[i];
        json rel_region;
        rel_region["startLine"] = std::max(1, rel.location.line);
        rel_region["startColumn"] = std::max(1, rel.location.column);
        related.push_back({{"id", i + 1},
                           {"physicalLocation",
                            {{"artifactLocation", {{"uri", uri_of(rel.location.file)}, {"uriBaseId", "%SRCROOT%"}}},
                             {"region", rel_region}}},
                           {"message", {{"text", with_period(rel.message)}}}});
      }
      res["relatedLocations"] = std::move(related);
    }
    if (!f.fix.empty()) {
      // SARIF fixes: at each place, the lines to insert (an empty region at the start of
      // the line) or the line they replace (the whole line and its newline).
      json replacements = json::array();
      std::vector<std::string> what;
      for (const auto& e : f.fix) {
        json deleted = {{"startLine", e.line}, {"startColumn", 1}};
        if (e.replace) {
          deleted["endLine"] = e.line + 1;
          deleted["endColumn"] = 1;
        } else {
          deleted["endLine"] = e.line;
          deleted["endColumn"] = 1;
        }
        std::string text;
        for (const auto& l : e.lines) text += l + "\n";
        replacements.push_back({{"deletedRegion", deleted}, {"insertedContent", {{"text", text}}}});
        what.push_back(fix_edit_heading(e).substr(5));
      }
      res["fixes"] = json::array(
          {{{"description",
             {{"text", with_period(fmt::format("Accept the required ports: {}", fmt::join(what, "; ")))}}},
            {"artifactChanges",
             json::array({{{"artifactLocation", {{"uri", uri_of(f.location.file)}, {"uriBaseId", "%SRCROOT%"}}},
                           {"replacements", std::move(replacements)}}})}}});
    }
    res["partialFingerprints"] = {{"fwmatrix/v1", f.fingerprint()}};
    if (!f.properties.empty() || f.related_left_out) {
      json props = f.properties;
      if (f.related_left_out) props["relatedLocationsLeftOut"] = f.related_left_out;
      res["properties"] = std::move(props);
    }
    if (f.suppression) res["suppressions"] = json::array({{{"kind", "inSource"}, {"justification", *f.suppression}}});
    if (!f.baseline_state.empty()) res["baselineState"] = f.baseline_state;
    return res;
  };
  json run;
  run["tool"] = {{"driver",
                  {{"name", "fwmatrix"},
                   {"semanticVersion", FWM_VERSION},
                   {"informationUri", "https://github.com/fwmatrix/fwmatrix"},
                   {"rules", std::move(rules)}}}};
  if (!r.category.empty()) {
    std::string id = r.category;
    if (id.back() != '/') id += '/';  // a category, not a run instance
    run["automationDetails"] = {{"id", id}};
  }
  run["originalUriBaseIds"] = {{"%SRCROOT%", {{"description", {{"text", "The directory fwmatrix ran in."}}}}}};
  // The results are written one by one into the text (below): as one document, the
  // 55,000 results of a 100k-rule file took 290 MB at the peak.
  run["results"] = kResultsPlaceholder;
  run["columnKind"] = "unicodeCodePoints";
  json invocation;
  invocation["executionSuccessful"] = true;
  if (!r.notes.empty()) {
    json notes = json::array();
    for (const auto& n : r.notes) notes.push_back({{"level", "note"}, {"message", {{"text", with_period(n)}}}});
    invocation["toolExecutionNotifications"] = notes;
  }
  json invocations = json::array();
  invocations.push_back(std::move(invocation));
  run["invocations"] = std::move(invocations);
  json log;
  log["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  log["version"] = "2.1.0";
  json runs = json::array();  // built by moving: an initializer list would copy every result
  runs.push_back(std::move(run));
  log["runs"] = std::move(runs);
  // Never throw on a bad byte (error_handler_t::replace).
  std::string text = log.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  const std::string placeholder = "\"" + std::string(kResultsPlaceholder) + "\"";
  const std::size_t at = text.find("\"results\": " + placeholder) + std::string_view("\"results\": ").size();
  const std::size_t line_start = text.rfind('\n', at) + 1;
  const std::string indent(text.find_first_not_of(' ', line_start) - line_start, ' ');
  std::string results;
  if (r.findings.empty()) {
    results = "[]";
  } else {
    // What dump(2) writes for the array at this depth: each item two spaces further in.
    results = "[\n";
    for (std::size_t i = 0; i < r.findings.size(); ++i) {
      const std::string item = result_of(r.findings[i]).dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
      results += indent;
      results += "  ";
      for (char c : item) {
        results += c;
        if (c == '\n') results += indent + "  ";
      }
      results += i + 1 < r.findings.size() ? ",\n" : "\n";
    }
    results += indent + "]";
  }
  text.replace(at, placeholder.size(), results);
  return text;
}

}  // namespace fwm
