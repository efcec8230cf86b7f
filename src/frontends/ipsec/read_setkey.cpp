// setkey SPD files: `spdadd SRC DST UPPER -P in|out [prio N] none|discard|ipsec ...;`.
// Inbound entries have the peer as source, outbound ones as destination. Entries are
// tried in file order (KAME); an explicit priority (Linux) ranks first by number.
// `spdflush;` removes the policies before it and `spddelete` the one with its selector
// and direction (setkey(8)). A shell script that feeds setkey a here-document
// (`setkey -c <<EOF ... EOF`) is read as the here-document's commands, with the
// script's plain variable assignments substituted as the shell would.
#include <fmt/format.h>

#include <map>
#include <regex>

#include "SetkeyLexer.h"
#include "SetkeyParser.h"
#include "frontends/ipsec/ipsec_support.h"

namespace fwm::ipsec {

using fwm_antlr_fwm_grammar_ipsec_setkey::SetkeyLexer;
using fwm_antlr_fwm_grammar_ipsec_setkey::SetkeyParser;

namespace {

// `address[/prefix][[port]]`. A shell variable the script does not set (`$PEER[500]`)
// leaves that part unknown.
bool parse_endpoint(const std::string& text, std::optional<AddrSet>& addr, std::optional<PortSet>& port,
                    std::string& error, std::vector<std::string>& unknowns) {
  std::string a = text;
  auto br = text.find('[');
  if (br != std::string::npos) {
    if (text.back() != ']') {
      error = fmt::format("'{}': '[' without closing ']'", text);
      return false;
    }
    std::string p = text.substr(br + 1, text.size() - br - 2);
    a = text.substr(0, br);
    if (p.find('$') != std::string::npos) {
      unknowns.push_back(fmt::format("port {}: a shell variable this script does not set", p));
    } else if (lower(p) != "any") {
      if (p.find('-') != std::string::npos || p.find(',') != std::string::npos) {
        error = fmt::format("'{}': setkey takes one port number or 'any', no ranges or lists", text);
        return false;
      }
      PortSet ports;
      if (!parse_port_value(p, ports, error)) return false;
      port = ports;
    }
  }
  if (a.find('$') != std::string::npos) {
    unknowns.push_back(fmt::format("address {}: a shell variable this script does not set", a));
    return true;
  }
  AddrSet set;
  if (!parse_cidr_list({a}, set, error)) return false;
  if (!set.is_all()) addr = set;
  return true;
}

// The setkey input of a shell script: the bodies of the here-documents it feeds to
// setkey, every other line blanked (so line numbers stay those of the script). Plain
// `NAME=value` assignments before a here-document whose delimiter is not quoted are
// substituted for `$NAME` / `${NAME}` in it, as the shell expands them; a name set more
// than once, or to something computed, is left for the reader to report as unknown.
// Returns nothing when the file feeds no here-document to setkey.
std::optional<std::string> setkey_heredocs(const std::string& text) {
  static const std::regex heredoc(R"(<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2)");
  static const std::regex setkey_cmd(R"((^|[\s;&|(`])(\S*/)?setkey(\s|$))");
  static const std::regex assign(R"(^\s*(export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(\S*)\s*(#.*)?$)");
  auto lines = split_lines(text);
  std::vector<std::string> out(lines.size());
  std::map<std::string, std::string> vars;
  std::map<std::string, int> times_set;
  bool any = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string line(lines[i]);
    std::smatch m;
    if (std::regex_search(line, m, assign)) {
      std::string v = m[3].str();
      bool literal = v.find_first_of("$`(") == std::string::npos;
      if (literal) v = unquote(v);
      ++times_set[m[2].str()];
      if (literal && v.find_first_of("\"'") == std::string::npos)
        vars[m[2].str()] = v;
      else
        vars.erase(m[2].str());
      continue;
    }
    if (!std::regex_search(line, m, heredoc)) continue;
    bool strip_tabs = m[1].length() > 0, quoted = m[2].length() > 0;
    std::string delimiter = m[3].str();
    bool feeds_setkey = std::regex_search(line.substr(0, static_cast<std::size_t>(m.position(0))), setkey_cmd);
    for (++i; i < lines.size(); ++i) {
      std::string body(lines[i]);
      std::string end = body;
      if (strip_tabs)
        end.erase(0, end.find_first_not_of('\t') == std::string::npos ? end.size() : end.find_first_not_of('\t'));
      if (end == delimiter) break;
      if (!feeds_setkey) continue;
      any = true;
      if (!quoted) {
        for (const auto& [name, value] : vars) {
          if (times_set[name] != 1) continue;
          for (const std::string& ref : {"${" + name + "}", "$" + name}) {
            for (std::size_t at = body.find(ref); at != std::string::npos; at = body.find(ref, at + value.size())) {
              std::size_t after = at + ref.size();
              bool word_end = ref[1] == '{' || after >= body.size() ||
                              !(std::isalnum(static_cast<unsigned char>(body[after])) || body[after] == '_');
              if (!word_end) {
                at += 1;
                continue;
              }
              body.replace(at, ref.size(), value);
            }
          }
        }
      }
      out[i] = body;
    }
  }
  if (!any) return std::nullopt;
  std::string joined;
  for (const auto& l : out) joined += l + "\n";
  return joined;
}

// Commands of setkey(8)'s grammar (FreeBSD and ipsec-tools parse.y): anything else is
// a syntax error at which setkey stops reading (`setkey -f` has loaded the commands
// before it and loads none after it).
bool setkey_command_word(const std::string& w) {
  static const char* words[] = {"add",    "get",       "delete",    "deleteall", "flush",    "dump",
                                "spdadd", "spdupdate", "spddelete", "spddump",   "spdflush", "exit"};
  for (const char* k : words)
    if (w == k) return true;
  return false;
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

// The selector and direction of each entry read so far (what spddelete and spdupdate
// name), by entry index.
using SelectorKeys = std::map<std::size_t, std::string>;

void read_commands(const TextFile& file, IpsecPolicy& policy, SetkeyParser::FileContext* tree,
                   const std::vector<std::string_view>& lines, SelectorKeys& keys);

}  // namespace

void read_setkey(const TextFile& file, IpsecPolicy& policy) {
  ChunkParser<SetkeyLexer, SetkeyParser> commands;
  auto lines = split_lines(file.text);
  auto line_text = [&](int n) { return line_at(lines, n); };
  std::optional<std::string> script_input = setkey_heredocs(file.text);
  const std::string& input = script_input ? *script_input : file.text;
  int stopped_at = 0;  // line of the syntax error at which setkey stops reading
  SelectorKeys keys;
  // Commands are parsed one at a time, so an error costs only its own command.
  for (const auto& command : split_commands(input)) {
    if (stopped_at) break;  // setkey never reads the rest
    std::string first = command.text.substr(0, command.text.find_first_of(" \t\n;"));
    if (!setkey_command_word(first)) {
      std::string shown = first.empty() ? command.text.substr(0, 1) : first;
      std::string why = !first.empty() && !std::isalnum(static_cast<unsigned char>(first[0]))
                            ? fmt::format("setkey rejects this command: syntax error at '{}'", first.substr(0, 1))
                            : fmt::format("setkey rejects this command: '{}' is not a setkey command", shown);
      add_rejected(policy, command.line, command.column + 1,
                   why + "; setkey stops reading here, so no command after it is loaded", line_text(command.line));
      stopped_at = command.line;
      continue;
    }
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
    read_commands(file, policy, tree, lines, keys);
  }
}

namespace {

void read_commands(const TextFile& file, IpsecPolicy& policy, SetkeyParser::FileContext* tree,
                   const std::vector<std::string_view>& lines, SelectorKeys& keys) {
  for (auto* cmd : tree->command()) {
    if (auto* other = cmd->other()) {
      // spdflush: every policy loaded so far is removed.
      std::string word = lower(other->getStart()->getText());
      if (word == "spdflush")
        for (auto& e : policy.entries)
          if (e.installed) {
            e.installed = false;
            e.not_installed_why = fmt::format("the spdflush on line {} removes it", other->getStart()->getLine());
          }
      continue;
    }
    auto* sp = cmd->spdadd();
    if (!sp) continue;
    bool deleting = sp->cmd->getType() == SetkeyLexer::SPDDELETE;
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
    if (!parse_endpoint(sp->src->getText(), src_addr, src_port, err, e.selector.unknowns)) {
      fail(sp->src, err);
      continue;
    }
    if (!parse_endpoint(sp->dst->getText(), dst_addr, dst_port, err, e.selector.unknowns)) {
      fail(sp->dst, err);
      continue;
    }
    std::string upper = lower(sp->upper[0]->getText());
    if (upper.find('$') != std::string::npos) {
      e.selector.unknowns.push_back(
          fmt::format("upper-layer protocol {}: a shell variable this script does not set", sp->upper[0]->getText()));
    } else if (upper != "any") {
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
    // spddelete / spdupdate name an earlier policy by its selector and direction.
    std::string upper_text;
    for (auto* u : sp->upper) upper_text += " " + u->getText();
    std::string key = fmt::format("{} {}{} {}", sp->src->getText(), sp->dst->getText(), upper_text, dir);
    if (deleting || sp->cmd->getType() == SetkeyLexer::SPDUPDATE) {
      for (auto& [index, k] : keys) {
        IpsecEntry& old = policy.entries[index];
        if (k != key || !old.installed) continue;
        old.installed = false;
        old.not_installed_why =
            fmt::format("the {} on line {} {} it", sp->cmd->getText(), line, deleting ? "removes" : "replaces");
      }
      if (deleting) continue;
    }
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
    keys[policy.entries.size()] = key;
    policy.entries.push_back(std::move(e));
  }
}

}  // namespace
}  // namespace fwm::ipsec
