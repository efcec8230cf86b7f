// strongSwan / libreswan ipsec.conf: `conn` sections with type=passthrough|drop|tunnel|
// transport, leftsubnet/rightsubnet, leftprotoport/rightprotoport, auto=route|add|start.
// `left` is taken as the local side (the usual convention; strongSwan decides at run
// time from the host's addresses). Sections and settings merge as strongSwan's starter
// does (src/starter/parser/conf_parser.c): a second `config setup` or a second `conn`
// of the same name adds to the first, a key given again replaces its value, `also=`
// accumulates (the last one named is the most important) and `key=` with no value
// unsets what `also=` / %default would supply.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "IpsecConfLexer.h"
#include "IpsecConfParser.h"
#include "frontends/ipsec/ipsec_support.h"

namespace fwm::ipsec {

using fwm_antlr_fwm_grammar_ipsec_ipsecconf::IpsecConfLexer;
using fwm_antlr_fwm_grammar_ipsec_ipsecconf::IpsecConfParser;

namespace {

struct Setting {
  std::string value;
  int line = 0;
};

struct Conn {
  std::string name;
  int line = 0;
  std::string header;
  std::map<std::string, Setting> settings;
  std::vector<std::string> also;  // in file order
  std::vector<std::string> suppressions;
};

// starter's linearisation of `also=` (resolve_also_single): the sections a conn
// inherits from, most important first: for each also= from the last to the first, that
// section and then its own parents; of a section named more than once only the last
// occurrence counts; %default ends the list of a section without also=. Unknown names
// and loops are left out.
std::vector<const Conn*> parents(const std::map<std::string, Conn>& conns, const Conn& c, const Conn* def,
                                 std::vector<std::string>& stack) {
  std::vector<const Conn*> list;
  stack.push_back(c.name);
  for (auto it = c.also.rbegin(); it != c.also.rend(); ++it) {
    auto found = conns.find(*it);
    if (found == conns.end() || std::find(stack.begin(), stack.end(), *it) != stack.end()) continue;
    list.push_back(&found->second);
    for (const Conn* gp : parents(conns, found->second, def, stack)) list.push_back(gp);
  }
  stack.pop_back();
  if (list.empty() && def && &c != def) list.push_back(def);
  std::vector<const Conn*> out;
  for (std::size_t i = 0; i < list.size(); ++i)
    if (std::find(list.begin() + static_cast<std::ptrdiff_t>(i) + 1, list.end(), list[i]) == list.end())
      out.push_back(list[i]);
  return out;
}

// The conn's settings with inheritance: its own, then each parent's in order.
void resolve(const std::map<std::string, Conn>& conns, const Conn& c, const Conn* def,
             std::map<std::string, Setting>& out) {
  for (const auto& [k, v] : c.settings) out[k] = v;
  std::vector<std::string> stack;
  for (const Conn* p : parents(conns, c, def, stack))
    for (const auto& [k, v] : p->settings)
      if (!out.count(k)) out[k] = v;
}

struct Side {
  std::optional<AddrSet> addr;
  std::optional<ProtoSet> proto;
  std::optional<PortSet> port;
};

}  // namespace

void read_ipsec_conf(const TextFile& file, IpsecPolicy& policy) {
  auto lines = split_lines(file.text);
  ChunkParser<IpsecConfLexer, IpsecConfParser> line_parser;

  std::map<std::string, Conn> conns;
  std::vector<std::string> order;
  Conn* current = nullptr;  // null: outside a conn (config setup, ca, or before any section)
  bool in_section = false;
  for (std::size_t idx = 0; idx < lines.size(); ++idx) {
    int line_no = static_cast<int>(idx) + 1;
    std::string raw(lines[idx]);
    std::string text = trim(raw);
    if (text.empty() || text[0] == '#') {
      if (current && text.size() > 1) {
        read_suppressions(text, current->suppressions);
      }
      continue;
    }
    bool indented = raw[0] == ' ' || raw[0] == '\t';
    auto* tree = line_parser.load(raw).line();
    const FirstError& errors = line_parser.errors();
    if (errors.has_error) {
      add_error(policy, line_no, errors.column, fmt::format("cannot parse this line: {}", errors.message), text);
      continue;
    }
    if (auto* h = tree->sectionHeader()) {
      if (indented) {
        add_error(policy, line_no, 1, "a section header must start in column 1 (indented lines are parameters)", text);
        continue;
      }
      in_section = true;
      current = nullptr;
      if (h->kind->getType() != IpsecConfLexer::CONN) continue;
      std::string name;
      for (auto* t : h->nameToken()) name += t->getText();
      if (name.empty()) {
        add_error(policy, line_no, 5, "conn needs a name", text);
        continue;
      }
      if (conns.count(name)) {
        // starter adds the settings to the first section of that name.
        current = &conns[name];
        continue;
      }
      Conn c;
      c.name = name;
      c.line = line_no;
      c.header = text;
      if (auto hash = raw.find('#'); hash != std::string::npos) read_suppressions(raw.substr(hash), c.suppressions);
      conns[name] = c;
      order.push_back(name);
      current = &conns[name];
      continue;
    }
    if (tree->includeLine()) {
      add_unmodelled(policy, line_no, 1, "include is not followed: the included policies are not analysed", text);
      continue;
    }
    if (tree->versionLine()) continue;
    if (auto* s = tree->setting()) {
      if (!indented) {
        add_error(policy, line_no, 1, "a parameter must be indented under a section (conn, config or ca)", text);
        continue;
      }
      if (!in_section) {
        add_error(policy, line_no, 1, "parameter before the first section", text);
        continue;
      }
      if (!current) continue;  // config setup / ca parameters
      std::string value = s->value() ? unquote(trim(source_text(s->value()))) : "";
      std::string key = s->key->getText();
      if (key == "also") {
        // starter: also= with no name, or %default (which every conn inherits), is dropped.
        if (!value.empty() && value != "%default") current->also.push_back(value);
      } else {
        current->settings[key] = {value, line_no};
      }
      auto hash = raw.find(" #");
      if (hash != std::string::npos) {
        read_suppressions(raw.substr(hash), current->suppressions);
      }
    }
  }

  const Conn* defaults = conns.count("%default") ? &conns["%default"] : nullptr;
  for (const auto& name : order) {
    if (name == "%default") continue;
    const Conn& c = conns[name];
    std::map<std::string, Setting> s;
    resolve(conns, c, defaults, s);
    auto get = [&](const char* key) -> std::string {
      auto it = s.find(key);
      return it == s.end() ? std::string() : it->second.value;
    };
    IpsecEntry e;
    e.name = name;
    e.span = {file.path, c.line, 1, c.line, static_cast<int>(c.header.size()) + 1};
    e.suppressions = c.suppressions;
    std::string type = lower(get("type"));
    std::string autov = lower(get("auto"));
    if (type.empty()) type = "tunnel";
    if (type == "passthrough" || type == "pass") {
      e.action = IpsecAction::Bypass;
    } else if (type == "drop" || type == "reject") {
      e.action = IpsecAction::Discard;
    } else if (type == "tunnel" || type == "transport" || type == "transport_proxy") {
      e.action = IpsecAction::Protect;
    } else {
      add_error(policy, s.count("type") ? s["type"].line : c.line, 1,
                fmt::format("conn {}: unknown type '{}' (expected tunnel, transport, passthrough or drop)", name, type),
                c.header);
      continue;
    }
    e.action_label = "type=" + type;
    bool shunt = e.action != IpsecAction::Protect;
    if (autov == "route" || autov == "ondemand") {
      // installed as trap / shunt policies
    } else if (!shunt && autov == "start") {
      e.selector.unknowns.push_back("auto=start: the policies exist while the connection is up");
    } else if (!shunt && autov == "add") {
      e.selector.unknowns.push_back("auto=add: the policies exist only while the peer keeps the connection up");
    } else {
      e.installed = false;
      e.not_installed_why = autov.empty()
                                ? "no auto=route (auto=ignore by default): nothing is installed"
                                : fmt::format("auto={}: {} policies need auto=route", autov, shunt ? "shunt" : "trap");
    }
    // Sides: left = local, right = remote.
    auto side = [&](const std::string& prefix, Side& out) {
      std::string subnet = get((prefix + "subnet").c_str());
      std::string host = get(prefix.c_str());
      std::string pp = get((prefix + "protoport").c_str());
      std::vector<std::string> nets;
      if (!subnet.empty()) {
        // strongSwan 5 allows net[proto/port] per subnet.
        for (auto& item : split(subnet, ',')) {
          auto br = item.find('[');
          if (br != std::string::npos) {
            if (pp.empty() && item.back() == ']') pp = item.substr(br + 1, item.size() - br - 2);
            item = item.substr(0, br);
          }
          nets.push_back(item);
        }
      } else if (!host.empty()) {
        std::string h = lower(host);
        if (h == "%defaultroute" || h == "%any" || h == "%any4" || h == "%any6" || h == "%config" || h == "%direct") {
          // the host itself (local) or any peer (remote)
        } else if (h == "%group" || h == "%opportunisticgroup" || h == "%opportunistic") {
          e.selector.unknowns.push_back(fmt::format("{}={}: the peers come from policy group files", prefix, host));
        } else {
          nets.push_back(host);
        }
      }
      if (!nets.empty()) {
        AddrSet set;
        std::string err;
        if (parse_cidr_list(nets, set, err)) {
          out.addr = set;
        } else {
          e.selector.unknowns.push_back(fmt::format("{}{}: {}", prefix, subnet.empty() ? "" : "subnet", err));
        }
      }
      if (!pp.empty()) {
        auto parts = split(pp, '/');
        std::string proto_text = parts.empty() ? "" : parts[0];
        if (!proto_text.empty() && lower(proto_text) != "%any" && proto_text != "0") {
          if (auto p = parse_protocol(proto_text)) {
            out.proto = proto_only(*p);
          } else {
            e.selector.unknowns.push_back(fmt::format("{}protoport: unknown protocol '{}'", prefix, proto_text));
          }
        }
        if (parts.size() > 1) {
          std::string port_text = parts[1];
          if (port_text.find('-') != std::string::npos) {
            e.selector.unknowns.push_back(
                fmt::format("{}protoport={}: port ranges in ipsec.conf are not modelled", prefix, pp));
          } else if (lower(port_text) != "%any" && port_text != "0") {
            PortSet ports;
            std::string err;
            if (parse_port_value(port_text, ports, err)) {
              out.port = ports;
            } else {
              e.selector.unknowns.push_back(fmt::format("{}protoport: {}", prefix, err));
            }
          }
        }
      }
    };
    Side local, remote;
    side("left", local);
    side("right", remote);
    e.selector.local_addr = local.addr;
    e.selector.remote_addr = remote.addr;
    e.selector.local_port = local.port;
    e.selector.remote_port = remote.port;
    if (local.proto || remote.proto) e.selector.proto = local.proto ? *local.proto : *remote.proto;
    if (local.proto && remote.proto && *local.proto != *remote.proto) e.selector.proto = ProtoSet();
    // Shunts beat IPsec policies, which beat drop shunts; more specific selectors first.
    long long cls = e.action == IpsecAction::Bypass ? 0 : e.action == IpsecAction::Protect ? 1 : 2;
    e.rank = {cls, specificity_rank(e.selector)};
    std::vector<std::string> keys;
    for (const char* k :
         {"type", "auto", "left", "leftsubnet", "leftprotoport", "right", "rightsubnet", "rightprotoport"})
      if (s.count(k)) keys.push_back(fmt::format("{}={}", k, s[k].value));
    e.text = fmt::format("{} {}", c.header, fmt::join(keys, " "));
    e.normalized = e.text;
    policy.entries.push_back(std::move(e));
  }
}

}  // namespace fwm::ipsec
