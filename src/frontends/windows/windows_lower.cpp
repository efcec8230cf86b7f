// Lowering the Windows vendor model into the rule IR. Windows rules are an unordered
// set evaluated per profile: authenticated bypass > block > allow > profile default.
// Each profile becomes one ruleset whose "inbound" chain lists the applicable rules in
// that precedence (bypass, then block, then allow; source order inside a class), which
// the first-match evaluator reads exactly as Windows decides.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "frontends/windows/windows_frontend.h"
#include "ir/services.h"

namespace fwm::windows {

namespace {

// One alternative of a field: a set, possibly tied to a condition that cannot be decided.
template <typename Set>
struct Alt {
  Set set;
  std::string unknown;  // empty: exact
};

struct PortKeyword {
  const char* canonical;
  std::optional<std::uint32_t> port;  // the port the keyword stands for, if fixed
  const char* meaning;
};

const std::map<std::string, PortKeyword>& port_keywords() {
  static const std::map<std::string, PortKeyword> table = {
      {"rpc", {"RPC", std::nullopt, "dynamic RPC endpoints registered by RPC services"}},
      {"rpc-epmap", {"RPC-EPMap", 135u, "RPC endpoint mapper, for the RPCSS service only"}},
      {"rpcepmap", {"RPC-EPMap", 135u, "RPC endpoint mapper, for the RPCSS service only"}},
      {"iphttps", {"IPHTTPS", 443u, "IP-HTTPS tunnel endpoint, for the IP-HTTPS service only"}},
      {"iphttpsin", {"IPHTTPS", 443u, "IP-HTTPS tunnel endpoint, for the IP-HTTPS service only"}},
      {"iphttpsout", {"IPHTTPS", 443u, "IP-HTTPS tunnel endpoint, for the IP-HTTPS service only"}},
      {"iptlsin", {"IPHTTPS", 443u, "IP-HTTPS tunnel endpoint, for the IP-HTTPS service only"}},
      {"iptlsout", {"IPHTTPS", 443u, "IP-HTTPS tunnel endpoint, for the IP-HTTPS service only"}},
      {"teredo", {"Teredo", std::nullopt, "Teredo edge traversal port, chosen at run time"}},
      {"edge", {"Teredo", std::nullopt, "Teredo edge traversal port, chosen at run time"}},
      {"ply2disc", {"PlayToDiscovery", std::nullopt, "Play To discovery ports of the Play To service"}},
      {"playtodiscovery", {"PlayToDiscovery", std::nullopt, "Play To discovery ports of the Play To service"}},
      {"mdns", {"mDNS", 5353u, "mDNS, for the DNS client service only"}},
      {"dhcp", {"DHCP", std::nullopt, "DHCP ports of the DHCP service"}},
      {"cortanaout", {"CortanaOut", std::nullopt, "Cortana ports, chosen at run time"}},
  };
  return table;
}

const std::map<std::string, const char*>& address_keywords() {
  static const std::map<std::string, const char*> table = {
      {"localsubnet", "LocalSubnet"},
      {"dns", "DNS"},
      {"dhcp", "DHCP"},
      {"wins", "WINS"},
      {"defaultgateway", "DefaultGateway"},
      {"internet", "Internet"},
      {"intranet", "Intranet"},
      {"intranetremoteaccess", "IntranetRemoteAccess"},
      {"rmtintranet", "IntranetRemoteAccess"},
      {"playtodevice", "PlayToDevice"},
      {"ply2renders", "PlayToDevice"},
      {"captiveportal", "CaptivePortal"},
  };
  return table;
}

bool is_any(const std::string& token) {
  std::string t = lower_ascii(token);
  return t == "any" || t == "*" || t.empty();
}

struct LowerContext {
  const WinModel& model;
  const std::string& file;
  std::vector<Diagnostic> diagnostics;
  std::map<std::string, std::pair<std::size_t, std::size_t>> unknown_counts;  // key -> (diag index, count)
  std::vector<std::vector<Rule>> lowered_in, lowered_out;                     // per model rule (empty: not lowered)

