// Windows connection security rules: `netsh advfirewall consec add rule ...` and
// `New-NetIPsecRule ...` script lines, and `netsh advfirewall consec show rule name=all
// verbose` text (English and zh-TW labels). Endpoint1 is the host (local), Endpoint2
// the peer. Exemption = action noauthentication / InboundSecurity None +
// OutboundSecurity None ("Do not authenticate"); such rules take precedence over all
// other connection security rules. Request or require = IPsec is negotiated (protect).
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "ConSecRuleLexer.h"
#include "ConSecRuleParser.h"
#include "CsvLexer.h"
#include "CsvParser.h"
#include "NetshShowLexer.h"
#include "NetshShowParser.h"
#include "WinRegLexer.h"
#include "WinRegParser.h"
#include "WinScriptLexer.h"
#include "WinScriptParser.h"
#include "frontends/ipsec/ipsec_support.h"

namespace fwm::ipsec {

using fwm_antlr_fwm_grammar_ipsec_consecrule::ConSecRuleLexer;
using fwm_antlr_fwm_grammar_ipsec_consecrule::ConSecRuleParser;
using fwm_antlr_fwm_grammar_ipsec_csv::CsvLexer;
using fwm_antlr_fwm_grammar_ipsec_csv::CsvParser;
using fwm_antlr_fwm_grammar_ipsec_netshshow::NetshShowLexer;
using fwm_antlr_fwm_grammar_ipsec_netshshow::NetshShowParser;
using fwm_antlr_fwm_grammar_ipsec_winreg::WinRegLexer;
using fwm_antlr_fwm_grammar_ipsec_winreg::WinRegParser;
using fwm_antlr_fwm_grammar_ipsec_winscript::WinScriptLexer;
using fwm_antlr_fwm_grammar_ipsec_winscript::WinScriptParser;

namespace {

// A connection security rule in neutral terms, whatever the source syntax.
struct CsRule {
  std::string name;
  bool enabled = true;
  std::string action;  // noauthentication, requestinrequestout, ... (lower case)
  std::string endpoint1 = "any", endpoint2 = "any", port1 = "any", port2 = "any", protocol = "any";
  std::string mode;
  int line = 0;
  int column = 1;
  std::string text;
  std::vector<std::string> suppressions;
  std::vector<std::string> conditions;  // not decidable from the file (interface types, ...)
};

bool is_keyword_address(const std::string& v) {
  static const char* kw[] = {"localsubnet",    "dns",      "dhcp",     "wins",
                             "defaultgateway", "intranet", "internet", "intranetremoteaccess",
                             "ply2renders",    "me"};
  std::string l = lower(v);
  for (const char* k : kw)
    if (l == k) return true;
  return false;
}

std::optional<AddrSet> endpoint_set(const std::string& value, const char* label, IpsecSelector& sel) {
  if (lower(trim(value)) == "any" || trim(value).empty()) return std::nullopt;
  std::vector<std::string> plain;
  for (const auto& item : split(value, ',')) {
    if (is_keyword_address(item) || item[0] == '$') {
      sel.unknowns.push_back(fmt::format("{} {}: its addresses are decided on the host", label, item));
      return std::nullopt;
    }
    plain.push_back(item);
  }
  AddrSet set;
  std::string err;
  if (!parse_cidr_list(plain, set, err)) {
    sel.unknowns.push_back(fmt::format("{}: {}", label, err));
    return std::nullopt;
  }
  return set;
}

bool port_set(const std::string& value, const char* label, bool exempt, std::optional<PortSet>& out, IpsecSelector& sel,
              std::string& error) {
  std::string v = lower(trim(value));
  if (v == "any" || v.empty()) return true;
  PortSet ports;
  for (const auto& item : split(v, ',')) {
    if (item[0] == '$') {
      sel.unknowns.push_back(fmt::format("{} {}: a script variable", label, item));
      return true;
    }
    if (item.find('-') != std::string::npos && item.find_first_not_of("0123456789-") == std::string::npos && !exempt) {
      error = fmt::format(
          "{}={}: port ranges are only permitted on rules that do not authenticate "
          "(noauthentication / DoNotSecure)",
          label, value);
      return false;
    }
    PortSet p;
    std::string err;
    if (!parse_port_value(item, p, err)) {
      // Keywords such as RPC, RPC-EPMap, IPHTTPS: bound to services at run time.
      sel.unknowns.push_back(fmt::format("{} {}: a port keyword bound at run time", label, item));
      return true;
    }
    ports.add(p);
  }
  out = ports;
  return true;
}

// `from_script`: netsh / the cmdlet refuse a malformed rule, so it does not exist.
void lower_rule(const CsRule& r, IpsecPolicy& policy, bool from_script) {
  auto reject = from_script ? add_rejected : add_error;
  IpsecEntry e;
  e.name = r.name;
  e.span = {policy.file, r.line, r.column, r.line, r.column + static_cast<int>(r.text.size())};
  e.text = r.text;
  e.suppressions = r.suppressions;
  e.selector.unknowns = r.conditions;
  std::string a = lower(r.action);
  if (a == "noauthentication" || a == "donotsecure" || a == "none/none") {
    e.action = IpsecAction::Bypass;
  } else if (a == "requireinrequestout" || a == "requestinrequestout" || a == "requireinrequireout" ||
             a == "requireinclearout" || a == "request/request" || a == "require/request" || a == "require/require" ||
             a == "request/none" || a == "require/none" || a == "none/request" || a == "none/require") {
    e.action = IpsecAction::Protect;
  } else {
    reject(policy, r.line, r.column,
           fmt::format("rule {}: unknown action '{}' (expected noauthentication, requestinrequestout, "
                       "requireinrequestout, requireinrequireout or requireinclearout)",
                       r.name, r.action),
           r.text);
    return;
  }
  e.action_label = "action=" + r.action;
  bool exempt = e.action == IpsecAction::Bypass;
  e.installed = r.enabled;
  if (!r.enabled) e.not_installed_why = "the rule is disabled";
  std::string proto = lower(trim(r.protocol));
  if (proto != "any" && !proto.empty()) {
    if (proto == "icmpv4") proto = "icmp";
    if (auto p = parse_protocol(proto)) {
      e.selector.proto = proto_only(*p);
    } else {
      e.selector.unknowns.push_back(fmt::format("protocol {}", r.protocol));
    }
  }
  e.selector.local_addr = endpoint_set(r.endpoint1, "Endpoint1", e.selector);
  e.selector.remote_addr = endpoint_set(r.endpoint2, "Endpoint2", e.selector);
  std::string err;
  if (!port_set(r.port1, "port1", exempt, e.selector.local_port, e.selector, err) ||
      !port_set(r.port2, "port2", exempt, e.selector.remote_port, e.selector, err)) {
    reject(policy, r.line, r.column, fmt::format("rule {}: {}", r.name, err), r.text);
    return;
  }
  if ((e.selector.local_port || e.selector.remote_port) && e.selector.proto &&
      !(e.selector.proto->test(kProtoTcp) || e.selector.proto->test(kProtoUdp))) {
    reject(policy, r.line, r.column, fmt::format("rule {}: ports need protocol TCP or UDP", r.name), r.text);
    return;
  }
  if (!r.mode.empty() && lower(r.mode) == "tunnel")
    e.selector.unknowns.push_back("tunnel mode: applies to the tunnel endpoints' traffic");
  // Exemptions override every other connection security rule.
  e.rank = {exempt ? 0 : 1};
  e.normalized = fmt::format("{}|{}|{}|{}|{}|{}|{}", r.name, a, r.endpoint1, r.endpoint2, r.port1, r.port2, proto);
  policy.entries.push_back(std::move(e));
}

std::string joined_value(antlr4::ParserRuleContext* ctx) {
  std::string out;
  if (!ctx) return out;
  for (auto* child : ctx->children) {
    std::string t = child->getText();
    out += unquote(t);
  }
  return out;
}

std::string ps_value(WinScriptParser::PsValueContext* v) {
  if (!v) return "true";
  std::vector<std::string> parts;
  std::function<void(WinScriptParser::PsItemContext*)> add = [&](WinScriptParser::PsItemContext* item) {
    if (item->ARRAY_OPEN()) {
      for (auto* inner : item->psItem()) add(inner);
      return;
    }
    parts.push_back(unquote(item->getText()));
  };
  for (auto* item : v->psItem()) add(item);
  return fmt::format("{}", fmt::join(parts, ","));
}

bool bool_value(const std::string& v) {
  std::string l = lower(v);
  return !(l == "no" || l == "false" || l == "$false" || l == "0" || l == "否");
}

// A batch file saved in the Chinese Windows code page (936, GBK) is not UTF-8, so
// text_input read it as Latin-1, one code point per byte. cmd.exe reads it a character
// at a time, and the second byte of a GBK character may be any of 0x40-0x7E, 0x80-0xFE:
// `^` (0x5E) among them, which must not count as a line continuation. Such a file is
// taken for GBK when every byte above 0x7F is the first of a valid GBK pair and at least
// half of the pairs are in the GB2312 range (both bytes 0xA1-0xFE), which Western
// Windows-1252 text (an accented letter before an ASCII one) does not give; it is then
// decoded with iconv, or, where iconv has no GBK, each character becomes one private-use
// code point (stable, so names still match).
bool gbk_trail(unsigned char t) { return (t >= 0x40 && t <= 0x7E) || (t >= 0x80 && t <= 0xFE); }

bool looks_gbk(const std::string& bytes) {
  std::size_t pairs = 0, gb2312 = 0;
  for (std::size_t i = 0; i < bytes.size();) {
    auto b = static_cast<unsigned char>(bytes[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    if (b < 0x81 || b > 0xFE || i + 1 >= bytes.size() || !gbk_trail(static_cast<unsigned char>(bytes[i + 1])))
      return false;
    auto t = static_cast<unsigned char>(bytes[i + 1]);
    ++pairs;
    if (b >= 0xA1 && t >= 0xA1) ++gb2312;
    i += 2;
  }
  return pairs > 0 && gb2312 * 2 >= pairs;
}

// Without iconv: each GBK pair as two private-use code points, U+E000 + first byte and
// U+E100 + second byte (3 UTF-8 bytes each): no ASCII byte is left over.
void append_private_use(std::string& out, unsigned cp) {
  out += static_cast<char>(0xE0 | (cp >> 12));
  out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out += static_cast<char>(0x80 | (cp & 0x3F));
}

std::string gbk_private_use(const std::string& bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    if (b < 0x80 || i + 1 >= bytes.size()) {
      out += static_cast<char>(b);
      continue;
    }
    append_private_use(out, 0xE000u + b);
    append_private_use(out, 0xE100u + static_cast<unsigned char>(bytes[++i]));
  }
  return out;
}

std::string script_text(const TextFile& file) {
  if (file.encoding != "latin-1") return file.text;
  std::string bytes = latin1_bytes(file.text);
  if (!looks_gbk(bytes)) return file.text;
  if (auto utf8 = decode_code_page(bytes, "GBK")) return *utf8;
  return gbk_private_use(bytes);
}

// Logical lines: PowerShell backtick and cmd caret continuations joined.
struct LogicalLine {
  std::string text;
  int line;
};

std::vector<LogicalLine> logical_lines(const std::string& text) {
  std::vector<LogicalLine> out;
  auto lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    LogicalLine l{std::string(lines[i]), static_cast<int>(i) + 1};
    // A line of blanks only trims to nothing: it continues nothing.
    for (std::string t = trim(l.text); !t.empty() && (t.back() == '`' || t.back() == '^') && i + 1 < lines.size();
         t = trim(l.text))
      l.text = t.substr(0, t.size() - 1) + " " + std::string(lines[++i]);
    out.push_back(std::move(l));
  }
  return out;
}

std::size_t find_ci(const std::string& hay, const std::string& needle) { return lower(hay).find(lower(needle)); }

// Cuts a trailing pipeline or statement separator outside quotes.
std::string cut_pipeline(const std::string& s) {
  char quote = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'')
      quote = c;
    else if (c == '|' || c == ';' || c == '#')
      return s.substr(0, i);
  }
  return s;
}

}  // namespace

