// iptables-save: ACCEPT rules in the table and chain that deny, before the deciding
// DROP/REJECT (inside the user chain that decides) or after the chain's last rule when its
// policy decides; multiport when more than one port (15 slots a rule, a range takes two).
#include <fmt/format.h>

#include "fix/writer_support.h"

namespace fwm::fix {

namespace {

std::string port_list(const PortSet& ports, const char* sep_range) {
  std::vector<std::string> items;
  for (const auto& iv : ports.intervals())
    items.push_back(iv.lo == iv.hi ? fmt::format("{}", iv.lo) : fmt::format("{}{}{}", iv.lo, sep_range, iv.hi));
  return fmt::format("{}", fmt::join(items, ","));
}

// "-i eth0", "! -o eth1" of a rule's text.
std::string interface_words(const std::string& text) {
  auto w = words(text);
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 1 < w.size(); ++i) {
    if (w[i] == "-i" || w[i] == "--in-interface" || w[i] == "-o" || w[i] == "--out-interface") {
      if (i > 0 && w[i - 1] == "!") out.push_back("!");
      out.push_back(w[i]);
      out.push_back(w[i + 1]);
    }
  }
  return fmt::format("{}", fmt::join(out, " "));
}

class IptablesWriter final : public Writer {
 public:
  WriterOutput write(const WriterInput& in) const override {
    WriterOutput out;
    for (const RuleGroup& g : group_parts(in, out.problems)) {
      const Chain* chain = decider_chain(in.rs, g.decider);
      if (!chain) {
        out.problems.push_back(fmt::format("{} {}: no line of the file decides it ({}), so there is no chain to add to",
                                           proto_name(g.protocol), format_ports(g.ports),
                                           std::string_view(g.decider.implicit)));
        continue;
      }
      std::string name =
          chain->name.rfind(chain->table + " ", 0) == 0 ? chain->name.substr(chain->table.size() + 1) : chain->name;
      int at = 0;  // insert before this line (1-based)
      std::string iface;
      std::string ending;
      if (g.decider.rule) {
        int line = g.decider.rule->span.line;
        std::string text = line >= 1 && static_cast<std::size_t>(line) <= in.lines.size()
                               ? trim(in.lines[static_cast<std::size_t>(line - 1)])
                               : "";
        if (text.rfind("-A ", 0) != 0) {
          out.problems.push_back(
              fmt::format("line {} (`{}`) denies {} {} but is not an `-A` rule of iptables-save: fwmatrix inserts only "
                          "before those",
                          line, text, proto_name(g.protocol), format_ports(g.ports)));
          continue;
        }
        at = line;
        iface = interface_words(text);
        ending = line_ending(in.lines[static_cast<std::size_t>(line - 1)]);
      } else {
        at = end_of_chain(in.lines, chain->policy_span.line, name);
        if (at == 0) {
          out.problems.push_back(
              fmt::format("the policy of chain {} (line {}) decides {} {}, but its table has no COMMIT", name,
                          chain->policy_span.line, proto_name(g.protocol), format_ports(g.ports)));
          continue;
        }
        ending = line_ending(in.lines[static_cast<std::size_t>(chain->policy_span.line - 1)]);
      }
      Edit e;
      e.line = at;
      e.serves = g.serves;
      const char* proto = g.protocol == kProtoTcp ? "tcp" : g.protocol == kProtoUdp ? "udp" : nullptr;
      if (!proto) {
        out.problems.push_back(fmt::format("protocol {} cannot be written", proto_name(g.protocol)));
        continue;
      }
      for (Family f : g.families) {
        if (!in.rs.covers(f)) continue;
        auto fi = static_cast<std::size_t>(f);
        std::vector<std::string> sources = g.network        ? g.sources[fi]
                                           : g.trusted_only ? trusted_prefixes(f)
                                                            : std::vector<std::string>{""};
        std::vector<std::string> dests = g.network ? g.destinations[fi] : std::vector<std::string>{""};
        for (const auto& s : sources)
          for (const auto& d : dests)
            for (const PortSet& chunk : port_chunks(g.ports, 15, 2)) {
              std::string rule = "-A " + name;
              if (!s.empty() && s != "0.0.0.0/0" && s != "::/0") rule += " -s " + s;
              if (!d.empty() && d != "0.0.0.0/0" && d != "::/0") rule += " -d " + d;
              if (!iface.empty()) rule += " " + iface;
              rule += fmt::format(" -p {}", proto);
              if (g.reply) rule += " -m conntrack --ctstate RELATED,ESTABLISHED";
              const char* which = g.reply ? "sport" : "dport";
              if (chunk.size() == 1 && chunk.intervals()[0].lo == chunk.intervals()[0].hi)
                rule += fmt::format(" -m {} --{} {}", proto, which, port_list(chunk, ":"));
              else if (chunk.size() == 1)
                rule += fmt::format(" -m {} --{} {}", proto, which, port_list(chunk, ":"));
              else
                rule += fmt::format(" -m multiport --{}s {}", which, port_list(chunk, ":"));
              e.lines.push_back(rule + " -j ACCEPT" + ending);
            }
      }
      if (!e.lines.empty()) out.edits.push_back(std::move(e));
    }
    return out;
  }

 private:
  // The line before which a rule is appended to chain `name` whose policy is set at
  // `policy_line`: after the chain's last `-A` of that table, or before its COMMIT.
  static int end_of_chain(const std::vector<std::string>& lines, int policy_line, const std::string& name) {
    int last_rule = 0;
    for (std::size_t i = static_cast<std::size_t>(std::max(policy_line, 1)); i < lines.size(); ++i) {
      std::string t = trim(lines[i]);
      if (t == "COMMIT") return last_rule ? last_rule + 1 : static_cast<int>(i + 1);
      if (!t.empty() && t[0] == '*') break;
      auto w = words(t);
      if (w.size() >= 2 && (w[0] == "-A" || w[0] == "--append") && w[1] == name) last_rule = static_cast<int>(i + 1);
    }
    return last_rule ? last_rule + 1 : 0;
  }
};

}  // namespace

const Writer& iptables_writer() {
  static const IptablesWriter writer;
  return writer;
}

}  // namespace fwm::fix