  void unknown_note(const WinRule& r, const std::string& key, const std::string& message) {
    auto it = unknown_counts.find(key);
    if (it != unknown_counts.end()) {
      ++it->second.second;
      return;
    }
    unknown_counts[key] = {diagnostics.size(), 1};
    diagnostics.push_back(make_diagnostic("FWM091", Severity::Warning, r.span, message, r.text));
  }
  void error(const WinRule& r, const std::string& message) {
    diagnostics.push_back(parse_error(file, r.span.line, r.span.column, message, r.text));
  }
};

bool lower_ports(LowerContext& cx, const WinRule& r, const std::vector<std::string>& tokens, const char* field,
                 std::vector<Alt<PortSet>>& out) {
  PortSet exact;
  bool any = tokens.empty();
  for (const auto& token : tokens) {
    for (const auto& item : split_list(token, ',')) {
      std::string t = lower_ascii(item);
      if (is_any(t)) {
        any = true;
        continue;
      }
      if (!item.empty() && (item[0] == '$' || item[0] == '%')) {
        out.push_back({all_ports(), fmt::format("{} {} (script variable, value not known)", field, item)});
        cx.unknown_note(r, "variable",
                        fmt::format("'{}' is a script variable: rules using variables are treated as "
                                    "undetermined (their value is not in the file)",
                                    item));
        continue;
      }
      if (auto kw = port_keywords().find(t); kw != port_keywords().end()) {
        PortSet set = kw->second.port ? PortSet(*kw->second.port, *kw->second.port) : all_ports();
        std::string label = fmt::format("{} {} ({})", field, kw->second.canonical, kw->second.meaning);
        out.push_back({set, label});
        cx.unknown_note(r, std::string("port:") + kw->second.canonical,
                        fmt::format("port keyword {} ({}) is not a fixed port range: rules using it are treated "
                                    "as undetermined",
                                    kw->second.canonical, kw->second.meaning));
        continue;
      }
      auto dash = item.find('-');
      std::string a = item.substr(0, dash), b = dash == std::string::npos ? a : item.substr(dash + 1);
      auto pa = parse_port(trim_blank(a)), pb = parse_port(trim_blank(b));
      bool numeric = !a.empty() && !b.empty() && std::all_of(a.begin(), a.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || c == ' ';
      }) && std::all_of(b.begin(), b.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || c == ' ';
      });
      if (numeric && pa.ok() && pb.ok()) {
        if (pa.value > pb.value) {
          cx.error(r, fmt::format("{} '{}': the range starts after it ends", field, item));
          return false;
        }
        exact.add(pa.value, pb.value);
        continue;
      }
      if (std::all_of(t.begin(), t.end(),
                      [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '-'; })) {
        out.push_back({all_ports(), fmt::format("{} {} (port keyword not known to fwmatrix)", field, item)});
        cx.unknown_note(r, "port:" + t,
                        fmt::format("port keyword '{}' is not known to fwmatrix: rules using it are "
                                    "treated as undetermined",
                                    item));
        continue;
      }
      cx.error(r,
               fmt::format("{} '{}': expected Any, a port 0-65535, a range a-b or a keyword such as RPC", field, item));
      return false;
    }
  }
  if (any) {
    out.clear();
    out.push_back({all_ports(), ""});
    return true;
  }
  if (!exact.empty()) out.insert(out.begin(), Alt<PortSet>{exact, ""});
  return true;
}

