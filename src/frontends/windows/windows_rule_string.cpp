// The registry rule string ("v2.xx|Key=Value|...|"), shared by .wfw hives and .reg
// exports, parsed with the WinRule grammar; plus helpers shared by all readers.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "WinRuleLexer.h"
#include "WinRuleParser.h"
#include "antlr4-runtime.h"
#include "frontends/windows/windows_frontend.h"

namespace fwm::windows {

using fwm_antlr_fwm_grammar_windows_rule::WinRuleLexer;
using fwm_antlr_fwm_grammar_windows_rule::WinRuleParser;

const char* profile_name(int index) {
  static const char* names[] = {"Domain", "Private", "Public"};
  return index >= 0 && index < 3 ? names[index] : "?";
}

std::string lower_ascii(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim_blank(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> split_list(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto pos = s.find(sep, start);
    std::string item =
        trim_blank(std::string_view(s).substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (!item.empty()) out.push_back(item);
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

Diagnostic parse_error(const std::string& file, int line, int column, std::string message, std::string snippet) {
  Diagnostic d;
  d.id = "FWM090";
  d.severity = Severity::Error;
  d.span = {file, line, std::max(column, 1), line, std::max(column, 1)};
  d.message = std::move(message);
  d.snippet = std::move(snippet);
  return d;
}

bool parse_protocol(const std::string& text, std::optional<int>& out) {
  std::string p = lower_ascii(trim_blank(text));
  if (p == "any" || p == "*" || p == "256" || p.empty()) {
    out.reset();
    return true;
  }
  static const std::map<std::string, int> names = {
      {"tcp", kProtoTcp},
      {"udp", kProtoUdp},
      {"icmpv4", kProtoIcmp},
      {"icmp", kProtoIcmp},
      {"icmpv6", kProtoIcmp6},
      {"igmp", 2},
      {"gre", 47},
      {"ipv6", 41},
      {"ipv6-route", 43},
      {"ipv6-frag", 44},
      {"ipv6-nonxt", 59},
      {"ipv6-opts", 60},
      {"vrrp", 112},
      {"pgm", 113},
      {"l2tp", 115},
      {"hopopt", 0},
      {"esp", 50},
      {"ah", 51},
  };
  if (auto it = names.find(p); it != names.end()) {
    out = it->second;
    return true;
  }
  if (!p.empty() && p.size() <= 3 && std::all_of(p.begin(), p.end(), ::isdigit)) {
    int n = std::stoi(p);
    if (n > 255) return false;
    out = n;
    return true;
  }
  return false;
}

std::optional<unsigned> parse_profiles(const std::string& text) {
  unsigned set = 0;
  for (const auto& item : split_list(text, ',')) {
    std::string p = lower_ascii(item);
    if (p == "any" || p == "all" || p == "*")
      set |= kAllProfiles;
    else if (p == "domain")
      set |= kDomain;
    else if (p == "private" || p == "standard")
      set |= kPrivate;
    else if (p == "public")
      set |= kPublic;
    else
      return std::nullopt;
  }
  if (set == 0) return kAllProfiles;
  return set;
}

namespace {

class StringErrors : public antlr4::BaseErrorListener {
 public:
  void syntaxError(antlr4::Recognizer*, antlr4::Token*, size_t, size_t column, const std::string& msg,
                   std::exception_ptr) override {
    if (has_error) return;
    has_error = true;
    this->column = static_cast<int>(column);
    message = msg;
  }
  bool has_error = false;
  int column = 0;
  std::string message;
};

// Keys that describe the rule without narrowing what it matches.
const std::set<std::string> kMetadataKeys = {"name",      "desc", "embedctxt", "edge",    "defer", "platform",
                                             "platform2", "lsm",  "lom",       "skipver", "rsn",   "nnm"};

// Keys that narrow matching in ways the analysis cannot decide, with what they mean.
const std::map<std::string, std::string> kUnknownConditionKeys = {
    {"if", "network interface"},
    {"iftype", "interface type"},
    {"security", "IPsec security requirement"},
    {"security2", "IPsec security requirement"},
    {"security2_9", "IPsec security requirement"},
    {"rmauth", "authorised remote machines"},
    {"ruauth", "authorised remote users"},
    {"luauth", "authorised local users"},
    {"luown", "local user owner"},
    {"pfn", "app package family"},
    {"apppkgid", "app package"},
    {"ttk", "trust tuple keyword"},
    {"ttk2_22", "trust tuple keyword"},
    {"ttk2_27", "trust tuple keyword"},
    {"ttk2_28", "trust tuple keyword"},
    {"authbypassout", "authenticated bypass (outbound)"},
};

}  // namespace

bool parse_rule_string(const std::string& value, WinRule& rule, std::vector<Diagnostic>& diagnostics,
                       const SourceSpan& where) {
  antlr4::ANTLRInputStream input(value);
  WinRuleLexer lexer(&input);
  antlr4::CommonTokenStream tokens(&lexer);
  WinRuleParser parser(&tokens);
  StringErrors errors;
  lexer.removeErrorListeners();
  lexer.addErrorListener(&errors);
  parser.removeErrorListeners();
  parser.addErrorListener(&errors);
  auto* tree = parser.ruleString();
  auto fail = [&](int offset, const std::string& message) {
    diagnostics.push_back(parse_error(where.file, where.line, where.column + offset, message, value));
    return false;
  };
  if (errors.has_error)
    return fail(errors.column, fmt::format("malformed firewall rule string (expected 'vMAJOR.MINOR|KEY=VALUE|...|' "
                                           "with every field closed by '|'): {}",
                                           errors.message));
  bool saw_profile = false;
  for (auto* field : tree->field()) {
    std::string key = field->KEY()->getText();
    std::string k = lower_ascii(key);
    std::string v = field->VALUE() ? field->VALUE()->getText() : std::string();
    int offset = static_cast<int>(field->getStart()->getCharPositionInLine());
    if (k == "action") {
      std::string a = lower_ascii(v);
      if (a == "allow")
        rule.action = WinAction::Allow;
      else if (a == "block")
        rule.action = WinAction::Block;
      else if (a == "bypass")
        rule.action = WinAction::Bypass;
      else
        return fail(offset, fmt::format("Action={}: expected Allow, Block or ByPass", v));
    } else if (k == "active") {
      std::string a = lower_ascii(v);
      if (a == "true")
        rule.enabled = true;
      else if (a == "false")
        rule.enabled = false;
      else
        return fail(offset, fmt::format("Active={}: expected TRUE or FALSE", v));
    } else if (k == "dir") {
      std::string a = lower_ascii(v);
      if (a == "in")
        rule.direction = Direction::In;
      else if (a == "out")
        rule.direction = Direction::Out;
      else
        return fail(offset, fmt::format("Dir={}: expected In or Out", v));
    } else if (k == "protocol") {
      if (!std::all_of(v.begin(), v.end(), ::isdigit) || v.empty() || !parse_protocol(v, rule.protocol))
        return fail(offset, fmt::format("Protocol={}: expected a protocol number 0-255", v));
    } else if (k == "profile") {
      auto p = parse_profiles(v);
      if (!p || lower_ascii(v) == "any")
        return fail(offset, fmt::format("Profile={}: expected Domain, Private or Public", v));
      rule.profiles = (saw_profile ? rule.profiles : 0u) | *p;
      saw_profile = true;
    } else if (k == "lport" || k == "lport2_10" || k == "lport2_20" || k == "lport2_24") {
      rule.local_ports.push_back(v);
    } else if (k == "rport" || k == "rport2_10" || k == "rport2_20" || k == "rport2_24") {
      rule.remote_ports.push_back(v);
    } else if (k == "la4" || k == "la42" || k == "la6" || k == "la62" || k == "ra4" || k == "ra42" || k == "ra6" ||
               k == "ra62") {
      // Keywords get the family of their key ("LocalSubnet4"), as PowerShell spells them.
      bool v4 = k[2] == '4';
      std::string token = parse_address_expr(v).ok() ? v : v + (v4 ? "4" : "6");
      (k[0] == 'l' ? rule.local_addrs : rule.remote_addrs).push_back(token);
    } else if (k == "icmp4" || k == "icmp6") {
      rule.icmp_types.push_back(v);
    } else if (k == "app") {
      rule.program = v;
    } else if (k == "svc") {
      rule.service = v;
    } else if (k == "name") {
      rule.name = v;
    } else if (k == "embedctxt") {
      rule.group = v;
    } else if (k == "desc") {
      read_suppressions(v, rule.suppressions);
    } else if (kMetadataKeys.count(k)) {
      continue;
    } else if (auto it = kUnknownConditionKeys.find(k); it != kUnknownConditionKeys.end()) {
      rule.conditions.push_back(fmt::format("{}={} ({})", key, v, it->second));
    } else {
      // A key this reader does not know may narrow matching: undetermined, not dropped.
      rule.conditions.push_back(fmt::format("{}={} (registry key not known to fwmatrix)", key, v));
    }
  }
  return true;
}

}  // namespace fwm::windows
