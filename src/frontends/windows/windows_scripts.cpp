// Deployment scripts: .bat/.cmd lines running `netsh advfirewall ...` and PowerShell
// scripts running New-NetFirewallRule / Set-NetFirewallProfile. Each command is parsed
// with its grammar (Netsh*, PsCmd*); the rest of the script (control flow, echo, other
// programs) is not firewall configuration and is skipped. Values that are script
// variables are not known: the conditions they stand for are undetermined.
#include <fmt/format.h>

#include <map>
#include <set>

#include "NetshLexer.h"
#include "NetshParser.h"
#include "PsCmdLexer.h"
#include "PsCmdParser.h"
#include "antlr4-runtime.h"
#include "frontends/windows/windows_frontend.h"

namespace fwm::windows {

using fwm_antlr_fwm_grammar_windows_netsh::NetshLexer;
using fwm_antlr_fwm_grammar_windows_netsh::NetshParser;
using fwm_antlr_fwm_grammar_windows_ps::PsCmdLexer;
using fwm_antlr_fwm_grammar_windows_ps::PsCmdParser;

namespace {

class FirstError : public antlr4::BaseErrorListener {
 public:
  void syntaxError(antlr4::Recognizer*, antlr4::Token*, size_t line, size_t column, const std::string& msg,
                   std::exception_ptr) override {
    if (has_error) return;
    has_error = true;
    this->line = static_cast<int>(line);
    this->column = static_cast<int>(column);
    message = msg;
  }
  void reset() { has_error = false; }
  bool has_error = false;
  int line = 1, column = 0;
  std::string message;
};

bool is_variable(const std::string& v) {
  if (v.find('$') != std::string::npos) return true;
  auto a = v.find('%');
  if (a != std::string::npos && (v.find('%', a + 1) != std::string::npos ||
                                 (a + 1 < v.size() && std::isdigit(static_cast<unsigned char>(v[a + 1])))))
    return true;
  auto b = v.find('!');
  return b != std::string::npos && v.find('!', b + 1) != std::string::npos;
}

std::string unquote_dq(const std::string& s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// Resolves an option name as netsh and PowerShell do: exact, or a unique prefix.
// Returns empty when unknown, "?" when ambiguous.
std::string resolve_name(const std::string& given, const std::vector<std::string>& names) {
  std::string g = lower_ascii(given);
  std::string found;
  for (const auto& n : names) {
    if (lower_ascii(n) == g) return n;
    if (lower_ascii(n).rfind(g, 0) == 0) found = found.empty() ? n : "?";
  }
  return found;
}

struct ScriptState {
  WinModel& model;
  const std::string& file;
  std::map<std::string, int> ignored_commands;  // command -> diagnostic index
};

void ignored_command(ScriptState& st, const std::string& what, int line_no, int column, const std::string& text) {
  if (st.ignored_commands.count(what)) return;
  st.ignored_commands[what] = 1;
  st.model.diagnostics.push_back(
      make_diagnostic("FWM091", Severity::Warning, {st.file, line_no, column, line_no, column},
                      fmt::format("'{}' is read but not applied: it changes rules or settings the script does not "
                                  "define (the analysis covers only the rules and settings the script states)",
                                  what),
                      text));
}

// Applies a profile setting for the profiles a command names.
void set_profiles(ScriptState& st, unsigned profiles, std::optional<bool> ProfileSettings::*field,
                  SourceSpan ProfileSettings::*span_field, std::string ProfileSettings::*text_field, bool value,
                  const SourceSpan& span, const std::string& text) {
  for (int p = 0; p < 3; ++p) {
    if (!(profiles & (1u << p))) continue;
    auto& ps = st.model.profiles[static_cast<std::size_t>(p)];
    ps.*field = value;
    ps.*span_field = span;
    ps.*text_field = text;
  }
}

// ---- netsh ------------------------------------------------------------------------

const std::vector<std::string> kNetshRuleOptions = {
    "name",           "dir",       "action",   "program",   "service",      "description", "enable",
    "profile",        "localip",   "remoteip", "localport", "remoteport",   "protocol",    "interfacetype",
    "rmtcomputergrp", "rmtusrgrp", "edge",     "security",  "localusergrp", "rmtmachgrp"};

void netsh_command(ScriptState& st, NetshParser::CommandContext* cmd, int line_no, int column_base,
                   const std::string& text) {
  std::vector<std::string> words;
  for (auto* w : cmd->word()) words.push_back(lower_ascii(unquote_dq(w->getText())));
  // words[0] == "netsh"; skip "-r host", "-u user", "-p pw", "-c context" style options.
  std::size_t i = 1;
  while (i + 1 < words.size() && words[i].size() == 2 && words[i][0] == '-') i += 2;
  auto is = [&](std::size_t k, const char* full, std::size_t min_len) {
    return k < words.size() && words[k].size() >= min_len && std::string(full).rfind(words[k], 0) == 0;
  };
  SourceSpan span{st.file, line_no, column_base, line_no, column_base + static_cast<int>(text.size())};
  std::map<std::string, std::string> opts;
  std::map<std::string, int> opt_columns;
  for (auto* o : cmd->option()) {
    std::string key = o->key->getText();
    std::string resolved = resolve_name(key, kNetshRuleOptions);
    int col = column_base + static_cast<int>(o->getStart()->getCharPositionInLine());
    if (resolved.empty() || resolved == "?") {
      // Outside "add rule" the options are other commands' (e.g. "set rule ... new enable=yes").
      resolved = lower_ascii(key);
    }
    opts[resolved] = o->value() ? unquote_dq(o->value()->getText()) : "";
    opt_columns[resolved] = col;
  }
  if (is(i, "firewall", 2)) {
    // The Windows XP context (still accepted, deprecated): its rules are not modelled.
    if (!is(i + 1, "show", 2))
      ignored_command(st, "netsh firewall (the deprecated Windows XP context)", line_no, column_base, text);
    return;
  }
  if (!is(i, "advfirewall", 3)) return;  // interface, wlan, http ...: not the firewall
  ++i;
  if (is(i, "firewall", 1)) {
    ++i;
    bool add = is(i, "add", 1), del = is(i, "delete", 1), set = is(i, "set", 2);
    bool rule_word = is(i + 1, "rule", 1);
    if (!rule_word) {
      if (!is(i, "show", 2))
        ignored_command(st, "netsh advfirewall firewall " + (i < words.size() ? words[i] : ""), line_no, column_base,
                        text);
      return;
    }
    if (del) {
      auto it = opts.find("name");
      if (it == opts.end()) {
        st.model.diagnostics.push_back(parse_error(st.file, line_no, column_base, "delete rule needs name=", text));
        return;
      }
      if (is_variable(it->second) || opts.size() > 1) {
        ignored_command(st, "netsh advfirewall firewall delete rule (by variable name or with filters)", line_no,
                        column_base, text);
        return;
      }
      std::string name = lower_ascii(it->second);
      auto& rules = st.model.rules;
      rules.erase(std::remove_if(rules.begin(), rules.end(),
                                 [&](const WinRule& r) { return name == "all" || lower_ascii(r.name) == name; }),
                  rules.end());
      return;
    }
    if (set) {
      // "set rule name=X new enable=yes|no action=..." changes the script's own rules;
      // other filters (group=, built-in rule names) change rules the script does not hold.
      bool after_new = false;
      std::map<std::string, std::string> filter, changes;
      for (auto* child : cmd->children) {
        if (auto* w = dynamic_cast<NetshParser::WordContext*>(child)) {
          if (lower_ascii(w->getText()) == "new") after_new = true;
        } else if (auto* o = dynamic_cast<NetshParser::OptionContext*>(child)) {
          std::string key = resolve_name(o->key->getText(), kNetshRuleOptions);
          (after_new ? changes : filter)[key.empty() || key == "?" ? lower_ascii(o->key->getText()) : key] =
              o->value() ? unquote_dq(o->value()->getText()) : "";
        }
      }
      std::vector<WinRule*> targets;
      if (filter.size() == 1 && filter.count("name") && !is_variable(filter["name"]))
        for (auto& r : st.model.rules)
          if (lower_ascii(r.name) == lower_ascii(filter["name"])) targets.push_back(&r);
      bool supported = !targets.empty() && !changes.empty();
      for (const auto& [k, v] : changes)
        if ((k != "enable" && k != "action") || is_variable(v)) supported = false;
      if (!supported) {
        ignored_command(st, "netsh advfirewall firewall set rule (rules or changes not in the script)", line_no,
                        column_base, text);
        return;
      }
      for (WinRule* r : targets) {
        for (const auto& [k, v] : changes) {
          std::string lv = lower_ascii(v);
          if (k == "enable" && (lv == "yes" || lv == "no"))
            r->enabled = lv == "yes";
          else if (k == "action" && (lv == "allow" || lv == "block" || lv == "bypass"))
            r->action = lv == "allow" ? WinAction::Allow : lv == "block" ? WinAction::Block : WinAction::Bypass;
          else
            st.model.diagnostics.push_back(
                parse_error(st.file, line_no, column_base,
                            fmt::format("set rule ... new {}={}: value not understood", k, v), text));
        }
      }
      return;
    }
    if (!add) {
      ignored_command(st, "netsh advfirewall firewall " + words[i], line_no, column_base, text);
      return;
    }
    WinRule rule;
    rule.span = span;
    rule.text = text;
    bool ok = true;
    auto fail = [&](const std::string& key, const std::string& message) {
      int col = opt_columns.count(key) ? opt_columns[key] : column_base;
      st.model.diagnostics.push_back(parse_error(st.file, line_no, col, message, text));
      ok = false;
    };
    for (const auto& [key, raw] : opts) {
      if (!ok) break;
      std::string value = raw;
      std::string v = lower_ascii(value);
      bool var = is_variable(value);
      if (!std::count(kNetshRuleOptions.begin(), kNetshRuleOptions.end(), key)) {
        fail(key,
             fmt::format("'{}' is not an option of 'add rule' (known: {})", key, fmt::join(kNetshRuleOptions, ", ")));
        break;
      }
      if (key == "name") {
        rule.name = value;
        rule.id = value;
      } else if (key == "description") {
        read_suppressions(value, rule.suppressions);
      } else if (var && key != "program" && key != "service") {
        if (key == "dir") {
          rule.direction_unknown = true;
          rule.conditions.push_back(fmt::format("dir={} (script variable)", value));
        } else if (key == "action")
          rule.action_unknown = true;
        else if (key == "protocol")
          rule.protocol_unknown = true;
        else if (key == "localport" || key == "remoteport" || key == "localip" || key == "remoteip")
          rule.lost.push_back({key, fmt::format("script variable {}", value)});
        else
          rule.conditions.push_back(fmt::format("{}={} (script variable)", key, value));
      } else if (key == "dir") {
        if (v == "in")
          rule.direction = Direction::In;
        else if (v == "out")
          rule.direction = Direction::Out;
        else
          fail(key, fmt::format("dir={}: expected in or out", value));
      } else if (key == "action") {
        if (v == "allow")
          rule.action = WinAction::Allow;
        else if (v == "block")
          rule.action = WinAction::Block;
        else if (v == "bypass")
          rule.action = WinAction::Bypass;
        else
          fail(key, fmt::format("action={}: expected allow, block or bypass", value));
      } else if (key == "enable") {
        if (v == "yes")
          rule.enabled = true;
        else if (v == "no")
          rule.enabled = false;
        else
          fail(key, fmt::format("enable={}: expected yes or no", value));
      } else if (key == "profile") {
        auto p = parse_profiles(value);
        if (!p)
          fail(key, fmt::format("profile={}: expected public, private, domain or any (comma list)", value));
        else
          rule.profiles = *p;
      } else if (key == "protocol") {
        // "icmpv4:8,any" carries the ICMP type and code.
        std::string proto = value.substr(0, value.find(':'));
        if (!parse_protocol(proto, rule.protocol))
          fail(key, fmt::format("protocol={}: expected 0-255, tcp, udp, icmpv4, icmpv6 or any", value));
        else if (value.find(':') != std::string::npos)
          rule.icmp_types.push_back(value.substr(value.find(':') + 1));
      } else if (key == "localport") {
        if (v != "any") rule.local_ports = split_list(value, ',');
      } else if (key == "remoteport") {
        if (v != "any") rule.remote_ports = split_list(value, ',');
      } else if (key == "localip") {
        if (v != "any") rule.local_addrs = split_list(value, ',');
      } else if (key == "remoteip") {
        if (v != "any") rule.remote_addrs = split_list(value, ',');
      } else if (key == "program") {
        rule.program = value;
      } else if (key == "service") {
        rule.service = value;
      } else if (key == "edge") {
        continue;
      } else if (key == "security") {
        if (v != "notrequired")
          rule.conditions.push_back(fmt::format("security={} (IPsec-protected traffic only)", value));
      } else {
        if (v != "any") rule.conditions.push_back(fmt::format("{}={}", key, value));
      }
    }
    if (!ok) return;
    if (rule.name.empty()) return fail("name", "add rule needs name=");
    if (!opts.count("dir")) return fail("dir", "add rule needs dir=in or dir=out");
    if (!opts.count("action")) return fail("action", "add rule needs action=allow, block or bypass");
    st.model.rules.push_back(std::move(rule));
    return;
  }
  // netsh advfirewall set <profile> state on|off / firewallpolicy in,out
  if (is(i, "set", 2) && i + 1 < words.size()) {
    std::string which = words[i + 1];
    unsigned profiles = 0;
    if (which == "allprofiles")
      profiles = kAllProfiles;
    else if (which == "domainprofile")
      profiles = kDomain;
    else if (which == "privateprofile")
      profiles = kPrivate;
    else if (which == "publicprofile")
      profiles = kPublic;
    if (which == "currentprofile") {
      ignored_command(st, "netsh advfirewall set currentprofile (which profile is current is not in the script)",
                      line_no, column_base, text);
      return;
    }
    if (!profiles) {
      ignored_command(st, "netsh advfirewall set " + which, line_no, column_base, text);
      return;
    }
    std::string setting = i + 2 < words.size() ? words[i + 2] : "";
    std::string value = i + 3 < words.size() ? words[i + 3] : "";
    if (setting == "state") {
      if (value == "on" || value == "off")
        set_profiles(st, profiles, &ProfileSettings::enabled, &ProfileSettings::enabled_span,
                     &ProfileSettings::enabled_text, value == "on", span, text);
      else if (is_variable(value))
        ignored_command(st, "netsh advfirewall set ... state (script variable)", line_no, column_base, text);
      else
        st.model.diagnostics.push_back(
            parse_error(st.file, line_no, column_base, fmt::format("state {}: expected on or off", value), text));
    } else if (setting == "firewallpolicy") {
      auto parts = split_list(value, ',');
      if (parts.size() != 2) {
        st.model.diagnostics.push_back(
            parse_error(st.file, line_no, column_base,
                        "firewallpolicy needs INBOUND,OUTBOUND (e.g. blockinbound,allowoutbound)", text));
        return;
      }
      const std::string& in = parts[0];
      const std::string& out = parts[1];
      if (in == "blockinbound" || in == "allowinbound" || in == "blockinboundalways") {
        set_profiles(st, profiles, &ProfileSettings::inbound_block, &ProfileSettings::inbound_span,
                     &ProfileSettings::inbound_text, in != "allowinbound", span, text);
        set_profiles(st, profiles, &ProfileSettings::shields_up, &ProfileSettings::shields_span,
                     &ProfileSettings::shields_text, in == "blockinboundalways", span, text);
      } else if (!in.empty() && in != "notconfigured") {
        st.model.diagnostics.push_back(parse_error(
            st.file, line_no, column_base,
            fmt::format("firewallpolicy: '{}' is not blockinbound, blockinboundalways or allowinbound", in), text));
      }
      if (out == "blockoutbound" || out == "allowoutbound")
        set_profiles(st, profiles, &ProfileSettings::outbound_block, &ProfileSettings::outbound_span,
                     &ProfileSettings::outbound_text, out == "blockoutbound", span, text);
      else if (!out.empty() && out != "notconfigured")
        st.model.diagnostics.push_back(
            parse_error(st.file, line_no, column_base,
                        fmt::format("firewallpolicy: '{}' is not blockoutbound or allowoutbound", out), text));
    }
    return;  // logging, settings: no effect on verdicts
  }
  if (is(i, "reset", 3) || is(i, "import", 3)) {
    ignored_command(st, "netsh advfirewall " + words[i] + " (restores a policy the script does not contain)", line_no,
                    column_base, text);
  }
}

// ---- PowerShell -------------------------------------------------------------------

const std::vector<std::string> kNewRuleParams = {"Name",
                                                 "DisplayName",
                                                 "Description",
                                                 "Group",
                                                 "Enabled",
                                                 "Profile",
                                                 "Platform",
                                                 "Direction",
                                                 "Action",
                                                 "EdgeTraversalPolicy",
                                                 "LooseSourceMapping",
                                                 "LocalOnlyMapping",
                                                 "Owner",
                                                 "LocalAddress",
                                                 "RemoteAddress",
                                                 "Protocol",
                                                 "LocalPort",
                                                 "RemotePort",
                                                 "IcmpType",
                                                 "DynamicTarget",
                                                 "Program",
                                                 "Package",
                                                 "Service",
                                                 "InterfaceAlias",
                                                 "InterfaceType",
                                                 "LocalUser",
                                                 "RemoteUser",
                                                 "RemoteMachine",
                                                 "Authentication",
                                                 "Encryption",
                                                 "OverrideBlockRules",
                                                 "PolicyStore",
                                                 "GPOSession",
                                                 "CimSession",
                                                 "ThrottleLimit",
                                                 "AsJob",
                                                 "ErrorAction",
                                                 "ErrorVariable",
                                                 "WarningAction",
                                                 "WhatIf",
                                                 "Confirm",
                                                 "OutVariable",
                                                 "Verbose",
                                                 "Debug",
                                                 "Status",
                                                 "StatusCode"};

const std::vector<std::string> kProfileParams = {"Name",
                                                 "Profile",
                                                 "All",
                                                 "Enabled",
                                                 "DefaultInboundAction",
                                                 "DefaultOutboundAction",
                                                 "AllowInboundRules",
                                                 "NotifyOnListen",
                                                 "AllowLocalFirewallRules",
                                                 "AllowLocalIPsecRules",
                                                 "AllowUserApps",
                                                 "AllowUserPorts",
                                                 "AllowUnicastResponseToMulticast",
                                                 "EnableStealthModeForIPsec",
                                                 "LogFileName",
                                                 "LogMaxSizeKilobytes",
                                                 "LogAllowed",
                                                 "LogBlocked",
                                                 "LogIgnored",
                                                 "DisabledInterfaceAliases",
                                                 "PolicyStore",
                                                 "GPOSession",
                                                 "CimSession",
                                                 "ErrorAction",
                                                 "WhatIf",
                                                 "Confirm",
                                                 "Verbose",
                                                 "AllowUserApps",
                                                 "AllowUnicastResponseToMulticast"};

std::string ps_unquote(const std::string& s) {
  if (s.size() >= 2 && s.front() == '\'' && s.back() == '\'') {
    std::string out;
    for (std::size_t i = 1; i + 1 < s.size(); ++i) {
      out += s[i];
      if (s[i] == '\'' && s[i + 1] == '\'') ++i;
    }
    return out;
  }
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    std::string out;
    for (std::size_t i = 1; i + 1 < s.size(); ++i) {
      if (s[i] == '`' && i + 2 < s.size()) {
        out += s[++i];
      } else {
        out += s[i];
        if (s[i] == '"' && s[i + 1] == '"') ++i;
      }
    }
    return out;
  }
  return s;
}

struct PsValue {
  std::vector<std::string> items;
  bool variable = false;  // some item is a variable or an expression
  bool present = false;
  bool is_switch = false;
  std::string text;
  int column = 1;
};

void collect_values(PsCmdParser::ValueListContext* list, PsValue& out) {
  if (!list) return;
  for (auto* v : list->value()) {
    if (v->valueList()) {
      collect_values(v->valueList(), out);
      continue;
    }
    std::string t = v->getText();
    std::string lt = lower_ascii(t);
    if (v->VARIABLE() && (lt == "$true" || lt == "$false")) {  // constants, not variables
      out.items.push_back(lt.substr(1));
      continue;
    }
    if (v->VARIABLE() || v->SUBEXPR() || v->LPAREN()) {
      out.variable = true;
      out.items.push_back(t);
      continue;
    }
    if (v->DQSTRING() && t.find('$') != std::string::npos) out.variable = true;
    out.items.push_back(ps_unquote(t));
  }
}

bool ps_bool(const PsValue& v, bool& out) {
  if (v.is_switch) {
    out = true;
    return true;
  }
  if (v.items.size() != 1) return false;
  std::string s = lower_ascii(v.items[0]);
  if (s == "true" || s == "$true" || s == "1")
    out = true;
  else if (s == "false" || s == "$false" || s == "0")
    out = false;
  else
    return false;
  return true;
}

void ps_command(ScriptState& st, PsCmdParser::CommandContext* cmd, int line_no, int column_base,
                const std::string& text) {
  std::string cmdlet = lower_ascii(cmd->cmdlet->getText());
  bool new_rule = cmdlet == "new-netfirewallrule";
  bool set_profile = cmdlet == "set-netfirewallprofile";
  if (!new_rule && !set_profile) {
    if (cmdlet.find("netfirewall") != std::string::npos && cmdlet.rfind("get-", 0) != 0 &&
        cmdlet.rfind("show-", 0) != 0)
      ignored_command(st, cmd->cmdlet->getText(), line_no, column_base, text);
    return;
  }
  const auto& known = new_rule ? kNewRuleParams : kProfileParams;
  std::map<std::string, PsValue> params;
  std::vector<std::string> splats;
  SourceSpan span{st.file, line_no, column_base, line_no, column_base + static_cast<int>(text.size())};
  auto fail = [&](int column, const std::string& message) {
    st.model.diagnostics.push_back(parse_error(st.file, line_no, column, message, text));
  };
  for (auto* el : cmd->element()) {
    int col = column_base + static_cast<int>(el->getStart()->getCharPositionInLine());
    if (auto* sp = dynamic_cast<PsCmdParser::SplattingContext*>(el)) {
      splats.push_back(sp->getText());
      continue;
    }
    if (dynamic_cast<PsCmdParser::PositionalContext*>(el)) {
      fail(col, fmt::format("{} takes named parameters; '{}' has no -Name before it", cmd->cmdlet->getText(),
                            el->getText()));
      return;
    }
    auto* p = static_cast<PsCmdParser::ParameterContext*>(el);
    std::string given = p->PARAM()->getText().substr(1);
    if (!given.empty() && given.back() == ':') given.pop_back();
    std::string name = resolve_name(given, known);
    if (name.empty()) {
      fail(col, fmt::format("{} has no parameter -{}", cmd->cmdlet->getText(), given));
      return;
    }
    if (name == "?") {
      fail(col, fmt::format("parameter -{} is ambiguous for {}", given, cmd->cmdlet->getText()));
      return;
    }
    PsValue v;
    v.present = true;
    v.column = col;
    v.is_switch = p->valueList() == nullptr;
    collect_values(p->valueList(), v);
    v.text = p->valueList() ? p->valueList()->getText() : "";
    params[name] = std::move(v);
  }
  auto get = [&](const char* name) -> const PsValue* {
    auto it = params.find(name);
    return it == params.end() ? nullptr : &it->second;
  };
  if (set_profile) {
    unsigned profiles = 0;
    if (auto* v = get("Profile")) {
      if (v->variable) {
        ignored_command(st, "Set-NetFirewallProfile with a variable profile", line_no, column_base, text);
        return;
      }
      auto p = parse_profiles(fmt::format("{}", fmt::join(v->items, ",")));
      if (!p) return fail(v->column, fmt::format("-Profile {}: expected Domain, Private, Public or Any", v->text));
      profiles = *p;
    } else if (auto* n = get("Name")) {
      auto p = parse_profiles(fmt::format("{}", fmt::join(n->items, ",")));
      if (!p || n->variable)
        return fail(n->column, fmt::format("-Name {}: expected Domain, Private or Public", n->text));
      profiles = *p;
    } else if (get("All")) {
      profiles = kAllProfiles;
    } else {
      return fail(column_base, "Set-NetFirewallProfile needs -Profile, -Name or -All");
    }
    auto flag = [&](const char* name, std::optional<bool> ProfileSettings::*field, SourceSpan ProfileSettings::*sf,
                    std::string ProfileSettings::*tf, bool invert, const char* true_word, const char* false_word) {
      const PsValue* v = get(name);
      if (!v) return;
      bool b = false;
      std::string s = v->items.size() == 1 ? lower_ascii(v->items[0]) : "";
      if (true_word && s == true_word)
        b = true;
      else if (false_word && s == false_word)
        b = false;
      else if (!ps_bool(*v, b)) {
        if (lower_ascii(s) == "notconfigured") return;
        fail(v->column, fmt::format("-{} {}: value not understood", name, v->text));
        return;
      }
      set_profiles(st, profiles, field, sf, tf, invert ? !b : b, span, text);
    };
    flag("Enabled", &ProfileSettings::enabled, &ProfileSettings::enabled_span, &ProfileSettings::enabled_text, false,
         nullptr, nullptr);
    flag("DefaultInboundAction", &ProfileSettings::inbound_block, &ProfileSettings::inbound_span,
         &ProfileSettings::inbound_text, false, "block", "allow");
    flag("DefaultOutboundAction", &ProfileSettings::outbound_block, &ProfileSettings::outbound_span,
         &ProfileSettings::outbound_text, false, "block", "allow");
    flag("AllowInboundRules", &ProfileSettings::shields_up, &ProfileSettings::shields_span,
         &ProfileSettings::shields_text, true, nullptr, nullptr);
    return;
  }
  WinRule rule;
  rule.span = span;
  rule.text = text;
  rule.direction = Direction::In;  // New-NetFirewallRule defaults: Inbound, Allow, enabled, any profile
  for (const auto& s : splats) rule.conditions.push_back(fmt::format("parameters splatted from {} (not read)", s));
  if (!splats.empty()) {
    // The hashtable may hold -Direction and -Action: without them here they are unknown.
    if (!params.count("Direction")) rule.direction_unknown = true;
    if (!params.count("Action")) rule.action_unknown = true;
  }
  for (const auto& [name, v] : params) {
    std::string one = v.items.size() == 1 ? lower_ascii(v.items[0]) : "";
    auto list = [&items = v.items]() {  // clang < 16 cannot capture a structured binding
      std::vector<std::string> out;
      for (const auto& item : items)
        for (const auto& part : split_list(item, ',')) out.push_back(part);
      return out;
    };
    if (name == "Name") {
      rule.id = v.items.empty() ? "" : v.items[0];
      if (rule.name.empty()) rule.name = rule.id;
    } else if (name == "DisplayName") {
      rule.name = v.items.empty() ? "" : v.items[0];
    } else if (name == "Group") {
      rule.group = v.items.empty() ? "" : v.items[0];
    } else if (name == "Description") {
      for (const auto& item : v.items) read_suppressions(item, rule.suppressions);
    } else if (v.variable && name != "Program" && name != "Service") {
      if (name == "Direction") {
        rule.direction_unknown = true;
        rule.conditions.push_back(fmt::format("-Direction {} (script variable)", v.text));
      } else if (name == "Action")
        rule.action_unknown = true;
      else if (name == "Protocol")
        rule.protocol_unknown = true;
      else if (name == "LocalPort" || name == "RemotePort" || name == "LocalAddress" || name == "RemoteAddress")
        rule.lost.push_back({"-" + name, fmt::format("script variable {}", v.text)});
      else if (name == "Enabled" || name == "Profile" || name == "OverrideBlockRules" || name == "Authentication" ||
               name == "Encryption" || name == "IcmpType" || name == "InterfaceType" || name == "InterfaceAlias" ||
               name == "LocalUser" || name == "RemoteUser" || name == "RemoteMachine" || name == "Owner" ||
               name == "Package")
        rule.conditions.push_back(fmt::format("-{} {} (script variable)", name, v.text));
    } else if (name == "Enabled") {
      bool b = true;
      if (!ps_bool(v, b)) return fail(v.column, fmt::format("-Enabled {}: expected True or False", v.text));
      rule.enabled = b;
    } else if (name == "Direction") {
      if (one == "inbound" || one == "in")
        rule.direction = Direction::In;
      else if (one == "outbound" || one == "out")
        rule.direction = Direction::Out;
      else
        return fail(v.column, fmt::format("-Direction {}: expected Inbound or Outbound", v.text));
    } else if (name == "Action") {
      if (one == "allow")
        rule.action = WinAction::Allow;
      else if (one == "block")
        rule.action = WinAction::Block;
      else if (one == "notconfigured")
        rule.enabled = false;
      else
        return fail(v.column, fmt::format("-Action {}: expected Allow or Block", v.text));
    } else if (name == "OverrideBlockRules") {
      bool b = false;
      if (!ps_bool(v, b))
        return fail(v.column, fmt::format("-OverrideBlockRules {}: expected a switch or $true/$false", v.text));
      if (b) rule.action = WinAction::Bypass;
    } else if (name == "Profile") {
      auto p = parse_profiles(fmt::format("{}", fmt::join(list(), ",")));
      if (!p) return fail(v.column, fmt::format("-Profile {}: expected Any, Domain, Private or Public", v.text));
      rule.profiles = *p;
    } else if (name == "Protocol") {
      if (!parse_protocol(v.items.empty() ? "" : v.items[0], rule.protocol) || v.items.size() != 1)
        return fail(v.column, fmt::format("-Protocol {}: expected TCP, UDP, ICMPv4, ICMPv6, Any or 0-255", v.text));
    } else if (name == "LocalPort") {
      rule.local_ports = list();
    } else if (name == "RemotePort") {
      rule.remote_ports = list();
    } else if (name == "LocalAddress") {
      rule.local_addrs = list();
    } else if (name == "RemoteAddress") {
      rule.remote_addrs = list();
    } else if (name == "IcmpType") {
      rule.icmp_types = list();
    } else if (name == "Program") {
      if (!v.items.empty()) rule.program = v.items[0];
    } else if (name == "Service") {
      if (!v.items.empty()) rule.service = v.items[0];
    } else if (name == "Authentication" || name == "Encryption") {
      if (one != "notrequired")
        rule.conditions.push_back(fmt::format("-{} {} (IPsec-protected traffic only)", name, v.text));
    } else if (name == "InterfaceType" || name == "InterfaceAlias" || name == "LocalUser" || name == "RemoteUser" ||
               name == "RemoteMachine" || name == "Owner" || name == "Package" || name == "DynamicTarget") {
      if (one != "any" && !(name == "DynamicTarget" && one == "any"))
        rule.conditions.push_back(fmt::format("-{} {}", name, v.text));
    }
  }
  if (rule.name.empty()) rule.name = rule.id;
  if (rule.name.empty() && !splats.empty()) rule.name = fmt::format("(name in {})", splats.front());
  if (rule.name.empty()) return fail(column_base, "New-NetFirewallRule needs -DisplayName");
  st.model.rules.push_back(std::move(rule));
}

// Finds `word` as a command word in a line (case-insensitive), or npos.
std::size_t find_word(const std::string& line, const std::string& word) {
  std::string l = lower_ascii(line);
  std::size_t pos = 0;
  while ((pos = l.find(word, pos)) != std::string::npos) {
    bool start_ok = pos == 0 || std::string(" \t(@>&|;=+\"\\/").find(l[pos - 1]) != std::string::npos;
    std::size_t end = pos + word.size();
    bool end_ok = end >= l.size() || std::string(" \t.\"").find(l[end]) != std::string::npos;
    if (start_ok && end_ok) return pos;
    pos = end;
  }
  return std::string::npos;
}

// True while a PowerShell statement is incomplete: open quote or bracket, trailing backtick.
bool ps_incomplete(const std::string& s) {
  int depth = 0;
  char quote = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == '`' && quote == '"')
        ++i;
      else if (c == quote)
        quote = 0;
      continue;
    }
    if (c == '`') {
      ++i;
      continue;
    }
    if (c == '#') break;
    if (c == '"' || c == '\'')
      quote = c;
    else if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
  }
  std::string t = trim_blank(s);
  return quote || depth > 0 || (!t.empty() && (t.back() == '`' || t.back() == ',' || t.back() == '|'));
}

