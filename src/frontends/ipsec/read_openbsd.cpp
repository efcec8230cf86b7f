// OpenBSD ipsec.conf(5) flows: `flow [esp|ah|ipip] [in|out] [proto P] from SRC [port P]
// to DST [port P] ... [type require|use|acquire|dontacq|bypass|deny]`, with pf-style
// macros and lists. Without in/out a flow is the out flow plus its mirrored in flow.
// The most specific covering flow decides [unverified: SPD lookup order].
#include <fmt/format.h>

#include <map>

#include "OpenbsdIpsecLexer.h"
#include "OpenbsdIpsecParser.h"
#include "frontends/ipsec/ipsec_support.h"

namespace fwm::ipsec {

using fwm_antlr_fwm_grammar_ipsec_openbsdipsec::OpenbsdIpsecLexer;
using fwm_antlr_fwm_grammar_ipsec_openbsdipsec::OpenbsdIpsecParser;

namespace {

struct Expander {
  std::map<std::string, std::string> macros;
  std::string error;

  // The items a value stands for (lists and macros expanded).
  std::vector<std::string> items(OpenbsdIpsecParser::ValueContext* v) {
    std::vector<std::string> out;
    if (!v) return out;
    if (auto* l = v->list()) {
      for (auto* inner : l->value()) {
        auto more = items(inner);
        out.insert(out.end(), more.begin(), more.end());
      }
      return out;
    }
    std::string t = v->getText();
    if (v->STRING()) t = unquote(t);
    expand(t, out);
    return out;
  }