void read_windows_script(const TextFile& file, IpsecPolicy& policy) {
  ChunkParser<WinScriptLexer, WinScriptParser> script;
  // PowerShell hashtables (`$Name = @{ Key = 'value' ... }`) for splatting.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> hashtables;
  std::string open_table;
  int legacy_line = 0, legacy_count = 0;
  std::string legacy_text;
  std::vector<std::string> pending_suppressions;
  for (const auto& ll : logical_lines(script_text(file))) {
    std::string t = trim(ll.text);
    std::string l = lower(t);
    if (l.rfind("rem ", 0) == 0 || l.rfind("::", 0) == 0 || l.rfind("#", 0) == 0) {
      read_suppressions(t, pending_suppressions);
      continue;
    }
    if (!open_table.empty()) {
      if (t == "}") {
        open_table.clear();
        continue;
      }
      auto* entry = script.load(t).hashEntry();
      const FirstError& errors = script.errors();
      if (errors.has_error) {
        add_error(policy, ll.line, errors.column, fmt::format("cannot parse this hashtable entry: {}", errors.message),
                  t);
        continue;
      }
      hashtables[open_table].push_back({entry->key->getText(), ps_value(entry->psValue())});
      continue;
    }
    if (t.size() > 4 && t[0] == '$' && t.find("@{") != std::string::npos && t.back() == '{') {
      auto eq = t.find('=');
      if (eq != std::string::npos) {
        open_table = trim(t.substr(1, eq - 1));
        hashtables[open_table].clear();
        continue;
      }
    }
    if (l.find("ipsec static add") != std::string::npos || l.rfind("ipsecpol", 0) == 0) {
      if (!legacy_count) {
        legacy_line = ll.line;
        legacy_text = t;
      }
      ++legacy_count;
      continue;
    }
    std::size_t start = std::string::npos;
    bool netsh = false;
    if (auto p = find_ci(t, "advfirewall consec add rule"); p != std::string::npos) {
      auto n = find_ci(t, "netsh");
      if (n == std::string::npos || n > p) continue;
      start = n;
      netsh = true;
    } else if (auto q = find_ci(t, "New-NetIPsecRule"); q != std::string::npos) {
      start = q;
    } else {
      pending_suppressions.clear();
      continue;
    }
    std::string cmd = cut_pipeline(t.substr(start));
    int column = static_cast<int>(ll.text.find_first_not_of(" \t") + start) + 1;
    auto* tree = script.load(cmd).command();
    const FirstError& errors = script.errors();
    if (errors.has_error) {
      add_error(policy, ll.line, column + errors.column - 1,
                fmt::format("cannot parse this command: {}", errors.message), t);
      pending_suppressions.clear();
      continue;
    }
    CsRule r;
    r.line = ll.line;
    r.column = column;
    r.text = collapse_spaces(trim(cmd));
    r.suppressions = pending_suppressions;
    pending_suppressions.clear();
    auto tail = ll.text.find(" #");
    if (tail != std::string::npos) {
      read_suppressions(ll.text.substr(tail), r.suppressions);
    }
    bool ok = true;
    if (netsh && tree->netshConsecAdd()) {
      bool have_action = false;
      for (auto* arg : tree->netshConsecAdd()->netshArg()) {
        std::string k = lower(arg->key->getText());
        std::string v = joined_value(arg->netshValue());
        if (k == "name")
          r.name = v;
        else if (k == "endpoint1")
          r.endpoint1 = v;
        else if (k == "endpoint2")
          r.endpoint2 = v;
        else if (k == "port1")
          r.port1 = v;
        else if (k == "port2")
          r.port2 = v;
        else if (k == "protocol")
          r.protocol = v;
        else if (k == "action") {
          r.action = v;
          have_action = true;
        } else if (k == "enable")
          r.enabled = bool_value(v);
        else if (k == "mode")
          r.mode = v;
      }
      if (!have_action) {
        add_rejected(policy, ll.line, column, "consec add rule needs action=... (e.g. action=noauthentication)", t);
        ok = false;
      }
    } else if (!netsh && tree->newNetIpsecRule()) {
      // The cmdlet's defaults for the two are not documented: a missing one is unknown.
      std::string in_sec, out_sec;
      std::vector<std::pair<std::string, std::string>> args;
      if (auto* splat = tree->newNetIpsecRule()->splat) {
        auto it = hashtables.find(splat->getText().substr(1));
        if (it == hashtables.end()) {
          add_unmodelled(policy, ll.line, column,
                         fmt::format("New-NetIPsecRule {}: the hashtable is not defined in this file; the rule is "
                                     "not modelled",
                                     splat->getText()),
                         t);
          continue;
        }
        for (const auto& [k, v] : it->second) args.push_back({lower(k), v});
      }
      for (auto* arg : tree->newNetIpsecRule()->psArg()) {
        std::string k = lower(arg->PARAM()->getText().substr(1));
        std::string v = ps_value(arg->psValue());
        if (auto colon = k.find(':'); colon != std::string::npos) {
          v = unquote(k.substr(colon + 1));
          k = k.substr(0, colon);
        }
        args.push_back({k, v});
      }
      for (const auto& [k, v] : args) {
        if (k == "displayname" || (k == "name" && r.name.empty()))
          r.name = v;
        else if (k == "localaddress")
          r.endpoint1 = v;
        else if (k == "remoteaddress")
          r.endpoint2 = v;
        else if (k == "localport")
          r.port1 = v;
        else if (k == "remoteport")
          r.port2 = v;
        else if (k == "protocol")
          r.protocol = v;
        else if (k == "inboundsecurity")
          in_sec = lower(v);
        else if (k == "outboundsecurity")
          out_sec = lower(v);
        else if (k == "enabled")
          r.enabled = bool_value(v);
        else if (k == "mode")
          r.mode = v;
      }
      if (in_sec.empty() || out_sec.empty()) {
        r.conditions.push_back(fmt::format("{} not given: the cmdlet's default is not documented",
                                           in_sec.empty() ? "-InboundSecurity" : "-OutboundSecurity"));
        if (in_sec.empty()) in_sec = "request";
        if (out_sec.empty()) out_sec = "request";
      }
      r.action = in_sec + "/" + out_sec;
    } else {
      add_error(policy, ll.line, column,
                netsh ? "expected netsh advfirewall consec add rule key=value ..."
                      : "expected New-NetIPsecRule -Parameter value ... (or @hashtable)",
                t);
      ok = false;
    }
    if (ok) lower_rule(r, policy, true);
  }
  if (legacy_count) {
    add_unmodelled(policy, legacy_line, 1,
                   fmt::format("legacy Windows IPsec policy commands (netsh ipsec static / ipsecpol, {} command{}) are "
                               "not modelled: every port counts as undetermined",
                               legacy_count, legacy_count == 1 ? "" : "s"),
                   legacy_text);
    IpsecEntry e;
    e.name = "legacy IPsec policy";
    e.action = IpsecAction::Protect;
    e.action_label = "legacy policy (not modelled)";
    e.selector.unknowns.push_back("legacy netsh ipsec static / ipsecpol policy");
    e.rank = {2};
    e.span = {file.path, legacy_line, 1, legacy_line, static_cast<int>(legacy_text.size()) + 1};
    e.text = legacy_text;
    e.normalized = legacy_text;
    policy.entries.push_back(std::move(e));
  }
}