// True when `keyword` at `pos` of the (lower-case) line starts a command, as in a script
// or a console transcript: at the start of the line or after `@`, a path, a pipe, `=`,
// `;`, `&`, a bracket, a quote, a prompt (`C:\>`) or `call`/`start`/`do`/`/c`; not when
// prose or Markdown mentions it (a README: "`netsh advfirewall export ...`").
bool starts_command(const std::string& line, std::size_t pos) {
  // netsh runs a firewall command: `netsh advfirewall ...`, `netsh adv f a r`, `netsh firewall`.
  if (line.compare(pos, 5, "netsh") == 0) {
    std::size_t next = pos + 5;
    if (line.compare(next, 4, ".exe") == 0) next += 4;
    while (next < line.size() && (line[next] == ' ' || line[next] == '\t' || line[next] == '"')) ++next;
    if (line.compare(next, 3, "adv") != 0 && line.compare(next, 8, "firewall") != 0 && line.compare(next, 1, "-") != 0)
      return false;
  }
  std::string before = trim_blank(std::string_view(line).substr(0, pos));
  if (before.empty()) return true;
  // A Markdown code span or table cell mentions the command; it does not run it.
  if (before.find('`') != std::string::npos || before == "|") return false;
  if (std::string_view("@|=;&({[\"'\\/>").find(before.back()) != std::string_view::npos) return true;
  auto space = before.find_last_of(" \t");
  std::string word = space == std::string::npos ? before : before.substr(space + 1);
  for (const char* w : {"call", "start", "start-process", "do", "then", "else", "/c", "/k", "cmd", "exec"})
    if (word == w) return true;
  return false;
}

}  // namespace