bool lower_addrs(LowerContext& cx, const WinRule& r, const std::vector<std::string>& tokens, const char* field,
                 std::vector<Alt<AddrSet>>& out) {
  AddrSet exact;
  bool any = tokens.empty();
  for (const auto& token : tokens) {
    for (const auto& item : split_list(token, ',')) {
      if (is_any(item)) {
        any = true;
        continue;
      }
      if (item[0] == '$' || item[0] == '%') {
        out.push_back({AddrSet::all(), fmt::format("{} {} (script variable, value not known)", field, item)});
        cx.unknown_note(r, "variable",
                        fmt::format("'{}' is a script variable: rules using variables are treated as "
                                    "undetermined (their value is not in the file)",
                                    item));
        continue;
      }
      auto parsed = parse_address_expr(item);
      if (parsed.ok()) {
        exact = exact.unite(parsed.set);
        continue;
      }
      std::string t = lower_ascii(item);
      AddrSet families = AddrSet::all();
      if (!t.empty() && (t.back() == '4' || t.back() == '6') && address_keywords().count(t.substr(0, t.size() - 1))) {
        if (t.back() == '4')
          families.v6 = AddrIntervals();
        else
          families.v4 = AddrIntervals();
        t.pop_back();
      }
      if (auto kw = address_keywords().find(t); kw != address_keywords().end()) {
        std::string label = fmt::format("{} {} (resolved by Windows at run time; needs topology)", field, kw->second);
        // Two families of one keyword are one alternative.
        auto same = std::find_if(out.begin(), out.end(), [&](const Alt<AddrSet>& a) { return a.unknown == label; });
        if (same != out.end())
          same->set = same->set.unite(families);
        else
          out.push_back({families, label});
        cx.unknown_note(r, "addr:" + std::string(kw->second),
                        fmt::format("address keyword {} is resolved by Windows at run time: rules using it are "
                                    "treated as undetermined unless a topology names the addresses",
                                    kw->second));
        continue;
      }
      if (std::all_of(t.begin(), t.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); }) &&
          !std::isdigit(static_cast<unsigned char>(t[0]))) {
        out.push_back({AddrSet::all(), fmt::format("{} {} (address keyword not known to fwmatrix)", field, item)});
        cx.unknown_note(r, "addr:" + t,
                        fmt::format("address keyword '{}' is not known to fwmatrix: rules using it "
                                    "are treated as undetermined",
                                    item));
        continue;
      }
      cx.error(r, fmt::format("{} '{}': {}", field, item, parsed.error));
      return false;
    }
  }
  if (any) {
    out.clear();
    out.push_back({AddrSet::all(), ""});
    return true;
  }
  if (!exact.empty()) out.insert(out.begin(), Alt<AddrSet>{exact, ""});
  return true;
}

// Whether a program path or service name is one of Skype for Business Server's own.
bool is_sfb_program(const std::string& program) {
  std::string p = lower_ascii(program);
  return p.find("skype for business server") != std::string::npos ||
         p.find("microsoft lync server") != std::string::npos;
}
bool is_sfb_service(const std::string& service) {
  std::string s = lower_ascii(service);
  return s.rfind("rtc", 0) == 0 || s.rfind("replica", 0) == 0;
}

std::string action_name(WinAction a) {
  return a == WinAction::Allow ? "Allow" : a == WinAction::Block ? "Block" : "Bypass";
}

