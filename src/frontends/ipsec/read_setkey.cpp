// setkey SPD files: `spdadd SRC DST UPPER -P in|out [prio N] none|discard|ipsec ...;`.
// Inbound entries have the peer as source, outbound ones as destination. Entries are
// tried in file order (KAME); an explicit priority (Linux) ranks first by number.
#include <fmt/format.h>

#include "SetkeyLexer.h"
#include "SetkeyParser.h"
#include "frontends/ipsec/ipsec_support.h"

namespace fwm::ipsec {

using fwm_antlr_fwm_grammar_ipsec_setkey::SetkeyLexer;
using fwm_antlr_fwm_grammar_ipsec_setkey::SetkeyParser;

namespace {

// `address[/prefix][[port]]`
bool parse_endpoint(const std::string& text, std::optional<AddrSet>& addr, std::optional<PortSet>& port,
                    std::string& error) {
  std::string a = text;
  auto br = text.find('[');
  if (br != std::string::npos) {
    if (text.back() != ']') {
      error = fmt::format("'{}': '[' without closing ']'", text);
      return false;
    }
    std::string p = text.substr(br + 1, text.size() - br - 2);
    a = text.substr(0, br);
    if (lower(p) != "any") {
      if (p.find('-') != std::string::npos || p.find(',') != std::string::npos) {
        error = fmt::format("'{}': setkey takes one port number or 'any', no ranges or lists", text);
        return false;
      }
      PortSet ports;
      if (!parse_port_value(p, ports, error)) return false;
      port = ports;
    }
  }
  AddrSet set;
  if (!parse_cidr_list({a}, set, error)) return false;
  if (!set.is_all()) addr = set;
  return true;
}

// One command of the file (up to and including its ';'), with where it starts.
struct CommandText {
  std::string text;
  int line = 1, column = 0;  // 1-based line, 0-based column (ANTLR's convention)
  bool terminated = false;
};

std::vector<CommandText> split_commands(const std::string& text) {
  std::vector<CommandText> out;
  CommandText cur;
  bool started = false, in_comment = false, in_quote = false;
  int line = 1, column = 0;
  for (char c : text) {
    if (!started && !in_comment && !std::isspace(static_cast<unsigned char>(c)) && c != '#') {
      started = true;
      cur.line = line;
      cur.column = column;
    }
    if (started) cur.text += c;
    if (in_comment) {
      if (c == '\n') in_comment = false;
    } else if (in_quote) {
      if (c == '"') in_quote = false;
    } else if (c == '#') {
      in_comment = true;
    } else if (c == '"') {
      in_quote = true;
    } else if (c == ';' && started) {
      cur.terminated = true;
      out.push_back(std::move(cur));
      cur = CommandText{};
      started = false;
    }
    if (c == '\n') {
      ++line;
      column = 0;
    } else {
      ++column;
    }
  }
  if (started) out.push_back(std::move(cur));
  return out;
}

void read_commands(const TextFile& file, IpsecPolicy& policy, SetkeyParser::FileContext* tree,
                   const std::vector<std::string_view>& lines);

}  // namespace

void read_setkey(const TextFile& file, IpsecPolicy& policy) {
  ChunkParser<SetkeyLexer, SetkeyParser> commands;
  auto lines = split_lines(file.text);
  auto line_text = [&](int n) { return line_at(lines, n); };
  // Commands are parsed one at a time, so an error costs only its own command.
  for (const auto& command : split_commands(file.text)) {
    if (!command.terminated) {
      add_error(policy, command.line, command.column + 1,
                "this command is not terminated: setkey commands end with ';'", line_text(command.line));
      continue;
    }
    auto* tree = commands.load(command.text, command.line, command.column).file();
    const FirstError& errors = commands.errors();
    if (errors.has_error) {
      add_error(policy, errors.line, errors.column, fmt::format("cannot parse this command: {}", errors.message),
                line_text(errors.line));
      continue;
    }
    read_commands(file, policy, tree, lines);
  }
}

namespace {

void read_commands(const TextFile& file, IpsecPolicy& policy, SetkeyParser::FileContext* tree,
                   const std::vector<std::string_view>& lines) {
  for (auto* cmd : tree->command()) {
    auto* sp = cmd->spdadd();
    if (!sp) continue;
    int line = static_cast<int>(sp->getStart()->getLine());
    int column = static_cast<int>(sp->getStart()->getCharPositionInLine()) + 1;
    std::string text = source_text(sp);
    auto fail = [&](antlr4::Token* at, const std::string& msg) {
      add_error(policy, static_cast<int>(at->getLine()), static_cast<int>(at->getCharPositionInLine()) + 1, msg, text);
    };
    IpsecEntry e;
    std::optional<AddrSet> src_addr, dst_addr;
    std::optional<PortSet> src_port, dst_port;
    std::string err;
    if (!parse_endpoint(sp->src->getText(), src_addr, src_port, err)) {
      fail(sp->src, err);
      continue;
    }
    if (!parse_endpoint(sp->dst->getText(), dst_addr, dst_port, err)) {
      fail(sp->dst, err);
      continue;
    }
    std::string upper = lower(sp->upper[0]->getText());
    if (upper != "any") {
      if (auto p = parse_protocol(upper)) {
        e.selector.proto = proto_only(*p);
      } else {
        fail(sp->upper[0], fmt::format("unknown upper-layer protocol '{}'", upper));
        continue;
      }
    }
    if (sp->upper.size() > 1) {
      // icmp6 type,code or a security label: narrows the selector in a way not modelled.
      e.selector.unknowns.push_back(fmt::format("upper-layer arguments '{}'", sp->upper[1]->getText()));
    }
    std::vector<std::string> pol;
    for (auto* t : sp->policy) pol.push_back(t->getText());
    std::string dir = lower(pol[0]);
    std::size_t k = 1;
    std::optional<long long> prio;
    if (k < pol.size() && (lower(pol[k]) == "prio" || lower(pol[k]) == "priority")) {
      ++k;
      std::string value;
      while (k < pol.size() &&
             (std::isdigit(static_cast<unsigned char>(pol[k][0])) || pol[k] == "def" || pol[k] == "default" ||
              pol[k] == "low" || pol[k] == "high" || pol[k][0] == '+' || pol[k][0] == '-'))
        value += pol[k++];
      try {
        prio = std::stoll(value);
      } catch (...) {
        e.selector.unknowns.push_back(fmt::format("priority '{}'", value));
      }
    }
    if (k >= pol.size()) {
      fail(sp->POLICY_OPT()->getSymbol(), "-P needs a direction and a policy (none, discard or ipsec ...)");
      continue;
    }
    std::string action = lower(pol[k]);
    if (action == "none" || action == "bypass") {
      e.action = IpsecAction::Bypass;
    } else if (action == "discard") {
      e.action = IpsecAction::Discard;
    } else if (action == "ipsec") {
      e.action = IpsecAction::Protect;
      if (k + 1 >= pol.size()) {
        fail(sp->POLICY_OPT()->getSymbol(), "'ipsec' needs at least one request (esp/transport//require)");
        continue;
      }
    } else if (action == "entrust") {
      e.action = IpsecAction::Protect;
      e.selector.unknowns.push_back("policy 'entrust': decided by the system-wide default");
    } else {
      fail(sp->POLICY_OPT()->getSymbol(),
           fmt::format("unknown policy '{}' (expected none, discard, ipsec, entrust or bypass)", pol[k]));
      continue;
    }
    e.action_label = fmt::format("-P {}", fmt::join(std::vector<std::string>(pol.begin(), pol.end()), " "));
    if (dir == "in") {
      e.selector.outbound = false;
      e.selector.remote_addr = src_addr;
      e.selector.remote_port = src_port;
      e.selector.local_addr = dst_addr;
      e.selector.local_port = dst_port;
    } else if (dir == "out") {
      e.selector.inbound = false;
      e.selector.local_addr = src_addr;
      e.selector.local_port = src_port;
      e.selector.remote_addr = dst_addr;
      e.selector.remote_port = dst_port;
    } else if (dir == "fwd") {
      e.installed = false;
      e.not_installed_why = "dir fwd concerns forwarded traffic, not the host's own";
    } else {
      fail(sp->POLICY_OPT()->getSymbol(), fmt::format("unknown direction '{}' (expected in, out or fwd)", pol[0]));
      continue;
    }
    // Families: an address pins it.
    if (src_addr || dst_addr) {
      const AddrSet& a = src_addr ? *src_addr : *dst_addr;
      e.selector.families.reset();
      if (!a.v4.empty()) e.selector.families.set(0);
      if (!a.v6.empty()) e.selector.families.set(1);
    }
    e.rank = {prio ? *prio : 0};
    e.span = {file.path, line, column, static_cast<int>(sp->getStop()->getLine()), 1};
    e.text = text;
    e.normalized = text;
    // Suppressions: a comment on the line before or on the entry's line.
    for (int n : {line - 1, line}) {
      if (n < 1 || static_cast<std::size_t>(n) > lines.size()) continue;
      read_suppressions(lines[static_cast<std::size_t>(n) - 1], e.suppressions);
    }
    policy.entries.push_back(std::move(e));
  }
}

}  // namespace
}  // namespace fwm::ipsec
