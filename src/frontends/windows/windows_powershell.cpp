// PowerShell exports of Get-NetFirewallRule joined with its filter objects:
// ConvertTo-Json, Export-Csv (',' or ';' with -UseCulture, optional #TYPE line) and
// Format-List text. All three are records of named properties; the reader is driven by
// the property names, whatever their order. A property the export does not carry (or
// carries as "System.Object[]") is a lost value: the condition is undetermined.
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "frontends/windows/windows_frontend.h"

namespace fwm::windows {

namespace {

using Record = std::map<std::string, std::string>;  // lower-cased property name -> value

// Enum values as ConvertTo-Json writes them without -EnumsAsStrings.
std::string enum_text(const std::string& property, const nlohmann::json& v) {
  if (!v.is_number_integer()) return v.dump();
  long n = v.get<long>();
  if (property == "enabled") return n == 1 ? "True" : n == 2 ? "False" : std::to_string(n);
  if (property == "direction") return n == 1 ? "Inbound" : n == 2 ? "Outbound" : std::to_string(n);
  if (property == "action") return n == 2 ? "Allow" : n == 4 ? "Block" : n == 0 ? "NotConfigured" : std::to_string(n);
  if (property == "profile") {
    if (n == 0) return "Any";
    std::vector<std::string> names;
    if (n & 1) names.push_back("Domain");
    if (n & 2) names.push_back("Private");
    if (n & 4) names.push_back("Public");
    return fmt::format("{}", fmt::join(names, ","));
  }
  return std::to_string(n);
}

std::string json_value_text(const std::string& property, const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_null()) return "";
  if (v.is_number()) return enum_text(property, v);
  if (v.is_array()) {
    std::vector<std::string> items;
    for (const auto& item : v) items.push_back(json_value_text(property, item));
    return fmt::format("{}", fmt::join(items, ","));
  }
  return "System.Object[]";  // a nested object: the export did not flatten it
}

bool lost_marker(const std::string& v) { return v.rfind("System.", 0) == 0 && v.find("[]") != std::string::npos; }

// Turns one record into a rule. `columns` says which properties the export has at all.
void record_to_rule(WinModel& model, const std::string& file, const Record& rec, int line_no, const std::string& text) {
  auto has = [&](const char* k) { return rec.count(k) > 0; };
  auto get = [&](const char* k) -> std::string {
    auto it = rec.find(k);
    return it == rec.end() ? std::string() : trim_blank(it->second);
  };
  WinRule rule;
  rule.span = {file, line_no, 1, line_no, static_cast<int>(text.size()) + 1};
  rule.text = text;
  rule.id = get("name");
  rule.name = has("displayname") && !get("displayname").empty() ? get("displayname") : rule.id;
  rule.group = has("displaygroup") ? get("displaygroup") : get("group");
  auto fail = [&](const std::string& message) {
    model.diagnostics.push_back(parse_error(file, line_no, 1, message, text));
  };
  auto list = [&](const char* k) {
    std::string v = get(k);
    if (v.size() >= 2 && v.front() == '{' && v.back() == '}') v = v.substr(1, v.size() - 2);  // Format-List arrays
    std::vector<std::string> out;
    for (const auto& item : split_list(v, ',')) out.push_back(item);
    return out;
  };
  std::string enabled = lower_ascii(get("enabled"));
  if (enabled == "true" || enabled == "1")
    rule.enabled = true;
  else if (enabled == "false" || enabled == "2")
    rule.enabled = false;
  else
    return fail(fmt::format("Enabled '{}': expected True or False", get("enabled")));
  std::string dir = lower_ascii(get("direction"));
  if (dir == "inbound" || dir == "1")
    rule.direction = Direction::In;
  else if (dir == "outbound" || dir == "2")
    rule.direction = Direction::Out;
  else
    return fail(fmt::format("Direction '{}': expected Inbound or Outbound", get("direction")));
  std::string action = lower_ascii(get("action"));
  if (action == "allow" || action == "2")
    rule.action = WinAction::Allow;
  else if (action == "block" || action == "4")
    rule.action = WinAction::Block;
  else if (action == "notconfigured" || action == "0")
    rule.enabled = false;
  else
    return fail(fmt::format("Action '{}': expected Allow or Block", get("action")));
  std::string override_block = lower_ascii(get("overrideblockrules"));
  if (override_block == "true" && rule.action == WinAction::Allow) rule.action = WinAction::Bypass;
  if (has("profile")) {
    std::string p = get("profile");
    if (lost_marker(p)) {
      rule.lost.push_back({"Profile", p});
    } else {
      auto set = parse_profiles(p);
      if (!set) return fail(fmt::format("Profile '{}': expected Any or a list of Domain, Private, Public", p));
      rule.profiles = *set;
    }
  } else {
    rule.lost.push_back({"Profile", "not in the export"});
  }
  if (has("protocol")) {
    std::string p = get("protocol");
    if (lost_marker(p))
      rule.lost.push_back({"Protocol", p});
    else if (!parse_protocol(p, rule.protocol))
      return fail(fmt::format("Protocol '{}': expected TCP, UDP, ICMPv4, ICMPv6, Any or 0-255", p));
  } else {
    rule.lost.push_back({"Protocol", "not in the export"});
  }
  bool port_proto = rule.protocol && (*rule.protocol == kProtoTcp || *rule.protocol == kProtoUdp);
  struct ListField {
    const char* key;
    const char* label;
    std::vector<std::string> WinRule::*field;
    bool ports;
  };
  for (const ListField& f : {ListField{"localport", "LocalPort", &WinRule::local_ports, true},
                             ListField{"remoteport", "RemotePort", &WinRule::remote_ports, true},
                             ListField{"localaddress", "LocalAddress", &WinRule::local_addrs, false},
                             ListField{"remoteaddress", "RemoteAddress", &WinRule::remote_addrs, false}}) {
    if (!has(f.key)) {
      // A filter the export left out: only matters where it could narrow the rule.
      if (!f.ports || port_proto ||
          rule.lost.end() != std::find_if(rule.lost.begin(), rule.lost.end(),
                                          [](const LostValue& l) { return l.field == "Protocol"; }))
        rule.lost.push_back({f.label, "not in the export"});
      continue;
    }
    if (lost_marker(get(f.key))) {
      rule.lost.push_back({f.label, get(f.key)});
      continue;
    }
    auto items = list(f.key);
    // Get-NetFirewallPortFilter reports "RPC" style keywords also for ICMP rules: ports only count for TCP/UDP.
    if (f.ports && !port_proto) continue;
    rule.*(f.field) = items;
  }
  if (has("icmptype")) rule.icmp_types = list("icmptype");
  for (const char* k : {"program", "service"}) {
    if (!has(k)) {
      rule.lost.push_back({k[0] == 'p' ? "Program" : "Service", "not in the export"});
      continue;
    }
    std::string v = get(k);
    if (lost_marker(v))
      rule.lost.push_back({k[0] == 'p' ? "Program" : "Service", v});
    else if (!v.empty() && lower_ascii(v) != "any")
      (k[0] == 'p' ? rule.program : rule.service) = v;
  }
  for (const char* k : {"authentication", "encryption"}) {
    std::string v = lower_ascii(get(k));
    if (!v.empty() && v != "notrequired")
      rule.conditions.push_back(fmt::format("{} {} (IPsec-protected traffic only)", k, get(k)));
  }
  for (const char* k :
       {"interfacetype", "interfacealias", "localuser", "remoteuser", "remotemachine", "owner", "package"}) {
    std::string v = get(k);
    if (!v.empty() && lower_ascii(v) != "any") rule.conditions.push_back(fmt::format("{} {}", k, v));
  }
  if (has("description")) read_suppressions(get("description"), rule.suppressions);
  model.rules.push_back(std::move(rule));
}

bool check_columns(WinModel& model, const std::string& file, const std::vector<std::string>& columns, int line_no,
                   const std::string& text) {
  std::vector<std::string> missing;
  for (const char* need : {"enabled", "direction", "action"})
    if (std::find(columns.begin(), columns.end(), need) == columns.end()) missing.push_back(need);
  if (missing.empty()) return true;
  model.diagnostics.push_back(parse_error(
      file, line_no, 1,
      fmt::format("this PowerShell export lacks the properties {} that decide whether and how a rule applies "
                  "(properties seen: {}); export with the command in the README",
                  fmt::join(missing, ", "), fmt::join(columns, ", ")),
      text));
  return false;
}

// ---- JSON -------------------------------------------------------------------------

WinModel read_json(const TextFile& file) {
  WinModel model;
  model.source = "powershell-json";
  model.line_count = split_lines(file.text).size();
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(file.text);
  } catch (const nlohmann::json::parse_error& e) {
    // Byte offset to line and column.
    std::size_t at = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, file.text.size());
    int line = 1, col = 1;
    for (std::size_t i = 0; i < at; ++i) {
      if (file.text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    model.diagnostics.push_back(parse_error(file.path, line, col, fmt::format("invalid JSON: {}", e.what()), ""));
    return model;
  }
  if (doc.is_object()) doc = nlohmann::json::array({doc});
  if (!doc.is_array()) {
    model.diagnostics.push_back(
        parse_error(file.path, 1, 1, "expected a JSON array of rule objects (ConvertTo-Json)", ""));
    return model;
  }
  // Lines where the top-level objects start (for locations).
  std::vector<int> object_lines;
  {
    int depth = 0, line = 1;
    bool in_string = false;
    for (std::size_t i = 0; i < file.text.size(); ++i) {
      char c = file.text[i];
      if (c == '\n') ++line;
      if (in_string) {
        if (c == '\\')
          ++i;
        else if (c == '"')
          in_string = false;
        continue;
      }
      if (c == '"')
        in_string = true;
      else if (c == '{' || c == '[') {
        if (c == '{' && depth <= 1) object_lines.push_back(line);
        ++depth;
      } else if (c == '}' || c == ']') {
        --depth;
      }
    }
  }
  bool columns_checked = false;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const auto& obj = doc[i];
    int line_no = i < object_lines.size() ? object_lines[i] : 1;
    if (!obj.is_object()) {
      model.diagnostics.push_back(
          parse_error(file.path, line_no, 1, "expected a rule object", obj.dump().substr(0, 80)));
      continue;
    }
    Record rec;
    std::vector<std::string> columns;
    for (const auto& [k, v] : obj.items()) {
      std::string key = lower_ascii(k);
      rec[key] = json_value_text(key, v);
      columns.push_back(key);
    }
    std::string text = fmt::format("{} ({})", rec.count("displayname") ? rec["displayname"] : rec["name"], rec["name"]);
    if (!columns_checked) {
      columns_checked = true;
      if (!check_columns(model, file.path, columns, line_no, text)) return model;
    }
    record_to_rule(model, file.path, rec, line_no, text);
  }
  return model;
}