// ---------------------------------------------------------------------------------

namespace {

// Label -> canonical key (English and zh-TW as printed by netsh; zh-TW [unverified]).
std::string canonical_label(const std::string& label) {
  static const std::map<std::string, std::string> labels = {
      {"rule name", "name"},    {"規則名稱", "name"},     {"enabled", "enabled"}, {"已啟用", "enabled"},
      {"endpoint1", "ep1"},     {"端點1", "ep1"},         {"端點 1", "ep1"},      {"endpoint2", "ep2"},
      {"端點2", "ep2"},         {"端點 2", "ep2"},        {"port1", "port1"},     {"連接埠1", "port1"},
      {"連接埠 1", "port1"},    {"port2", "port2"},       {"連接埠2", "port2"},   {"連接埠 2", "port2"},
      {"protocol", "protocol"}, {"通訊協定", "protocol"}, {"action", "action"},   {"動作", "action"},
      {"mode", "mode"},         {"模式", "mode"},
  };
  auto it = labels.find(lower(trim(label)));
  return it == labels.end() ? std::string() : it->second;
}

std::string canonical_action(const std::string& v) {
  static const std::map<std::string, std::string> values = {{"不驗證", "noauthentication"},
                                                            {"do not authenticate", "noauthentication"}};
  auto it = values.find(lower(trim(v)));
  return it == values.end() ? trim(v) : it->second;
}

}  // namespace

