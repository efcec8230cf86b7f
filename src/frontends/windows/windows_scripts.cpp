// Deployment scripts: .bat/.cmd lines running `netsh advfirewall ...` and PowerShell
// scripts running New-NetFirewallRule / Set-NetFirewallProfile. Each command is parsed
// with its grammar (Netsh*, PsCmd*); the rest of the script (control flow, echo, other
// programs) is not firewall configuration and is skipped. Values that are script
// variables are not known: the conditions they stand for are undetermined.
#include <fmt/format.h>

#include <functional>
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

// ---- rule selection by later commands ---------------------------------------------

// PowerShell wildcard patterns (about_Wildcard_Characters: `*`, `?`, `[abc]`, `[a-c]`,
// backtick escapes), compared without regard to case.
bool wildcard_match(std::string_view pattern, std::string_view text) {
  auto lc = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  // Does the pattern element at `at` match `c`; `len` is the element's length.
  auto element = [&](std::size_t at, char c, std::size_t& len) {
    char pc = pattern[at];
    if (pc == '`' && at + 1 < pattern.size()) {
      len = 2;
      return lc(pattern[at + 1]) == lc(c);
    }
    if (pc == '?') {
      len = 1;
      return true;
    }
    if (pc == '[') {
      std::size_t close = pattern.find(']', at + 1);
      if (close != std::string_view::npos && close > at + 1) {
        len = close - at + 1;
        for (std::size_t k = at + 1; k < close; ++k) {
          if (k + 2 < close && pattern[k + 1] == '-') {
            if (lc(c) >= lc(pattern[k]) && lc(c) <= lc(pattern[k + 2])) return true;
            k += 2;
          } else if (lc(pattern[k]) == lc(c)) {
            return true;
          }
        }
        return false;
      }
    }
    len = 1;
    return lc(pc) == lc(c);
  };
  std::size_t p = 0, t = 0, star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    std::size_t len = 0;
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = ++p;
      star_t = t;
      continue;
    }
    if (p < pattern.size() && element(p, text[t], len)) {
      p += len;
      ++t;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool has_wildcard(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

enum class Tri { No, Maybe, Yes };
Tri tri_and(Tri a, Tri b) {
  if (a == Tri::No || b == Tri::No) return Tri::No;
  return a == Tri::Maybe || b == Tri::Maybe ? Tri::Maybe : Tri::Yes;
}

// Which rules a later command selects: every criterion must hold; the values of one
// criterion are alternatives. `unknown`: the script does not decide which rules (they
// come from a variable, or pass a Where-Object script block); `why` says so.
struct Criterion {
  std::string field;
  std::vector<std::string> values;
  bool variable = false;
};
struct Selection {
  std::vector<Criterion> criteria;
  bool unknown = false;
  std::string why;
};

Tri match_patterns(const std::vector<std::string>& patterns, const std::string& text) {
  for (const auto& p : patterns)
    if (wildcard_match(p, text)) return Tri::Yes;
  return Tri::No;
}

// One criterion of a firewall cmdlet (ByName, ByDisplayName, ByQuery parameter sets of
// Enable-/Disable-/Remove-/Set-/Get-NetFirewallRule): -Name, -DisplayName, -Group,
// -DisplayGroup and -Description take wildcards; -Direction, -Action, -Enabled and
// -PolicyStore are exact.
Tri match_criterion(const Criterion& c, const WinRule& r) {
  const std::string& f = c.field;
  // A rule without a group is in no group: no -Group or -DisplayGroup value selects it.
  if ((f == "group" || f == "displaygroup") && r.group.empty()) return Tri::No;
  if (c.variable) return Tri::Maybe;
  if (f == "name") {
    if (!r.id.empty()) return match_patterns(c.values, r.id);
    // New-NetFirewallRule without -Name: "The default value is a randomly assigned value" (a GUID).
    for (const auto& p : c.values)
      if (p == "*") return Tri::Yes;
    for (const auto& p : c.values)
      if (has_wildcard(p)) return Tri::Maybe;
    return Tri::No;
  }
  if (f == "displayname") return match_patterns(c.values, r.name);
  if (f == "group" || f == "displaygroup") return match_patterns(c.values, r.group);
  if (f == "description") return r.description.empty() ? Tri::Maybe : match_patterns(c.values, r.description);
  if (f == "direction") {
    if (r.direction_unknown) return Tri::Maybe;
    for (const auto& v : c.values) {
      std::string l = lower_ascii(v);
      if (((l == "inbound" || l == "in") && r.direction == Direction::In) ||
          ((l == "outbound" || l == "out") && r.direction == Direction::Out))
        return Tri::Yes;
    }
    return Tri::No;
  }
  if (f == "action") {
    if (r.action_unknown) return Tri::Maybe;
    for (const auto& v : c.values) {
      std::string l = lower_ascii(v);  // an authenticated bypass rule is an Allow rule with OverrideBlockRules
      if ((l == "allow" && r.action != WinAction::Block) || (l == "block" && r.action == WinAction::Block))
        return Tri::Yes;
    }
    return Tri::No;
  }
  if (f == "enabled") {
    for (const auto& v : c.values) {
      std::string l = lower_ascii(v);
      if (((l == "true" || l == "1") && r.enabled) || ((l == "false" || l == "2") && !r.enabled)) return Tri::Yes;
    }
    return Tri::No;
  }
  if (f == "policystore") {
    std::string store = r.policy_store.empty() ? "persistentstore" : lower_ascii(r.policy_store);
    for (const auto& v : c.values) {
      std::string l = lower_ascii(v);
      if (l == "activestore" || l == store) return Tri::Yes;
    }
    return Tri::No;
  }
  return Tri::Maybe;  // a property the script does not state (EdgeTraversalPolicy, Owner, Status ...)
}

Tri select_rule(const Selection& s, const WinRule& r) {
  Tri t = s.unknown ? Tri::Maybe : Tri::Yes;
  for (const auto& c : s.criteria) t = tri_and(t, match_criterion(c, r));
  return t;
}

// Whether two versions of a rule decide the same traffic the same way.
bool same_effect(const WinRule& a, const WinRule& b) {
  if (!a.enabled && !b.enabled) return true;
  auto lost_key = [](const WinRule& r) {
    std::vector<std::string> out;
    for (const auto& l : r.lost) out.push_back(l.field + "\n" + l.reason);
    return out;
  };
  return a.enabled == b.enabled && a.action == b.action && a.action_unknown == b.action_unknown &&
         a.direction == b.direction && a.direction_unknown == b.direction_unknown && a.profiles == b.profiles &&
         a.protocol == b.protocol && a.protocol_unknown == b.protocol_unknown && a.local_ports == b.local_ports &&
         a.remote_ports == b.remote_ports && a.local_addrs == b.local_addrs && a.remote_addrs == b.remote_addrs &&
         a.icmp_types == b.icmp_types && a.program == b.program && a.service == b.service &&
         a.conditions == b.conditions && lost_key(a) == lost_key(b);
}

enum class Change { Enable, Disable, Remove, Set };

// Prefix of the conditions a later command or a block puts on a rule (the lowering
// names them in one note per command).
constexpr const char* kLaterPrefix = "later command: ";
constexpr const char* kBlockPrefix = "conditional creation: ";

// Applies a later command to the rules the script defined before it, in order. A rule
// the command certainly selects is changed (or removed); a rule it may select is kept in
// both versions, each undetermined (`reason` says why the selection is open). Returns
// how many rules it may or does select.
std::size_t apply_change(ScriptState& st, const std::function<Tri(const WinRule&)>& select,
                         const std::string& open_reason, Change change, const std::function<void(WinRule&)>& set_fields,
                         const std::string& what, int line_no, const std::string& block) {
  std::size_t selected = 0;
  std::vector<WinRule> out;
  out.reserve(st.model.rules.size());
  for (auto& r : st.model.rules) {
    Tri t = select(r);
    if (t == Tri::Yes && !block.empty()) t = Tri::Maybe;
    if (t == Tri::No) {
      out.push_back(std::move(r));
      continue;
    }
    ++selected;
    WinRule after = r;
    switch (change) {
      case Change::Enable:
        after.enabled = true;
        break;
      case Change::Disable:
      case Change::Remove:
        after.enabled = false;
        break;
      case Change::Set:
        set_fields(after);
        break;
    }
    if (t == Tri::Yes) {
      if (change != Change::Remove) out.push_back(std::move(after));
      continue;
    }
    if (same_effect(r, after)) {
      out.push_back(std::move(r));
      continue;
    }
    const std::string& open = !block.empty() ? block : open_reason;
    std::string verb = change == Change::Enable    ? "may enable"
                       : change == Change::Disable ? "may disable"
                       : change == Change::Remove  ? "may remove"
                                                   : "may change";
    if (r.enabled) {
      WinRule before = r;
      before.conditions.push_back(
          fmt::format("{}{} at line {} {} this rule ({})", kLaterPrefix, what, line_no, verb, open));
      out.push_back(std::move(before));
    }
    if (after.enabled) {
      after.conditions.push_back(fmt::format("{}{} at line {} {} this rule, which then reads as here ({})",
                                             kLaterPrefix, what, line_no, verb, open));
      out.push_back(std::move(after));
    }
  }
  st.model.rules = std::move(out);
  return selected;
}

// A later command that selects none of the script's rules changes only rules outside
// the file (built-in or pre-existing ones): said once per command name.
void outside_rules(ScriptState& st, const std::string& what, int line_no, int column, const std::string& text) {
  std::string key = what + " (outside)";
  if (st.ignored_commands.count(key)) return;
  st.ignored_commands[key] = 1;
  st.model.diagnostics.push_back(make_diagnostic(
      "FWM091", Severity::Warning, {st.file, line_no, column, line_no, column},
      fmt::format("'{}' selects no rule this script creates before it: it changes only built-in or pre-existing "
                  "rules, which are not in the file (the analysis covers the rules the script creates)",
                  what),
      text));
}

// ---- netsh ------------------------------------------------------------------------

const std::vector<std::string> kNetshRuleOptions = {
    "name",           "dir",       "action",   "program",   "service",      "description", "enable",
    "profile",        "localip",   "remoteip", "localport", "remoteport",   "protocol",    "interfacetype",
    "rmtcomputergrp", "rmtusrgrp", "edge",     "security",  "localusergrp", "rmtmachgrp"};

// Applies one option of "add rule" (or a change after "set rule ... new") to `rule`;
// false after a diagnostic. `rename`: name= renames the rule (set rule), not its id.
bool netsh_option(WinRule& rule, const std::string& key, const std::string& value,
                  const std::function<void(const std::string&, const std::string&)>& fail, bool rename) {
  std::string v = lower_ascii(value);
  bool var = is_variable(value);
  bool ok = true;
  auto bad = [&](const std::string& k, const std::string& message) {
    fail(k, message);
    ok = false;
  };
  if (key == "name") {
    rule.name = value;
    if (!rename) rule.id = value;
  } else if (key == "description") {
    rule.description = value;
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
      bad(key, fmt::format("dir={}: expected in or out", value));
  } else if (key == "action") {
    if (v == "allow")
      rule.action = WinAction::Allow;
    else if (v == "block")
      rule.action = WinAction::Block;
    else if (v == "bypass")
      rule.action = WinAction::Bypass;
    else
      bad(key, fmt::format("action={}: expected allow, block or bypass", value));
  } else if (key == "enable") {
    if (v == "yes")
      rule.enabled = true;
    else if (v == "no")
      rule.enabled = false;
    else
      bad(key, fmt::format("enable={}: expected yes or no", value));
  } else if (key == "profile") {
    auto p = parse_profiles(value);
    if (!p)
      bad(key, fmt::format("profile={}: expected public, private, domain or any (comma list)", value));
    else
      rule.profiles = *p;
  } else if (key == "protocol") {
    // "icmpv4:8,any" carries the ICMP type and code.
    std::string proto = value.substr(0, value.find(':'));
    if (!parse_protocol(proto, rule.protocol))
      bad(key, fmt::format("protocol={}: expected 0-255, tcp, udp, icmpv4, icmpv6 or any", value));
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
    return true;
  } else if (key == "security") {
    if (v != "notrequired") rule.conditions.push_back(fmt::format("security={} (IPsec-protected traffic only)", value));
  } else {
    if (v != "any") rule.conditions.push_back(fmt::format("{}={}", key, value));
  }
  return ok;
}

// Compares a netsh filter value list ("80,443", "any") with a rule's list: equal sets
// select the rule, disjoint ones do not; anything else is not decided.
Tri netsh_list(const std::string& value, const std::vector<std::string>& items) {
  auto norm = [](const std::vector<std::string>& in) {
    std::set<std::string> out;
    for (const auto& item : in)
      for (const auto& part : split_list(item, ',')) {
        std::string l = lower_ascii(part);
        if (l != "any") out.insert(l);
      }
    return out;
  };
  auto f = norm({value});
  auto r = norm(items);
  if (f == r) return Tri::Yes;
  if (f.empty() || r.empty()) return Tri::Maybe;
  for (const auto& x : f)
    if (r.count(x)) return Tri::Maybe;
  return Tri::No;
}

Tri netsh_select(const std::map<std::string, std::string>& filter, const WinRule& r) {
  Tri t = Tri::Yes;
  for (const auto& [key, value] : filter) {
    std::string v = lower_ascii(value);
    Tri m = Tri::Maybe;
    if (is_variable(value)) {
      m = Tri::Maybe;
    } else if (key == "name") {
      m = v == "all" || lower_ascii(r.name) == v ? Tri::Yes : Tri::No;
    } else if (key == "group") {
      m = !r.group.empty() && lower_ascii(r.group) == v ? Tri::Yes : Tri::No;
    } else if (key == "dir") {
      if (!r.direction_unknown && (v == "in" || v == "out"))
        m = (v == "in") == (r.direction == Direction::In) ? Tri::Yes : Tri::No;
    } else if (key == "profile") {
      if (auto p = parse_profiles(value))
        m = *p == r.profiles ? Tri::Yes : (*p & r.profiles) == 0 ? Tri::No : Tri::Maybe;
    } else if (key == "protocol") {
      std::optional<int> p;
      if (!r.protocol_unknown && parse_protocol(value.substr(0, value.find(':')), p))
        m = p == r.protocol ? Tri::Yes : (!p || !r.protocol) ? Tri::Maybe : Tri::No;
    } else if (key == "localport") {
      m = netsh_list(value, r.local_ports);
    } else if (key == "remoteport") {
      m = netsh_list(value, r.remote_ports);
    } else if (key == "localip") {
      m = netsh_list(value, r.local_addrs);
    } else if (key == "remoteip") {
      m = netsh_list(value, r.remote_addrs);
    } else if (key == "program" || key == "service") {
      const std::string& have = key == "program" ? r.program : r.service;
      if (lower_ascii(have) == v || (have.empty() && v == "any"))
        m = Tri::Yes;
      else if (!have.empty() && v != "any")
        m = Tri::No;
    }
    t = tri_and(t, m);
  }
  return t;
}

void netsh_command(ScriptState& st, NetshParser::CommandContext* cmd, int line_no, int column_base,
                   const std::string& text, const std::string& block) {
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
  // netsh interface portproxy add|set v4tov4|v4tov6|v6tov4|v6tov6 listenport=P
  //   [listenaddress=A] connectaddress=C [connectport=Q] [protocol=tcp]: the IP Helper
  // service listens on P and relays each TCP connection to C:Q ("Netsh interface
  // portproxy commands"). It adds no firewall rule, and the rules still decide whether P
  // is reachable: the relay itself is not modelled.
  if (is(i, "interface", 3) && is(i + 1, "portproxy", 1)) {
    std::string verb = i + 2 < words.size() ? words[i + 2] : "";
    auto opt = [&](const char* k, const char* fallback) {
      auto it = opts.find(k);
      return it == opts.end() || it->second.empty() ? std::string(fallback) : it->second;
    };
    std::string message;
    if (verb == "add" || verb == "set")
      message = fmt::format(
          "netsh interface portproxy {}: TCP connections to local port {} (listen address {}) are relayed to {} port "
          "{} by the IP Helper service; the relay is not modelled, and the firewall rules still decide whether port "
          "{} is reachable",
          verb, opt("listenport", "?"), opt("listenaddress", "any"), opt("connectaddress", "?"),
          opt("connectport", opt("listenport", "?").c_str()), opt("listenport", "?"));
    else if (verb == "delete" || verb == "reset")
      message = fmt::format(
          "netsh interface portproxy {}: removes TCP port relays of the IP Helper service; relays are not modelled",
          verb);
    if (!message.empty())
      st.model.diagnostics.push_back(make_diagnostic("FWM091", Severity::Warning, span, message, text));
    return;
  }
  if (!is(i, "advfirewall", 3)) return;  // interface, wlan, http ...: not the firewall
  ++i;
  if (is(i, "consec", 3)) {
    // netsh advfirewall consec: connection security (IPsec) rules, as under ConSecRules
    // in a .reg export; once per script.
    const std::string key = "netsh advfirewall consec";
    if (st.ignored_commands.count(key)) return;
    st.ignored_commands[key] = 1;
    st.model.diagnostics.push_back(make_diagnostic(
        "FWM091", Severity::Note, {st.file, line_no, column_base, line_no, column_base},
        "'netsh advfirewall consec' commands define connection security (IPsec) rules: read but not analysed by the "
        "firewall frontend (they never allow traffic by themselves); give the file with --ipsec to check them",
        text));
    return;
  }
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
    if (del || set) {
      // delete rule name=<string> [dir=in|out] [profile=...] [program=...] [service=...]
      //   [localip=...] [remoteip=...] [localport=...] [remoteport=...] [protocol=...]
      // set rule group=<string> | name=<string> [the same filters] new <changes>
      // ("netsh advfirewall firewall delete rule /?", "set rule /?"). The filters select
      // among the rules the script created before the command; name=all selects all.
      bool after_new = false;
      std::map<std::string, std::string> filter, changes;
      std::map<std::string, int> columns;
      for (auto* child : cmd->children) {
        if (auto* w = dynamic_cast<NetshParser::WordContext*>(child)) {
          if (lower_ascii(w->getText()) == "new") after_new = true;
        } else if (auto* o = dynamic_cast<NetshParser::OptionContext*>(child)) {
          std::string given = o->key->getText();
          std::string key = resolve_name(given, kNetshRuleOptions);
          if (key.empty() || key == "?") key = lower_ascii(given);
          if (!after_new && lower_ascii(given) == "group") key = "group";
          (after_new ? changes : filter)[key] = o->value() ? unquote_dq(o->value()->getText()) : "";
          columns[(after_new ? "new:" : "") + key] =
              column_base + static_cast<int>(o->getStart()->getCharPositionInLine());
        }
      }
      std::string what = set ? "netsh advfirewall firewall set rule" : "netsh advfirewall firewall delete rule";
      bool ok = true;
      auto fail_at = [&](const std::string& key, const std::string& message) {
        st.model.diagnostics.push_back(
            parse_error(st.file, line_no, columns.count(key) ? columns[key] : column_base, message, text));
        ok = false;
      };
      static const std::vector<std::string> kFilters = {"name",      "group",      "dir",     "profile",
                                                        "program",   "service",    "localip", "remoteip",
                                                        "localport", "remoteport", "protocol"};
      for (const auto& [key, value] : filter) {
        if (std::count(kFilters.begin(), kFilters.end(), key) && (set || key != "group")) continue;
        fail_at(key, fmt::format("'{}' is not a filter of '{} rule'", key, set ? "set" : "delete"));
      }
      if (ok && !filter.count("name") && !(set && filter.count("group")))
        fail_at("", set ? "set rule needs name= or group=" : "delete rule needs name=");
      if (ok && set && changes.empty()) fail_at("", "set rule needs 'new' followed by the changes");
      WinRule probe;  // the changes are checked once, before they are applied
      auto fail_change = [&](const std::string& key, const std::string& message) { fail_at("new:" + key, message); };
      for (const auto& [key, value] : changes) {
        if (!ok) break;
        if (!std::count(kNetshRuleOptions.begin(), kNetshRuleOptions.end(), key))
          fail_change(key, fmt::format("'{}' is not a change 'set rule ... new' accepts (known: {})", key,
                                       fmt::join(kNetshRuleOptions, ", ")));
        else
          netsh_option(probe, key, value, fail_change, true);
      }
      if (!ok) return;
      bool variable = false;
      for (const auto& [key, value] : filter) variable = variable || is_variable(value);
      std::string why = variable ? "a filter value is a script variable"
                                 : "the rule's values overlap the filter's without being equal, and how netsh "
                                   "compares such values is not documented";
      auto set_fields = [&](WinRule& r) {
        for (const auto& [key, value] : changes)
          netsh_option(
              r, key, value, [](const std::string&, const std::string&) {}, true);
      };
      std::size_t selected = apply_change(
          st, [&](const WinRule& r) { return netsh_select(filter, r); }, why, set ? Change::Set : Change::Remove,
          set_fields, what, line_no, block);
      if (selected == 0 && set) outside_rules(st, what, line_no, column_base, text);
      return;
    }
    if (is(i, "show", 2)) return;  // prints rules, changes none
    if (!add) {
      ignored_command(st, "netsh advfirewall firewall " + words[i], line_no, column_base, text);
      return;
    }
    WinRule rule;
    rule.span = span;
    rule.text = text;
    if (!block.empty()) rule.conditions.push_back(kBlockPrefix + block);
    bool ok = true;
    auto fail = [&](const std::string& key, const std::string& message) {
      int col = opt_columns.count(key) ? opt_columns[key] : column_base;
      st.model.diagnostics.push_back(parse_error(st.file, line_no, col, message, text));
      ok = false;
    };
    for (const auto& [key, raw] : opts) {
      if (!std::count(kNetshRuleOptions.begin(), kNetshRuleOptions.end(), key)) {
        fail(key,
             fmt::format("'{}' is not an option of 'add rule' (known: {})", key, fmt::join(kNetshRuleOptions, ", ")));
        break;
      }
      if (!netsh_option(rule, key, raw, fail, false)) break;
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

void collect_values(PsCmdParser::ValueListContext* list, PsValue& out);

void collect_value(PsCmdParser::ValueContext* v, PsValue& out) {
  if (v->valueList()) {
    collect_values(v->valueList(), out);
    return;
  }
  std::string t = v->getText();
  std::string lt = lower_ascii(t);
  if (v->VARIABLE() && (lt == "$true" || lt == "$false")) {  // constants, not variables
    out.items.push_back(lt.substr(1));
    return;
  }
  if (v->VARIABLE() || v->SUBEXPR() || v->LPAREN()) {
    out.variable = true;
    out.items.push_back(t);
    return;
  }
  if (v->DQSTRING() && t.find('$') != std::string::npos) out.variable = true;
  out.items.push_back(ps_unquote(t));
}

void collect_values(PsCmdParser::ValueListContext* list, PsValue& out) {
  if (!list) return;
  for (auto* v : list->value()) collect_value(v, out);
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

// Applies one parameter of New-NetFirewallRule (or a change of Set-NetFirewallRule) to
// `rule`; false after a diagnostic.
bool rule_param(WinRule& rule, const std::string& name, const PsValue& v,
                const std::function<void(int, const std::string&)>& fail) {
  auto fail_false = [&](int column, const std::string& message) {
    fail(column, message);
    return false;
  };
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
    rule.description = v.items.empty() ? "" : v.items[0];
    for (const auto& item : v.items) read_suppressions(item, rule.suppressions);
  } else if (name == "NewDisplayName") {
    if (!v.items.empty()) rule.name = v.items[0];
  } else if (name == "PolicyStore") {
    if (!v.items.empty()) rule.policy_store = v.items[0];
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
    if (!ps_bool(v, b)) return fail_false(v.column, fmt::format("-Enabled {}: expected True or False", v.text));
    rule.enabled = b;
  } else if (name == "Direction") {
    if (one == "inbound" || one == "in")
      rule.direction = Direction::In;
    else if (one == "outbound" || one == "out")
      rule.direction = Direction::Out;
    else
      return fail_false(v.column, fmt::format("-Direction {}: expected Inbound or Outbound", v.text));
  } else if (name == "Action") {
    if (one == "allow")
      rule.action = WinAction::Allow;
    else if (one == "block")
      rule.action = WinAction::Block;
    else if (one == "notconfigured")
      rule.enabled = false;
    else
      return fail_false(v.column, fmt::format("-Action {}: expected Allow or Block", v.text));
  } else if (name == "OverrideBlockRules") {
    bool b = false;
    if (!ps_bool(v, b))
      return fail_false(v.column, fmt::format("-OverrideBlockRules {}: expected a switch or $true/$false", v.text));
    if (b) rule.action = WinAction::Bypass;
  } else if (name == "Profile") {
    auto p = parse_profiles(fmt::format("{}", fmt::join(list(), ",")));
    if (!p) return fail_false(v.column, fmt::format("-Profile {}: expected Any, Domain, Private or Public", v.text));
    rule.profiles = *p;
  } else if (name == "Protocol") {
    if (!parse_protocol(v.items.empty() ? "" : v.items[0], rule.protocol) || v.items.size() != 1)
      return fail_false(v.column, fmt::format("-Protocol {}: expected TCP, UDP, ICMPv4, ICMPv6, Any or 0-255", v.text));
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
  return true;
}

// Common parameters (about_CommonParameters) and the aliases PowerShell resolves for
// them and for the firewall cmdlets' own parameters (-ID is -Name, -LSM
// -LooseSourceMapping).
const std::vector<std::string> kCommonParams = {"ErrorAction",
                                                "ErrorVariable",
                                                "WarningAction",
                                                "WarningVariable",
                                                "InformationAction",
                                                "InformationVariable",
                                                "OutVariable",
                                                "OutBuffer",
                                                "PipelineVariable",
                                                "Verbose",
                                                "Debug",
                                                "WhatIf",
                                                "Confirm"};

std::string param_alias(const std::string& given) {
  static const std::map<std::string, std::string> aliases = {{"ea", "ErrorAction"},
                                                             {"ev", "ErrorVariable"},
                                                             {"wa", "WarningAction"},
                                                             {"wv", "WarningVariable"},
                                                             {"infa", "InformationAction"},
                                                             {"iv", "InformationVariable"},
                                                             {"ov", "OutVariable"},
                                                             {"ob", "OutBuffer"},
                                                             {"pv", "PipelineVariable"},
                                                             {"vb", "Verbose"},
                                                             {"db", "Debug"},
                                                             {"wi", "WhatIf"},
                                                             {"cf", "Confirm"},
                                                             {"id", "Name"},
                                                             {"lsm", "LooseSourceMapping"},
                                                             {"session", "CimSession"}};
  auto it = aliases.find(lower_ascii(given));
  return it == aliases.end() ? "" : it->second;
}

std::vector<std::string> with_common(std::vector<std::string> names) {
  for (const auto& c : kCommonParams)
    if (std::find(names.begin(), names.end(), c) == names.end()) names.push_back(c);
  return names;
}

// The ByQuery parameters of Enable-/Disable-/Remove-/Get-NetFirewallRule (and -All,
// -Name, -DisplayName, the associated-filter and session parameters).
const std::vector<std::string> kQuerySelectors = {"Name",
                                                  "DisplayName",
                                                  "Description",
                                                  "DisplayGroup",
                                                  "Group",
                                                  "Enabled",
                                                  "Direction",
                                                  "Action",
                                                  "EdgeTraversalPolicy",
                                                  "LooseSourceMapping",
                                                  "LocalOnlyMapping",
                                                  "Owner",
                                                  "PrimaryStatus",
                                                  "Status",
                                                  "PolicyStoreSource",
                                                  "PolicyStoreSourceType",
                                                  "PolicyStore",
                                                  "GPOSession"};
const std::vector<std::string> kRuleInputParams = {"InputObject",
                                                   "AssociatedNetFirewallAddressFilter",
                                                   "AssociatedNetFirewallApplicationFilter",
                                                   "AssociatedNetFirewallInterfaceFilter",
                                                   "AssociatedNetFirewallInterfaceTypeFilter",
                                                   "AssociatedNetFirewallPortFilter",
                                                   "AssociatedNetFirewallSecurityFilter",
                                                   "AssociatedNetFirewallServiceFilter",
                                                   "AssociatedNetFirewallProfile"};
const std::vector<std::string> kSessionParams = {"All",   "TracePolicyStore", "CimSession", "ThrottleLimit",
                                                 "AsJob", "PassThru"};
// Set-NetFirewallRule selects by -Name, -DisplayName, -DisplayGroup or -Group (its
// ByName, ByDisplayName, ByDisplayGroup, ByGroup parameter sets); its other parameters
// are the new values.
const std::vector<std::string> kSetSelectors = {"Name",  "DisplayName", "DisplayGroup",
                                                "Group", "PolicyStore", "GPOSession"};
const std::vector<std::string> kSetChanges = {"NewDisplayName",
                                              "Description",
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
                                              "RemoteDynamicKeywordAddresses"};

std::vector<std::string> concat(std::initializer_list<const std::vector<std::string>*> lists) {
  std::vector<std::string> out;
  for (const auto* l : lists)
    for (const auto& n : *l)
      if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  return out;
}

void collect_value(PsCmdParser::ValueContext* v, PsValue& out);

// Reads the parameters of one command. Positional values bind to -Name where the
// cmdlet has it at position 0. False after a diagnostic.
bool ps_params(PsCmdParser::CommandContext* cmd, const std::vector<std::string>& known, bool positional_name,
               int column_base, std::map<std::string, PsValue>& params, std::vector<std::string>& splats,
               const std::function<void(int, const std::string&)>& fail) {
  for (auto* el : cmd->element()) {
    int col = column_base + static_cast<int>(el->getStart()->getCharPositionInLine());
    if (auto* sp = dynamic_cast<PsCmdParser::SplattingContext*>(el)) {
      splats.push_back(sp->getText());
      continue;
    }
    if (auto* pos = dynamic_cast<PsCmdParser::PositionalContext*>(el)) {
      if (!positional_name || params.count("Name")) {
        fail(col, fmt::format("{} takes named parameters; '{}' has no -Name before it", cmd->cmdlet->getText(),
                              el->getText()));
        return false;
      }
      PsValue v;
      v.present = true;
      v.column = col;
      collect_value(pos->value(), v);
      v.text = pos->value()->getText();
      params["Name"] = std::move(v);
      continue;
    }
    auto* p = static_cast<PsCmdParser::ParameterContext*>(el);
    std::string given = p->PARAM()->getText().substr(1);
    if (!given.empty() && given.back() == ':') given.pop_back();
    std::string name = resolve_name(given, known);
    if (name.empty()) {
      std::string alias = param_alias(given);
      if (!alias.empty() && std::count(known.begin(), known.end(), alias)) name = alias;
    }
    if (name.empty()) {
      fail(col, fmt::format("{} has no parameter -{}", cmd->cmdlet->getText(), given));
      return false;
    }
    if (name == "?") {
      fail(col, fmt::format("parameter -{} is ambiguous for {}", given, cmd->cmdlet->getText()));
      return false;
    }
    PsValue v;
    v.present = true;
    v.column = col;
    v.is_switch = p->valueList() == nullptr;
    collect_values(p->valueList(), v);
    v.text = p->valueList() ? p->valueList()->getText() : "";
    params[name] = std::move(v);
  }
  return true;
}

// Which rules a query selects (-Name, -DisplayName, ByQuery properties, -PolicyStore
// with PersistentStore as the default, the store New-NetFirewallRule writes to).
Selection query_selection(const std::map<std::string, PsValue>& params, const std::vector<std::string>& selectors,
                          const std::vector<std::string>& splats) {
  Selection sel;
  for (const auto& [name, v] : params) {
    if (std::count(kRuleInputParams.begin(), kRuleInputParams.end(), name)) {
      sel.unknown = true;
      sel.why = fmt::format("the rules come from -{} {}", name, v.text);
      continue;
    }
    if (!std::count(selectors.begin(), selectors.end(), name)) continue;
    Criterion c;
    c.field = lower_ascii(name == "GPOSession" ? std::string("PolicyStore") : name);
    c.values = v.items;
    c.variable = v.variable;
    if (name == "GPOSession")
      for (auto& x : c.values) x = "GPO session " + x;
    sel.criteria.push_back(std::move(c));
  }
  if (!splats.empty()) {
    sel.unknown = true;
    sel.why = fmt::format("its parameters are splatted from {}", splats.front());
  }
  if (std::none_of(sel.criteria.begin(), sel.criteria.end(),
                   [](const Criterion& c) { return c.field == "policystore"; }))
    sel.criteria.push_back({"policystore", {"PersistentStore"}, false});
  return sel;
}

// Rules handed down a pipeline (`Get-NetFirewallRule ... | Where-Object {...} | X`).
struct PsPipe {
  bool piped = false;
  Selection sel;
};

bool has_selector(const std::map<std::string, PsValue>& params, const std::vector<std::string>& selectors) {
  for (const auto& [name, v] : params)
    if (name != "PolicyStore" && name != "GPOSession" &&
        (std::count(selectors.begin(), selectors.end(), name) ||
         std::count(kRuleInputParams.begin(), kRuleInputParams.end(), name) || name == "All"))
      return true;
  return false;
}

// Enable-, Disable-, Remove- and Set-NetFirewallRule: applied to the rules the script
// created before, in order (cmdlet reference: "This cmdlet gets one or more firewall
// rules ... with the Name parameter (default), the DisplayName parameter, rule
// properties, or by associated filters or objects"; Enable-/Disable-/Remove- without
// parameters act on every rule of the store: "Running this cmdlet without parameters
// enables all Windows Firewall rules", "Remove-NetFirewallRule ... removes all of the
// static local firewall rules").
void ps_modify(ScriptState& st, const std::string& cmdlet_text, Change change,
               const std::map<std::string, PsValue>& params, const std::vector<std::string>& splats, const PsPipe& pipe,
               int line_no, int column_base, const std::string& text, const std::string& block,
               const std::function<void(int, const std::string&)>& fail) {
  if (auto it = params.find("WhatIf"); it != params.end()) {
    bool b = true;
    if (ps_bool(it->second, b) && b) return;  // -WhatIf: shows what would change, changes nothing
  }
  const auto& selectors = change == Change::Set ? kSetSelectors : kQuerySelectors;
  Selection sel = pipe.piped ? pipe.sel : query_selection(params, selectors, splats);
  if (change == Change::Set && !pipe.piped && !has_selector(params, selectors) && splats.empty()) {
    st.model.diagnostics.push_back(make_diagnostic(
        "FWM091", Severity::Warning, {st.file, line_no, column_base, line_no, column_base},
        fmt::format("{} names no rule (-Name, -DisplayName, -DisplayGroup, -Group or rules piped to it): PowerShell "
                    "asks for -Name, and the command is not applied",
                    cmdlet_text),
        text));
    return;
  }
  std::vector<std::pair<std::string, const PsValue*>> changes;
  if (change == Change::Set) {
    WinRule probe;  // the new values are checked once, before they are applied
    for (const auto& [name, v] : params) {
      if (!std::count(kSetChanges.begin(), kSetChanges.end(), name)) continue;
      if (!rule_param(probe, name, v, fail)) return;
      changes.emplace_back(name, &v);
    }
  }
  auto set_fields = [&](WinRule& r) {
    for (const auto& [name, v] : changes) rule_param(r, name, *v, [](int, const std::string&) {});
  };
  std::string why = sel.unknown ? sel.why
                                : "the selection depends on a script variable or on a property the script does not "
                                  "state";
  std::size_t selected = apply_change(
      st, [&](const WinRule& r) { return select_rule(sel, r); }, why, change, set_fields, cmdlet_text, line_no, block);
  if (selected == 0 && (change == Change::Enable || change == Change::Set))
    outside_rules(st, cmdlet_text, line_no, column_base, text);
}

// Rename-NetFirewallRule -NewName gives the selected rule a new Name (its id);
// Copy-NetFirewallRule "copies an entire firewall rule, and associated filters, to the
// same or to a different policy store" (-NewName, -NewPolicyStore). Both select rules
// as Enable-NetFirewallRule does. A copy into another store (a GPO) is not a rule of
// this host's local store: said, not added.
void ps_rename_or_copy(ScriptState& st, PsCmdParser::CommandContext* cmd, bool copy, int line_no, int column_base,
                       const std::string& text, const PsPipe& pipe, const std::string& block) {
  static const std::vector<std::string> kNew = {"NewName", "NewPolicyStore", "NewGPOSession"};
  std::string cmdlet_text = cmd->cmdlet->getText();
  std::map<std::string, PsValue> params;
  std::vector<std::string> splats;
  auto fail = [&](int column, const std::string& message) {
    st.model.diagnostics.push_back(parse_error(st.file, line_no, column, message, text));
  };
  if (!ps_params(cmd, with_common(concat({&kQuerySelectors, &kRuleInputParams, &kSessionParams, &kNew})), true,
                 column_base, params, splats, fail))
    return;
  if (auto it = params.find("WhatIf"); it != params.end()) {
    bool b = true;
    if (ps_bool(it->second, b) && b) return;
  }
  const PsValue* new_name = params.count("NewName") ? &params.at("NewName") : nullptr;
  if (!copy && (!new_name || new_name->items.empty()))
    return fail(column_base, "Rename-NetFirewallRule needs -NewName");
  std::string name = new_name && !new_name->items.empty() ? new_name->items[0] : "";
  Selection sel = pipe.piped ? pipe.sel : query_selection(params, kQuerySelectors, splats);
  std::string why = sel.unknown ? sel.why
                                : "the selection depends on a script variable or on a property the script does not "
                                  "state";
  if (!copy) {
    apply_change(
        st, [&](const WinRule& r) { return select_rule(sel, r); }, why, Change::Set, [&](WinRule& r) { r.id = name; },
        cmdlet_text, line_no, block);
    return;
  }
  for (const char* store_param : {"NewPolicyStore", "NewGPOSession"}) {
    auto it = params.find(store_param);
    if (it == params.end() || (it->second.items.size() == 1 && lower_ascii(it->second.items[0]) == "persistentstore"))
      continue;
    st.model.diagnostics.push_back(make_diagnostic(
        "FWM091", Severity::Warning, {st.file, line_no, column_base, line_no, column_base},
        fmt::format("{} copies rules into the policy store {}, which is not this host's local store: the copies are "
                    "not in the analysis",
                    cmdlet_text, it->second.text),
        text));
    return;
  }
  std::vector<WinRule> copies;
  for (const auto& r : st.model.rules) {
    Tri t = select_rule(sel, r);
    if (t == Tri::Yes && !block.empty()) t = Tri::Maybe;
    if (t == Tri::No) continue;
    WinRule c = r;
    if (new_name) c.id = name;
    if (t == Tri::Maybe)
      c.conditions.push_back(fmt::format("{}{} at line {} may copy this rule ({})", kLaterPrefix, cmdlet_text, line_no,
                                         block.empty() ? why : block));
    copies.push_back(std::move(c));
  }
  for (auto& c : copies) st.model.rules.push_back(std::move(c));
}

void ps_command(ScriptState& st, PsCmdParser::CommandContext* cmd, int line_no, int column_base,
                const std::string& text, const PsPipe& pipe, const std::string& block) {
  std::string cmdlet = lower_ascii(cmd->cmdlet->getText());
  bool new_rule = cmdlet == "new-netfirewallrule";
  bool set_profile = cmdlet == "set-netfirewallprofile";
  std::optional<Change> modify;
  if (cmdlet == "enable-netfirewallrule") modify = Change::Enable;
  if (cmdlet == "disable-netfirewallrule") modify = Change::Disable;
  if (cmdlet == "remove-netfirewallrule") modify = Change::Remove;
  if (cmdlet == "set-netfirewallrule") modify = Change::Set;
  if (cmdlet == "rename-netfirewallrule" || cmdlet == "copy-netfirewallrule")
    return ps_rename_or_copy(st, cmd, cmdlet == "copy-netfirewallrule", line_no, column_base, text, pipe, block);
  if (!new_rule && !set_profile && !modify) {
    if (cmdlet.find("netfirewall") != std::string::npos && cmdlet.rfind("get-", 0) != 0 &&
        cmdlet.rfind("show-", 0) != 0)
      ignored_command(st, cmd->cmdlet->getText(), line_no, column_base, text);
    return;
  }
  std::vector<std::string> known =
      new_rule                ? with_common(kNewRuleParams)
      : set_profile           ? with_common(kProfileParams)
      : modify == Change::Set ? with_common(concat({&kSetSelectors, &kSetChanges, &kRuleInputParams, &kSessionParams}))
                              : with_common(concat({&kQuerySelectors, &kRuleInputParams, &kSessionParams}));
  std::map<std::string, PsValue> params;
  std::vector<std::string> splats;
  SourceSpan span{st.file, line_no, column_base, line_no, column_base + static_cast<int>(text.size())};
  auto fail = [&](int column, const std::string& message) {
    st.model.diagnostics.push_back(parse_error(st.file, line_no, column, message, text));
  };
  if (!ps_params(cmd, known, modify.has_value(), column_base, params, splats, fail)) return;
  if (modify)
    return ps_modify(st, cmd->cmdlet->getText(), *modify, params, splats, pipe, line_no, column_base, text, block,
                     fail);
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
  if (!block.empty()) rule.conditions.push_back(kBlockPrefix + block);
  for (const auto& s : splats) rule.conditions.push_back(fmt::format("parameters splatted from {} (not read)", s));
  if (!splats.empty()) {
    // The hashtable may hold -Direction and -Action: without them here they are unknown.
    if (!params.count("Direction")) rule.direction_unknown = true;
    if (!params.count("Action")) rule.action_unknown = true;
  }
  for (const auto& [name, v] : params)
    if (!rule_param(rule, name, v, fail)) return;
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
    bool start_ok = pos == 0 || std::string(" \t(@>&|;=+\"\\/{}").find(l[pos - 1]) != std::string::npos;
    std::size_t end = pos + word.size();
    bool end_ok = end >= l.size() || std::string(" \t.\"};").find(l[end]) != std::string::npos;
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

// Tracks the PowerShell blocks ({...}) around each command, to tell whether the command
// runs exactly once. Inside an if/elseif/else/switch arm, a loop, a function or filter
// body, a catch/trap handler or any other script block it may run never or more than
// once; try/finally, begin/process/end and hashtables (@{...}) do not change that.
// Strings, here-strings and comments are skipped (about_If, about_Switch, about_Foreach,
// about_Functions, about_Try_Catch_Finally, about_Comments, about_Quoting_Rules).
class PsBlocks {
 public:
  void feed(std::string_view text, int line_no) {
    line_ = line_no;
    for (std::size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      char next = i + 1 < text.size() ? text[i + 1] : '\0';
      if (c == '\n') {
        ++line_;
        end_word();
        prev_raw_ = '\n';
        if (here_) {
          at_line_start_ = true;
          continue;
        }
        line_comment_ = false;
        // A statement goes on past the end of the line after `if (...)`, a keyword, a
        // pipe or a backtick; otherwise the next line starts a new one.
        if (!quote_ && paren_ == 0 && prev_ != ')' && prev_ != '|' && prev_ != '`' &&
            !(words_.size() && is_keyword(words_.back().first)))
          words_.clear();
        at_line_start_ = true;
        continue;
      }
      bool line_start = at_line_start_;
      at_line_start_ = false;
      if (here_) {
        if (line_start && c == here_ && next == '@') {
          here_ = 0;
          ++i;
          prev_ = '@';
        }
        continue;
      }
      if (line_comment_) continue;
      if (block_comment_) {
        if (c == '#' && next == '>') {
          block_comment_ = false;
          ++i;
        }
        continue;
      }
      if (quote_) {
        if (quote_ == '"' && c == '`')
          ++i;
        else if (c == quote_)
          quote_ = 0;
        continue;
      }
      if (c == '@' && (next == '"' || next == '\'')) {
        // A here-string opens with @" or @' at the end of a line.
        std::size_t k = i + 2;
        while (k < text.size() && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r')) ++k;
        if (k >= text.size() || text[k] == '\n') {
          here_ = next;
          i = k - 1;
          continue;
        }
      }
      if (c == '<' && next == '#') {
        block_comment_ = true;
        ++i;
        continue;
      }
      if (c == '#' && !is_word_char(prev_raw_)) {
        end_word();
        line_comment_ = true;
        continue;
      }
      prev_raw_ = c;
      if (c == '\'' || c == '"') {
        end_word();
        quote_ = c;
        prev_ = c;
        continue;
      }
      if (is_word_char(c)) {
        word_ += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        continue;
      }
      end_word();
      if (c == ' ' || c == '\t' || c == '\r') continue;
      if (c == '(') {
        ++paren_;
      } else if (c == ')') {
        if (paren_ > 0) --paren_;
      } else if (c == ';' && paren_ == 0) {
        words_.clear();
      } else if (c == '{') {
        stack_.push_back(classify(i > 0 && text[i - 1] == '@'));
        saved_paren_.push_back(paren_);
        paren_ = 0;
        words_.clear();
      } else if (c == '}') {
        if (!stack_.empty()) {
          stack_.pop_back();
          paren_ = saved_paren_.back();
          saved_paren_.pop_back();
        }
        words_.clear();
      } else if ((c == '%' || c == '?') && paren_ == 0) {
        words_.emplace_back(std::string(1, c), line_);  // ForEach-Object / Where-Object aliases
      }
      prev_ = c;
    }
    end_word();
  }

  // The innermost enclosing block that may not run exactly once, described; empty when
  // the current position runs unconditionally.
  // Inside a comment, a string or a here-string: no command starts here.
  bool in_text() const { return block_comment_ || line_comment_ || here_ || quote_; }

  std::string conditional() const {
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it)
      if (it->conditional) return it->what;
    return "";
  }

 private:
  struct Open {
    bool conditional = true;
    std::string what;
  };
  static bool is_word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '$' || c == ':';
  }
  static bool is_keyword(const std::string& w) {
    static const std::set<std::string> k = {
        "if",       "elseif",         "else",         "switch", "foreach", "for",     "while", "do",       "until",
        "try",      "catch",          "finally",      "trap",   "begin",   "process", "end",   "function", "filter",
        "workflow", "foreach-object", "where-object", "where",  "%",       "?",       "data"};
    return k.count(w) > 0;
  }
  void end_word() {
    if (word_.empty()) return;
    if (paren_ == 0) words_.emplace_back(word_, line_);
    word_.clear();
    prev_ = 'w';
  }
  Open classify(bool hashtable) const {
    if (hashtable) return {false, "hashtable"};
    std::string kw, name;
    int line_no = line_;
    for (std::size_t k = 0; k < words_.size(); ++k)
      if (is_keyword(words_[k].first)) {
        kw = words_[k].first;
        line_no = words_[k].second;
        name = k + 1 < words_.size() ? words_[k + 1].first : "";
      }
    if (kw == "try" || kw == "finally" || kw == "begin" || kw == "process" || kw == "end" || kw == "data")
      return {false, kw};
    std::string at = fmt::format("line {}", line_no);
    if (kw == "if" || kw == "elseif" || kw == "else" || kw == "switch")
      return {true, fmt::format("inside the {} block at {}, whose condition the file does not decide", kw, at)};
    if (kw == "function" || kw == "filter" || kw == "workflow")
      return {true, fmt::format("inside {} {} at {}, which runs only when it is called", kw, name, at)};
    if (kw == "catch" || kw == "trap")
      return {true, fmt::format("inside the {} block at {}, which runs only on an error", kw, at)};
    if (!kw.empty()) return {true, fmt::format("inside the {} loop at {}, which may run any number of times", kw, at)};
    return {true, fmt::format("inside the script block at {}, which may run any number of times or never", at)};
  }
  std::vector<Open> stack_;
  std::vector<int> saved_paren_;
  std::vector<std::pair<std::string, int>> words_;  // words of the statement (depth 0) and their lines
  std::string word_;
  int paren_ = 0, line_ = 1;
  char quote_ = 0, here_ = 0, prev_ = 0, prev_raw_ = '\n';
  bool block_comment_ = false, line_comment_ = false, at_line_start_ = true;
};

// Splits a pipeline at its top-level `|` (outside quotes, brackets and braces).
std::vector<std::string> split_pipeline(const std::string& s) {
  std::vector<std::string> out(1);
  int depth = 0;
  char quote = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (quote == '"' && c == '`' && i + 1 < s.size()) {
        out.back() += c;
        c = s[++i];
      } else if (c == quote) {
        quote = 0;
      }
      out.back() += c;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    if (c == '(' || c == '{' || c == '[') ++depth;
    if ((c == ')' || c == '}' || c == ']') && depth > 0) --depth;
    if (c == '|' && depth == 0) {
      out.emplace_back();
      continue;
    }
    out.back() += c;
  }
  for (auto& part : out) part = trim_blank(part);
  return out;
}

// The text of the statement a command at the end of `before` belongs to: after the
// last `;`, or after a `{` that is still open (a block the command is in).
std::string statement_before(const std::string& before) {
  std::vector<std::size_t> starts{0};
  char quote = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    char c = before[i];
    if (quote) {
      if (quote == '"' && c == '`')
        ++i;
      else if (c == quote)
        quote = 0;
      continue;
    }
    if (c == '"' || c == '\'')
      quote = c;
    else if (c == '#')
      break;
    else if (c == '{')
      starts.push_back(i + 1);
    else if (c == '}' && starts.size() > 1)
      starts.pop_back();
    else if (c == ';')
      starts.back() = i + 1;
  }
  return before.substr(starts.back());
}

// Cuts a statement at a `}` that closes a block opened before it (outside quotes).
std::string cut_at_block_end(const std::string& s) {
  int depth = 0;
  char quote = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (quote == '"' && c == '`')
        ++i;
      else if (c == quote)
        quote = 0;
      continue;
    }
    if (c == '"' || c == '\'')
      quote = c;
    else if (c == '#')
      return s;
    else if (c == '{')
      ++depth;
    else if (c == '}' && depth-- == 0)
      return s.substr(0, i);
  }
  return s;
}

// reg.exe arguments: blank-separated, "..." quoted with \" for a quote; the command
// ends at an unquoted &, |, <, > (or ; in PowerShell).
std::vector<std::string> reg_args(const std::string& cmd, bool powershell) {
  std::vector<std::string> out;
  std::string cur;
  bool in_quote = false, have = false;
  for (std::size_t i = 0; i < cmd.size(); ++i) {
    char c = cmd[i];
    if (in_quote) {
      if (c == '\\' && i + 1 < cmd.size() && cmd[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        in_quote = false;
      } else {
        cur += c;
      }
      continue;
    }
    if (c == '"') {
      in_quote = have = true;
      continue;
    }
    if (c == '&' || c == '|' || c == '<' || c == '>' || (powershell && c == ';')) break;
    if (c == ' ' || c == '\t' || c == '\r') {
      if (have) out.push_back(cur);
      cur.clear();
      have = false;
      continue;
    }
    cur += c;
    have = true;
  }
  if (have) out.push_back(cur);
  return out;
}

}  // namespace

bool looks_like_script(const TextFile& file) {
  std::string l = lower_ascii(file.text.substr(0, 1 << 20));
  bool reg_keys = l.find("firewallrules") != std::string::npos || l.find("\\firewallpolicy\\") != std::string::npos ||
                  l.find("\\windowsfirewall") != std::string::npos;
  if (l.find("advfirewall") == std::string::npos && l.find("new-netfirewallrule") == std::string::npos &&
      l.find("set-netfirewallprofile") == std::string::npos && l.find("adv f a r") == std::string::npos &&
      l.find("portproxy") == std::string::npos && !reg_keys)
    return false;
  // Some line must run one of the commands: a document that only mentions them is no script.
  for (auto line_view : split_lines(l)) {
    std::string line(line_view);
    // reg.exe writing a firewall key; netsh interface portproxy (port forwarding).
    if (auto r = find_word(line, "reg");
        r != std::string::npos && starts_command(line, r) &&
        (line.compare(r, 8, "reg add ") == 0 || line.compare(r, 12, "reg.exe add ") == 0 ||
         line.compare(r, 11, "reg delete ") == 0) &&
        (line.find("firewallrules") != std::string::npos || line.find("\\firewallpolicy\\") != std::string::npos ||
         line.find("\\windowsfirewall") != std::string::npos))
      return true;
    if (auto n = find_word(line, "netsh"); n != std::string::npos && line.find("portproxy", n) != std::string::npos &&
                                           starts_command(line.substr(0, n) + "netsh advfirewall", n))
      return true;
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
  std::string path = lower_ascii(file.path);
  auto ends_with = [&](const char* ext) {
    std::string e(ext);
    return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  // Blocks are tracked in PowerShell; batch files have none of its braces.
  bool powershell = !ends_with(".bat") && !ends_with(".cmd");
  PsBlocks blocks;
  RegistryCommands registry(model, file.path);

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
  auto parse_ps = [&](const std::string& text) {
    ps_input.load(text);
    ps_lexer.setInputStream(&ps_input);
    ps_tokens.setTokenSource(&ps_lexer);
    ps_parser.setTokenStream(&ps_tokens);
    errors.reset();
    return ps_parser.command();
  };
  // The rules a pipeline hands to the cmdlet at its end.
  auto upstream = [&](const std::vector<std::string>& segments) {
    Selection sel;
    const std::string& first = segments.front();
    if (find_word(first, "get-netfirewallrule") == 0) {
      auto* tree = parse_ps(first);
      std::map<std::string, PsValue> params;
      std::vector<std::string> splats;
      bool ok = !errors.has_error &&
                ps_params(tree, with_common(concat({&kQuerySelectors, &kRuleInputParams, &kSessionParams})), true, 1,
                          params, splats, [](int, const std::string&) {});
      if (ok) {
        sel = query_selection(params, kQuerySelectors, splats);
      } else {
        sel.unknown = true;
        sel.why = fmt::format("the rules come from `{}`, which is not understood", first);
      }
    } else {
      sel.unknown = true;
      sel.why = fmt::format("the rules come from `{}`", first);
    }
    for (std::size_t k = 1; k < segments.size(); ++k) {
      std::string seg = lower_ascii(segments[k]);
      if (seg.rfind("sort", 0) == 0) continue;  // Sort-Object passes every rule on
      sel.unknown = true;
      sel.why = fmt::format("the rules pass `{}`, which the analysis does not evaluate", segments[k]);
    }
    return sel;
  };

  // Batch control flow (cmd.exe help for if, for, goto, call): a command on an if or for
  // line, inside a parenthesised if/for/else block, or after a label that a goto or call
  // reaches may run never or more than once.
  bool batch_jumps = false;
  if (!powershell)
    for (auto l : lines) {
      std::string lt = lower_ascii(std::string(l));
      if (find_word(lt, "goto") != std::string::npos || lt.find("call :") != std::string::npos) batch_jumps = true;
    }
  std::string batch_label;
  std::vector<std::string> batch_blocks;
  auto batch_context = [&](const std::string& prefix, int line_no) -> std::string {
    std::string p = lower_ascii(prefix);
    std::string w = " " + p;
    if (w.find(" if ") != std::string::npos || w.find("@if ") != std::string::npos ||
        w.find("(if ") != std::string::npos)
      return fmt::format("on the if command at line {}, whose condition the file does not decide", line_no);
    if (w.find(" for ") != std::string::npos || w.find("@for ") != std::string::npos)
      return fmt::format("in the for loop at line {}, which may run any number of times", line_no);
    if (!batch_blocks.empty()) return batch_blocks.back();
    return batch_label;
  };
  auto opens_block = [](const std::string& lt) {
    bool in_quote = false;
    char last = 0;
    for (char c : lt) {
      if (c == '"') in_quote = !in_quote;
      if (!in_quote && c != ' ' && c != '\t' && c != '\r') last = c;
    }
    return last == '(';
  };

  std::string pending_pipe;  // earlier lines of a pipeline that continues after `|`
  for (std::size_t i = 0; i < lines.size(); ++i) {
    int line_no = static_cast<int>(i) + 1;
    std::string line(lines[i]);
    std::string t = lower_ascii(trim_blank(line));
    if (!powershell) {
      if (t.size() > 1 && t[0] == ':' && t[1] != ':') {
        if (batch_jumps)
          batch_label = fmt::format("after the label {} at line {}, which runs only when a goto or call reaches it",
                                    trim_blank(line), line_no);
        continue;
      }
      if (!t.empty() && t[0] == ')') {
        if (!batch_blocks.empty()) batch_blocks.pop_back();
        if (t.find("else") != std::string::npos && opens_block(t))
          batch_blocks.push_back(
              fmt::format("inside the else block at line {}, whose condition the file does not decide", line_no));
      } else if ((t.rfind("if ", 0) == 0 || t.rfind("@if ", 0) == 0 || t.rfind("for ", 0) == 0) && opens_block(t)) {
        bool loop = t.rfind("for ", 0) == 0;
        batch_blocks.push_back(
            loop ? fmt::format("inside the for loop at line {}, which may run any number of times", line_no)
                 : fmt::format("inside the if block at line {}, whose condition the file does "
                               "not decide",
                               line_no));
        // The command on the opening line itself is inside the block too.
      }
    }
    auto feed_line = [&](std::string_view text) {
      if (powershell) blocks.feed(std::string(text) + "\n", line_no);
    };
    if (t.empty() || t[0] == '#' || t.rfind("::", 0) == 0 || t.rfind("rem ", 0) == 0 || t == "rem" ||
        t.rfind("echo", 0) == 0 || t.rfind("@echo", 0) == 0 || t.rfind("write-host", 0) == 0) {
      feed_line(line);
      continue;
    }
    // reg.exe on a firewall key.
    if (auto rp = find_word(line, "reg"); rp != std::string::npos) {
      auto args = reg_args(line.substr(rp), powershell);
      if (args.size() >= 3) {
        args.erase(args.begin());
        std::string text = trim_blank(line.substr(rp));
        SourceSpan span{file.path, line_no, static_cast<int>(rp) + 1, line_no, static_cast<int>(rp + text.size()) + 1};
        if (powershell) blocks.feed(line.substr(0, rp), line_no);
        std::string block = powershell ? blocks.conditional() : batch_context(line.substr(0, rp), line_no);
        if (powershell) blocks.feed(line.substr(rp) + "\n", line_no);
        if (registry.run(args, span, text)) {
          if (!block.empty())
            for (auto& r : model.rules)
              if (r.from_registry && r.span.line == line_no) r.conditions.push_back(kBlockPrefix + block);
          pending_pipe.clear();
          continue;
        }
        if (powershell) {  // a key that is not the firewall's: the line holds no other command
          pending_pipe.clear();
          continue;
        }
      }
    }
    if (auto pos = find_word(line, "netsh"); pos != std::string::npos) {
      std::string cmd = line.substr(pos);
      if (powershell) blocks.feed(line.substr(0, pos), line_no);
      if (powershell && blocks.in_text()) {  // in a comment or a string: not a command
        blocks.feed(line.substr(pos) + "\n", line_no);
        continue;
      }
      std::string block = powershell ? blocks.conditional() : batch_context(line.substr(0, pos), line_no);
      std::string raw = cmd;
      while (!cmd.empty() && cmd.back() == '^' && i + 1 < lines.size()) {
        cmd = cmd.substr(0, cmd.size() - 1) + std::string(lines[++i]);
        raw += "\n" + std::string(lines[i]);
      }
      if (powershell) blocks.feed(raw + "\n", line_no);
      pending_pipe.clear();
      // A command chained with & or && or || ends there (outside quotes).
      bool in_quote = false;
      for (std::size_t k = 0; k < cmd.size(); ++k) {
        if (cmd[k] == '"') in_quote = !in_quote;
        if (!in_quote && (cmd[k] == '&' || cmd[k] == '|' || cmd[k] == '>' || cmd[k] == ')' ||
                          (powershell && (cmd[k] == ';' || cmd[k] == '}')))) {
          cmd = cmd.substr(0, k);
          break;
        }
      }
      cmd = trim_blank(cmd);
      std::string lc = lower_ascii(cmd);
      if (lc.find("advfirewall") == std::string::npos && lc.find(" adv") == std::string::npos &&
          lc.find(" firewall") == std::string::npos && lc.find("portproxy") == std::string::npos)
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
      netsh_command(st, tree, line_no, column_base, cmd, block);
      continue;
    }
    std::size_t pos = std::string::npos;
    for (const char* cmdlet :
         {"new-netfirewallrule", "set-netfirewallprofile", "remove-netfirewallrule", "set-netfirewallrule",
          "disable-netfirewallrule", "enable-netfirewallrule", "copy-netfirewallrule", "rename-netfirewallrule"})
      pos = std::min(pos, find_word(line, cmdlet));
    if (pos == std::string::npos) {
      feed_line(line);
      std::string code = trim_blank(statement_before(line));
      if (!code.empty() && code.back() == '|')
        pending_pipe += line + "\n";
      else
        pending_pipe.clear();
      continue;
    }
    std::string before = pending_pipe + line.substr(0, pos);
    pending_pipe.clear();
    if (powershell) blocks.feed(line.substr(0, pos), line_no);
    if (powershell && blocks.in_text()) {  // in a comment or a string: not a command
      blocks.feed(line.substr(pos) + "\n", line_no);
      continue;
    }
    std::string block = powershell ? blocks.conditional() : "";
    PsPipe pipe;
    std::string head = trim_blank(statement_before(before));
    if (!head.empty() && head.back() == '|') {
      pipe.piped = true;
      head.pop_back();
      auto segments = split_pipeline(head);
      if (segments.empty() || segments.front().empty()) {
        pipe.sel.unknown = true;
        pipe.sel.why = "the rules come from an expression the analysis does not evaluate";
      } else {
        pipe.sel = upstream(segments);
      }
    }
    std::string raw = line.substr(pos);
    int first_line = line_no;
    while (ps_incomplete(raw) && i + 1 < lines.size()) raw += "\n" + std::string(lines[++i]);
    if (powershell) blocks.feed(raw + "\n", first_line);
    std::string stmt = cut_at_block_end(raw);
    auto* tree = parse_ps(stmt);
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
    std::size_t before_count = model.rules.size();
    ps_command(st, tree, first_line, column_base, one_line, pipe, block);
    if (model.rules.size() > before_count && model.rules.back().span.line == first_line) {
      model.rules.back().span.end_line = static_cast<int>(i) + 1;
    }
  }
  registry.finish();
  return model;
}

}  // namespace fwm::windows
