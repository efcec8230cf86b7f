// swanctl.conf: connections.NAME.children.CHILD { mode, local_ts, remote_ts,
// start_action, priority }. `mode = pass` / `drop` install bypass / discard policies,
// but only with `start_action = trap`.
#include <fmt/format.h>

#include <map>

#include "SwanctlLexer.h"
#include "SwanctlParser.h"
#include "frontends/ipsec/ipsec_support.h"

namespace fwm::ipsec {

using fwm_antlr_fwm_grammar_ipsec_swanctl::SwanctlLexer;
using fwm_antlr_fwm_grammar_ipsec_swanctl::SwanctlParser;

namespace {

struct Selector {
  std::optional<AddrSet> addr;
  std::optional<ProtoSet> proto;
  std::optional<PortSet> port;
  std::vector<std::string> unknowns;
  std::string text;
};

// One traffic selector: `net[proto/port]`, `dynamic[...]`, `a-b`.
Selector parse_ts(const std::string& item, bool local, const std::optional<AddrSet>& peer_addrs) {
  Selector s;
  s.text = item;
  std::string addr = item, detail;
  auto br = item.find('[');
  if (br != std::string::npos) {
    addr = trim(item.substr(0, br));
    auto end = item.find(']', br);
    detail = item.substr(br + 1, end == std::string::npos ? std::string::npos : end - br - 1);
  }
  if (lower(addr) == "dynamic" || addr.empty()) {
    if (!local) {
      if (peer_addrs) {
        s.addr = peer_addrs;
      } else {
        s.unknowns.push_back("remote_ts=dynamic: the peer's address is only known at run time");
      }
    }
  } else {
    AddrSet set;
    std::string err;
    if (parse_cidr_list({addr}, set, err)) {
      if (!set.is_all()) s.addr = set;
    } else {
      s.unknowns.push_back(fmt::format("{}: {}", item, err));
    }
  }
  if (!detail.empty()) {
    auto parts = split(detail, '/');
    if (!parts.empty() && lower(parts[0]) != "%any" && parts[0] != "0") {
      if (auto p = parse_protocol(parts[0])) {
        s.proto = proto_only(*p);
      } else {
        s.unknowns.push_back(fmt::format("{}: unknown protocol '{}'", item, parts[0]));
      }
    }
    if (parts.size() > 1 && lower(parts[1]) != "%any") {
      if (lower(parts[1]) == "%opaque") {
        s.unknowns.push_back(fmt::format("{}: %opaque ports", item));
      } else {
        PortSet ports;
        std::string err;
        if (parse_port_value(parts[1], ports, err)) {
          s.port = ports;
        } else {
          s.unknowns.push_back(fmt::format("{}: {}", item, err));
        }
      }
    }
  }
  return s;
}

struct Walker {
  const TextFile& file;
  IpsecPolicy& policy;

  static int line_of(antlr4::ParserRuleContext* c) { return static_cast<int>(c->getStart()->getLine()); }

  std::map<std::string, std::pair<std::string, int>> settings(SwanctlParser::SectionContext* sec) {
    std::map<std::string, std::pair<std::string, int>> out;
    for (auto* item : sec->item())
      if (auto* s = item->setting())
        out[s->key->getText()] = {s->VALUE_TEXT() ? unquote(trim(s->VALUE_TEXT()->getText())) : "",
                                  static_cast<int>(s->getStart()->getLine())};
    return out;
  }

  SwanctlParser::SectionContext* subsection(SwanctlParser::SectionContext* sec, const std::string& name) {
    for (auto* item : sec->item())
      if (auto* s = item->section())
        if (s->name->getText() == name) return s;
    return nullptr;
  }

  void connection(SwanctlParser::SectionContext* conn) {
    auto cs = settings(conn);
    std::optional<AddrSet> peer;
    if (cs.count("remote_addrs")) {
      AddrSet set;
      std::string err;
      if (parse_cidr_list(split(cs["remote_addrs"].first, ','), set, err)) peer = set;
    }
    auto* children = subsection(conn, "children");
    if (!children) return;
    for (auto* item : children->item()) {
      auto* child = item->section();
      if (!child) continue;
      child_sa(conn->name->getText(), child, peer);
    }
  }