// Lowers one rule into one or more IR rules (one per combination of exact and keyword
// parts of its fields). Rules that cannot be lowered get an FWM090 and no IR rule.
void lower_rule(LowerContext& cx, const WinRule& r, std::vector<Rule>& out) {
  Rule base;
  base.span = r.span;
  base.text = r.text;
  base.suppressions = r.suppressions;
  Match& m = base.match;
  bool port_proto = r.protocol && (*r.protocol == kProtoTcp || *r.protocol == kProtoUdp);
  if (r.protocol) m.proto = proto_only(*r.protocol);
  if (r.protocol_unknown) {
    // A variable protocol with ports can only be TCP or UDP.
    port_proto = true;
    m.proto = proto_only(kProtoTcp) | proto_only(kProtoUdp);
    m.unknowns.push_back("protocol (script variable)");
    cx.unknown_note(r, "variable",
                    "a script variable stands for a rule field: rules using variables are treated as "
                    "undetermined (their value is not in the file)");
  }
  bool has_ports = false;
  for (const auto* list : {&r.local_ports, &r.remote_ports})
    for (const auto& t : *list)
      if (!is_any(t)) has_ports = true;
  if (has_ports && !port_proto) {
    cx.error(r, fmt::format("rule '{}' lists ports but its protocol is {}: Windows accepts ports only with TCP or UDP",
                            r.name, r.protocol ? proto_name(*r.protocol) : std::string("Any")));
    return;
  }
  if (r.protocol && (*r.protocol == kProtoIcmp || *r.protocol == kProtoIcmp6)) {
    m.families.reset();
    m.families.set(*r.protocol == kProtoIcmp ? 0 : 1);
  }
  for (const auto& t : r.icmp_types)
    if (!is_any(t) && t != "*" && t != "*:*") {
      m.unknowns.push_back(fmt::format("ICMP type {}", t));
      cx.unknown_note(r, "icmp", "ICMP type/code conditions are not modelled: ICMP rules with types are undetermined");
      break;
    }
  if (!r.program.empty() && !is_any(r.program)) {
    if (is_sfb_program(r.program)) {
      cx.unknown_note(r, "sfb-program:" + lower_ascii(r.program),
                      fmt::format("rule '{}' is scoped to program {}: assumed to be the Skype for Business Server "
                                  "service the required traffic is for",
                                  r.name, r.program));
    } else {
      m.unknowns.push_back(fmt::format("program {} (matches only that program's traffic)", r.program));
      cx.unknown_note(r, "program",
                      "rules scoped to a program match only that program's traffic: they are treated as "
                      "undetermined (an allow is not an open port, a block is not a closed one)");
    }
  }
  if (!r.service.empty() && !is_any(r.service)) {
    if (is_sfb_service(r.service)) {
      cx.unknown_note(r, "sfb-service:" + lower_ascii(r.service),
                      fmt::format("rule '{}' is scoped to service {}: assumed to be the Skype for Business Server "
                                  "service the required traffic is for",
                                  r.name, r.service));
    } else {
      m.unknowns.push_back(fmt::format("service {} (matches only that service's traffic)", r.service));
      cx.unknown_note(r, "service",
                      "rules scoped to a Windows service match only that service's traffic: they are "
                      "treated as undetermined");
    }
  }
  for (const auto& c : r.conditions) {
    // A later command of the script that may change the rule, or a block that may not
    // create it (windows_scripts.cpp): one note per command or block.
    for (const char* prefix : {"later command: ", "conditional creation: "}) {
      if (c.rfind(prefix, 0) != 0) continue;
      m.unknowns.push_back(c);
      std::string what = c.substr(std::string(prefix).size());
      cx.unknown_note(r, c,
                      c.rfind("later", 0) == 0
                          ? fmt::format("{}: the rules it may change are treated as undetermined", what)
                          : fmt::format("rule created {}: treated as undetermined", what));
    }
    if (c.rfind("later command: ", 0) == 0 || c.rfind("conditional creation: ", 0) == 0) continue;
    if (c.find("(script variable)") != std::string::npos) {
      m.unknowns.push_back(c);
      cx.unknown_note(r, "variable",
                      "a script variable stands for a rule field: rules using variables are treated "
                      "as undetermined (their value is not in the file)");
      continue;
    }
    m.unknowns.push_back(c);
    cx.unknown_note(
        r, "cond:" + c.substr(0, c.find_first_of("= ")),
        fmt::format("condition {} is read but not modelled: rules using it are treated as undetermined", c));
  }
  for (const auto& lost : r.lost) {
    m.unknowns.push_back(fmt::format("{} ({})", lost.field, lost.reason));
    cx.unknown_note(r, "lost:" + lost.field,
                    lost.reason == "not in the export"
                        ? fmt::format("{} is not in the export: rules whose {} could narrow them are treated as "
                                      "undetermined",
                                      lost.field, lost.field)
                        : fmt::format("{} of this rule is not known ({}): rules like it are treated as undetermined",
                                      lost.field, lost.reason));
  }
  if (r.action == WinAction::Bypass) {
    m.unknowns.push_back("authenticated bypass (only IPsec-authenticated traffic)");
    cx.unknown_note(r, "bypass",
                    "allow rules that override block rules (authenticated bypass) match only "
                    "IPsec-authenticated traffic: treated as undetermined");
  }
  base.action.kind = r.action == WinAction::Block ? ActionKind::Deny : ActionKind::Accept;
  base.action.label = action_name(r.action);
  if (r.action_unknown) {
    base.action.kind = ActionKind::Unknown;
    base.action.label = "action from a script variable";
    cx.unknown_note(r, "variable",
                    "a script variable stands for a rule field: rules using variables are treated as "
                    "undetermined (their value is not in the file)");
  }

  bool in = r.direction == Direction::In;
  std::vector<Alt<PortSet>> lports, rports;
  std::vector<Alt<AddrSet>> laddrs, raddrs;
  if (!lower_ports(cx, r, r.local_ports, "LocalPort", lports) ||
      !lower_ports(cx, r, r.remote_ports, "RemotePort", rports) ||
      !lower_addrs(cx, r, r.local_addrs, "LocalIP", laddrs) || !lower_addrs(cx, r, r.remote_addrs, "RemoteIP", raddrs))
    return;
  for (const auto& lp : lports)
    for (const auto& rp : rports)
      for (const auto& la : laddrs)
        for (const auto& ra : raddrs) {
          Rule rule = base;
          Match& mm = rule.match;
          if (port_proto) {
            if (!lp.set.covers(0, kMaxPort)) (in ? mm.dport : mm.sport) = lp.set;
            if (!rp.set.covers(0, kMaxPort)) (in ? mm.sport : mm.dport) = rp.set;
          }
          for (const auto* a : {&la, &ra}) {
            if (!a->set.is_all()) {
              auto& field = (a == &la) == in ? mm.dst : mm.src;
              field = field ? field->intersect(a->set) : a->set;
              if (a->set.v4.empty()) mm.families.reset(0);
              if (a->set.v6.empty()) mm.families.reset(1);
            }
          }
          for (const auto* u : {&lp.unknown, &rp.unknown, &la.unknown, &ra.unknown})
            if (!u->empty()) mm.unknowns.push_back(*u);
          if (mm.families.none()) continue;  // e.g. IPv4 local and IPv6 remote addresses: never matches
          // Content for fingerprints: the same rule reads the same from every source.
          rule.normalized =
              fmt::format("{} {} proto={} lport={} rport={} laddr={} raddr={} unknown={}", in ? "in" : "out",
                          action_name(r.action), r.protocol ? proto_name(*r.protocol) : "any",
                          port_proto ? format_ports(lp.set, 64) : "any", port_proto ? format_ports(rp.set, 64) : "any",
                          format_addr_set(la.set, 64), format_addr_set(ra.set, 64), fmt::join(mm.unknowns, ";"));
          out.push_back(std::move(rule));
        }
}

