// Lowering the nftables vendor model into the rule IR: chains, rules (one nft rule can
// become several IR rules: a vmap gives one per element, a concatenated set one per
// tuple) and the packet paths: all base chains on the hooks a packet passes, of every
// table and family that sees it, in priority order, each one a Stage.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "frontends/nftables/nftables_frontend.h"
#include "ir/packet_model.h"
#include "ir/services.h"

namespace fwm::nftables {

namespace {

std::bitset<2> families_of(const std::string& family) {
  std::bitset<2> f;
  if (family == "ip")
    f.set(0);
  else if (family == "ip6")
    f.set(1);
  else
    f.set();  // inet, netdev, bridge: both (arp: no IP at all, its chains are not in any path)
  return f;
}

ProtoSet port_protocols() {
  ProtoSet p;
  for (int n : {kProtoTcp, kProtoUdp, kProtoUdplite, kProtoSctp, kProtoDccp}) p.set(static_cast<std::size_t>(n));
  return p;
}

// Intersects two matches; false when no packet can satisfy both.
bool intersect_into(Match& a, const Match& b) {
  a.families &= b.families;
  if (b.proto) a.proto = a.proto ? (*a.proto & *b.proto) : *b.proto;
  if (b.src) a.src = a.src ? a.src->intersect(*b.src) : *b.src;
  if (b.dst) a.dst = a.dst ? a.dst->intersect(*b.dst) : *b.dst;
  if (b.sport) a.sport = a.sport ? a.sport->intersect(*b.sport) : *b.sport;
  if (b.dport) a.dport = a.dport ? a.dport->intersect(*b.dport) : *b.dport;
  if (b.state) a.state = a.state ? (*a.state & *b.state) : *b.state;
  auto merge_iface = [&](SparseVector<IfacePattern>& pa, bool& na, const SparseVector<IfacePattern>& pb, bool nb,
                         const char* what) {
    if (pb.empty()) return;
    if (pa.empty()) {
      pa = pb;
      na = nb;
      return;
    }
    a.unknowns.push_back(fmt::format("a second {} interface condition", what));
  };
  merge_iface(a.in_patterns, a.in_negated, b.in_patterns, b.in_negated, "input");
  merge_iface(a.out_patterns, a.out_negated, b.out_patterns, b.out_negated, "output");
  a.unknowns.append(b.unknowns.begin(), b.unknowns.end());
  a.never = a.never || b.never;
  a.never_by_packet_model = a.never_by_packet_model || b.never_by_packet_model;
  if (a.families.none() || (a.proto && a.proto->none()) || (a.sport && a.sport->empty()) ||
      (a.dport && a.dport->empty()) || (a.state && a.state->none()))
    a.never = true;
  if (a.src && a.src->empty()) a.never = true;
  if (a.dst && a.dst->empty()) a.never = true;
  return !a.never;
}

struct Alternative {
  Match match;
  std::optional<Action> action;  // from a vmap element
};

class ChainLowering;

class RuleLowering {
 public:
  RuleLowering(const ChainModel& chain, const RuleModel& rule, const Model& model, Ruleset& rs,
               const std::map<std::string, int>& chain_index,
               std::map<std::string, std::pair<int, std::size_t>>& counts, std::size_t max_alternatives)
      : chain_(chain),
        rule_(rule),
        model_(model),
        rs_(rs),
        chain_index_(chain_index),
        counts_(counts),
        max_alternatives_(max_alternatives) {}

  // Appends the IR rules of this nft rule to `out`; false (with a diagnostic) on an error.
  bool lower(std::vector<Rule>& out) {
    Alternative start;
    start.match.families = families_of(chain_.family);
    std::vector<Alternative> alts{start};
    Action action;
    action.kind = ActionKind::Continue;
    bool have_verdict = false;
    for (const Stmt& s : rule_.stmts) {
      stmt_ = &s;
      switch (s.kind) {
        case StmtKind::Match: {
          std::vector<Match> deltas;
          if (!match(s, deltas)) return false;
          combine(alts, deltas);
          break;
        }
        case StmtKind::Vmap: {
          std::vector<Alternative> entries;
          if (!vmap(s, entries)) return false;
          std::vector<Alternative> next;
          for (const auto& a : alts)
            for (const auto& e : entries) {
              Alternative n = a;
              intersect_into(n.match, e.match);
              n.action = e.action;
              next.push_back(std::move(n));
            }
          alts = std::move(next);
          have_verdict = true;
          break;
        }
        case StmtKind::Verdict:
          if (!verdict(s.verdict, action)) return false;
          have_verdict = true;
          break;
        case StmtKind::Reject:
          action.kind = ActionKind::Deny;
          action.label = s.text;
          have_verdict = true;
          break;
        case StmtKind::Nat:
          nat(s, action);
          have_verdict = true;
          break;
        case StmtKind::Notrack:
          action.kind = ActionKind::SetState;
          action.label = "notrack";
          action.new_state = ct_only(CtState::Untracked);
          have_verdict = true;
          break;
        case StmtKind::Limit: {
          if (!named_object_exists(s)) return false;
          Match m;
          unknown(m, s.text);
          combine(alts, {m});
          break;
        }
        case StmtKind::Unknown: {
          Match m;
          unknown(m, s.text);
          combine(alts, {m});
          // synproxy answers a SYN itself and takes the ACK out of the path (nft(8),
          // SYNPROXY STATEMENT; the kernel's nft_synproxy_eval: NF_STOLEN / NF_DROP): the
          // fate of the packets it sees is decided outside the ruleset.
          if (s.text.rfind("xt target", 0) == 0 || s.text.rfind("synproxy", 0) == 0) {
            action.kind = ActionKind::Unknown;
            action.label = s.text;
            have_verdict = true;
          }
          break;
        }
        case StmtKind::SetUpdate:
          // `update @s { ip saddr limit rate over 10/second }`, `meter m { ip saddr ct count
          // over 3 }`: the rule goes on only when the element's statements say so, which
          // depends on earlier packets.
          if (!s.stateful.empty()) {
            Match m;
            unknown(m, s.text);
            combine(alts, {m});
          }
          break;
        case StmtKind::SetValue:
          // A payload rewrite of a field the analysis reads (`tcp dport set 22`, `ip daddr
          // set 10.0.0.1`): the rest of the chain and later hooks see the new value, which
          // the IR cannot express for a statement that does not end the rule; the verdict of
          // the packets it rewrites is left undetermined. Other fields (dscp, ttl, mark,
          // tcp option maxseg) no rule decision reads: no effect.
          if (rewrites_analysed_field(s)) {
            Match m;
            unknown(m, s.text);
            combine(alts, {m});
            action.kind = ActionKind::Unknown;
            action.label = s.text;
            have_verdict = true;
          }
          break;
        case StmtKind::Counter:
          if (!named_object_exists(s)) return false;
          break;
      }
      if (have_verdict) break;  // statements after a verdict are not executed
      if (alts.size() > max_alternatives_) {
        Alternative a;
        a.match.families = families_of(chain_.family);
        unknown(a.match, fmt::format("more than {} set element combinations ({} raises this limit)", max_alternatives_,
                                     kMaxSetCombinationsFlag));
        alts = {a};
      }
    }
    if (alts.empty()) {  // nothing can match (an empty set): keep the rule, marked as never
      Alternative a;
      a.match.never = true;
      alts.push_back(a);
    }
    for (auto& a : alts) {
      Rule r;
      r.match = std::move(a.match);
      r.action = a.action ? *a.action : action;
      r.span = rule_.span;
      r.text = rule_.text;
      r.normalized = normalized();
      r.suppressions = rule_.suppressions;
      out.push_back(std::move(r));
    }
    return true;
  }