// ---- CSV --------------------------------------------------------------------------

// Splits CSV into records of fields (RFC 4180 quoting); each record notes its first line.
struct CsvRecord {
  std::vector<std::string> fields;
  int line = 1;
  std::string text;
};

std::vector<CsvRecord> read_csv_records(const std::string& text, std::size_t start, char sep, int first_line,
                                        std::string& error, int& error_line) {
  std::vector<CsvRecord> out;
  CsvRecord rec;
  rec.line = first_line;
  std::string field;
  bool in_quotes = false, field_quoted = false;
  int line = first_line;
  std::size_t record_start = start;
  for (std::size_t i = start; i <= text.size(); ++i) {
    char c = i < text.size() ? text[i] : '\n';
    if (in_quotes) {
      if (i == text.size()) {
        error = "quoted field not closed before the end of the file";
        error_line = rec.line;
        return out;
      }
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty() && !field_quoted) {
      in_quotes = true;
      field_quoted = true;
    } else if (c == sep) {
      rec.fields.push_back(field);
      field.clear();
      field_quoted = false;
    } else if (c == '\n') {
      rec.fields.push_back(field);
      field.clear();
      field_quoted = false;
      rec.text = trim_blank(text.substr(record_start, std::min(i, text.size()) - record_start));
      bool blank = rec.fields.size() == 1 && rec.fields[0].empty();
      if (!blank) out.push_back(rec);
      ++line;
      rec = CsvRecord();
      rec.line = line;
      record_start = i + 1;
      if (i == text.size()) break;
    } else {
      field += c;
    }
  }
  return out;
}