  void expand(const std::string& t, std::vector<std::string>& out) {
    if (!t.empty() && t[0] == '$') {
      auto it = macros.find(t.substr(1));
      if (it == macros.end()) {
        error = fmt::format("macro {} is not defined", t);
        return;
      }
      std::string body = it->second;
      for (auto& c : body)
        if (c == '{' || c == '}' || c == ',') c = ' ';
      for (const auto& part : split(body, ' ')) expand(part, out);
      return;
    }
    out.push_back(t);
  }
};

void read_statements(const TextFile& file, IpsecPolicy& policy, OpenbsdIpsecParser::FileContext* tree,
                     const std::vector<std::string_view>& lines, Expander& ex);

}  // namespace

void read_openbsd(const TextFile& file, IpsecPolicy& policy) {
  ChunkParser<OpenbsdIpsecLexer, OpenbsdIpsecParser> statements;
  auto lines = split_lines(file.text);
  auto line_text = [&](int n) { return line_at(lines, n); };
  Expander ex;
  // One statement at a time (a line and its backslash continuations), so an error costs
  // only its statement; macros carry over.
  for (std::size_t idx = 0; idx < lines.size(); ++idx) {
    int first_line = static_cast<int>(idx) + 1;
    std::string chunk(lines[idx]);
    while (!chunk.empty() && chunk.back() == '\\' && idx + 1 < lines.size()) chunk += "\n" + std::string(lines[++idx]);
    if (trim(chunk).empty()) continue;
    auto* tree = statements.load(chunk, first_line).file();
    const FirstError& errors = statements.errors();
    if (errors.has_error) {
      add_error(policy, errors.line, errors.column, fmt::format("cannot parse this statement: {}", errors.message),
                line_text(errors.line));
      continue;
    }
    read_statements(file, policy, tree, lines, ex);
  }
}

namespace {

void read_statements(const TextFile& file, IpsecPolicy& policy, OpenbsdIpsecParser::FileContext* tree,
                     const std::vector<std::string_view>& lines, Expander& ex) {
  auto line_text = [&](int n) { return line_at(lines, n); };
  for (auto* st : tree->statement()) {
    int line = static_cast<int>(st->getStart()->getLine());
    if (auto* m = st->macro()) {
      std::string v = m->STRING() ? unquote(m->STRING()->getText()) : m->WORD(1)->getText();
      ex.macros[m->WORD(0)->getText()] = v;
      continue;
    }
    auto* f = st->flow();
    if (!f) continue;
    IpsecSelector base;
    IpsecAction action = IpsecAction::Protect;
    std::string type = "require";
    std::vector<std::string> notes;
    for (auto* o : f->option()) {
      if (o->TYPE()) {
        auto t = ex.items(o->value());
        type = t.empty() ? "" : lower(t[0]);
      } else if (o->key) {
        std::string k = lower(o->key->getText());
        if (k == "rdomain") notes.push_back("rdomain: routing domain of the flow");
      }
    }
    if (type == "bypass") {
      action = IpsecAction::Bypass;
    } else if (type == "deny") {
      action = IpsecAction::Discard;
    } else if (type == "require" || type == "use" || type == "acquire" || type == "dontacq") {
      action = IpsecAction::Protect;
    } else {
      add_error(policy, line, 1,
                fmt::format("unknown flow type '{}' (expected require, use, acquire, dontacq, bypass or deny)", type),
                line_text(line));
      continue;
    }
    std::vector<std::string> protos = f->proto ? ex.items(f->proto) : std::vector<std::string>{""};
    std::vector<std::string> srcs = f->src ? ex.items(f->src) : std::vector<std::string>{"any"};
    std::vector<std::string> dsts = f->dst ? ex.items(f->dst) : std::vector<std::string>{"any"};
    std::vector<std::string> sports = f->sport ? ex.items(f->sport) : std::vector<std::string>{""};
    std::vector<std::string> dports = f->dport ? ex.items(f->dport) : std::vector<std::string>{""};
    if (!ex.error.empty()) {
      add_error(policy, line, 1, ex.error, line_text(line));
      ex.error.clear();
      continue;
    }
    std::string dir = f->dir ? f->dir->getText() : "";
    std::string stmt = line_text(line);
    for (const auto& proto : protos)
      for (const auto& s : srcs)
        for (const auto& d : dsts)
          for (const auto& sp : sports)
            for (const auto& dp : dports) {
              IpsecEntry e;
              e.action = action;
              e.action_label = "type " + type;
              std::string err;
              AddrSet sa, da;
              if (!parse_cidr_list({s}, sa, err) || !parse_cidr_list({d}, da, err)) {
                add_error(policy, line, 1, err, stmt);
                continue;
              }
              std::optional<PortSet> spp, dpp;
              if (!sp.empty()) {
                PortSet p;
                if (!parse_port_value(sp, p, err)) {
                  add_error(policy, line, 1, err, stmt);
                  continue;
                }
                spp = p;
              }
              if (!dp.empty()) {
                PortSet p;
                if (!parse_port_value(dp, p, err)) {
                  add_error(policy, line, 1, err, stmt);
                  continue;
                }
                dpp = p;
              }
              if (!proto.empty()) {
                if (auto p = parse_protocol(proto)) {
                  e.selector.proto = proto_only(*p);
                } else {
                  add_error(policy, line, 1, fmt::format("unknown protocol '{}'", proto), stmt);
                  continue;
                }
              }
              auto opt = [](const AddrSet& a) {
                return a.is_all() ? std::optional<AddrSet>() : std::optional<AddrSet>(a);
              };
              if (dir == "in") {
                // Packets from the peer (from) to the host (to).
                e.selector.outbound = false;
                e.selector.remote_addr = opt(sa);
                e.selector.remote_port = spp;
                e.selector.local_addr = opt(da);
                e.selector.local_port = dpp;
              } else {
                if (dir == "out") e.selector.inbound = false;
                e.selector.local_addr = opt(sa);
                e.selector.local_port = spp;
                e.selector.remote_addr = opt(da);
                e.selector.remote_port = dpp;
              }
              e.selector.unknowns = notes;
              e.rank = {specificity_rank(e.selector)};
              e.span = {file.path, line, 1, line, static_cast<int>(stmt.size()) + 1};
              e.text = stmt;
              e.normalized = fmt::format("{}|{}|{}|{}|{}|{}", stmt, proto, s, d, sp, dp);
              for (int n : {line - 1, line}) {
                if (n < 1 || static_cast<std::size_t>(n) > lines.size()) continue;
                read_suppressions(lines[static_cast<std::size_t>(n) - 1], e.suppressions);
              }
              policy.entries.push_back(std::move(e));
            }
  }
}

}  // namespace
}  // namespace fwm::ipsec