 private:
  void combine(std::vector<Alternative>& alts, const std::vector<Match>& deltas) {
    std::vector<Alternative> next;
    next.reserve(alts.size() * deltas.size());
    for (const auto& a : alts)
      for (const auto& d : deltas) {
        Alternative n = a;
        if (!intersect_into(n.match, d) && !next.empty()) continue;
        next.push_back(std::move(n));
      }
    // Drop alternatives that cannot match, but keep one so that the rule stays visible.
    std::vector<Alternative> live;
    for (auto& n : next)
      if (!n.match.never) live.push_back(std::move(n));
    if (live.empty() && !next.empty()) live.push_back(std::move(next.front()));
    alts = std::move(live);
  }

  std::string normalized() const {
    std::string out = fmt::format("{} {} {}", chain_.family, chain_.table, chain_.name);
    for (const auto& s : rule_.stmts) {
      if (s.kind == StmtKind::Counter && s.text.rfind("counter", 0) == 0) {
        out += " counter";
        continue;
      }
      out += " " + s.text;
    }
    return out;
  }

  // `counter name "c"`, `quota name "q"`, `limit name "l"`: the kernel refuses a rule
  // naming an object its table does not have (nft: Could not process rule: No such file or
  // directory). Names given by a map or a variable are not checked.
  bool named_object_exists(const Stmt& s) {
    for (const char* kind : {"counter", "quota", "limit"}) {
      std::string prefix = std::string(kind) + " name \"";
      if (s.text.rfind(prefix, 0) != 0 || s.text.back() != '"') continue;
      std::string name = s.text.substr(prefix.size(), s.text.size() - prefix.size() - 1);
      if (name.find('"') != std::string::npos) return true;
      const TableModel* table = nullptr;
      for (const auto& t : model_.tables)
        if (t.family == chain_.family && t.name == chain_.table) table = &t;
      if (table && !table->objects.count(std::string(kind) + " " + name))
        return fail(
            fmt::format("{} \"{}\" does not exist in table {} {} (nft: Could not process rule: No such "
                        "file or directory)",
                        kind, name, chain_.family, chain_.table));
    }
    return true;
  }

  static bool rewrites_analysed_field(const Stmt& s) {
    static const std::set<std::string> fields = {
        "ip saddr",   "ip daddr",   "ip6 saddr",     "ip6 daddr",     "tcp sport",   "tcp dport",
        "udp sport",  "udp dport",  "th sport",      "th dport",      "sctp sport",  "sctp dport",
        "dccp sport", "dccp dport", "udplite sport", "udplite dport", "ip protocol", "ip6 nexthdr"};
    for (const auto& sel : s.selectors)
      if (fields.count(sel)) return true;
    return false;
  }

  bool fail(std::string message) {
    Diagnostic d;
    d.id = "FWM090";
    d.severity = Severity::Error;
    d.span = rule_.span;
    if (stmt_ && stmt_->column > 0 && rule_.span.line == rule_.span.end_line) d.span.column = stmt_->column;
    d.message = std::move(message);
    d.snippet = rule_.text;
    rs_.diagnostics.push_back(std::move(d));
    return false;
  }

  void unknown(Match& m, const std::string& what) {
    m.unknowns.push_back(what);
    std::string key = what.substr(0, what.find(' ', what.find(' ') + 1));
    auto it = counts_.find(key);
    if (it != counts_.end()) {
      ++it->second.second;
      return;
    }
    Diagnostic d;
    d.id = "FWM091";
    d.severity = Severity::Warning;
    d.span = rule_.span;
    if (stmt_ && rule_.span.line == rule_.span.end_line) d.span.column = stmt_->column;
    d.message = fmt::format(
        "'{}' is read but not modelled: rules using it are treated as undetermined "
        "(they may or may not match)",
        what);
    d.snippet = rule_.text;
    counts_[key] = {static_cast<int>(rs_.diagnostics.size()), 1};
    rs_.diagnostics.push_back(std::move(d));
  }

  bool verdict(const Verdict& v, Action& a) {
    a.label = stmt_ ? stmt_->text : "";
    switch (v.kind) {
      case VerdictKind::Accept:
        a.kind = ActionKind::Accept;
        return true;
      case VerdictKind::Drop:
        a.kind = ActionKind::Deny;
        return true;
      case VerdictKind::Continue:
        a.kind = ActionKind::Continue;
        return true;
      case VerdictKind::Return:
        a.kind = ActionKind::Return;
        return true;
      case VerdictKind::Queue:
        a.kind = ActionKind::Unknown;
        return true;
      case VerdictKind::None:
        a.kind = ActionKind::Continue;
        return true;
      case VerdictKind::Jump:
      case VerdictKind::Goto: {
        a.kind = v.kind == VerdictKind::Jump ? ActionKind::Jump : ActionKind::Goto;
        a.label = fmt::format("{} {}", v.kind == VerdictKind::Jump ? "jump" : "goto", v.chain);
        auto it = chain_index_.find(fmt::format("{} {} {}", chain_.family, chain_.table, v.chain));
        if (it == chain_index_.end())
          return fail(fmt::format("{} to chain '{}', which does not exist in table {} {}",
                                  v.kind == VerdictKind::Jump ? "jump" : "goto", v.chain, chain_.family, chain_.table));
        a.target_chain = it->second;
        return true;
      }
    }
    return true;
  }