// The effective settings (Windows defaults filled in): profiles that only spell out the
// defaults behave alike.
std::string settings_signature(const ProfileSettings& s) {
  return fmt::format("{}{}{}{}{}", s.enabled.value_or(true), s.inbound_block.value_or(true),
                     s.outbound_block.value_or(false), s.shields_up.value_or(false),
                     s.local_rules_ignored.value_or(false));
}

Ruleset build_profile(LowerContext& cx, const std::string& format, int profile) {
  const WinModel& model = cx.model;
  const ProfileSettings& ps = model.profiles[static_cast<std::size_t>(profile)];
  Ruleset rs;
  rs.format = format;
  rs.file = cx.file;
  rs.line_count = model.line_count;
  const char* pname = profile_name(profile);
  for (int dir = 0; dir < 2; ++dir) {
    bool in = dir == 0;
    Chain c;
    c.name = in ? "inbound" : "outbound";
    c.table = "filter";
    c.builtin = true;
    c.action_classes_unordered = true;  // block-before-allow; order inside a class is immaterial
    const std::optional<bool>& block = in ? ps.inbound_block : ps.outbound_block;
    bool deny = block ? *block : in;  // Windows defaults: inbound Block, outbound Allow
    c.policy = deny ? PolicyKind::Deny : PolicyKind::Accept;
    if (block) {
      c.policy_span = in ? ps.inbound_span : ps.outbound_span;
      c.policy_text = in ? ps.inbound_text : ps.outbound_text;
    }
    bool firewall_off = ps.enabled && !*ps.enabled;
    if (firewall_off) {
      Rule off;
      off.span = ps.enabled_span;
      if (off.span.line == 0) off.span = {cx.file, 1, 1, 1, 1};
      off.text = ps.enabled_text.empty() ? fmt::format("firewall off for the {} profile", pname) : ps.enabled_text;
      off.normalized = fmt::format("{} profile firewall off", pname);
      off.action.kind = ActionKind::Accept;
      off.action.label = fmt::format("firewall off ({} profile): everything passes", pname);
      c.rules.push_back(std::move(off));
    }
    bool shields = in && ps.shields_up && *ps.shields_up;
    for (WinAction cls : {WinAction::Bypass, WinAction::Block, WinAction::Allow}) {
      for (std::size_t i = 0; i < model.rules.size(); ++i) {
        const WinRule& r = model.rules[i];
        WinAction effective = r.action_unknown ? WinAction::Block : r.action;  // unknown verdicts rank with blocks
        if (effective != cls || !r.enabled) continue;
        if (!(r.profiles & (1u << profile))) continue;
        if (ps.local_rules_ignored.value_or(false) && !r.from_group_policy) continue;  // no local policy merge
        if (shields && cls != WinAction::Block) continue;  // "block all incoming connections"
        for (const auto& lowered : (in ? cx.lowered_in : cx.lowered_out)[i]) c.rules.push_back(lowered);
      }
    }
    rs.chains.push_back(std::move(c));
  }
  for (int ci = 0; ci < 2; ++ci) {
    auto& c = rs.chains[static_cast<std::size_t>(ci)];
    for (std::size_t i = 0; i < c.rules.size(); ++i) {
      c.rules[i].chain = ci;
      c.rules[i].index = static_cast<int>(i);
    }
  }
  for (Family f : {Family::V4, Family::V6}) {
    rs.pipelines.push_back(Pipeline{f, Direction::In, {Stage{0, false}}});
    rs.pipelines.push_back(Pipeline{f, Direction::Out, {Stage{1, false}}});
  }
  rs.finalize();
  return rs;
}