bool looks_like_script(const TextFile& file) {
  std::string l = lower_ascii(file.text.substr(0, 1 << 20));
  if (l.find("advfirewall") == std::string::npos && l.find("new-netfirewallrule") == std::string::npos &&
      l.find("set-netfirewallprofile") == std::string::npos && l.find("adv f a r") == std::string::npos)
    return false;
  // Some line must run one of the commands: a document that only mentions them is no script.
  for (auto line_view : split_lines(l)) {
    std::string line(line_view);
    for (const char* keyword : {"netsh", "advfirewall", "new-netfirewallrule", "set-netfirewallprofile"})
      for (auto pos = line.find(keyword); pos != std::string::npos; pos = line.find(keyword, pos + 1))
        if (starts_command(line, pos)) return true;
  }
  return false;
}

WinModel read_script(const TextFile& file) {
  WinModel model;
  model.source = "script";
  ScriptState st{model, file.path, {}};
  auto lines = split_lines(file.text);
  model.line_count = lines.size();

  antlr4::ANTLRInputStream netsh_input;
  NetshLexer netsh_lexer(&netsh_input);
  antlr4::CommonTokenStream netsh_tokens(&netsh_lexer);
  NetshParser netsh_parser(&netsh_tokens);
  antlr4::ANTLRInputStream ps_input;
  PsCmdLexer ps_lexer(&ps_input);
  antlr4::CommonTokenStream ps_tokens(&ps_lexer);
  PsCmdParser ps_parser(&ps_tokens);
  FirstError errors;
  for (antlr4::Recognizer* r :
       std::initializer_list<antlr4::Recognizer*>{&netsh_lexer, &netsh_parser, &ps_lexer, &ps_parser}) {
    r->removeErrorListeners();
    r->addErrorListener(&errors);
  }

  for (std::size_t i = 0; i < lines.size(); ++i) {
    int line_no = static_cast<int>(i) + 1;
    std::string line(lines[i]);
    std::string t = lower_ascii(trim_blank(line));
    if (t.empty() || t[0] == '#' || t.rfind("::", 0) == 0 || t.rfind("rem ", 0) == 0 || t == "rem" ||
        t.rfind("echo", 0) == 0 || t.rfind("@echo", 0) == 0 || t.rfind("write-host", 0) == 0)
      continue;
    if (auto pos = find_word(line, "netsh"); pos != std::string::npos) {
      std::string cmd = line.substr(pos);
      while (!cmd.empty() && cmd.back() == '^' && i + 1 < lines.size())
        cmd = cmd.substr(0, cmd.size() - 1) + std::string(lines[++i]);
      // A command chained with & or && or || ends there (outside quotes).
      bool in_quote = false;
      for (std::size_t k = 0; k < cmd.size(); ++k) {
        if (cmd[k] == '"') in_quote = !in_quote;
        if (!in_quote && (cmd[k] == '&' || cmd[k] == '|' || cmd[k] == '>' || cmd[k] == ')')) {
          cmd = cmd.substr(0, k);
          break;
        }
      }
      cmd = trim_blank(cmd);
      if (lower_ascii(cmd).find("advfirewall") == std::string::npos &&
          lower_ascii(cmd).find(" adv") == std::string::npos && lower_ascii(cmd).find(" firewall") == std::string::npos)
        continue;
      netsh_input.load(cmd);
      netsh_lexer.setInputStream(&netsh_input);
      netsh_tokens.setTokenSource(&netsh_lexer);
      netsh_parser.setTokenStream(&netsh_tokens);
      errors.reset();
      auto* tree = netsh_parser.command();
      int column_base = static_cast<int>(pos) + 1;
      if (errors.has_error) {
        model.diagnostics.push_back(parse_error(file.path, line_no, column_base + errors.column,
                                                fmt::format("cannot parse this netsh command: {}", errors.message),
                                                cmd));
        continue;
      }
      netsh_command(st, tree, line_no, column_base, cmd);
      continue;
    }
    std::size_t pos = std::string::npos;
    for (const char* cmdlet :
         {"new-netfirewallrule", "set-netfirewallprofile", "remove-netfirewallrule", "set-netfirewallrule",
          "disable-netfirewallrule", "enable-netfirewallrule", "copy-netfirewallrule", "rename-netfirewallrule"}) {
      pos = find_word(line, cmdlet);
      if (pos != std::string::npos) break;
    }
    if (pos == std::string::npos) continue;
    std::string stmt = line.substr(pos);
    int first_line = line_no;
    while (ps_incomplete(stmt) && i + 1 < lines.size()) stmt += "\n" + std::string(lines[++i]);
    ps_input.load(stmt);
    ps_lexer.setInputStream(&ps_input);
    ps_tokens.setTokenSource(&ps_lexer);
    ps_parser.setTokenStream(&ps_tokens);
    errors.reset();
    auto* tree = ps_parser.command();
    int column_base = static_cast<int>(pos) + 1;
    if (errors.has_error) {
      int err_line = first_line + errors.line - 1;
      model.diagnostics.push_back(parse_error(file.path, err_line,
                                              errors.line == 1 ? column_base + errors.column : errors.column + 1,
                                              fmt::format("cannot parse this PowerShell command: {}", errors.message),
                                              trim_blank(stmt.substr(0, stmt.find('\n')))));
      continue;
    }
    std::string text = trim_blank(stmt);
    // One line of text for reports: continuation lines joined with a blank.
    std::string one_line;
    for (const auto& part : split_list(text, '\n')) {
      std::string p = part;
      if (!p.empty() && p.back() == '`') p.pop_back();
      one_line += (one_line.empty() ? "" : " ") + trim_blank(p);
    }
    ps_command(st, tree, first_line, column_base, one_line);
    if (!model.rules.empty() && model.rules.back().span.line == first_line) {
      model.rules.back().span.end_line = static_cast<int>(i) + 1;
    }
  }
  return model;
}

}  // namespace fwm::windows