  void nat(const Stmt& s, Action& a) {
    a.label = s.text;
    if (s.nat_kind == "snat" || s.nat_kind == "masquerade") {
      a.kind = ActionKind::Accept;  // ends the nat chain; nat stages do not filter
      return;
    }
    a.kind = ActionKind::Rewrite;
    // "redirect to :8080", "dnat to 10.0.0.1:80", "dnat ip to 10.0.0.1", "dnat to 10.0.0.1"
    auto to = s.text.find(" to ");
    if (to == std::string::npos) return;  // redirect without a port: the destination becomes local
    std::string target = s.text.substr(to + 4);
    if (target.find(' ') != std::string::npos) {
      a.kind = ActionKind::Unknown;  // map lookups, flags: not modelled
      return;
    }
    std::string addr = target, port;
    if (!target.empty() && target[0] == '[') {
      auto close = target.find(']');
      addr = target.substr(1, close == std::string::npos ? std::string::npos : close - 1);
      if (close != std::string::npos && close + 2 < target.size() && target[close + 1] == ':')
        port = target.substr(close + 2);
    } else if (std::count(target.begin(), target.end(), ':') == 1) {
      auto colon = target.find(':');
      addr = target.substr(0, colon);
      port = target.substr(colon + 1);
    }
    if (!addr.empty()) {
      auto parsed = parse_address_expr(addr);
      if (!parsed.ok()) {
        a.kind = ActionKind::Unknown;
        return;
      }
      a.new_daddr = parsed.set;
    }
    if (!port.empty()) {
      PortSet ports;
      if (!port_value(port, ports)) {
        rs_.diagnostics.pop_back();
        a.kind = ActionKind::Unknown;
        return;
      }
      a.new_dport = ports;
    }
  }

  // ------------------------------------------------------------- values
  bool port_value(const std::string& text, PortSet& into) {
    auto p = parse_port(text);
    if (p.ok()) {
      into.add(p.value, p.value);
      return true;
    }
    for (std::size_t dash = text.find('-'); dash != std::string::npos; dash = text.find('-', dash + 1)) {
      auto lo = parse_port(text.substr(0, dash)), hi = parse_port(text.substr(dash + 1));
      if (lo.ok() && hi.ok()) {
        if (lo.value > hi.value) return fail(fmt::format("invalid port range '{}' (start after end)", text));
        into.add(lo.value, hi.value);
        return true;
      }
    }
    return fail(fmt::format("'{}' is not a port number, range or known service name", text));
  }

  // Collects the elements an expression stands for (set, list, named set); false on a
  // construct that is not a plain element list. `dynamic` is set for run-time sets.
  bool elements(const Expr& e, std::vector<const Expr*>& out, bool& dynamic, std::string& why) {
    switch (e.kind) {
      case Expr::Kind::Set:
      case Expr::Kind::List:
        for (const auto& i : e.items)
          if (!elements(i, out, dynamic, why)) return false;
        return true;
      case Expr::Kind::SetRef: {
        const SetModel* s = find_set(e.text);
        if (!s) {
          why = missing_set(e.text);
          return false;
        }
        if (s->dynamic) dynamic = true;
        for (const auto& i : s->elements)
          if (!elements(i, out, dynamic, why)) return false;
        return true;
      }
      case Expr::Kind::Atom:
      case Expr::Kind::Range:
      case Expr::Kind::Concat:
      case Expr::Kind::MapElem:
        out.push_back(&e);
        return true;
      default:
        why = "not modelled";
        return false;
    }
  }

  // Why a set is not there: not defined (FWM090, as nft says), or perhaps defined in an
  // include fwmatrix did not read (the reason then does not begin with "set @": the
  // condition is undetermined).
  std::string missing_set(const std::string& name) const {
    if (!model_.unread_include.empty())
      return fmt::format("@{} (a set not in the files read: include \"{}\" was not read)", name, model_.unread_include);
    return fmt::format("set @{} is not defined in table {} {}", name, chain_.family, chain_.table);
  }

  const SetModel* find_set(const std::string& name) const {
    for (const auto& s : model_.sets)
      if (s.name == name && s.table == chain_.table && s.family == chain_.family) return &s;
    return nullptr;
  }

  static std::string atom_text(const Expr& e) {
    if (e.kind == Expr::Kind::Range && e.items.size() == 2) return e.items[0].text + "-" + e.items[1].text;
    return e.text;
  }