// Which rules apply to a profile, and its settings: equal signatures give equal rulesets.
std::string profile_signature(const WinModel& model, int profile) {
  std::string sig = settings_signature(model.profiles[static_cast<std::size_t>(profile)]);
  for (std::size_t i = 0; i < model.rules.size(); ++i)
    if (model.rules[i].enabled && (model.rules[i].profiles & (1u << profile))) sig += fmt::format(",{}", i);
  return sig;
}

}  // namespace

void lower(const WinModel& model, const std::string& file, const std::string& format, const std::string& only_profile,
           LoadResult& result) {
  LowerContext cx{model, file, model.diagnostics, {}, {}, {}};
  for (const auto& note : model.notes) {
    cx.diagnostics.push_back(make_diagnostic("FWM091", Severity::Warning, {file, 1, 1, 1, 1}, note));
  }
  cx.lowered_in.resize(model.rules.size());
  cx.lowered_out.resize(model.rules.size());
  for (std::size_t i = 0; i < model.rules.size(); ++i) {
    const WinRule& r = model.rules[i];
    if (r.direction_unknown) {
      WinRule in = r, out = r;
      in.direction = Direction::In;
      out.direction = Direction::Out;
      lower_rule(cx, in, cx.lowered_in[i]);
      lower_rule(cx, out, cx.lowered_out[i]);
    } else {
      lower_rule(cx, r, r.direction == Direction::In ? cx.lowered_in[i] : cx.lowered_out[i]);
    }
  }
  for (auto& [key, entry] : cx.unknown_counts)
    if (entry.second > 1) cx.diagnostics[entry.first].message += fmt::format(" ({} rules)", entry.second);
  // Shields up and firewall off are worth a word even when no rule is involved.
  for (int p = 0; p < 3; ++p) {
    const ProfileSettings& ps = model.profiles[static_cast<std::size_t>(p)];
    if (ps.shields_up && *ps.shields_up) {
      cx.diagnostics.push_back(make_diagnostic(
          "FWM091", Severity::Note, ps.shields_span.line ? ps.shields_span : SourceSpan{file, 1, 1, 1, 1},
          fmt::format(
              "{} profile blocks all incoming connections (DoNotAllowExceptions): its inbound allow rules are ignored",
              profile_name(p)),
          ps.shields_text));
    }
    if (ps.local_rules_ignored.value_or(false)) {
      cx.diagnostics.push_back(
          make_diagnostic("FWM091", Severity::Note, ps.merge_span.line ? ps.merge_span : SourceSpan{file, 1, 1, 1, 1},
                          fmt::format("group policy does not merge local rules into the {} profile "
                                      "(AllowLocalPolicyMerge=0): only group policy rules apply there",
                                      profile_name(p))));
    }
  }

  std::vector<int> profiles;
  if (!only_profile.empty()) {
    std::string want = lower_ascii(only_profile);
    for (int p = 0; p < 3; ++p)
      if (lower_ascii(profile_name(p)) == want) profiles.push_back(p);
    if (profiles.empty()) {
      result.error = fmt::format("unknown profile '{}' (expected Domain, Private or Public)", only_profile);
      return;
    }
    auto rs = std::make_unique<Ruleset>(build_profile(cx, format, profiles[0]));
    rs->diagnostics = cx.diagnostics;
    rs->variant = fmt::format("{} profile", profile_name(profiles[0]));
    result.ruleset = std::move(rs);
    return;
  }
  // Group the profiles whose rulesets are identical; one group = no variant name.
  std::vector<std::vector<int>> groups;
  std::vector<std::string> sigs;
  for (int p = 0; p < 3; ++p) {
    std::string sig = profile_signature(model, p);
    auto it = std::find(sigs.begin(), sigs.end(), sig);
    if (it == sigs.end()) {
      sigs.push_back(sig);
      groups.push_back({p});
    } else {
      groups[static_cast<std::size_t>(it - sigs.begin())].push_back(p);
    }
  }
  for (const auto& g : groups) {
    auto rs = std::make_unique<Ruleset>(build_profile(cx, format, g.front()));
    if (groups.size() > 1) {
      std::vector<std::string> names;
      for (int p : g) names.push_back(profile_name(p));
      rs->variant = fmt::format("{} profile{}", fmt::join(names, ", "), g.size() > 1 ? "s" : "");
    }
    // Diagnostics are about the file, not a profile: the first variant carries them.
    if (!result.ruleset) {
      rs->diagnostics = cx.diagnostics;
      result.ruleset = std::move(rs);
    } else {
      result.more_variants.push_back(std::move(rs));
    }
  }
}