void read_netsh_show(const TextFile& file, IpsecPolicy& policy) {
  ChunkParser<NetshShowLexer, NetshShowParser> show_output;
  auto lines = split_lines(file.text);
  std::optional<CsRule> current;
  bool have_action = false;
  auto finish = [&] {
    if (!current) return;
    current->text =
        fmt::format("Rule Name: {} (Endpoint1 {}, Endpoint2 {}, Protocol {}, Port1 {}, Port2 {}, Action {}{})",
                    current->name, current->endpoint1, current->endpoint2, current->protocol, current->port1,
                    current->port2, current->action, current->enabled ? "" : ", disabled");
    if (!have_action) {
      add_error(policy, current->line, 1, fmt::format("rule {} has no Action line", current->name), current->text);
    } else {
      lower_rule(*current, policy, false);
    }
    current.reset();
  };
  for (std::size_t idx = 0; idx < lines.size(); ++idx) {
    int line_no = static_cast<int>(idx) + 1;
    std::string raw(lines[idx]);
    if (trim(raw).empty()) continue;
    auto* tree = show_output.load(raw).line();
    const FirstError& errors = show_output.errors();
    if (errors.has_error) {
      add_error(policy, line_no, errors.column, fmt::format("cannot read this line: {}", errors.message), trim(raw));
      continue;
    }
    auto* lab = tree->labelled();
    if (!lab) continue;  // separators, "Ok."
    std::string key = canonical_label(lab->label->getText());
    std::string value = lab->value ? trim(lab->value->getText()) : "";
    if (key == "name") {
      finish();
      current = CsRule{};
      current->name = value;
      current->line = line_no;
      current->text = trim(raw);
      have_action = false;
      continue;
    }
    if (!current || key.empty()) continue;
    if (key == "enabled")
      current->enabled = bool_value(value);
    else if (key == "ep1")
      current->endpoint1 = value;
    else if (key == "ep2")
      current->endpoint2 = value;
    else if (key == "port1")
      current->port1 = value;
    else if (key == "port2")
      current->port2 = value;
    else if (key == "protocol")
      current->protocol = value;
    else if (key == "mode")
      current->mode = value;
    else if (key == "action") {
      current->action = canonical_action(value);
      have_action = true;
    }
  }
  finish();
}