  // One selector against one element (or against the whole right side): a constraint.
  // Returns false on an error; sets `modelled` false when the selector is not modelled.
  bool constrain(const std::string& sel, const std::string& op, const std::vector<const Expr*>& values, Match& m,
                 bool& modelled) {
    modelled = true;
    // The catch-all element '*' of a set or map matches every value: no constraint.
    for (const Expr* v : values)
      if (v->kind == Expr::Kind::Atom && !v->quoted && v->text == "*") {
        if (op.empty() || op == "==") return true;
        m.never = true;
        return true;
      }
    bool negate = op == "!=" || op == "!";
    bool ordered = op == "<" || op == ">" || op == "<=" || op == ">=";
    auto words = sel;
    auto space = sel.find(' ');
    std::string head = space == std::string::npos ? sel : sel.substr(0, space);
    std::string field = space == std::string::npos ? "" : sel.substr(space + 1);
    if (head == "meta" && (field == "iif" || field == "iifname" || field == "oif" || field == "oifname")) {
      head = field;
      field.clear();
    }
    static const std::map<std::string, int> port_protos = {
        {"tcp", kProtoTcp}, {"udp", kProtoUdp}, {"udplite", kProtoUdplite}, {"sctp", kProtoSctp}, {"dccp", kProtoDccp}};
    if ((head == "ip" || head == "ip6") && (field == "saddr" || field == "daddr")) {
      Family f = head == "ip" ? Family::V4 : Family::V6;
      if (ordered) return modelled = false, true;
      AddrSet set;
      for (const Expr* v : values) {
        std::string text = atom_text(*v);
        if (v->kind != Expr::Kind::Atom && v->kind != Expr::Kind::Range) return modelled = false, true;
        auto parsed = parse_address_expr(text);
        if (!parsed.ok()) {
          if (std::isalpha(static_cast<unsigned char>(text[0])) && text.find(':') == std::string::npos)
            return modelled = false, true;  // a host name resolved at load time
          return fail(parsed.error);
        }
        if (parsed.set.of(f).empty())
          return fail(
              fmt::format("{} address '{}' compared with {} {}", f == Family::V4 ? "IPv6" : "IPv4", text, head, field));
        set = set.unite(parsed.set);
      }
      AddrSet fam = f == Family::V4 ? AddrSet{AddrIntervals(0, kMaxV4), {}} : AddrSet{{}, AddrIntervals(0, kMaxV6)};
      set = set.intersect(fam);
      if (negate) set = fam.subtract(set);
      m.families.reset();
      m.families.set(static_cast<std::size_t>(f));
      (field == "saddr" ? m.src : m.dst) = set;
      return true;
    }
    if ((port_protos.count(head) || head == "th") && (field == "dport" || field == "sport")) {
      PortSet set;
      if (ordered) {
        if (values.size() != 1 || values[0]->kind != Expr::Kind::Atom) return modelled = false, true;
        auto p = parse_port(values[0]->text);
        if (!p.ok()) return fail(p.error);
        std::uint32_t v = p.value;
        if (op == "<") set = v == 0 ? PortSet() : PortSet(0, v - 1);
        if (op == "<=") set = PortSet(0, v);
        if (op == ">") set = v >= kMaxPort ? PortSet() : PortSet(v + 1, kMaxPort);
        if (op == ">=") set = PortSet(v, kMaxPort);
      } else {
        for (const Expr* v : values) {
          if (v->kind != Expr::Kind::Atom && v->kind != Expr::Kind::Range) return modelled = false, true;
          if (!port_value(atom_text(*v), set)) return false;
        }
        if (negate) set = set.complement(kMaxPort);
      }
      (field == "dport" ? m.dport : m.sport) = set;
      if (head == "th") {
        m.proto = port_protocols();
      } else {
        m.proto = proto_only(port_protos.at(head));
      }
      return true;
    }
    if ((head == "meta" && field == "l4proto") || (head == "ip" && field == "protocol") ||
        (head == "ip6" && field == "nexthdr")) {
      ProtoSet set;
      for (const Expr* v : values) {
        if (v->kind != Expr::Kind::Atom && v->kind != Expr::Kind::Range) return modelled = false, true;
        std::string text = atom_text(*v);
        auto n = text == "comp" ? std::optional<int>(108) : proto_number(text);  // nft's name for IPComp
        auto dash = text.find('-');
        if (!n && dash != std::string::npos && dash > 0) {  // a range of protocol numbers
          auto lo = proto_number(text.substr(0, dash)), hi = proto_number(text.substr(dash + 1));
          if (lo && hi && *lo <= *hi) {
            for (int p = *lo; p <= *hi; ++p) set.set(static_cast<std::size_t>(p));
            continue;
          }
        }
        if (!n) return fail(fmt::format("unknown protocol '{}'", text));
        set.set(static_cast<std::size_t>(*n));
      }
      if (negate) set = ~set;
      if (ordered) return modelled = false, true;
      m.proto = set;
      if (head == "ip") m.families = std::bitset<2>().set(0);
      if (head == "ip6") m.families = std::bitset<2>().set(1);
      return true;
    }
    if (head == "meta" && (field == "nfproto" || field == "protocol")) {
      std::bitset<2> fams;
      for (const Expr* v : values) {
        if (v->kind != Expr::Kind::Atom) return modelled = false, true;
        const std::string& t = v->text;
        if (t == "ipv4" || t == "ip" || t == "2" || t == "0x0800")
          fams.set(0);
        else if (t == "ipv6" || t == "ip6" || t == "10" || t == "0x86dd")
          fams.set(1);
        else if (field == "nfproto" && !(t == "arp" || t == "bridge" || t == "netdev" || t == "inet"))
          return fail(fmt::format("unknown family '{}'", t));
      }
      if (negate) fams = ~fams;
      if (ordered) return modelled = false, true;
      m.families = fams;
      return true;
    }
    if (head == "ct" && field == "state") {
      CtStateSet set;
      for (const Expr* v : values) {
        if (v->kind != Expr::Kind::Atom) return modelled = false, true;
        const std::string& t = v->text;
        auto state = ct_state_named(t);
        bool lower_case =
            std::none_of(t.begin(), t.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); });
        if (state && *state != CtState::Snat && *state != CtState::Dnat && lower_case)  // nft: `ct status` holds NAT
          set.set(static_cast<std::size_t>(*state));
        else if (!t.empty() && std::all_of(t.begin(), t.end(), ::isdigit) && t.size() < 4) {
          int bits = std::stoi(t);
          if (bits & 1) set.set(static_cast<std::size_t>(CtState::Invalid));
          if (bits & 2) set.set(static_cast<std::size_t>(CtState::Established));
          if (bits & 4) set.set(static_cast<std::size_t>(CtState::Related));
          if (bits & 8) set.set(static_cast<std::size_t>(CtState::New));
          if (bits & 64) set.set(static_cast<std::size_t>(CtState::Untracked));
        } else
          return fail(
              fmt::format("unknown connection state '{}' (expected new, established, related, invalid or "
                          "untracked)",
                          t));
      }
      if (ordered) return modelled = false, true;
      // SNAT/DNAT are status bits, not states: a new connection is New whatever its NAT.
      if (set.test(static_cast<std::size_t>(CtState::New))) {
        set.set(static_cast<std::size_t>(CtState::Snat));
        set.set(static_cast<std::size_t>(CtState::Dnat));
      }
      if (negate) set = ~set;
      m.state = set;
      return true;
    }
    if (head == "iif" || head == "iifname" || head == "oif" || head == "oifname") {
      if (ordered) return modelled = false, true;
      std::vector<IfacePattern> pats;
      for (const Expr* v : values) {
        if (v->kind != Expr::Kind::Atom) return modelled = false, true;
        IfacePattern p{v->text, false};
        if (!p.name.empty() && p.name.back() == '*' && (head == "iifname" || head == "oifname")) {
          p.name.pop_back();
          p.prefix = true;
        }
        if (p.name.size() > 15) return fail(fmt::format("interface name '{}' is longer than 15 characters", v->text));
        pats.push_back(p);
      }
      bool in = head[0] == 'i';
      (in ? m.in_patterns : m.out_patterns) = pats;
      (in ? m.in_negated : m.out_negated) = negate;
      if (pats.empty()) m.never = !negate;
      return true;
    }
    // Protocol headers with fields we do not model: the protocol is still implied.
    modelled = false;
    static const std::map<std::string, std::pair<int, int>> implied = {{"tcp", {kProtoTcp, -1}},
                                                                       {"udp", {kProtoUdp, -1}},
                                                                       {"udplite", {kProtoUdplite, -1}},
                                                                       {"sctp", {kProtoSctp, -1}},
                                                                       {"dccp", {kProtoDccp, -1}},
                                                                       {"icmp", {kProtoIcmp, 0}},
                                                                       {"icmpv6", {kProtoIcmp6, 1}},
                                                                       {"ip", {-1, 0}},
                                                                       {"ip6", {-1, 1}}};
    auto it = implied.find(head);
    if (it != implied.end()) {
      if (it->second.first >= 0) m.proto = proto_only(it->second.first);
      if (it->second.second >= 0) m.families = std::bitset<2>().set(static_cast<std::size_t>(it->second.second));
    }
    (void)words;
    return true;
  }

