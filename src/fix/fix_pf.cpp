// pf: the last matching rule decides unless a `quick` rule matched first. A `pass ...
// quick` goes right before a deciding quick block; a plain `pass` after the last
// top-level filter rule of the file beats a deciding non-quick block. The interface of
// the deciding rule is kept as written (`on $ext_if`), and sensitive ports are passed
// from the file's macro of trusted networks when it has one.
#include <fmt/format.h>

#include "fix/writer_support.h"

namespace fwm::fix {

namespace {

std::string port_expr(const PortSet& ports) {
  std::vector<std::string> items;
  for (const auto& iv : ports.intervals())
    items.push_back(iv.lo == iv.hi ? fmt::format("{}", iv.lo) : fmt::format("{}:{}", iv.lo, iv.hi));
  if (items.size() == 1) return items.front();
  return fmt::format("{{ {} }}", fmt::join(items, ", "));
}

std::string addr_expr(const std::vector<std::string>& prefixes) {
  if (prefixes.size() == 1) return prefixes.front();
  return fmt::format("{{ {} }}", fmt::join(prefixes, ", "));
}

struct Macro {
  std::string name;  // "$lan"
  AddrSet addresses;
};

// The macros (`lan = "{ 10.0.0.0/8, fd00::/8 }"`) that hold only networks of the trusted
// networks (at least one a network, not a single host), in file order.
std::vector<Macro> trusted_macros(const std::vector<std::string>& lines) {
  std::vector<Macro> out;
  const AddrSet trusted = rfc1918_ula();
  for (const auto& l : lines) {
    std::string t = trim(l);
    auto eq = t.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    std::string name = trim(t.substr(0, eq));
    std::string value = trim(t.substr(eq + 1));
    if (name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != std::string::npos)
      continue;
    if (value.size() < 2 || value.front() != '"' || value.back() != '"') continue;
    value = value.substr(1, value.size() - 2);
    for (char& c : value)
      if (c == '{' || c == '}' || c == ',') c = ' ';
    auto items = words(value);
    if (items.empty()) continue;
    bool all_trusted = true, network = false;
    AddrSet addresses;
    for (const auto& item : items) {
      auto parsed = parse_address_expr(item);
      if (!parsed.ok() || parsed.set.empty() || !parsed.set.subtract(trusted).empty()) {
        all_trusted = false;
        break;
      }
      network = network || parsed.set.v4.count() > 1 || parsed.set.v6.count() > 1;
      addresses = addresses.unite(parsed.set);
    }
    if (all_trusted && network) out.push_back({"$" + name, addresses});
  }
  return out;
}

// The first of `macros` with addresses of every family of `families`; empty if none.
std::string macro_for(const std::vector<Macro>& macros, const std::vector<Family>& families) {
  for (const auto& m : macros)
    if (std::all_of(families.begin(), families.end(), [&m](Family f) { return !m.addresses.of(f).empty(); }))
      return m.name;
  return "";
}

// `on $ext_if`, `on { em0 em1 }` of a rule's text.
std::string interface_words(const std::string& text) {
  auto w = words(text);
  for (std::size_t i = 0; i + 1 < w.size(); ++i)
    if (w[i] == "on") return w[i + 1] == "!" && i + 2 < w.size() ? "on ! " + w[i + 2] : "on " + w[i + 1];
  return "";
}

// The line (1-based) after the last top-level statement that can block (block, antispoof,
// an anchor and its braces), continuation lines included: a pass there is the last
// match for the packets no quick rule decides. 0 when there is none.
int after_last_block(const std::vector<std::string>& lines) {
  int depth = 0, after = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto w = words(trim(lines[i]));
    const bool top = depth == 0;
    const bool blocks = top && !w.empty() && (w[0] == "block" || w[0] == "anchor" || w[0] == "antispoof");
    // The statement's last line: continuation lines, and an anchor's braces.
    std::size_t end = i;
    while (true) {
      bool quoted = false;
      for (char c : lines[end]) {
        if (c == '"') quoted = !quoted;
        if (quoted) continue;
        if (c == '#') break;
        if (c == '{') ++depth;
        if (c == '}') --depth;
      }
      std::string t = trim(lines[end]);
      bool continued = !t.empty() && t.back() == '\\';
      if (end + 1 >= lines.size() || (!continued && !(blocks && w[0] == "anchor" && depth > 0))) break;
      ++end;
    }
    if (blocks && depth == 0) after = static_cast<int>(end + 2);
    i = end;
  }
  return after;
}

class PfWriter final : public Writer {
 public:
  WriterOutput write(const WriterInput& in) const override {
    WriterOutput out;
    const auto macros = trusted_macros(in.lines);
    const int end = after_last_block(in.lines);
    auto groups = group_parts(in, out.problems);
    merge_tcp_and_udp(groups);
    // A non-quick pass on one interface is not needed when one on every interface, placed
    // at the same line, passes the same packets (its ports and sources or more).
    auto plain = [](const RuleGroup& g) {
      if (!g.decider.rule || g.network || g.reply) return false;
      auto w = words(g.decider.rule->text);
      return std::find(w.begin(), w.end(), "quick") == w.end();
    };
    std::vector<bool> skip(groups.size(), false);
    for (std::size_t i = 0; i < groups.size(); ++i) {
      if (!plain(groups[i]) || interface_words(groups[i].decider.rule->text).empty()) continue;
      for (std::size_t j = 0; j < groups.size(); ++j) {
        const RuleGroup &g = groups[i], &h = groups[j];
        if (i == j || skip[j] || !plain(h) || !interface_words(h.decider.rule->text).empty()) continue;
        if (h.protocol != g.protocol || h.tcp_and_udp != g.tcp_and_udp || h.direction != g.direction ||
            h.families != g.families)
          continue;
        if (h.trusted_only && !g.trusted_only) continue;
        if (!g.ports.subtract(h.ports).empty()) continue;
        skip[i] = true;
        for (const auto& t : g.serves)
          if (std::find(h.serves.begin(), h.serves.end(), t) == h.serves.end()) groups[j].serves.push_back(t);
        break;
      }
    }
    for (std::size_t gi = 0; gi < groups.size(); ++gi) {
      if (skip[gi]) continue;
      const RuleGroup& g = groups[gi];
      if (!g.decider.rule) {
        out.problems.push_back(fmt::format("{} {} is denied by {} with no rule of the file to place a pass next to",
                                           proto_name(g.protocol), format_ports(g.ports),
                                           g.decider.policy ? "a policy" : std::string_view(g.decider.implicit)));
        continue;
      }
      if (g.reply) {
        out.problems.push_back(
            fmt::format("replies of {} {} are denied: pf keeps state for passed connections, "
                        "fwmatrix does not write pass rules for replies",
                        proto_name(g.protocol), format_ports(g.ports)));
        continue;
      }
      const Rule& r = *g.decider.rule;
      const int line = r.span.line;
      if (line < 1 || static_cast<std::size_t>(line) > in.lines.size() || r.span.file.str() != in.rs.file) {
        out.problems.push_back(fmt::format("{} {} is denied by a rule outside the file (`{}`)", proto_name(g.protocol),
                                           format_ports(g.ports), r.text));
        continue;
      }
      auto w = words(r.text);
      const bool quick = std::find(w.begin(), w.end(), "quick") != w.end();
      const std::string& text = in.lines[static_cast<std::size_t>(line - 1)];
      Edit e;
      e.serves = g.serves;
      e.line = quick ? line : end;
      if (e.line == 0) {
        out.problems.push_back("no block rule at the top level of the file to place a pass after");
        continue;
      }
      std::string head = fmt::format("pass {}", g.direction == Direction::Out ? "out" : "in");
      if (quick) head += " quick";
      std::string iface = interface_words(r.text);
      if (!iface.empty()) head += " " + iface;
      const bool both = g.families.size() == 2 || !in.rs.covers(Family::V4) || !in.rs.covers(Family::V6);
      std::string fam = both ? "" : g.families.front() == Family::V4 ? " inet" : " inet6";
      std::string ports = port_expr(g.ports);
      const std::string proto = g.tcp_and_udp ? "{ tcp udp }" : proto_name(g.protocol);
      const std::string indent = quick ? indentation(text) : "";
      const std::string ending = line_ending(text);
      if (g.network) {
        for (Family f : g.families) {
          auto fi = static_cast<std::size_t>(f);
          e.lines.push_back(fmt::format("{}{}{} proto {} from {} to {} port {}{}", indent, head,
                                        f == Family::V4 ? " inet" : " inet6", proto, addr_expr(g.sources[fi]),
                                        addr_expr(g.destinations[fi]), ports, ending));
        }
      } else if (g.trusted_only) {
        std::string from = macro_for(macros, g.families);
        if (from.empty()) {
          std::vector<std::string> prefixes;
          for (Family f : g.families)
            for (const auto& p : trusted_prefixes(f)) prefixes.push_back(p);
          from = addr_expr(prefixes);
        }
        e.lines.push_back(
            fmt::format("{}{}{} proto {} from {} to any port {}{}", indent, head, fam, proto, from, ports, ending));
      } else {
        e.lines.push_back(fmt::format("{}{}{} proto {} to any port {}{}", indent, head, fam, proto, ports, ending));
      }
      out.edits.push_back(std::move(e));
    }
    return out;
  }
};

}  // namespace

const Writer& pf_writer() {
  static const PfWriter writer;
  return writer;
}

}  // namespace fwm::fix
