// SARIF 2.1.0 for GitHub code scanning: rules with help and helpUri, results with a
// physical location each, relative uris, fingerprints from content (fwmatrix/v1).
#include <filesystem>
#include <functional>
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

using json = nlohmann::ordered_json;

// A JSON string as nlohmann's dump() writes it (ensure_ascii off, bad bytes replaced).
void append_string(std::string& out, std::string_view s) {
  bool plain = true;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {  // UTF-8: nlohmann checks and replaces bad bytes; rare here
      out += json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
      return;
    }
    if (u < 0x20 || c == '"' || c == '\\') plain = false;
  }
  out += '"';
  if (plain) {
    out.append(s);
  } else {
    for (char c : s) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\u00";
            out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xF];
            out += kHex[static_cast<unsigned char>(c) & 0xF];
          } else {
            out += c;
          }
      }
    }
  }
  out += '"';
}

// Writes JSON as nlohmann's dump(2) lays it out, straight into a string: the results are
// written one by one into the log's text, and building each as a json object, dumping it
// and indenting each line again took 18% of a check of 10,000 rules.
class PrettyJson {
 public:
  // `depth`: the indentation of the first line, which the caller has written.
  PrettyJson(std::string& out, std::size_t depth) : out_(out), depth_(depth) {}
  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  // The next member of an object: its key, then its value.
  PrettyJson& key(std::string_view k) {
    next_item();
    append_string(out_, k);
    out_ += ": ";
    pending_value_ = true;
    return *this;
  }
  // The next item of an array, or the value of a member.
  void item() {
    if (pending_value_) {
      pending_value_ = false;
      return;
    }
    if (!empty_.empty()) next_item();  // else the top level: the caller placed it
  }
  void value(std::string_view text) {
    item();
    append_string(out_, text);
  }
  void value(long long number) {
    item();
    out_ += std::to_string(number);
  }
  void value(unsigned long long number) {
    item();
    out_ += std::to_string(number);
  }
  void member(std::string_view k, std::string_view text) { key(k).value(text); }
  // {"text": ...}
  void text_member(std::string_view k, std::string_view text) {
    key(k);
    begin_object();
    member("text", text);
    end_object();
  }

 private:
  void open(char c) {
    item();
    out_ += c;
    empty_.push_back(true);
  }
  void close(char c) {
    const bool empty = empty_.back();
    empty_.pop_back();
    if (!empty) {
      out_ += '\n';
      out_.append(2 * (depth_ + empty_.size()), ' ');
    }
    out_ += c;
  }
  void next_item() {
    if (!empty_.back()) out_ += ',';
    out_ += '\n';
    empty_.back() = false;
    out_.append(2 * (depth_ + empty_.size()), ' ');
  }
  std::string& out_;
  std::size_t depth_;
  std::vector<bool> empty_;  // per open container: nothing written in it yet
  bool pending_value_ = false;
};

std::string with_period(std::string s) {
  if (!s.empty() && s.back() != '.') s += '.';
  return s;
}
}  // namespace