  // ------------------------------------------------------------- tcp flags
  // The probe packet is the first packet of a TCP connection: SYN set; ACK, RST, FIN,
  // PSH, URG, ECN(ECE) and CWR clear (the iptables frontend's `--syn` model). A `tcp
  // flags` test is decided on that value: when it holds, only its implied `meta l4proto
  // tcp` is left; when it does not, the rule never matches a probe.

  // The bits a flags value stands for: names, numbers, lists `a,b` and `a|b` (both OR the
  // bits, as nft does for a bitmask type). nullopt for other expressions (ranges, sets,
  // complex ones); `bad` names a word that is neither a flag nor a number (nft refuses it).
  static std::optional<unsigned> tcp_flag_bits(const Expr& e, std::string& bad) {
    static const std::map<std::string, unsigned> names = {{"fin", 0x01}, {"syn", 0x02}, {"rst", 0x04}, {"psh", 0x08},
                                                          {"ack", 0x10}, {"urg", 0x20}, {"ecn", 0x40}, {"cwr", 0x80}};
    switch (e.kind) {
      case Expr::Kind::Atom: {
        if (auto it = names.find(e.text); it != names.end()) return it->second;
        const std::string& t = e.text;
        bool hex = t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X');
        std::string digits = hex ? t.substr(2) : t;
        bool number = !digits.empty() && digits.size() <= 4 && std::all_of(digits.begin(), digits.end(), [&](char c) {
          return hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                     : std::isdigit(static_cast<unsigned char>(c)) != 0;
        });
        unsigned value = number ? static_cast<unsigned>(std::stoul(digits, nullptr, hex ? 16 : 10)) : 0x100;
        if (value > 0xff) {
          bad = t;
          return std::nullopt;
        }
        return value;
      }
      case Expr::Kind::List:
      case Expr::Kind::BitOr: {
        unsigned bits = 0;
        for (const auto& i : e.items) {
          auto b = tcp_flag_bits(i, bad);
          if (!b) return std::nullopt;
          bits |= *b;
        }
        return bits;
      }
      default:
        return std::nullopt;
    }
  }

  // `tcp flags [& mask] [op] value | value / mask | { set } | @set`, decided on the probe
  // packet [nft 1.0.6, run: an implicit op with a plain value tests "any of these bits
  // set" ((flags & v) != 0), `!` "none of them" ((flags & v) == 0), with `& mask` on the
  // left it is an equality; `==`/`!=` compare the whole byte; `v / m` is (flags & m) == v;
  // a set is a lookup of the exact (masked) value].
  bool tcp_flags(const Stmt& s, std::vector<Match>& deltas) {
    Match m;
    m.proto = proto_only(kProtoTcp);
    auto undetermined = [&] {
      unknown(m, s.text);
      deltas.push_back(m);
      return true;
    };
    std::string bad;
    auto bits = [&](const Expr& e) { return tcp_flag_bits(e, bad); };
    auto not_a_flag = [&] {
      return fail(
          fmt::format("'{}' is not a TCP flag (fin, syn, rst, psh, ack, urg, ecn, cwr) or a number up to 0xff", bad));
    };
    std::optional<unsigned> mask;  // tcp flags & mask
    if (!s.selector_ops.empty()) {
      if (s.selector_ops.size() != 1 || s.selector_ops[0].first != "&") return undetermined();
      mask = bits(s.selector_ops[0].second);
      if (!bad.empty()) return not_a_flag();
      if (!mask) return undetermined();
    } else if (s.selector_complex) {
      return undetermined();
    }
    const std::string& op = s.op;
    const unsigned lhs = packet_model::kTcpFlags & mask.value_or(0xff);
    const Expr& rhs = s.rhs;
    bool holds = false;
    if (rhs.kind == Expr::Kind::Atom && !rhs.quoted && rhs.text == "*") {  // catch-all element of a map
      if (!op.empty() && op != "==") return undetermined();
      holds = true;
    } else if (rhs.kind == Expr::Kind::Masked) {
      if (mask || rhs.items.size() != 2) return undetermined();
      if (!op.empty() && op != "==" && op != "!=")
        return fail(fmt::format("'{}': only == or != is allowed with 'value / mask'", s.text));
      auto value = bits(rhs.items[0]), value_mask = bits(rhs.items[1]);
      if (!bad.empty()) return not_a_flag();
      if (!value || !value_mask) return undetermined();
      holds = ((packet_model::kTcpFlags & *value_mask) == *value) != (op == "!=");
    } else if (rhs.kind == Expr::Kind::Set || rhs.kind == Expr::Kind::SetRef) {
      const std::vector<Expr>* elements = &rhs.items;
      if (rhs.kind == Expr::Kind::SetRef) {
        const SetModel* set = find_set(rhs.text);
        if (!set) {
          std::string why = missing_set(rhs.text);
          if (why.rfind("set @", 0) == 0) return fail(why);
          return undetermined();
        }
        if (set->dynamic) return undetermined();
        elements = &set->elements;
      }
      if (!op.empty() && op != "==" && op != "!=") return undetermined();
      bool found = false;
      for (const Expr& element : *elements) {
        auto value = bits(element);
        if (!bad.empty()) return not_a_flag();
        if (!value) return undetermined();
        found = found || *value == lhs;
      }
      holds = found != (op == "!=");
    } else {
      auto value = bits(rhs);
      if (!bad.empty()) return not_a_flag();
      if (!value) return undetermined();
      if (op.empty()) {
        holds = mask ? lhs == *value : (packet_model::kTcpFlags & *value) != 0;
      } else if (op == "!") {
        if (mask) return fail(fmt::format("'{}': cannot combine negation with a binary expression", s.text));
        holds = (packet_model::kTcpFlags & *value) == 0;
      } else if (op == "==") {
        holds = lhs == *value;
      } else if (op == "!=") {
        holds = lhs != *value;
      } else if (op == "<") {
        holds = lhs < *value;
      } else if (op == "<=") {
        holds = lhs <= *value;
      } else if (op == ">") {
        holds = lhs > *value;
      } else if (op == ">=") {
        holds = lhs >= *value;
      } else {
        return undetermined();
      }
    }
    m.never = m.never_by_packet_model = !holds;
    deltas.push_back(m);
    return true;
  }