WinModel read_csv(const TextFile& file) {
  WinModel model;
  model.source = "powershell-csv";
  model.line_count = split_lines(file.text).size();
  std::size_t start = 0;
  int first_line = 1;
  if (file.text.rfind("#TYPE", 0) == 0) {
    start = file.text.find('\n');
    start = start == std::string::npos ? file.text.size() : start + 1;
    first_line = 2;
  }
  std::string header = file.text.substr(start, file.text.find('\n', start) - start);
  char sep = std::count(header.begin(), header.end(), ';') > std::count(header.begin(), header.end(), ',') ? ';' : ',';
  std::string error;
  int error_line = 0;
  auto records = read_csv_records(file.text, start, sep, first_line, error, error_line);
  if (!error.empty()) model.diagnostics.push_back(parse_error(file.path, error_line, 1, error, ""));
  if (records.empty()) return model;
  std::vector<std::string> columns;
  for (const auto& h : records[0].fields) columns.push_back(lower_ascii(trim_blank(h)));
  if (!check_columns(model, file.path, columns, records[0].line, records[0].text)) return model;
  for (std::size_t r = 1; r < records.size(); ++r) {
    const auto& rec = records[r];
    if (rec.fields.size() != columns.size()) {
      model.diagnostics.push_back(parse_error(
          file.path, rec.line, 1,
          fmt::format("record has {} fields, the header has {}", rec.fields.size(), columns.size()), rec.text));
      continue;
    }
    Record values;
    for (std::size_t k = 0; k < columns.size(); ++k) values[columns[k]] = rec.fields[k];
    record_to_rule(model, file.path, values, rec.line, rec.text.substr(0, rec.text.find('\n')));
  }
  return model;
}