// ---------------------------------------------------------------------------------
// Registry exports: [...\ConSecRules] sections of a .reg file, one rule string per value.

namespace {

std::string reg_unescape(const std::string& quoted) {
  std::string out;
  for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
    if (quoted[i] == '\\' && i + 2 < quoted.size()) ++i;
    out += quoted[i];
  }
  return out;
}

// Action strings of the registry [spec names; exact spelling unverified: any case].
std::string registry_action(const std::string& v) {
  std::string l = lower(v);
  if (l == "donotsecure" || l == "noauthentication" || l == "none") return "noauthentication";
  if (l == "secureserver" || l == "requireinrequestout") return "requireinrequestout";
  if (l == "boundary" || l == "requestinrequestout") return "requestinrequestout";
  if (l == "secure" || l == "requireinrequireout") return "requireinrequireout";
  if (l == "requireinclearout") return "requireinclearout";
  return v;
}

}  // namespace

void read_registry(const TextFile& file, IpsecPolicy& policy) {
  ChunkParser<WinRegLexer, WinRegParser> registry_lines;
  ChunkParser<ConSecRuleLexer, ConSecRuleParser> rule_strings;
  auto lines = split_lines(file.text);
  bool in_consec = false;
  for (std::size_t idx = 0; idx < lines.size(); ++idx) {
    int line_no = static_cast<int>(idx) + 1;
    std::string raw(lines[idx]);
    while (!raw.empty() && raw.back() == '\\' && idx + 1 < lines.size())
      raw = raw.substr(0, raw.size() - 1) + trim(lines[++idx]);
    std::string t = trim(raw);
    if (t.empty()) continue;
    auto* tree = registry_lines.load(t).line();
    if (const FirstError& errors = registry_lines.errors(); errors.has_error) {
      add_error(policy, line_no, errors.column, fmt::format("cannot parse this registry line: {}", errors.message), t);
      continue;
    }
    if (tree->SECTION()) {
      std::string path = lower(tree->SECTION()->getText());
      in_consec = path.size() > 13 && path.compare(path.size() - 13, 13, "\\consecrules]") == 0;
      continue;
    }
    auto* entry = tree->entry();
    if (!entry || !in_consec) continue;
    if (entry->value->getType() != WinRegLexer::STRING) {
      add_unmodelled(policy, line_no, 1, "a ConSecRules value that is not a string is not read", t);
      continue;
    }
    std::string rule_text = reg_unescape(entry->value->getText());
    auto* rule_tree = rule_strings.load(rule_text).rule_();
    int value_column = static_cast<int>(entry->value->getCharPositionInLine()) + 2;
    if (const FirstError& errors = rule_strings.errors(); errors.has_error) {
      add_error(
          policy, line_no, value_column + errors.column - 1,
          fmt::format("cannot parse this connection security rule: {} (expected v2.xx|Key=Value|...)", errors.message),
          t);
      continue;
    }
    CsRule r;
    r.line = line_no;
    r.column = 1;
    r.text = t;
    std::vector<std::string> ep1, ep2, port1, port2;
    bool have_action = false, bad = false;
    for (auto* field : rule_tree->field()) {
      std::string f = field->getText();
      auto eq = f.find('=');
      if (eq == std::string::npos) {
        add_error(policy, line_no, value_column + static_cast<int>(field->getStart()->getCharPositionInLine()),
                  fmt::format("field '{}' has no '='", f), t);
        bad = true;
        break;
      }
      std::string key = lower(f.substr(0, eq)), value = f.substr(eq + 1);
      if (key == "action") {
        r.action = registry_action(value);
        have_action = true;
      } else if (key == "name") {
        r.name = value;
      } else if (key == "active") {
        r.enabled = lower(value) != "false";
      } else if (key == "protocol") {
        r.protocol = value;
      } else if (key == "ep1_4" || key == "ep1_6") {
        ep1.push_back(value);
      } else if (key == "ep2_4" || key == "ep2_6") {
        ep2.push_back(value);
      } else if (key == "ep1port" || key == "ep1port2_10") {
        port1.push_back(value);
      } else if (key == "ep2port" || key == "ep2port2_10") {
        port2.push_back(value);
      } else if (key == "if" || key == "iftype") {
        r.conditions.push_back(fmt::format("{}={}: only on some interfaces", f.substr(0, eq), value));
      } else if (key == "tunnel" || key == "mode") {
        r.mode = value;
      }
    }
    if (bad) continue;
    if (!have_action) {
      add_error(policy, line_no, value_column, "connection security rule without Action=", t);
      continue;
    }
    auto join = [](const std::vector<std::string>& v) {
      return v.empty() ? std::string("any") : fmt::format("{}", fmt::join(v, ","));
    };
    r.endpoint1 = join(ep1);
    r.endpoint2 = join(ep2);
    r.port1 = join(port1);
    r.port2 = join(port2);
    if (r.name.empty()) r.name = unquote(entry->name->getText());
    lower_rule(r, policy, false);
  }
}