  // ------------------------------------------------------------- fragments
  // `ip frag-off & 0x1fff OP v`: the probe packet (the first packet of a connection,
  // unfragmented or the first fragment) has fragment offset 0, as for iptables' -f.
  static std::optional<unsigned> number(const Expr& e) {
    if (e.kind != Expr::Kind::Atom || e.quoted || e.text.empty() || e.text.size() > 6) return std::nullopt;
    const std::string& t = e.text;
    bool hex = t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X');
    std::string digits = hex ? t.substr(2) : t;
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [&](char c) {
          return hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                     : std::isdigit(static_cast<unsigned char>(c)) != 0;
        }))
      return std::nullopt;
    unsigned long value = std::stoul(digits, nullptr, hex ? 16 : 10);
    if (value > 0xffff) return std::nullopt;
    return static_cast<unsigned>(value);
  }

  bool fragment_offset(const Stmt& s, std::vector<Match>& deltas) {
    Match m;
    m.families = std::bitset<2>().set(0);
    auto undetermined = [&] {
      unknown(m, s.text);
      deltas.push_back(m);
      return true;
    };
    if (s.selector_ops.size() != 1 || s.selector_ops[0].first != "&") return undetermined();
    auto mask = number(s.selector_ops[0].second), value = number(s.rhs);
    if (!mask || *mask != 0x1fff || !value) return undetermined();
    const unsigned offset = packet_model::kFragmentOffset;
    bool holds;
    if (s.op.empty() || s.op == "==") {
      holds = offset == *value;
    } else if (s.op == "!=") {
      holds = offset != *value;
    } else if (s.op == "<" || s.op == "<=" || s.op == ">" || s.op == ">=") {
      holds = s.op == "<"    ? offset < *value
              : s.op == "<=" ? offset <= *value
              : s.op == ">"  ? offset > *value
                             : offset >= *value;
    } else {
      return undetermined();
    }
    m.never = m.never_by_packet_model = !holds;
    deltas.push_back(m);
    return true;
  }

  // ------------------------------------------------------------- fib
  // A routing look-up depends on the host's routes and addresses, which the ruleset does
  // not hold. Two idioms are decided on the packet model, which each says in an FWM091
  // note: the reverse-path filter (`fib saddr [. mark] [. iif] oif missing drop`, what
  // firewalld writes): a required connection comes from a source routed back through
  // the interface it arrives on, so the route is never missing; and `fib daddr type {
  // broadcast, multicast, anycast }`: multicast destinations (224.0.0.0/4, ff00::/8) and
  // the limited broadcast 255.255.255.255 are exactly that, and no other destination of
  // a required connection is taken for a directed broadcast or an anycast address. Every
  // other fib expression stays undetermined.
  void assumed(const std::string& kind, const std::string& message) {
    std::string key = "assumed: " + kind;
    if (auto it = counts_.find(key); it != counts_.end()) {
      ++it->second.second;
      return;
    }
    SourceSpan span = rule_.span;
    if (stmt_ && rule_.span.line == rule_.span.end_line) span.column = stmt_->column;
    counts_[key] = {static_cast<int>(rs_.diagnostics.size()), 1};
    rs_.diagnostics.push_back(make_diagnostic("FWM091", Severity::Note, span, message, rule_.text));
  }

  bool fib(const Stmt& s, std::vector<Match>& deltas) {
    Match m;
    auto undetermined = [&] {
      unknown(m, s.text);
      deltas.push_back(m);
      return true;
    };
    if (s.selector_complex || !s.selector_ops.empty()) return undetermined();
    std::vector<const Expr*> values;
    bool dynamic = false;
    std::string why;
    if (!elements(s.rhs, values, dynamic, why) || dynamic || values.empty()) return undetermined();
    for (const Expr* v : values)
      if (v->kind != Expr::Kind::Atom || v->quoted) return undetermined();
    const std::string& sel = s.selectors[0];
    bool negate = s.op == "!=" || s.op == "!";
    if (!s.op.empty() && s.op != "==" && !negate) return undetermined();
    // fib saddr [. mark] [. iif] (oif | check) (missing | 0 | exists)
    static const std::set<std::string> reverse_path = {
        "fib saddr oif",   "fib saddr . iif oif",   "fib saddr . mark . iif oif",   "fib saddr . mark oif",
        "fib saddr check", "fib saddr . iif check", "fib saddr . mark . iif check", "fib saddr . mark check"};
    if (reverse_path.count(sel)) {
      if (values.size() != 1) return undetermined();
      const std::string& v = values[0]->text;
      bool missing = v == "missing" || v == "0" || v == "false";
      bool exists = v == "exists" || v == "true";
      if (!missing && !exists) return undetermined();
      bool holds = (exists == packet_model::kReverseRouteFound) != negate;
      m.never = m.never_by_packet_model = !holds;
      assumed("fib reverse path", packet_model::reverse_path_note(s.text));
      deltas.push_back(m);
      return true;
    }
    if (sel == "fib daddr type") {
      AddrSet set;
      bool by_assumption = false;
      for (const Expr* v : values) {
        const std::string& type = v->text;
        if (type == "multicast") {
          set = set.unite(parse_address_expr("224.0.0.0/4").set).unite(parse_address_expr("ff00::/8").set);
        } else if (type == "broadcast") {
          set = set.unite(parse_address_expr("255.255.255.255").set);
          by_assumption = true;
        } else if (type == "anycast") {
          by_assumption = true;
        } else {
          return undetermined();  // local, unicast, blackhole ...: the host's addresses and routes
        }
      }
      if (negate) set = set.complement();
      m.dst = set;
      if (by_assumption) assumed("fib daddr type", packet_model::destination_type_note(s.text));
      deltas.push_back(m);
      return true;
    }
    return undetermined();
  }

  bool match(const Stmt& s, std::vector<Match>& deltas) {
    Match base;
    if (s.selectors.size() == 1 && s.selectors[0] == "tcp flags" && s.op != "over") return tcp_flags(s, deltas);
    if (s.selectors.size() == 1 && s.selectors[0] == "ip frag-off" && s.op != "over") return fragment_offset(s, deltas);
    if (s.selectors.size() == 1 && s.selectors[0].rfind("fib ", 0) == 0 && s.op != "over") return fib(s, deltas);
    if (s.selector_complex || s.op == "over") {
      unknown(base, s.text);
      deltas.push_back(base);
      return true;
    }
    std::vector<const Expr*> values;
    bool dynamic = false;
    std::string why;
    if (!elements(s.rhs, values, dynamic, why)) {
      if (why.rfind("set @", 0) == 0) return fail(why);
      unknown(base, s.text);
      deltas.push_back(base);
      return true;
    }
    if (s.selectors.size() == 1) {
      bool modelled = true;
      if (!constrain(s.selectors[0], s.op, values, base, modelled)) return false;
      if (!modelled) unknown(base, s.text);
      if (dynamic) unknown(base, fmt::format("contents of a set updated at run time ({})", s.text));
      deltas.push_back(base);
      return true;
    }
    // Concatenation: one alternative per tuple.
    if (!s.op.empty() && s.op != "==") {
      unknown(base, s.text);
      deltas.push_back(base);
      return true;
    }
    for (const Expr* v : values) {
      if (v->kind != Expr::Kind::Concat || v->items.size() != s.selectors.size()) {
        Match m;
        unknown(m, s.text);
        deltas.push_back(m);
        return true;
      }
      Match m;
      bool all_modelled = true;
      for (std::size_t i = 0; i < s.selectors.size(); ++i) {
        Match part;
        bool modelled = true;
        if (!constrain(s.selectors[i], "", {&v->items[i]}, part, modelled)) return false;
        all_modelled = all_modelled && modelled;
        intersect_into(m, part);
      }
      if (!all_modelled) unknown(m, s.text);
      if (dynamic) unknown(m, fmt::format("contents of a set updated at run time ({})", s.text));
      deltas.push_back(std::move(m));
    }
    if (deltas.empty()) {
      Match m;
      m.never = true;
      deltas.push_back(m);
    }
    return true;
  }

  bool vmap(const Stmt& s, std::vector<Alternative>& entries) {
    std::vector<const Expr*> values;
    bool dynamic = false;
    std::string why;
    if (!elements(s.rhs, values, dynamic, why)) {
      if (why.rfind("set @", 0) == 0) return fail(why);
    }
    bool keyless = s.selectors.empty() || s.selector_complex;
    // The catch-all element '*' applies only when no other element matches: it goes last.
    std::stable_partition(values.begin(), values.end(), [](const Expr* v) {
      return !(v->kind == Expr::Kind::MapElem && !v->items.empty() && v->items[0].kind == Expr::Kind::Atom &&
               !v->items[0].quoted && v->items[0].text == "*");
    });
    for (const Expr* v : values) {
      if (v->kind != Expr::Kind::MapElem || v->items.size() != 2) return fail("vmap element without ': verdict'");
      const Expr& value = v->items[1];
      Alternative alt;
      Action a;
      if (value.kind != Expr::Kind::Verdict) return fail(fmt::format("vmap value '{}' is not a verdict", value.text));
      if (!verdict(value.verdict, a)) return false;
      a.label = fmt::format("vmap {}: {}", atom_text(v->items[0]), value.text);
      alt.action = a;
      if (keyless) {
        unknown(alt.match, s.text);
      } else {
        Stmt single = s;
        single.kind = StmtKind::Match;
        single.op = "==";  // a map lookup: the key equals the element
        single.rhs = v->items[0];
        std::vector<Match> deltas;
        if (!match(single, deltas)) return false;
        for (auto& d : deltas) {
          Alternative e = alt;
          e.match = d;
          if (dynamic) unknown(e.match, fmt::format("contents of a map updated at run time ({})", s.text));
          entries.push_back(std::move(e));
        }
        continue;
      }
      entries.push_back(std::move(alt));
    }
    // No element matches: the rule does not match and evaluation continues.
    return true;
  }

  const ChainModel& chain_;
  const RuleModel& rule_;
  const Model& model_;
  Ruleset& rs_;
  const std::map<std::string, int>& chain_index_;
  std::map<std::string, std::pair<int, std::size_t>>& counts_;
  std::size_t max_alternatives_;
  const Stmt* stmt_ = nullptr;
};