// ---- Format-List ------------------------------------------------------------------

bool format_list_line(std::string_view line, std::string& key, std::string& value) {
  auto colon = line.find(" : ");
  if (colon == std::string_view::npos) {
    if (line.size() > 2 && line.substr(line.size() - 2) == " :")
      colon = line.size() - 2;
    else
      return false;
  }
  key = trim_blank(line.substr(0, colon));
  value = colon + 3 <= line.size() ? trim_blank(line.substr(colon + 3)) : "";
  return !key.empty() && key.find(' ') == std::string::npos && line[0] != ' ';
}

WinModel read_format_list(const TextFile& file) {
  WinModel model;
  model.source = "powershell-format-list";
  auto lines = split_lines(file.text);
  model.line_count = lines.size();
  Record rec;
  std::vector<std::string> columns;
  int rec_line = 0;
  std::string rec_text, last_key;
  bool columns_checked = false, stop = false;
  auto flush = [&]() {
    if (rec.empty() || stop) return;
    if (!columns_checked) {
      columns_checked = true;
      if (!check_columns(model, file.path, columns, rec_line, rec_text)) {
        stop = true;
        return;
      }
    }
    record_to_rule(model, file.path, rec, rec_line, rec_text);
    rec.clear();
  };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (trim_blank(line).empty()) {
      flush();
      columns.clear();
      continue;
    }
    std::string key, value;
    if (format_list_line(line, key, value)) {
      if (rec.empty()) {
        rec_line = static_cast<int>(i) + 1;
        rec_text = trim_blank(line);
      }
      last_key = lower_ascii(key);
      rec[last_key] = value;
      columns.push_back(last_key);
    } else if (!rec.empty() && (line[0] == ' ' || line[0] == '\t')) {
      rec[last_key] += trim_blank(line);  // wrapped value
    } else {
      model.diagnostics.push_back(parse_error(file.path, static_cast<int>(i) + 1, 1,
                                              "expected 'Property : value' (Format-List output)", std::string(line)));
    }
  }
  flush();
  return model;
}

