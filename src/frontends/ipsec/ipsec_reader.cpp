// Format detection, dispatch and helpers shared by the IPsec readers.
#include "frontends/ipsec/ipsec_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <limits>

#include "frontends/ipsec/ipsec_support.h"
#include "ir/services.h"

namespace fwm::ipsec {

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string collapse_spaces(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string source_text(antlr4::ParserRuleContext* ctx) {
  auto* start = ctx->getStart();
  auto* stop = ctx->getStop();
  if (!start || !stop || stop->getStopIndex() < start->getStartIndex()) return ctx->getText();
  return collapse_spaces(
      start->getInputStream()->getText(antlr4::misc::Interval(start->getStartIndex(), stop->getStopIndex())));
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string unquote(const std::string& s) {
  if (s.size() >= 2 && ((s.front() == '"' && s.back() == '"') || (s.front() == '\'' && s.back() == '\'')))
    return s.substr(1, s.size() - 2);
  return s;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto end = s.find(sep, start);
    if (end == std::string::npos) end = s.size();
    std::string part = trim(std::string_view(s).substr(start, end - start));
    if (!part.empty()) out.push_back(part);
    start = end + 1;
  }
  return out;
}

namespace {

void push_error(IpsecPolicy& p, int line, int column, const std::string& message, const std::string& snippet) {
  p.diagnostics.push_back(
      make_diagnostic("FWM090", Severity::Error, {p.file, line, column, line, column + 1}, message, snippet));
}

}  // namespace

void add_error(IpsecPolicy& p, int line, int column, const std::string& message, const std::string& snippet) {
  push_error(p, line, column, message, snippet);
  if (!p.unreadable_parts++) p.first_unreadable = p.diagnostics.back().span;
}

void add_rejected(IpsecPolicy& p, int line, int column, const std::string& message, const std::string& snippet) {
  push_error(p, line, column, message, snippet);
}

void add_unmodelled(IpsecPolicy& p, int line, int column, const std::string& message, const std::string& snippet) {
  p.diagnostics.push_back(
      make_diagnostic("FWM091", Severity::Warning, {p.file, line, column, line, column + 1}, message, snippet));
}

bool parse_cidr_list(const std::vector<std::string>& items, AddrSet& out, std::string& error) {
  out = AddrSet::none();
  for (const auto& raw : items) {
    std::string item = lower(raw);
    if (item == "any" || item == "%any" || item == "*" || item == "0/0") {
      out = AddrSet::all();
      continue;
    }
    if (item == "%any4" || item == "any4") {
      out.v4 = AddrSet::all().v4;
      continue;
    }
    if (item == "%any6" || item == "any6") {
      out.v6 = AddrSet::all().v6;
      continue;
    }
    auto parsed = parse_address_expr(item);
    if (!parsed.ok()) {
      error = fmt::format("'{}' is not an address, subnet or range: {}", raw, parsed.error);
      return false;
    }
    out = out.unite(parsed.set);
  }
  return true;
}

bool parse_port_value(const std::string& text, PortSet& out, std::string& error) {
  std::string t = lower(trim(text));
  if (t == "any" || t == "%any" || t == "*" || t.empty()) {
    out = all_ports();
    return true;
  }
  auto dash = t.find('-');
  if (dash != std::string::npos && dash > 0) {
    auto lo = parse_port(t.substr(0, dash));
    auto hi = parse_port(t.substr(dash + 1));
    if (!lo.ok() || !hi.ok()) {
      error = fmt::format("'{}' is not a port range", text);
      return false;
    }
    if (lo.value > hi.value) {
      error = fmt::format("port range '{}' is reversed", text);
      return false;
    }
    out = PortSet(lo.value, hi.value);
    return true;
  }
  auto p = parse_port(t);
  if (!p.ok()) {
    error = fmt::format("'{}' is not a port: {}", text, p.error);
    return false;
  }
  out = PortSet::single(p.value);
  return true;
}

std::optional<int> parse_protocol(const std::string& text) {
  std::string t = lower(trim(text));
  if (t == "icmpv6" || t == "ipv6-icmp") return kProtoIcmp6;
  return proto_number(t);
}

namespace {

int bit_length(u128 v) {
  int n = 0;
  while (v) {
    ++n;
    v >>= 1;
  }
  return n;
}

int address_breadth(const std::optional<AddrSet>& a) {
  if (!a) return 129;
  if (!a->v4.empty()) return bit_length(a->v4.count()) + 96;
  return bit_length(a->v6.count());
}

}  // namespace

long long specificity_rank(const IpsecSelector& s) {
  long long r = (address_breadth(s.local_addr) + address_breadth(s.remote_addr)) * 100;
  r += s.proto ? 0 : 10;
  r += s.local_port ? 0 : 1;
  r += s.remote_port ? 0 : 1;
  return r;
}

// ---------------------------------------------------------------------------------

namespace {

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

// strongSwan's starter lexer (src/starter/parser/lexer.l): `conn` and `ca` at the start
// of a line followed by blanks and a name, `config setup`; a `#` comment may follow.
bool ipsec_conf_section(const std::string& t) {
  std::string line = t.substr(0, t.find('#'));
  std::size_t word_end = line.find_first_of(" \t");
  if (word_end == std::string::npos) return false;
  std::string word = line.substr(0, word_end);
  std::string name = trim(line.substr(word_end));
  if (name.empty()) return false;
  if (word == "conn") return true;  // libreswan names such as `negotiationshunt=drop` too
  if (word == "config") return name == "setup";
  return word == "ca" && name.find_first_of(" \t=") == std::string::npos;
}

// An indented `key=value` parameter that only ipsec.conf(5) has.
bool ipsec_conf_key(const std::string& t) {
  auto eq = t.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  std::string key = t.substr(0, eq);
  static const char* keys[] = {"left",           "right",        "leftsubnet",  "rightsubnet", "leftprotoport",
                               "rightprotoport", "leftid",       "rightid",     "authby",      "keyexchange",
                               "also",           "auto",         "type",        "leftcert",    "leftauth",
                               "rightauth",      "leftsourceip", "ikelifetime", "keylife",     "rekeymargin"};
  for (const char* k : keys)
    if (key == k) return true;
  return false;
}

struct Signals {
  int json = 0, csv = 0, registry = 0, netsh_show = 0, win_script = 0, xfrm = 0, swanctl = 0, setkey = 0, openbsd = 0,
      ipsec_conf = 0;
};

Signals scan(const std::string& text) {
  Signals s;
  std::string low = lower(text.substr(0, 200000));
  if (low.find("advfirewall consec add rule") != std::string::npos) s.win_script += 3;
  {
    std::size_t first = low.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && (low[first] == '[' || low[first] == '{') &&
        low.find("\"inboundsecurity\"") != std::string::npos)
      s.json += 10;
    // CSV: the header (after an optional #TYPE line) names the security columns.
    if (first != std::string::npos && low[first] != '[' && low[first] != '{') {
      std::size_t header = first;
      if (low.compare(first, 5, "#type") == 0) header = low.find('\n', first);
      if (header != std::string::npos) {
        if (low[header] == '\n') ++header;
        std::string head = low.substr(header, low.find('\n', header) - header);
        if (head.find("inboundsecurity") != std::string::npos && head.find("displayname") != std::string::npos &&
            (head.find(',') != std::string::npos || head.find(';') != std::string::npos))
          s.csv += 10;
      }
    }
  }
  if (low.find("new-netipsecrule") != std::string::npos) s.win_script += 3;
  if (low.find("ipsec static add") != std::string::npos) s.win_script += 2;
  if (low.find("ipsecpol ") != std::string::npos) s.win_script += 2;
  auto lines = split_lines(text);
  int seen = 0;
  bool prev_selector = false;
  for (auto line : lines) {
    if (++seen > 400) break;
    std::string t = trim(line);
    bool indented = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    if (t.empty()) continue;
    if (starts_with_ci(t, "rule name:") || t.rfind("規則名稱", 0) == 0) s.netsh_show += 2;
    if (starts_with_ci(t, "endpoint1:") || t.rfind("端點1", 0) == 0 || t.rfind("端點 1", 0) == 0) s.netsh_show += 2;
    if (!indented && t.rfind("src ", 0) == 0 && t.find(" dst ") != std::string::npos) {
      prev_selector = true;
      continue;
    }
    if (prev_selector && indented && (t.rfind("dir ", 0) == 0 || t.rfind("socket ", 0) == 0)) s.xfrm += 3;
    prev_selector = false;
    if (t[0] == '[' && lower(t).find("\\consecrules]") != std::string::npos) s.registry += 5;
    if (t[0] == '#') continue;
    if (t.rfind("connections", 0) == 0 && t.find('{') != std::string::npos) s.swanctl += 3;
    if (t.rfind("children", 0) == 0 && t.find('{') != std::string::npos) s.swanctl += 2;
    if (t.rfind("spdadd", 0) == 0 || t.rfind("spdflush", 0) == 0 || t.rfind("spdupdate", 0) == 0) s.setkey += 3;
    if (!indented && (t.rfind("flow ", 0) == 0 || t.rfind("ike ", 0) == 0)) s.openbsd += 2;
    if (!indented && ipsec_conf_section(t)) s.ipsec_conf += 2;
    if (indented && ipsec_conf_key(t)) s.ipsec_conf += 1;
  }
  return s;
}

using Reader = void (*)(const TextFile&, IpsecPolicy&);

struct FormatEntry {
  const char* name;
  Reader reader;
};

const std::vector<FormatEntry>& formats() {
  static const std::vector<FormatEntry> all = {
      {"get-netipsecrule-json", read_netipsecrule_json},
      {"get-netipsecrule-csv", read_netipsecrule_csv},
      {"windows-registry", read_registry},
      {"netsh-consec-show", read_netsh_show},
      {"windows-script", read_windows_script},
      {"xfrm", read_xfrm},
      {"swanctl", read_swanctl},
      {"setkey", read_setkey},
      {"openbsd-ipsec", read_openbsd},
      {"ipsec.conf", read_ipsec_conf},
  };
  return all;
}

}  // namespace

std::vector<std::string> ipsec_formats() {
  std::vector<std::string> names;
  for (const auto& f : formats()) names.emplace_back(f.name);
  return names;
}

std::string detect_ipsec_format(const TextFile& file) {
  Signals s = scan(file.text);
  std::pair<int, const char*> best{0, ""};
  for (auto [score, name] : {std::pair<int, const char*>{s.json, "get-netipsecrule-json"},
                             {s.csv, "get-netipsecrule-csv"},
                             {s.registry, "windows-registry"},
                             {s.netsh_show, "netsh-consec-show"},
                             {s.win_script, "windows-script"},
                             {s.xfrm, "xfrm"},
                             {s.swanctl, "swanctl"},
                             {s.setkey, "setkey"},
                             {s.openbsd, "openbsd-ipsec"},
                             {s.ipsec_conf, "ipsec.conf"}})
    if (score > best.first) best = {score, name};
  return best.second;
}

IpsecLoad load_ipsec_policy(const std::string& path, const std::string& format, const ReadLimits& limits) {
  return load_ipsec_policy_file(read_text_file(path, limits), format);
}

IpsecLoad load_ipsec_policy_bytes(const std::string& display_path, const std::string& bytes,
                                  const std::string& format) {
  return load_ipsec_policy_file(decode_text(display_path, bytes), format);
}

IpsecLoad load_ipsec_policy_file(const TextFile& file, const std::string& format) {
  IpsecLoad out;
  if (!file.ok()) {
    out.error = file.error;
    return out;
  }
  std::string fmt_name = format.empty() ? detect_ipsec_format(file) : format;
  if (fmt_name.empty()) {
    out.error = fmt::format("{}: cannot tell which IPsec policy format this is (known: {})", file.path,
                            fmt::join(ipsec_formats(), ", "));
    return out;
  }
  for (const auto& f : formats()) {
    if (fmt_name != f.name) continue;
    auto policy = std::make_unique<IpsecPolicy>();
    policy->format = f.name;
    policy->file = file.path;
    policy->line_count = split_lines(file.text).size();
    f.reader(file, *policy);
    policy->endpoint_pairs =
        fmt_name == "windows-registry" || fmt_name == "netsh-consec-show" || fmt_name == "windows-script";
    // Parts that could not be parsed may hold entries that decide anything: they make
    // every outcome that is not already "protect" undetermined.
    std::size_t parse_errors = policy->unreadable_parts;
    if (parse_errors > 0) {
      IpsecEntry unparsed;
      unparsed.action = IpsecAction::Protect;
      unparsed.action_label = "unknown";
      unparsed.selector.unknowns.push_back("entries in the parts of the file that could not be parsed");
      unparsed.rank = {std::numeric_limits<long long>::min()};
      unparsed.span = policy->first_unreadable;
      unparsed.text =
          parse_errors == 1
              ? fmt::format("the part of this file that could not be parsed (line {})", policy->first_unreadable.line)
              : fmt::format("the parts of this file that could not be parsed ({} errors, the first on line {})",
                            parse_errors, policy->first_unreadable.line);
      unparsed.normalized = "unparsed input";
      policy->entries.insert(policy->entries.begin(), std::move(unparsed));
    }
    for (std::size_t i = 0; i < policy->entries.size(); ++i) {
      IpsecEntry& e = policy->entries[i];
      e.position = static_cast<int>(i);
      // An address selector without addresses of a family never matches that family.
      for (Family f : {Family::V4, Family::V6})
        if ((e.selector.local_addr && e.selector.local_addr->of(f).empty()) ||
            (e.selector.remote_addr && e.selector.remote_addr->of(f).empty()))
          e.selector.families.reset(static_cast<std::size_t>(f));
    }
    out.policy = std::move(policy);
    return out;
  }
  out.error = fmt::format("unknown IPsec policy format '{}' (known: {})", fmt_name, fmt::join(ipsec_formats(), ", "));
  return out;
}

}  // namespace fwm::ipsec