// Hooks a packet passes, in order, per direction.
const std::vector<std::string>& hooks_for(Direction d) {
  static const std::vector<std::string> in = {"ingress", "prerouting", "input"};
  static const std::vector<std::string> fwd = {"ingress", "prerouting", "forward", "postrouting", "egress"};
  static const std::vector<std::string> out = {"output", "postrouting", "egress"};
  return d == Direction::In ? in : d == Direction::Forward ? fwd : out;
}

void add_pipelines(Ruleset& rs, const Model& model, const std::vector<int>& ir_index) {
  std::set<std::pair<std::string, std::string>> dormant;
  for (const auto& t : model.tables)
    if (t.dormant) dormant.insert({t.family, t.name});
  for (Family f : {Family::V4, Family::V6}) {
    for (Direction d : {Direction::In, Direction::Forward, Direction::Out}) {
      const auto& hooks = hooks_for(d);
      struct Entry {
        std::size_t hook_rank;
        int priority;
        std::size_t order;
        int chain;
        bool nat;
      };
      std::vector<Entry> entries;
      for (std::size_t i = 0; i < model.chains.size(); ++i) {
        const ChainModel& c = model.chains[i];
        if (!c.base || dormant.count({c.family, c.table})) continue;
        if (c.family == "arp" || c.family == "bridge") continue;
        if (!families_of(c.family).test(static_cast<std::size_t>(f))) continue;
        auto h = std::find(hooks.begin(), hooks.end(), c.hook);
        if (h == hooks.end()) continue;
        if ((c.hook == "ingress" || c.hook == "egress") && c.family != "netdev" && c.family != "inet") continue;
        if (c.hook == "egress" && d == Direction::In) continue;
        entries.push_back({static_cast<std::size_t>(h - hooks.begin()), c.priority, i, ir_index[i], c.type == "nat"});
      }
      if (entries.empty()) continue;
      std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        if (a.hook_rank != b.hook_rank) return a.hook_rank < b.hook_rank;
        return a.priority < b.priority;
      });
      Pipeline p;
      p.family = f;
      p.direction = d;
      for (const auto& e : entries) p.stages.push_back(Stage{e.chain, e.nat});
      rs.pipelines.push_back(std::move(p));
    }
  }
}