// ---- Format-Table -----------------------------------------------------------------

// Format-Table text: a header of property names, a line of dashes under each, then one
// row per rule with each value under its header (about_Format.ps1xml; the default table
// view and `Format-Table Prop1, Prop2`). Columns are located by the dash runs.
struct TableColumns {
  std::vector<std::string> names;                       // lower-cased
  std::vector<std::pair<std::size_t, std::size_t>> at;  // code point [start, end) of each dash run
};

// Code point offsets of a UTF-8 line (the console aligns columns by character).
std::vector<std::size_t> code_points(std::string_view line) {
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < line.size(); ++i)
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) starts.push_back(i);
  starts.push_back(line.size());
  return starts;
}

std::optional<TableColumns> table_header(std::string_view header, std::string_view dashes) {
  std::string d = trim_blank(dashes);
  if (d.empty() || d.find_first_not_of("- ") != std::string::npos || d.front() != '-') return std::nullopt;
  TableColumns cols;
  auto hp = code_points(header);
  for (std::size_t i = 0; i < dashes.size();) {
    if (dashes[i] != '-') {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < dashes.size() && dashes[j] == '-') ++j;
    cols.at.emplace_back(i, j);
    // The header text above the run (right-aligned headers end where the run ends).
    std::size_t from = i < hp.size() - 1 ? hp[i] : header.size();
    std::size_t to = j < hp.size() - 1 ? hp[j] : header.size();
    std::string name = trim_blank(header.substr(from, to - from));
    if (name.empty() || name.find(' ') != std::string::npos) return std::nullopt;
    cols.names.push_back(lower_ascii(name));
    i = j;
  }
  if (cols.names.empty()) return std::nullopt;
  return cols;
}

// Finds a Format-Table header among the first lines: {header line index}.
std::optional<std::size_t> find_table(const std::vector<std::string_view>& lines) {
  std::size_t first = 0;
  while (first < lines.size() && trim_blank(lines[first]).empty()) ++first;
  if (first + 1 >= lines.size()) return std::nullopt;
  auto cols = table_header(lines[first], lines[first + 1]);
  if (!cols) return std::nullopt;
  bool named = false;
  for (const auto& n : cols->names) named = named || n == "name" || n == "displayname";
  return named ? std::optional<std::size_t>(first) : std::nullopt;
}