  void child_sa(const std::string& conn_name, SwanctlParser::SectionContext* child,
                const std::optional<AddrSet>& peer) {
    auto s = settings(child);
    auto get = [&](const char* k) { return s.count(k) ? s[k].first : std::string(); };
    std::string mode = lower(get("mode"));
    if (mode.empty()) mode = "tunnel";
    IpsecAction action;
    if (mode == "pass") {
      action = IpsecAction::Bypass;
    } else if (mode == "drop") {
      action = IpsecAction::Discard;
    } else if (mode == "tunnel" || mode == "transport" || mode == "beet") {
      action = IpsecAction::Protect;
    } else {
      add_error(policy, s.count("mode") ? s["mode"].second : line_of(child), 1,
                fmt::format("child {}: unknown mode '{}' (expected tunnel, transport, beet, pass or drop)",
                            child->name->getText(), mode),
                "mode = " + mode);
      return;
    }
    std::string start = lower(get("start_action"));
    bool installed = true;
    std::string why;
    std::vector<std::string> conditions;
    if (action != IpsecAction::Protect) {
      if (start != "trap") {
        installed = false;
        why = fmt::format("mode = {} without start_action = trap installs nothing", mode);
      }
    } else if (start != "trap") {
      conditions.push_back(fmt::format("start_action = {}: the policies exist only while the CHILD_SA is up",
                                       start.empty() ? "none" : start));
    }
    std::optional<long long> priority;
    if (!get("priority").empty()) {
      try {
        priority = std::stoll(get("priority"));
      } catch (...) {
        add_error(policy, s["priority"].second, 1, fmt::format("priority '{}' is not a number", get("priority")),
                  "priority = " + get("priority"));
      }
    }
    auto local_items = split(get("local_ts").empty() ? "dynamic" : get("local_ts"), ',');
    auto remote_items = split(get("remote_ts").empty() ? "dynamic" : get("remote_ts"), ',');
    int line = line_of(child);
    std::string name = conn_name + "." + child->name->getText();
    for (const auto& li : local_items) {
      for (const auto& ri : remote_items) {
        Selector l = parse_ts(li, true, peer), r = parse_ts(ri, false, peer);
        IpsecEntry e;
        e.name = name;
        e.action = action;
        e.action_label = "mode = " + mode;
        e.installed = installed;
        e.not_installed_why = why;
        e.selector.local_addr = l.addr;
        e.selector.remote_addr = r.addr;
        e.selector.local_port = l.port;
        e.selector.remote_port = r.port;
        if (l.proto && r.proto && *l.proto != *r.proto) {
          e.selector.proto = ProtoSet();
        } else if (l.proto || r.proto) {
          e.selector.proto = l.proto ? *l.proto : *r.proto;
        }
        e.selector.unknowns = conditions;
        e.selector.unknowns.insert(e.selector.unknowns.end(), l.unknowns.begin(), l.unknowns.end());
        e.selector.unknowns.insert(e.selector.unknowns.end(), r.unknowns.begin(), r.unknowns.end());
        long long base = action == IpsecAction::Bypass ? 175000 : action == IpsecAction::Protect ? 379000 : 583000;
        e.rank = {priority ? *priority : base + specificity_rank(e.selector)};
        e.span = {file.path, line, 1, line, 1};
        e.text = fmt::format("{} {{ {} local_ts = {} remote_ts = {}{} }}", child->name->getText(), e.action_label, li,
                             ri, start.empty() ? "" : " start_action = " + start);
        e.normalized = name + "|" + e.text;
        auto lines = split_lines(file.text);
        for (int n : {line - 1, line}) {
          if (n < 1 || static_cast<std::size_t>(n) > lines.size()) continue;
          read_suppressions(lines[static_cast<std::size_t>(n) - 1], e.suppressions);
        }
        policy.entries.push_back(std::move(e));
      }
    }
  }
};

}  // namespace

void read_swanctl(const TextFile& file, IpsecPolicy& policy) {
  antlr4::ANTLRInputStream input(file.text);
  SwanctlLexer lexer(&input);
  antlr4::CommonTokenStream tokens(&lexer);
  SwanctlParser parser(&tokens);
  FirstError errors;
  lexer.removeErrorListeners();
  lexer.addErrorListener(&errors);
  parser.removeErrorListeners();
  parser.addErrorListener(&errors);
  auto* tree = parser.file();
  if (errors.has_error) {
    auto lines = split_lines(file.text);
    std::string snippet = errors.line >= 1 && static_cast<std::size_t>(errors.line) <= lines.size()
                              ? trim(lines[static_cast<std::size_t>(errors.line) - 1])
                              : "";
    add_error(policy, errors.line, errors.column,
              fmt::format("cannot parse swanctl.conf: {} (nothing of this file was analysed)", errors.message),
              snippet);
    return;
  }
  Walker w{file, policy};
  for (auto* item : tree->item()) {
    if (item->include()) {
      add_unmodelled(policy, static_cast<int>(item->getStart()->getLine()), 1,
                     "include is not followed: the included policies are not analysed", item->getText());
      continue;
    }
    auto* sec = item->section();
    if (!sec || sec->name->getText() != "connections") continue;
    for (auto* conn_item : sec->item())
      if (auto* conn = conn_item->section()) w.connection(conn);
  }
}

}  // namespace fwm::ipsec