// `device "eth0"`, `device eth0`, `devices = { eth0, "eth1" }` -> interface names.
std::vector<IfacePattern> device_patterns(const std::string& spec) {
  std::vector<IfacePattern> out;
  std::string rest = spec;
  for (const char* word : {"devices", "device"})
    if (rest.rfind(word, 0) == 0) {
      rest = rest.substr(std::string(word).size());
      break;
    }
  std::string cur;
  auto flush = [&] {
    if (!cur.empty() && cur.front() != '$') out.push_back({cur, false});
    cur.clear();
  };
  for (char ch : rest) {
    if (ch == '=' || ch == '{' || ch == '}' || ch == ',' || ch == ' ' || ch == '"' || ch == '\t') {
      flush();
    } else {
      cur += ch;
    }
  }
  flush();
  return out;
}

}  // namespace

namespace {

// `consumed`: the model itself, whose chains' rules are freed once lowered; null to
// leave the model as it is.
Ruleset lower_model(const Model& model, Model* consumed, const std::string& file, const std::string& format,
                    const Limits& limits) {
  Ruleset rs;
  rs.format = format;
  rs.file = file;
  rs.line_count = model.line_count;
  rs.diagnostics = model.diagnostics;
  std::map<std::string, int> chain_index;
  std::vector<int> ir_index;
  for (const auto& c : model.chains) {
    Chain ic;
    ic.name = fmt::format("{} {} {}", c.family, c.table, c.name);
    ic.table = fmt::format("{} {}", c.family, c.table);
    ic.builtin = c.base;
    if (c.base) {
      ic.policy = c.policy_accept.value_or(true) ? PolicyKind::Accept : PolicyKind::Deny;
      ic.policy_span = c.policy_span;
      ic.policy_text = c.policy_text;
    }
    int idx = static_cast<int>(rs.chains.size());
    chain_index[ic.name] = idx;
    ir_index.push_back(idx);
    rs.chains.push_back(std::move(ic));
  }
  std::map<std::string, std::pair<int, std::size_t>> counts;
  for (std::size_t i = 0; i < model.chains.size(); ++i) {
    const ChainModel& c = model.chains[i];
    auto& out = rs.chains[static_cast<std::size_t>(ir_index[i])].rules;
    // An ingress/egress chain sees only the packets of its devices: the others pass it
    // untouched, as if it accepted them (an accept ends only this stage).
    if (c.base && (c.hook == "ingress" || c.hook == "egress")) {
      std::vector<IfacePattern> devices = device_patterns(c.device);
      if (!devices.empty()) {
        Rule skip;
        bool in = c.hook == "ingress";
        (in ? skip.match.in_patterns : skip.match.out_patterns) = devices;
        (in ? skip.match.in_negated : skip.match.out_negated) = true;
        skip.action.kind = ActionKind::Accept;
        skip.action.label = "(not this chain's device)";
        skip.span = c.span;
        skip.text = fmt::format("(packets not on {}: {} does not see them)", c.device, c.name);
        skip.normalized = fmt::format("{} {} {} {}", c.family, c.table, c.name, skip.text);
        skip.chain = ir_index[i];
        out.push_back(std::move(skip));
      }
    }
    for (const auto& r : c.rules) {
      std::vector<Rule> lowered;
      RuleLowering lowering(c, r, model, rs, chain_index, counts, limits.max_set_combinations);
      if (!lowering.lower(lowered)) continue;
      for (auto& rule : lowered) {
        rule.chain = ir_index[i];
        rule.index = static_cast<int>(out.size());
        out.push_back(std::move(rule));
      }
    }
    if (consumed) std::vector<RuleModel>().swap(consumed->chains[i].rules);
  }
  for (auto& [key, entry] : counts)
    if (entry.second > 1)
      rs.diagnostics[static_cast<std::size_t>(entry.first)].message += fmt::format(" ({} rules use it)", entry.second);
  add_pipelines(rs, model, ir_index);
  rs.finalize();
  return rs;
}

}  // namespace

Ruleset lower(const Model& model, const std::string& file, const std::string& format, const Limits& limits) {
  return lower_model(model, nullptr, file, format, limits);
}

Ruleset lower(Model&& model, const std::string& file, const std::string& format, const Limits& limits) {
  return lower_model(model, &model, file, format, limits);
}

FrontendEntry frontend_entry() {
  FrontendEntry entry;
  entry.names = {"nftables", "nft-json"};
  entry.detect = [](const TextFile& file) { return detect(file.text) || detect_json(file.text); };
  entry.load = [](const TextFile& file, const std::string& format, const LoadOptions& options, LoadResult& result) {
    // An explicit --format decides; a detected file is JSON when it looks like JSON.
    bool json = options.format.empty() ? detect_json(file.text) : format == "nft-json";
    if (json) {
      result.ruleset = std::make_unique<Ruleset>(lower(parse_json(file), file.path, "nft-json", options.limits));
    } else {
      ParseOptions parse_options;
      if (options.allow_outside) parse_options.include_root = "/";  // --allow-outside
      parse_options.limits = options.limits;
      result.ruleset =
          std::make_unique<Ruleset>(lower(parse(file, parse_options), file.path, "nftables", options.limits));
    }
  };
  return entry;
}

}  // namespace fwm::nftables