WinModel read_format_table(const TextFile& file, std::size_t header) {
  WinModel model;
  model.source = "powershell-format-table";
  auto lines = split_lines(file.text);
  model.line_count = lines.size();
  TableColumns cols = *table_header(lines[header], lines[header + 1]);
  int header_line = static_cast<int>(header) + 1;
  std::vector<std::pair<int, Record>> rows;
  for (std::size_t i = header + 2; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (trim_blank(line).empty()) continue;
    auto cp = code_points(line);
    std::size_t n = cp.size() - 1;
    Record rec;
    for (std::size_t k = 0; k < cols.names.size(); ++k) {
      std::size_t from = std::min(cols.at[k].first, n);
      std::size_t to = k + 1 < cols.names.size() ? std::min(cols.at[k + 1].first, n) : n;
      rec[cols.names[k]] = trim_blank(line.substr(cp[from], cp[to] - cp[from]));
    }
    rows.emplace_back(static_cast<int>(i) + 1, std::move(rec));
  }
  // Without any of the properties that say what a rule matches, the table only names
  // rules: there is nothing to analyse, and that is said precisely.
  bool matching = false;
  for (const auto& n : cols.names)
    for (const char* k :
         {"protocol", "localport", "remoteport", "localaddress", "remoteaddress", "direction", "action", "enabled"})
      if (n == k) matching = true;
  std::string header_text = trim_blank(lines[header]);
  if (!matching) {
    model.diagnostics.push_back(make_diagnostic(
        "FWM091", Severity::Warning, {file.path, header_line, 1, header_line, static_cast<int>(header_text.size()) + 1},
        fmt::format("this is Format-Table output of firewall rules with only the column{} {}: it names {} rule{} but "
                    "holds no direction, action, protocol or port of any, so there are no ports to analyse (export "
                    "the rules with their port and address filters, as in the README)",
                    cols.names.size() == 1 ? "" : "s", fmt::join(cols.names, ", "), rows.size(),
                    rows.size() == 1 ? "" : "s"),
        header_text));
    return model;
  }
  if (!check_columns(model, file.path, cols.names, header_line, header_text)) return model;
  for (const auto& [line_no, rec] : rows)
    record_to_rule(model, file.path, rec, line_no, trim_blank(lines[static_cast<std::size_t>(line_no) - 1]));
  return model;
}

}  // namespace

bool looks_like_powershell_export(const TextFile& file) {
  std::string_view t(file.text);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  std::string head = lower_ascii(std::string(t.substr(0, 4096)));
  if (!t.empty() && (t.front() == '[' || t.front() == '{'))
    return head.find("\"displayname\"") != std::string::npos || head.find("\"direction\"") != std::string::npos ||
           head.find("\"name\"") != std::string::npos;
  auto lines = split_lines(file.text);
  std::size_t first = 0;
  while (first < lines.size() && trim_blank(lines[first]).empty()) ++first;
  if (first < lines.size() && lines[first].rfind("#TYPE", 0) == 0) ++first;
  if (first < lines.size()) {
    std::string h = lower_ascii(std::string(lines[first]));
    char sep = std::count(h.begin(), h.end(), ';') > std::count(h.begin(), h.end(), ',') ? ';' : ',';
    int hits = 0;
    bool name = false;
    for (auto col : split_list(h, sep)) {
      if (col.size() >= 2 && col.front() == '"' && col.back() == '"') col = col.substr(1, col.size() - 2);
      if (col == "name" || col == "displayname") name = true;
      for (const char* k : {"direction", "action", "enabled", "protocol", "localport", "remoteaddress", "profile"})
        if (col == k) ++hits;
    }
    if (name && hits >= 2) return true;
  }
  if (find_table(lines)) return true;
  int checked = 0;
  for (std::size_t i = first; i < lines.size() && checked < 20; ++i) {
    if (trim_blank(lines[i]).empty()) continue;
    ++checked;
    std::string key, value;
    if (format_list_line(lines[i], key, value) && (key == "DisplayName" || key == "Name")) return true;
  }
  return false;
}

WinModel read_powershell_export(const TextFile& file) {
  std::string_view t(file.text);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  if (!t.empty() && (t.front() == '[' || t.front() == '{')) return read_json(file);
  auto lines = split_lines(file.text);
  std::size_t first = 0;
  while (first < lines.size() && trim_blank(lines[first]).empty()) ++first;
  std::string key, value;
  if (first < lines.size() && format_list_line(lines[first], key, value)) return read_format_list(file);
  if (auto header = find_table(lines)) return read_format_table(file, *header);
  return read_csv(file);
}

}  // namespace fwm::windows