// ---------------------------------------------------------------------------------
// Get-NetIPsecRule exports as JSON (ConvertTo-Json), optionally with the address and
// port filter fields added by the exporting pipeline (Select-Object with calculated
// properties). Enums may be written as numbers: SecurityPolicy None=0, Request=1,
// Require=2; Enabled True=1, False=2 [CIM MSFT_NetConSecRule; unverified].

namespace {

std::string json_text(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_array()) {
    std::vector<std::string> parts;
    for (const auto& item : v) parts.push_back(json_text(item));
    return fmt::format("{}", fmt::join(parts, ","));
  }
  if (v.is_object() && v.contains("value")) return json_text(v["value"]);  // PS 5.1 wraps some arrays
  return v.dump();
}

std::string security_name(const nlohmann::json& v) {
  if (v.is_number_integer()) {
    switch (v.get<int>()) {
      case 0:
        return "none";
      case 1:
        return "request";
      case 2:
        return "require";
      default:
        return std::to_string(v.get<int>());
    }
  }
  return lower(json_text(v));
}

}  // namespace

void read_netipsecrule_json(const TextFile& file, IpsecPolicy& policy) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(file.text);
  } catch (const nlohmann::json::parse_error& e) {
    // The byte offset of the error, turned into line and column.
    std::size_t offset = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, file.text.size());
    int line = 1, column = 1;
    for (std::size_t i = 0; i < offset; ++i) {
      if (file.text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    auto lines = split_lines(file.text);
    add_error(policy, line, column, fmt::format("not valid JSON: {}", e.what()),
              static_cast<std::size_t>(line) <= lines.size() ? trim(lines[static_cast<std::size_t>(line) - 1]) : "");
    return;
  }
  if (doc.is_object()) doc = nlohmann::json::array({doc});
  if (!doc.is_array()) {
    add_error(policy, 1, 1, "expected the JSON of Get-NetIPsecRule objects (an array or one object)", "");
    return;
  }
  auto lines = split_lines(file.text);
  std::size_t search_from = 0;
  for (const auto& obj : doc) {
    if (!obj.is_object()) continue;
    auto get = [&](const char* key) -> const nlohmann::json* {
      for (auto it = obj.begin(); it != obj.end(); ++it)
        if (lower(it.key()) == lower(key)) return &it.value();
      return nullptr;
    };
    CsRule r;
    if (auto* n = get("DisplayName")) r.name = json_text(*n);
    if (r.name.empty())
      if (auto* n = get("Name")) r.name = json_text(*n);
    // The object's line: where its name appears next in the text.
    std::size_t at = r.name.empty() ? std::string::npos : file.text.find("\"" + r.name + "\"", search_from);
    if (at != std::string::npos) search_from = at + 1;
    r.line = at == std::string::npos
                 ? 1
                 : 1 + static_cast<int>(std::count(file.text.begin(), file.text.begin() + static_cast<long>(at), '\n'));
    r.column = 1;
    r.text = fmt::format("Get-NetIPsecRule {}", r.name);
    auto* in = get("InboundSecurity");
    auto* out = get("OutboundSecurity");
    if (!in || !out) {
      add_error(policy, r.line, 1, fmt::format("rule {} has no InboundSecurity/OutboundSecurity", r.name), r.text);
      continue;
    }
    r.action = security_name(*in) + "/" + security_name(*out);
    r.text = fmt::format("Get-NetIPsecRule {} (InboundSecurity {}, OutboundSecurity {})", r.name, security_name(*in),
                         security_name(*out));
    if (auto* e = get("Enabled")) {
      if (e->is_number_integer())
        r.enabled = e->get<int>() == 1;
      else
        r.enabled = bool_value(json_text(*e));
    }
    bool any_filter = false;
    if (auto* v = get("LocalAddress")) r.endpoint1 = json_text(*v), any_filter = true;
    if (auto* v = get("RemoteAddress")) r.endpoint2 = json_text(*v), any_filter = true;
    if (auto* v = get("LocalPort")) r.port1 = json_text(*v), any_filter = true;
    if (auto* v = get("RemotePort")) r.port2 = json_text(*v), any_filter = true;
    if (auto* v = get("Protocol")) r.protocol = json_text(*v), any_filter = true;
    if (!any_filter)
      r.conditions.push_back(
          "the export has no address, port or protocol filter fields: the rule's traffic is unknown");
    if (auto* m = get("Mode"); m && m->is_string()) r.mode = m->get<std::string>();
    if (r.endpoint1.empty()) r.endpoint1 = "any";
    if (r.endpoint2.empty()) r.endpoint2 = "any";
    if (r.port1.empty()) r.port1 = "any";
    if (r.port2.empty()) r.port2 = "any";
    if (r.protocol.empty()) r.protocol = "any";
    lower_rule(r, policy, false);
  }
}