void write_sarif(const Report& r, const std::function<void(std::string_view)>& sink) {
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
  auto write_location = [&](PrettyJson& w, const SourceSpan& at, bool with_end, const std::string& snippet) {
    w.key("physicalLocation").begin_object();
    w.key("artifactLocation").begin_object();
    w.member("uri", uri_of(at.file));
    w.member("uriBaseId", "%SRCROOT%");
    w.end_object();
    w.key("region").begin_object();
    w.key("startLine").value(static_cast<long long>(std::max(1, at.line)));
    w.key("startColumn").value(static_cast<long long>(std::max(1, at.column)));
    if (with_end && at.end_line >= at.line && at.end_line > 0) {
      w.key("endLine").value(static_cast<long long>(at.end_line));
      if (at.end_column > at.column || at.end_line > at.line)
        w.key("endColumn").value(static_cast<long long>(at.end_column));
    }
    if (!snippet.empty()) w.text_member("snippet", snippet);
    w.end_object();
    w.end_object();
  };
  // One result, laid out as the json object it stands for would be by dump(2).
  auto write_result = [&](std::string& out, std::size_t depth, const Finding& f) {
    PrettyJson w(out, depth);
    w.begin_object();
    w.member("ruleId", f.rule_id);
    if (auto it = rule_index.find(f.rule_id); it != rule_index.end())
      w.key("ruleIndex").value(static_cast<long long>(it->second));
    w.member("level", sarif_level(f.level));
    w.text_member("message", with_period(f.message));
    w.key("locations").begin_array();
    w.begin_object();
    write_location(w, f.location, true, f.snippet);
    w.end_object();
    w.end_array();
    if (!f.related.empty()) {
      w.key("relatedLocations").begin_array();
      for (std::size_t i = 0; i < f.related.size(); ++i) {
        const RelatedLocation& rel = f.related[i];
        w.begin_object();
        w.key("id").value(static_cast<unsigned long long>(i + 1));
        write_location(w, rel.location, false, "");
        w.text_member("message", with_period(rel.message));
        w.end_object();
      }
      w.end_array();
    }
    if (!f.fix.empty()) {
      // SARIF fixes: at each place, the lines to insert (an empty region at the start of
      // the line) or the line they replace (the whole line and its newline).
      std::vector<std::string> what;
      for (const auto& e : f.fix) what.push_back(fix_edit_heading(e).substr(5));
      w.key("fixes").begin_array();
      w.begin_object();
      w.text_member("description", with_period(fmt::format("Accept the required ports: {}", fmt::join(what, "; "))));
      w.key("artifactChanges").begin_array();
      w.begin_object();
      w.key("artifactLocation").begin_object();
      w.member("uri", uri_of(f.location.file));
      w.member("uriBaseId", "%SRCROOT%");
      w.end_object();
      w.key("replacements").begin_array();
      for (const auto& e : f.fix) {
        w.begin_object();
        w.key("deletedRegion").begin_object();
        w.key("startLine").value(static_cast<long long>(e.line));
        w.key("startColumn").value(1LL);
        w.key("endLine").value(static_cast<long long>(e.replace ? e.line + 1 : e.line));
        w.key("endColumn").value(1LL);
        w.end_object();
        std::string text;
        for (const auto& l : e.lines) text += l + "\n";
        w.text_member("insertedContent", text);
        w.end_object();
      }
      w.end_array();
      w.end_object();
      w.end_array();
      w.end_object();
      w.end_array();
    }
    w.key("partialFingerprints").begin_object();
    w.member("fwmatrix/v1", f.fingerprint());
    w.end_object();
    if (!f.properties.empty() || f.related_left_out) {
      w.key("properties").begin_object();
      for (const auto& [name, value] : f.properties) w.member(name, value);
      if (f.related_left_out)
        w.key("relatedLocationsLeftOut").value(static_cast<unsigned long long>(f.related_left_out));
      w.end_object();
    }
    if (f.suppression) {
      w.key("suppressions").begin_array();
      w.begin_object();
      w.member("kind", "inSource");
      w.member("justification", *f.suppression);
      w.end_object();
      w.end_array();
    }
    if (!f.baseline_state.empty()) w.member("baselineState", f.baseline_state);
    w.end_object();
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
  // The log up to the results, the results a chunk at a time, then the rest of the log:
  // the text of 55,000 results (77 MB) is never held whole.
  sink(std::string_view(text).substr(0, at));
  if (r.findings.empty()) {
    sink("[]");
  } else {
    // What dump(2) writes for the array at this depth: each item two spaces further in.
    constexpr std::size_t kChunk = std::size_t(1) << 20;
    const std::size_t depth = indent.size() / 2;
    std::string results = "[\n";
    for (std::size_t i = 0; i < r.findings.size(); ++i) {
      results += indent;
      results += "  ";
      write_result(results, depth + 1, r.findings[i]);
      results += i + 1 < r.findings.size() ? ",\n" : "\n";
      if (results.size() >= kChunk) {
        sink(results);
        results.clear();
      }
    }
    results += indent + "]";
    sink(results);
  }
  sink(std::string_view(text).substr(at + placeholder.size()));
}

std::string render_sarif(const Report& r) {
  std::string out;
  write_sarif(r, [&out](std::string_view part) { out += part; });
  return out;
}

}  // namespace fwm