namespace {

WinModel read_any(const TextFile& file, const std::string& format, std::string& error) {
  if (format == "wfw" || (format == "windows" && looks_like_hive(file))) return read_hive(file);
  if (format == "windows-reg" || (format == "windows" && looks_like_reg(file))) return read_reg(file);
  if ((format == "netsh" || format == "windows") && looks_like_netsh_show(file)) return read_netsh_show(file);
  if ((format == "powershell" || format == "windows") && looks_like_powershell_export(file))
    return read_powershell_export(file);
  if (format == "netsh" || format == "powershell" || looks_like_script(file)) return read_script(file);
  error = fmt::format(
      "{}: not a Windows Firewall export this reader knows (.wfw hive, .reg export, netsh show rule "
      "text, PowerShell JSON/CSV/Format-List export, netsh or New-NetFirewallRule script)",
      file.path);
  return {};
}

}  // namespace

FrontendEntry frontend_entry() {
  FrontendEntry entry;
  entry.names = {"windows", "wfw", "windows-reg", "netsh", "powershell"};
  entry.detect = [](const TextFile& file) {
    return looks_like_hive(file) || looks_like_reg(file) || looks_like_netsh_show(file) ||
           looks_like_powershell_export(file) || looks_like_script(file);
  };
  entry.load = [](const TextFile& file, const std::string& format, const LoadOptions& options, LoadResult& result) {
    std::string error;
    WinModel model = read_any(file, format, error);
    if (!error.empty()) {
      result.error = error;
      return;
    }
    lower(model, file.path, "windows", options.profile, result);
  };
  return entry;
}

}  // namespace fwm::windows
