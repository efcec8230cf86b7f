// nftables: an accept rule in the base chain that drops, before the deciding rule or at
// the end of the chain when its policy decides. An accept ends only its own base chain:
// fix_config() goes on with the next base chain of the hook that still drops. Both styles
// of file: `nft list ruleset` blocks and scripts of `add rule FAMILY TABLE CHAIN ...`.
#include <fmt/format.h>

#include "fix/writer_support.h"

namespace fwm::fix {

namespace {

std::string port_expr(const PortSet& ports) {
  std::vector<std::string> items;
  for (const auto& iv : ports.intervals())
    items.push_back(iv.lo == iv.hi ? fmt::format("{}", iv.lo) : fmt::format("{}-{}", iv.lo, iv.hi));
  if (items.size() == 1) return items.front();
  return fmt::format("{{ {} }}", fmt::join(items, ", "));
}

std::string addr_expr(const std::vector<std::string>& prefixes) {
  if (prefixes.size() == 1) return prefixes.front();
  return fmt::format("{{ {} }}", fmt::join(prefixes, ", "));
}

// `iifname "eth0"`, `oif != "lo"` of a rule's text.
std::string interface_words(const std::string& text) {
  auto w = words(text);
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 1 < w.size(); ++i) {
    if (w[i] == "iif" || w[i] == "iifname" || w[i] == "oif" || w[i] == "oifname") {
      out.push_back(w[i]);
      std::size_t v = i + 1;
      if ((w[v] == "!=" || w[v] == "==") && v + 1 < w.size()) out.push_back(w[v++]);
      out.push_back(w[v]);
      i = v;
    }
  }
  return fmt::format("{}", fmt::join(out, " "));
}

// The line (0-based) of the '}' that closes the block the text at `from` is in; npos when
// there is none. Comments (#) and strings are skipped.
std::size_t closing_brace(const std::vector<std::string>& lines, std::size_t from) {
  int depth = 0;
  for (std::size_t i = from; i < lines.size(); ++i) {
    bool quoted = false;
    for (char c : lines[i]) {
      if (c == '"') quoted = !quoted;
      if (quoted) continue;
      if (c == '#') break;
      if (c == '{') ++depth;
      if (c == '}' && --depth < 0) return i;
    }
  }
  return std::string::npos;
}

class NftablesWriter final : public Writer {
 public:
  WriterOutput write(const WriterInput& in) const override {
    WriterOutput out;
    if (!in.lines.empty()) {
      for (const auto& l : in.lines) {
        std::string t = trim(l);
        if (t.empty()) continue;
        if (t[0] == '{' || t[0] == '[') {
          out.problems.push_back("a JSON ruleset (nft -j): fwmatrix cannot write fixes for it yet");
          return out;
        }
        break;
      }
    }
    auto groups = group_parts(in, out.problems);
    merge_tcp_and_udp(groups);
    for (const RuleGroup& g : groups) {
      const Chain* chain = decider_chain(in.rs, g.decider);
      if (!chain) {
        out.problems.push_back(fmt::format("{} {}: no line of the file decides it ({}), so there is no chain to add to",
                                           proto_name(g.protocol), format_ports(g.ports),
                                           std::string_view(g.decider.implicit)));
        continue;
      }
      auto table_words = words(chain->table);  // "inet filter"
      std::string family = table_words.empty() ? "" : table_words.front();
      std::string chain_name = chain->name.substr(std::min(chain->name.size(), chain->table.size() + 1));
      std::string script_prefix = fmt::format("add rule {} {} ", chain->table, chain_name);
      int at = 0;
      bool script = false;
      std::string indent, iface, ending;
      if (g.decider.rule) {
        const Rule& r = *g.decider.rule;
        int line = r.span.line;
        if (line < 1 || static_cast<std::size_t>(line) > in.lines.size()) {
          out.problems.push_back(
              fmt::format("{} {} is denied by a rule without a line", proto_name(g.protocol), format_ports(g.ports)));
          continue;
        }
        const std::string& text = in.lines[static_cast<std::size_t>(line - 1)];
        std::string t = trim(text);
        auto w = words(t);
        if (w.size() >= 2 && w[0] == "add" && w[1] == "rule") {
          if (w.size() >= 6 && (w[5] == "handle" || w[5] == "position" || w[5] == "index")) {
            out.problems.push_back(
                fmt::format("line {} adds its rule at a position (`{} {}`): fwmatrix cannot place a rule before it",
                            line, w[5], w.size() > 6 ? w[6] : ""));
            continue;
          }
          script = true;
        } else if (static_cast<std::size_t>(r.span.column - 1) != indentation(text).size()) {
          out.problems.push_back(fmt::format(
              "line {} holds the rule that denies {} {} after other text (`{}`): fwmatrix inserts whole lines only",
              line, proto_name(g.protocol), format_ports(g.ports), t));
          continue;
        }
        at = line;
        indent = indentation(text);
        iface = interface_words(r.text);
        ending = line_ending(text);
      } else {
        int line = chain->policy_span.line;
        if (line < 1 || static_cast<std::size_t>(line) > in.lines.size()) {
          out.problems.push_back(fmt::format("the policy of chain {} decides {} {} but has no line", chain->name,
                                             proto_name(g.protocol), format_ports(g.ports)));
          continue;
        }
        const std::string& text = in.lines[static_cast<std::size_t>(line - 1)];
        ending = line_ending(text);
        auto w = words(trim(text));
        if (w.size() >= 2 && (w[0] == "add" || w[0] == "create") && w[1] == "chain") {
          // Script: after the last `add rule` of this chain, or after the chain itself.
          script = true;
          at = line + 1;
          for (std::size_t i = static_cast<std::size_t>(line); i < in.lines.size(); ++i)
            if (trim(in.lines[i]).rfind(script_prefix, 0) == 0) at = static_cast<int>(i + 2);
        } else {
          std::size_t close = closing_brace(in.lines, static_cast<std::size_t>(line - 1));
          if (close == std::string::npos || close + 1 == static_cast<std::size_t>(line) ||
              trim(in.lines[close]).rfind('}', 0) != 0) {
            out.problems.push_back(fmt::format(
                "the policy of chain {} (line {}) decides {} {}, but the chain does not end on a line of its own",
                chain->name, line, proto_name(g.protocol), format_ports(g.ports)));
            continue;
          }
          at = static_cast<int>(close + 1);
          indent = indentation(text);
        }
      }
      Edit e;
      e.line = at;
      e.serves = g.serves;
      std::string proto = proto_name(g.protocol);
      const char* which = g.reply ? "sport" : "dport";
      std::vector<std::string> statements;
      auto family_ok = [&family](Family f) {
        return family == "inet" || family == "bridge" || family == "netdev" || (family == "ip" && f == Family::V4) ||
               (family == "ip6" && f == Family::V6);
      };
      std::vector<Family> fams;
      for (Family f : g.families)
        if (family_ok(f)) fams.push_back(f);
      if (fams.empty()) continue;
      const bool per_family = g.trusted_only || g.network;
      auto tail = [&]() {
        std::string s;
        if (!iface.empty()) s += iface + " ";
        if (g.reply) s += "ct state established ";
        if (g.tcp_and_udp)
          return s + fmt::format("meta l4proto {{ tcp, udp }} th {} {} accept", which, port_expr(g.ports));
        return s + fmt::format("{} {} {} accept", proto, which, port_expr(g.ports));
      };
      if (per_family) {
        for (Family f : fams) {
          auto fi = static_cast<std::size_t>(f);
          const char* ipk = f == Family::V4 ? "ip" : "ip6";
          std::string s;
          auto src = g.network ? g.sources[fi] : trusted_prefixes(f);
          if (!src.empty() && src.front() != "0.0.0.0/0" && src.front() != "::/0")
            s += fmt::format("{} saddr {} ", ipk, addr_expr(src));
          if (g.network && !g.destinations[fi].empty() && g.destinations[fi].front() != "0.0.0.0/0" &&
              g.destinations[fi].front() != "::/0")
            s += fmt::format("{} daddr {} ", ipk, addr_expr(g.destinations[fi]));
          if (s.empty() && family == "inet" && fams.size() == 1)
            s = fmt::format("meta nfproto {} ", f == Family::V4 ? "ipv4" : "ipv6");
          statements.push_back(s + tail());
        }
      } else {
        std::string s;
        if (family == "inet" && fams.size() == 1)
          s = fmt::format("meta nfproto {} ", fams.front() == Family::V4 ? "ipv4" : "ipv6");
        statements.push_back(s + tail());
      }
      for (const auto& s : statements) e.lines.push_back((script ? script_prefix : indent) + s + ending);
      out.edits.push_back(std::move(e));
    }
    return out;
  }
};

}  // namespace

const Writer& nftables_writer() {
  static const NftablesWriter writer;
  return writer;
}

}  // namespace fwm::fix