// ---------------------------------------------------------------------------------
// Get-NetIPsecRule exports as CSV (Export-Csv): header-driven, "#TYPE" line skipped,
// ',' or ';' (-UseCulture) between fields, "System.Object[]" = value lost (unknown).

namespace {

struct CsvRow {
  int line = 0;
  std::vector<std::string> fields;
};

}  // namespace

void read_netipsecrule_csv(const TextFile& file, IpsecPolicy& policy) {
  antlr4::ANTLRInputStream input(file.text);
  CsvLexer lexer(&input);
  antlr4::CommonTokenStream tokens(&lexer);
  CsvParser parser(&tokens);
  FirstError errors;
  lexer.removeErrorListeners();
  lexer.addErrorListener(&errors);
  parser.removeErrorListeners();
  parser.addErrorListener(&errors);
  auto* tree = parser.file();
  auto lines = split_lines(file.text);
  auto line_text = [&](int n) { return line_at(lines, n); };
  if (errors.has_error) {
    add_error(policy, errors.line, errors.column, fmt::format("cannot read this CSV: {}", errors.message),
              line_text(errors.line));
    return;
  }
  char delimiter = 0;
  std::vector<CsvRow> rows;
  for (auto* row : tree->row()) {
    int line = static_cast<int>(row->getStart()->getLine());
    if (trim(line_text(line)).rfind("#TYPE", 0) == 0) continue;
    if (!delimiter) {
      // The header decides: the separator character that occurs outside quotes.
      for (auto* part : row->part())
        if (part->SEP()) {
          char c = part->getText()[0];
          if (!delimiter || c == ',') delimiter = c;
        }
      if (!delimiter) delimiter = ',';
    }
    CsvRow out;
    out.line = line;
    out.fields.emplace_back();
    for (auto* part : row->part()) {
      std::string t = part->getText();
      if (part->SEP() && t[0] == delimiter) {
        out.fields.emplace_back();
      } else if (part->QUOTED()) {
        std::string v;
        for (std::size_t i = 1; i + 1 < t.size(); ++i) {
          v += t[i];
          if (t[i] == '"') ++i;  // "" inside quotes
        }
        out.fields.back() += v;
      } else {
        out.fields.back() += t;
      }
    }
    rows.push_back(std::move(out));
  }
  if (rows.empty()) {
    add_error(policy, 1, 1, "no header line (expected DisplayName, InboundSecurity, OutboundSecurity, ...)", "");
    return;
  }
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < rows[0].fields.size(); ++i) column[lower(trim(rows[0].fields[i]))] = i;
  if (!column.count("inboundsecurity") || !column.count("outboundsecurity")) {
    add_error(policy, rows[0].line, 1, "the header has no InboundSecurity and OutboundSecurity columns",
              line_text(rows[0].line));
    return;
  }
  for (std::size_t k = 1; k < rows.size(); ++k) {
    const CsvRow& row = rows[k];
    if (row.fields.size() != rows[0].fields.size()) {
      add_error(policy, row.line, 1,
                fmt::format("this row has {} fields, the header {}", row.fields.size(), rows[0].fields.size()),
                line_text(row.line));
      continue;
    }
    auto get = [&](const char* key) -> std::optional<std::string> {
      auto it = column.find(key);
      if (it == column.end()) return std::nullopt;
      return row.fields[it->second];
    };
    CsRule r;
    r.line = row.line;
    r.name = get("displayname").value_or(get("name").value_or(""));
    std::string in_sec = lower(get("inboundsecurity").value_or("")),
                out_sec = lower(get("outboundsecurity").value_or(""));
    r.action = in_sec + "/" + out_sec;
    r.text = fmt::format("Get-NetIPsecRule {} (InboundSecurity {}, OutboundSecurity {})", r.name, in_sec, out_sec);
    if (auto e = get("enabled")) r.enabled = bool_value(*e);
    bool any_filter = false;
    auto take = [&](const char* key, std::string& into) {
      auto v = get(key);
      if (!v) return;
      any_filter = true;
      if (*v == "System.Object[]") {
        r.conditions.push_back(fmt::format("{}: the export lost the value (System.Object[])", key));
        return;
      }
      if (!v->empty()) into = *v;
    };
    take("localaddress", r.endpoint1);
    take("remoteaddress", r.endpoint2);
    take("localport", r.port1);
    take("remoteport", r.port2);
    take("protocol", r.protocol);
    if (!any_filter)
      r.conditions.push_back(
          "the export has no address, port or protocol filter columns: the rule's traffic is unknown");
    if (auto m = get("mode")) r.mode = *m;
    lower_rule(r, policy, false);
  }
}

}  // namespace fwm::ipsec
