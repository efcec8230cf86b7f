// Lowering pf's evaluation into the IR's first-match chains.
//
// pf walks its rules top to bottom; the last matching pass/block rule decides
// unless a matching `quick` rule decides at once; nothing matching means pass.
// For one packet this is: the first matching quick rule if there is one, else
// the last matching non-quick rule, else pass. So the first-match equivalent of
// r1..rn is
//     [quick rules in order] ++ [non-quick rules in reverse order] ++ default
//     pass.
// Anchors are evaluated in place: a plain anchor contributes its quick rules to
// the first part and its other rules to the second (each ANDed with the
// anchor's own conditions); an anchor with `quick` ends evaluation when any
// rule inside matched, so its whole first-match form ([its quick] ++
// reverse[its others]) goes into the quick part at its position. Anchors whose
// rules are not in the input (filled at run time) become an Unknown verdict in
// the quick part: whatever an earlier quick rule did not decide is undetermined
// from there on.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "frontends/pf/pf_frontend.h"

namespace fwm::pf {

namespace {

// Where a chain sits: inbound/outbound on this host, or the two passes of a
// forwarded packet (in on the ingress interface, out on the egress one).
enum class Ctx { HostIn, HostOut, FwdIn, FwdOut };

bool inbound(Ctx c) { return c == Ctx::HostIn || c == Ctx::FwdIn; }

struct Alt {
  std::optional<AddrSet> set;  // nullopt: not known
  std::string unknown;
};

struct Flat {
  std::vector<Rule> quick;
  std::vector<Rule> last;  // in source order
};

// A rule's place in pf's walk: its index in each ruleset down the anchors (an anchor
// before the rules inside it, so that lexicographic order is evaluation order).
using Path = std::vector<std::uint32_t>;

// A `match ... rdr-to` translation the packet took: the rule's place, the rule piece (its
// match in the packet's values as they were when it matched, and its rewrite), the target.
struct Step {
  Path pos;
  Rule piece;
  std::optional<AddrSet> target;
  std::string text;
};

// A `match ... rdr-to` met by flatten: its pieces (port_mapped) and the conditions of the
// anchors around it, both as the packet meets them.
struct Found {
  Path pos;
  const PfRule* rule = nullptr;
  std::vector<Rule> pieces;
  std::vector<Match> outer;
  std::optional<AddrSet> target;
};

AddrSet loopback_addresses(bool network) {
  AddrSet s;
  s.v4 = network ? AddrIntervals(0x7f000000u, 0x7fffffffu) : AddrIntervals(0x7f000001u, 0x7f000001u);
  s.v6 = AddrIntervals(1, 1);
  return s;
}

bool is_loopback_name(const std::string& n) { return n == "lo" || n == "lo0"; }

constexpr const char* kGroupMembers = "(interface group members are set at run time)";

// An interface group rather than an interface: ifconfig(8) forbids group names that end
// in a digit, and interface names always end in their unit number. `any` (every
// interface but loopback), `all` (the group of every interface) and the loopback group
// `lo` are decided from the file.
bool is_group_name(const std::string& n) {
  return !n.empty() && !std::isdigit(static_cast<unsigned char>(n.back())) && n != "any" && n != "lo" && n != "all";
}

// ifconfig(8) (OpenBSD, FreeBSD): "cloned interfaces are members of their interface
// family group by default", e.g. vlan5 is in the group vlan. The drivers that clone
// interfaces (`ifconfig -C`) on OpenBSD and FreeBSD.
bool is_clone_family(const std::string& n) {
  static const std::set<std::string> families = {
      "aggr",   "bpe",   "bridge", "carp",  "disc",   "edsc", "egre",  "enc",   "eoip", "epair", "etherip",
      "geneve", "gif",   "gre",    "ipsec", "lagg",   "me",   "mgre",  "mpe",   "mpip", "mpw",   "nvgre",
      "ovpn",   "pair",  "pflog",  "pflow", "pfsync", "ppp",  "pppoe", "sec",   "stf",  "svlan", "tap",
      "tpmr",   "trunk", "tun",    "veb",   "vether", "vlan", "vport", "vxlan", "wg",
  };
  return families.count(n) > 0;
}

class Lowering {
 public:
  Lowering(const Model& model, Ruleset& rs) : model_(model), rs_(rs) {
    // pf.conf(5): a match rule's rdr-to is "sticky": pf_test_rule matches every later
    // rule against the translated destination (pd->ndaddr, pd->ndport), while the rules
    // before it saw the packet as it came. A first `match ... rdr-to` with no filter rule
    // before it is the same as translating first (the rdr stage); every other one is
    // evaluated in place (build).
    for (const auto& r : model_.rules) {
      if (r.kind == RuleKind::Match && r.rdr_to) {
        staged_ = &r;
        break;
      }
      if (r.kind != RuleKind::Match && r.kind != RuleKind::Nat && r.kind != RuleKind::Rdr && r.kind != RuleKind::Binat)
        break;
    }
    in_place_ = has_in_place(model_.rules);
    for (const auto& [name, rules] : model_.anchors) in_place_ = in_place_ || has_in_place(rules);
  }

  // Chains reached from the filter chains (match rdr-to in place), in order: their rules
  // jump to -(2 + position); lower() adds them and sets the targets.
  std::vector<std::pair<std::string, std::vector<Rule>>> sub_chains;

  std::vector<Rule> chain_rules(Ctx ctx) {
    ctx_ = ctx;
    std::vector<Rule> out;
    // set skip: pf does not look at packets on these interfaces.
    // (Not repeated on the way out of a forwarded packet: loopback traffic is
    // not forwarded, and one skip rule per path keeps the findings readable.)
    for (const auto& item : model_.skip) {
      if (ctx == Ctx::FwdOut) break;
      note_groups(item.span, item.text, {item});
      for (auto& m : iface_matches({item})) {
        Rule r;
        r.match = std::move(m);
        r.action.kind = ActionKind::Accept;
        r.action.label = "set skip";
        r.span = item.span;
        r.text = item.text;
        r.normalized = fmt::format("set skip on {}", item.name);
        out.push_back(std::move(r));
      }
    }
    for (const auto& rr : rdr_pass_rules_)
      if (inbound(ctx)) out.push_back(rr);
    build(ctx, nullptr, out);
    return out;
  }

  // The rules of one context for the packets that took the translations in view_ (and
  // no other match rdr-to up to `after`). pf's order over a walk that may translate at
  // every match rdr-to M: [for each M after `after`: the packets M matches (on the packet
  // as translated so far) jump to a chain of their own, built the same way with M's
  // translation added] ++ the rules as the packet that took no further translation meets
  // them. Each such chain holds every rule, those before M untranslated and those after
  // it translated (seen_translated), so an earlier quick rule still decides there. The
  // out pass of a forwarded packet sees every translation the in pass made; an in-pass
  // quick rule before M ends that walk, so the packets it matches keep the translations
  // made so far.
  // `entry`: what every packet of the chain being built matches (the jump into it); rules
  // no such packet can match are left out.
  void build(Ctx ctx, const Path* after, std::vector<Rule>& out, const Match* entry = nullptr) {
    auto reaches = [&](const Match& m) { return reaches_entry(m, entry); };
    const Match* saved_entry = entry_;
    entry_ = entry;  // flatten leaves out the filter rules the chain's packets cannot match
    const Ctx in_ctx = ctx == Ctx::FwdOut ? Ctx::FwdIn : ctx;
    std::vector<Found> found;
    Flat flat;
    std::set<std::string> visiting;
    if (in_place_ && ctx != Ctx::HostOut) {
      ctx_ = in_ctx;
      found_ = &found;
      collect_after_ = after;
      flatten(model_.rules, {Match()}, flat, visiting, 0);
      collect_after_ = nullptr;
      found_ = nullptr;
    }
    if (ctx == Ctx::FwdOut || !in_place_ || ctx == Ctx::HostOut) {
      flat = Flat();
      ctx_ = ctx;
      view_all_ = ctx == Ctx::FwdOut;
      flatten(model_.rules, {Match()}, flat, visiting, 0);
      view_all_ = false;
    }
    std::vector<Rule> leaf;
    for (auto& r : flat.quick) leaf.push_back(std::move(r));
    for (auto it = flat.last.rbegin(); it != flat.last.rend(); ++it) leaf.push_back(std::move(*it));
    int leaf_chain = -1;  // forward out: the packets an in-pass quick rule stopped
    for (auto& f : found) {
      if (after && !(*after < f.pos)) continue;
      // The packets of this chain that M matches, one match per piece (and anchor part).
      std::vector<std::pair<const Rule*, Match>> jumps;
      for (const auto& piece : f.pieces) {
        Match jm = piece.match;
        if (!apply_view(jm, f.pos)) continue;
        for (auto& m : within({jm}, f.outer))
          if (reaches(m)) jumps.emplace_back(&piece, std::move(m));
      }
      if (jumps.empty()) continue;
      if (ctx == Ctx::FwdOut) {
        Flat stop;
        ctx_ = in_ctx;
        limit_ = f.pos;
        flatten(model_.rules, {Match()}, stop, visiting, 0);
        limit_.reset();
        for (auto& q : stop.quick) {
          if (q.action.kind == ActionKind::Unknown) {
            if (reaches(q.match)) out.push_back(std::move(q));
            continue;
          }
          if (leaf_chain < 0) {
            leaf_chain = static_cast<int>(sub_chains.size());
            std::vector<Rule> copy = leaf;
            copy.push_back(default_pass(*f.rule));
            sub_chains.emplace_back(fmt::format("pf forward out, inbound walk stopped before match rdr-to (line {}, "
                                                "part {})",
                                                f.rule->span.line, sub_chains.size() + 1),
                                    std::move(copy));
          }
          q.action = Action();
          q.action.kind = ActionKind::Jump;
          q.action.label = fmt::format("inbound quick rule before match rdr-to (line {})", f.rule->span.line);
          q.action.target_chain = -2 - leaf_chain;
          if (reaches(q.match)) out.push_back(std::move(q));
        }
      }
      for (auto& [piece_ptr, m] : jumps) {
        const Rule& piece = *piece_ptr;
        {
          if (sub_chains.size() >= kMaxSubChains || sub_rules_ > kMaxSubRules) {
            Rule u = piece;
            u.match = std::move(m);
            u.action = Action();
            u.action.kind = ActionKind::Unknown;
            u.action.label = "match rdr-to (too many combinations of translations to follow)";
            u.match.unknowns.push_back(u.action.label);
            if (!budget_noted_) {
              budget_noted_ = true;
              rs_.diagnostics.push_back(make_diagnostic(
                  "FWM091", Severity::Warning, f.rule->span,
                  fmt::format("the 'match ... rdr-to' rules make more than {} combinations of translations: the "
                              "packets this one and later ones translate are undetermined",
                              kMaxSubChains),
                  f.rule->text));
            }
            out.push_back(std::move(u));
            continue;
          }
          const std::size_t idx = sub_chains.size();
          sub_chains.emplace_back(fmt::format("pf {} after match rdr-to (line {}, part {})",
                                              ctx == Ctx::HostIn  ? "in"
                                              : ctx == Ctx::FwdIn ? "forward in"
                                                                  : "forward out",
                                              f.rule->span.line, idx + 1),
                                  std::vector<Rule>());
          Step step{f.pos, piece, f.target, f.rule->rdr_to->text};
          view_.push_back(std::move(step));
          std::vector<Rule> sub;
          Match inner = m;
          if (entry) intersect(inner, *entry);
          build(ctx, &f.pos, sub, &inner);
          entry_ = entry;
          view_.pop_back();
          sub.push_back(default_pass(*f.rule));
          sub_rules_ += sub.size();
          sub_chains[idx].second = std::move(sub);
          Rule jump = piece;
          jump.match = std::move(m);
          jump.action = Action();
          jump.action.kind = ActionKind::Jump;
          jump.action.label = fmt::format("match rdr-to {}", f.rule->rdr_to->text);
          jump.action.target_chain = -2 - static_cast<int>(idx);
          out.push_back(std::move(jump));
        }
      }
    }
    ctx_ = ctx;
    for (auto& r : leaf)
      if (reaches(r.match)) out.push_back(std::move(r));
    entry_ = saved_entry;
  }

  // Whether a packet that matches `entry` may match `m` (interfaces left out: a group and
  // its members are written apart).
  static bool reaches_entry(const Match& m, const Match* entry) {
    if (!entry) return true;
    auto no_ifaces = [](Match x) {
      x.in_patterns.clear();
      x.out_patterns.clear();
      x.in_negated = x.out_negated = false;
      return x;
    };
    Match both = no_ifaces(m);
    return intersect(both, no_ifaces(*entry));
  }

  static Rule default_pass(const PfRule& at) {
    Rule pass;
    pass.action.kind = ActionKind::Accept;
    pass.action.label = "pf default: pass when no rule matches";
    pass.span = at.span;
    pass.text = at.text;
    pass.normalized = "pass (pf default)";
    return pass;
  }

  // A rule's match as the packet meets it after the translations of view_ that pf made
  // before the rule at `at` (every one on the out pass of a forwarded packet), latest
  // first: false when it cannot match.
  bool apply_view(Match& m, const Path& at) {
    for (auto it = view_.rbegin(); it != view_.rend(); ++it) {
      if (!view_all_ && !(it->pos < at)) continue;
      if (!seen_translated(m, it->target, it->piece, it->text)) return false;
    }
    return true;
  }

  bool has_in_place(const std::vector<PfRule>& rules) const {
    for (const auto& r : rules) {
      if (r.kind == RuleKind::Match && r.rdr_to && &r != staged_) return true;
      if (has_in_place(r.children)) return true;
    }
    return false;
  }

  // A rule's match as the translated packet meets it: false when it cannot match.
  bool seen_translated(Match& m, const std::optional<AddrSet>& target, const Rule& piece, const std::string& text) {
    if (m.dst) {
      if (target && target->subtract(*m.dst).empty()) {
        m.dst.reset();
      } else if (target && target->intersect(*m.dst).empty()) {
        return false;
      } else {
        m.dst.reset();
        m.unknowns.push_back(fmt::format("destination after {} (the address the translation picks)", text));
      }
    }
    if (m.dport && piece.action.new_dport) {
      const PortSet& to = *piece.action.new_dport;
      const PortSet from = piece.match.dport ? *piece.match.dport : PortSet(0, kMaxPort);
      if (to.count() == 1) {
        if (!m.dport->contains(to.intervals().front().lo)) return false;
        m.dport.reset();
      } else if (piece.match.dport && from.size() == 1 && to.size() == 1 && from.count() == to.count()) {
        // A stretch moved by one offset: the ports that land inside the rule's.
        std::int64_t shift = static_cast<std::int64_t>(to.intervals().front().lo) -
                             static_cast<std::int64_t>(from.intervals().front().lo);
        PortSet back;
        for (const auto& iv : m.dport->intervals()) {
          std::int64_t lo =
              std::max<std::int64_t>(static_cast<std::int64_t>(iv.lo) - shift, from.intervals().front().lo);
          std::int64_t hi =
              std::min<std::int64_t>(static_cast<std::int64_t>(iv.hi) - shift, from.intervals().front().hi);
          if (lo <= hi) back.add(static_cast<std::uint32_t>(lo), static_cast<std::uint32_t>(hi));
        }
        if (back.empty()) return false;
        m.dport = back;
      } else {
        if (!to.intersects(*m.dport)) return false;
        if (!to.subset_of(*m.dport))
          m.unknowns.push_back(fmt::format("port after {} (the port the translation picks)", text));
        m.dport.reset();
      }
    }
    return true;
  }

  // Inbound translation stage: legacy rdr/binat (first match), then the `match ...
  // rdr-to` that comes before every filter rule (staged_).
  std::vector<Rule> rdr_rules() {
    ctx_ = Ctx::HostIn;
    std::vector<Rule> out, match_rdr;
    collect_rdr(model_.rules, out, match_rdr);
    for (auto it = match_rdr.rbegin(); it != match_rdr.rend(); ++it) out.push_back(std::move(*it));
    return out;
  }

  void finish_diagnostics() {
    for (auto& [key, entry] : unknown_counts_)
      if (entry.second > 1)
        rs_.diagnostics[static_cast<std::size_t>(entry.first)].message +=
            fmt::format(" ({} rules use it)", entry.second);
  }

 private:
  // ---- conditions
  void iface_patterns(Match& m, const std::vector<IfaceItem>& items) {
    bool in = inbound(ctx_);
    auto& pats = in ? m.in_patterns : m.out_patterns;
    bool& neg = in ? m.in_negated : m.out_negated;
    pats.clear();
    neg = false;
    for (const auto& it : items) {
      if (it.name == "any") {
        // Every interface except loopback.
        pats = {{"lo", true}};
        neg = !it.negated;
        if (it.negated) m.never = true;
        return;
      }
      if (it.name == "all") {  // the group every interface is in
        pats.clear();
        neg = !it.negated;
        if (it.negated) m.never = true;
        return;
      }
      IfacePattern p{it.name, false};
      if (it.name == "lo") p.prefix = true;  // the loopback group
      // A clone family group holds every interface of the family (vlan: vlan0, vlan5,
      // ...); any group also answers to its own name (`--iface egress`).
      if (is_group_name(it.name) && is_clone_family(it.name)) p.prefix = true;
      pats.push_back(p);
      neg = it.negated;
    }
  }

  // pf.conf(5) `on group`: the interfaces in the group. Membership beyond what
  // ifconfig(8) fixes (clone families) is run-time state (`ifconfig em0 group wan`,
  // egress = the interfaces of the default routes): for every interface the file does
  // not place in the group the rule may or may not match.
  static std::string group_unknown(const std::vector<IfaceItem>& items) {
    std::vector<std::string> groups;
    for (const auto& it : items)
      if (is_group_name(it.name)) groups.push_back(it.name);
    if (groups.empty()) return {};
    return fmt::format("on {}{} {}", items.size() > 1 ? "one of " : "", fmt::join(groups, ", "), kGroupMembers);
  }

  // Interface groups (names not ending in a digit, like `egress`): members beyond the
  // clone family are not known from the file.
  void note_groups(const SourceSpan& span, const std::string& text, const std::vector<IfaceItem>& items) {
    for (const auto& it : items) {
      if (!is_group_name(it.name)) continue;
      if (!groups_noted_.insert(it.name).second) continue;
      std::string members =
          is_clone_family(it.name)
              ? fmt::format(
                    "its {}N interfaces are in it (ifconfig(8): cloned interfaces belong to "
                    "their family group), other interfaces may be added at run time",
                    it.name)
              : fmt::format("its members are set at run time{}",
                            it.name == "egress" ? " (the interfaces holding the default routes)" : "");
      rs_.diagnostics.push_back(make_diagnostic(
          "FWM091", Severity::Warning, span,
          fmt::format("'on {}' names an interface group: {}, so for other interfaces these rules are undetermined "
                      "(--iface {} asks about an interface in the group)",
                      it.name, members, it.name),
          text));
    }
  }

  std::optional<AddrSet> self_set(bool is_dst) const {
    switch (ctx_) {
      case Ctx::HostIn:
        if (is_dst) return AddrSet::all();  // every packet of this path is for the host
        return std::nullopt;
      case Ctx::HostOut:
        if (!is_dst) return AddrSet::all();
        return std::nullopt;
      case Ctx::FwdIn:
      case Ctx::FwdOut:
        return AddrSet::none();  // forwarded packets are neither from nor for the
                                 // host
    }
    return std::nullopt;
  }

  // Addresses of a table, longest prefix deciding (negated entries cut holes).
  std::optional<AddrSet> table_set(const std::string& name, bool is_dst, std::string& why) {
    auto it = model_.tables.find(name);
    if (it == model_.tables.end()) {
      why = fmt::format("<{}> (a table not defined in the file: filled at run time)", name);
      return std::nullopt;
    }
    const Table& t = it->second;
    if (!t.unknown.empty()) {
      why = t.unknown;
      return std::nullopt;
    }
    struct Entry {
      AddrSet set;
      bool negated;
      u128 width;
    };
    std::vector<Entry> entries;
    for (const auto& e : t.entries) {
      HostItem positive = e;
      positive.negated = false;
      std::string sub;
      auto set = item_set(positive, is_dst, sub);
      if (!set) {
        why = fmt::format("<{}> (table entry {})", name, sub);
        return std::nullopt;
      }
      u128 width = 0;
      for (const auto& iv : set->v4.intervals()) width = std::max(width, iv.hi - iv.lo);
      for (const auto& iv : set->v6.intervals()) width = std::max(width, iv.hi - iv.lo);
      entries.push_back({*set, e.negated, width});
    }
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.width > b.width; });
    AddrSet out;
    for (const auto& e : entries) out = e.negated ? out.subtract(e.set) : out.unite(e.set);
    return out;
  }

  std::optional<AddrSet> item_set(const HostItem& h, bool is_dst, std::string& why) {
    std::optional<AddrSet> set;
    switch (h.kind) {
      case HostItem::Kind::Any:
        set = AddrSet::all();
        break;
      case HostItem::Kind::Address:
        set = h.set;
        break;
      case HostItem::Kind::Table:
        set = table_set(h.name, is_dst, why);
        break;
      case HostItem::Kind::Self:
        set = self_set(is_dst);
        if (!set) why = "self as source of an inbound packet";
        break;
      case HostItem::Kind::InterfaceAddr:
        if (is_loopback_name(h.name) && (h.modifier.empty() || h.modifier == "0" || h.modifier == "network")) {
          set = loopback_addresses(h.modifier == "network");
        } else if (h.modifier.empty() || h.modifier == "0") {
          set = self_set(is_dst);  // one of the host's own addresses
          if (!set) why = fmt::format("{} (the interface's address as source)", h.text);
        } else {
          why = fmt::format("{} (interface addresses are not in the file)", h.text);
        }
        break;
      case HostItem::Kind::HostName:
        why = fmt::format("host name '{}' (resolved when the rules were loaded)", h.name);
        break;
      case HostItem::Kind::NoRoute:
        why = "no-route (routing table)";
        break;
      case HostItem::Kind::UrpfFailed:
        why = "urpf-failed (routing table)";
        break;
      case HostItem::Kind::RouteLabel:
        why = fmt::format("route {} (routing table)", h.name);
        break;
    }
    if (set && h.negated) set = set->complement();
    if (!set && h.negated) why = "! " + why;
    return set;
  }

  static std::bitset<2> item_families(const HostItem& h) {
    std::bitset<2> f;
    if (h.kind == HostItem::Kind::Address) {
      if (!h.set.v4.empty()) f.set(0);
      if (!h.set.v6.empty()) f.set(1);
      return f;
    }
    return f.set();
  }

  std::vector<Alt> endpoint_alts(const Endpoint& ep, bool is_dst, std::bitset<2>& fams) {
    if (ep.hosts.empty()) return {{AddrSet::all(), {}}};
    std::vector<Alt> alts;
    std::optional<AddrSet> known;
    std::bitset<2> f;
    for (const auto& h : ep.hosts) {
      f |= item_families(h);
      std::string why;
      auto set = item_set(h, is_dst, why);
      if (set) {
        known = known ? known->unite(*set) : *set;
      } else {
        alts.push_back({std::nullopt, why});
      }
    }
    fams &= f;
    if (known) alts.insert(alts.begin(), {known, {}});
    return alts;
  }

  // The interface part of a rule's matches: one match without groups; with groups the
  // interfaces the file places in them, and the others as undetermined.
  std::vector<Match> iface_matches(const std::vector<IfaceItem>& ifs) {
    Match m;
    if (ifs.empty()) return {m};
    iface_patterns(m, ifs);
    std::string unknown = group_unknown(ifs);
    if (unknown.empty()) return {m};
    bool in = inbound(ctx_);
    bool negated = in ? m.in_negated : m.out_negated;
    Match maybe = m;
    (in ? maybe.in_negated : maybe.out_negated) = !negated;
    maybe.unknowns.push_back(unknown);
    if (negated) return {maybe};  // `on ! egress`: no interface is known to be outside
    return {m, maybe};
  }

  // The IR matches of a rule in the current context (one per list alternative
  // that cannot be merged); empty when the rule does not apply here.
  std::vector<Match> conditions(const PfRule& r) {
    if (r.direction == 1 && !inbound(ctx_)) return {};
    if (r.direction == 2 && inbound(ctx_)) return {};
    if (r.never) return {};
    std::bitset<2> fams;
    if (r.inet) fams.set(0);
    if (r.inet6) fams.set(1);
    std::optional<ProtoSet> proto;
    if (!r.protos.empty()) {
      ProtoSet p;
      bool v4_only = true, v6_only = true;
      for (int n : r.protos) {
        p.set(static_cast<std::size_t>(n));
        if (n != kProtoIcmp) v4_only = false;
        if (n != kProtoIcmp6) v6_only = false;
      }
      if (v4_only) fams.reset(1);
      if (v6_only) fams.reset(0);
      proto = p;
    }
    auto src_alts = endpoint_alts(r.from, false, fams);
    auto dst_alts = endpoint_alts(r.to, true, fams);
    if (fams.none()) return {};
    note_groups(r.span, r.text, r.ifaces);
    // `on { a, !b }`: list items with negation are separate rules.
    std::vector<std::vector<IfaceItem>> iface_alts;
    bool any_negated = std::any_of(r.ifaces.begin(), r.ifaces.end(), [](const IfaceItem& i) { return i.negated; });
    if (any_negated && r.ifaces.size() > 1) {
      for (const auto& i : r.ifaces) iface_alts.push_back({i});
    } else {
      iface_alts.push_back(r.ifaces);
    }
    std::vector<Match> out;
    for (const auto& ifs : iface_alts)
      for (const auto& base : iface_matches(ifs))
        for (const auto& s : src_alts)
          for (const auto& d : dst_alts) {
            Match m = base;
            m.families = fams;
            m.proto = proto;
            if (s.set && !s.set->is_all()) m.src = *s.set;
            if (d.set && !d.set->is_all()) m.dst = *d.set;
            if (!s.set) m.unknowns.push_back(fmt::format("from {}", s.unknown));
            if (!d.set) m.unknowns.push_back(fmt::format("to {}", d.unknown));
            if ((s.set && s.set->empty()) || (d.set && d.set->empty())) continue;
            if (r.from.ports) {
              if (!r.from.unknown_ports.empty())
                m.unknowns.push_back("source port " + r.from.port_text.substr(4));
              else
                m.sport = *r.from.ports;
            }
            if (r.to.ports) {
              if (!r.to.unknown_ports.empty())
                m.unknowns.push_back("port " + r.to.port_text.substr(4));
              else
                m.dport = *r.to.ports;
            }
            for (const auto& u : r.unknowns) m.unknowns.push_back(u);
            if (m.never) continue;
            out.push_back(std::move(m));
          }
    return out;
  }

  // conditions() of a rule of the model (not of an antispoof expansion, made anew each
  // time), once per context: build flattens the rules once per chain it makes.
  std::vector<Match> cached_conditions(const PfRule& r) {
    if (r.from_antispoof || !in_place_) return conditions(r);
    auto key = std::make_pair(&r, static_cast<int>(ctx_));
    auto it = conditions_cache_.find(key);
    if (it == conditions_cache_.end()) it = conditions_cache_.emplace(key, conditions(r)).first;
    return it->second;
  }

  static bool same_patterns(const std::vector<IfacePattern>& a, const std::vector<IfacePattern>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i].name != b[i].name || a[i].prefix != b[i].prefix) return false;
    return true;
  }

  static bool contains(const std::vector<IfacePattern>& list, const IfacePattern& p) {
    return std::any_of(list.begin(), list.end(),
                       [&](const IfacePattern& q) { return q.name == p.name && q.prefix == p.prefix; });
  }

  // a := a AND b (interface lists exactly when they name the same patterns,
  // else by name).
  static void combine_ifaces(SparseVector<IfacePattern>& a, bool& a_neg, const SparseVector<IfacePattern>& b,
                             bool b_neg, bool& never) {
    if (b.empty()) return;
    if (a.empty()) {
      a = b;
      a_neg = b_neg;
      return;
    }
    if (!a_neg && !b_neg) {
      std::vector<IfacePattern> both;
      for (const auto& p : a)
        if (contains(b, p)) both.push_back(p);
      if (both.empty()) never = true;
      a = both;
    } else if (!a_neg && b_neg) {
      std::vector<IfacePattern> keep;
      for (const auto& p : a)
        if (!contains(b, p)) keep.push_back(p);
      if (keep.empty()) never = true;
      a = keep;
    } else if (a_neg && !b_neg) {
      std::vector<IfacePattern> keep;
      for (const auto& p : b)
        if (!contains(a, p)) keep.push_back(p);
      if (keep.empty()) never = true;
      a = keep;
      a_neg = false;
    } else if (!same_patterns(a, b)) {
      for (const auto& p : b)
        if (!contains(a, p)) a.push_back(p);
    }
  }

  static bool intersect(Match& a, const Match& b) {
    a.families &= b.families;
    if (b.proto) a.proto = a.proto ? (*a.proto & *b.proto) : *b.proto;
    if (b.src) a.src = a.src ? a.src->intersect(*b.src) : *b.src;
    if (b.dst) a.dst = a.dst ? a.dst->intersect(*b.dst) : *b.dst;
    if (b.sport) a.sport = a.sport ? a.sport->intersect(*b.sport) : *b.sport;
    if (b.dport) a.dport = a.dport ? a.dport->intersect(*b.dport) : *b.dport;
    combine_ifaces(a.in_patterns, a.in_negated, b.in_patterns, b.in_negated, a.never);
    combine_ifaces(a.out_patterns, a.out_negated, b.out_patterns, b.out_negated, a.never);
    for (const auto& u : b.unknowns)
      if (std::find(a.unknowns.begin(), a.unknowns.end(), u) == a.unknowns.end()) a.unknowns.push_back(u);
    a.never = a.never || b.never;
    if (a.families.none() || (a.proto && a.proto->none()) || (a.src && a.src->empty()) || (a.dst && a.dst->empty()) ||
        (a.dport && a.dport->empty()) || (a.sport && a.sport->empty()))
      a.never = true;
    return !a.never;
  }

  // `noted`: how many of the match's unknowns to note as unmodelled (the others come
  // from a translation, apply_view, or were noted already).
  Rule make_rule(const PfRule& r, Match m, ActionKind kind, const std::string& label,
                 std::size_t noted = std::string::npos) {
    Rule out;
    out.match = std::move(m);
    out.action.kind = kind;
    out.action.label = label;
    out.span = r.span;
    out.text = r.text;
    out.normalized = r.normalized;
    out.suppressions = r.suppressions;
    for (std::size_t i = 0; i < out.match.unknowns.size() && i < noted; ++i) {
      const auto& u = out.match.unknowns[i];
      if (!u.ends_with(kGroupMembers)) note_unknown(r, u);  // note_groups says it once per group
    }
    return out;
  }

  void note_unknown(const PfRule& r, const std::string& what) {
    if (r.from_antispoof) {
      if (!seen_unknowns_.insert(fmt::format("{}:{}:antispoof", r.span.file, r.span.line)).second) return;
      rs_.diagnostics.push_back(make_diagnostic(
          "FWM091", Severity::Warning, r.span,
          "antispoof expands to 'block in on ! IF from IF:network' and 'block in from IF': the interfaces' addresses "
          "are not in the file, so these block rules are undetermined (a later pass still decides)",
          r.text));
      return;
    }
    if (!seen_unknowns_.insert(fmt::format("{}:{}:{}", r.span.file, r.span.line, what)).second) return;
    // One diagnostic per construct: "from <t>" and "to ! <t>" are the same table.
    std::string key = what;
    for (const char* prefix : {"from ", "to ", "! "})
      if (key.rfind(prefix, 0) == 0) key = key.substr(std::string(prefix).size());
    if (key.rfind("! ", 0) == 0) key = key.substr(2);
    auto it = unknown_counts_.find(key);
    if (it != unknown_counts_.end()) {
      ++it->second.second;
      return;
    }
    unknown_counts_[key] = {static_cast<int>(rs_.diagnostics.size()), 1};
    rs_.diagnostics.push_back(make_diagnostic(
        "FWM091", Severity::Warning, r.span,
        fmt::format(
            "'{}' is read but not modelled: rules using it are treated as undetermined (they may or may not match)",
            what),
        r.text));
  }

  void unknown_contents(const PfRule& r, const std::vector<Match>& conds, const std::string& why, Flat& out) {
    std::string key = "anchor:" + why;
    if (unknown_anchor_noted_.insert(fmt::format("{}:{}", r.span.line, why)).second && ctx_ == Ctx::HostIn) {
      rs_.diagnostics.push_back(make_diagnostic(
          "FWM091", Severity::Warning, r.span,
          fmt::format("{}: packets that reach this point undecided by an earlier quick rule are undetermined", why),
          r.text));
    }
    // An unknown condition (not a terminal verdict): the rules after it are
    // still reached, and whatever it may decide makes the outcome undetermined.
    for (const auto& m : conds) {
      Rule u = make_rule(r, m, ActionKind::Unknown, why);
      u.match.unknowns.push_back(why);
      out.quick.push_back(std::move(u));
    }
  }

  // ---- flattening anchors
  std::vector<Match> within(const std::vector<Match>& inner, const std::vector<Match>& outer) {
    std::vector<Match> out;
    for (const auto& i : inner)
      for (const auto& o : outer) {
        Match m = i;
        if (intersect(m, o)) out.push_back(std::move(m));
      }
    return out;
  }

  void flatten(const std::vector<PfRule>& rules, const std::vector<Match>& outer, Flat& out,
               std::set<std::string>& visiting, int depth) {
    for (std::size_t i = 0; i < rules.size(); ++i) {
      path_.push_back(static_cast<std::uint32_t>(i));
      const bool past = limit_ && !(path_ < *limit_);
      if (!past) flatten_one(rules[i], outer, out, visiting, depth);
      path_.pop_back();
      if (past) break;
    }
  }

  void flatten_one(const PfRule& r, const std::vector<Match>& outer, Flat& out, std::set<std::string>& visiting,
                   int depth) {
    {
      switch (r.kind) {
        case RuleKind::Pass:
        case RuleKind::Block: {
          bool pass = r.kind == RuleKind::Pass;
          for (auto& m : within(cached_conditions(r), outer)) {
            ActionKind kind = pass ? ActionKind::Accept : ActionKind::Deny;
            if (!(pass && r.rdr_to && inbound(ctx_))) {
              // The view and the chain's entry first: most rules of a chain for translated
              // packets are left out, before their text is copied.
              const std::size_t own = m.unknowns.size();
              for (std::size_t i = 0; i < own; ++i)
                if (!m.unknowns[i].ends_with(kGroupMembers)) note_unknown(r, m.unknowns[i]);
              if (!apply_view(m, path_) || !reaches_entry(m, entry_)) continue;
              (r.quick ? out.quick : out.last).push_back(make_rule(r, std::move(m), kind, pass ? "pass" : "block", 0));
              continue;
            }
            Rule ir = make_rule(r, std::move(m), kind, pass ? "pass" : "block");
            if (pass && r.rdr_to && inbound(ctx_)) {
              // The rule's own translation maps the destination as it meets the rule.
              rewrite_action(ir.action, *r.rdr_to);
              if (!restrict_to_target(ir)) continue;
              for (auto& piece : port_mapped(std::move(ir), *r.rdr_to))
                if (apply_view(piece.match, path_)) (r.quick ? out.quick : out.last).push_back(std::move(piece));
              continue;
            }
            if (!apply_view(ir.match, path_)) continue;
            (r.quick ? out.quick : out.last).push_back(std::move(ir));
          }
          break;
        }
        case RuleKind::Antispoof:
          flatten(antispoof_rules(r), outer, out, visiting, depth);
          break;
        case RuleKind::Include:
          unknown_contents(r, within({Match()}, outer), r.unknown_verdict, out);
          break;
        case RuleKind::Anchor:
          anchor(r, outer, out, visiting, depth);
          break;
        case RuleKind::Match:
          if (found_ && r.rdr_to && &r != staged_ && (!collect_after_ || *collect_after_ < path_)) match_rdr(r, outer);
          break;
        case RuleKind::Rdr:
        case RuleKind::Binat:
        case RuleKind::Nat:
          break;  // no pass/block decision (translations: see rdr_rules)
      }
    }
  }

  // A `match ... rdr-to` met in the walk (found_): its pieces as written, for the rules
  // after it, and the anchors' conditions around it as the packet meets them.
  void match_rdr(const PfRule& r, const std::vector<Match>& outer) {
    Found f;
    f.pos = path_;
    f.rule = &r;
    for (const auto& o : outer) {
      Match m = o;
      if (apply_view(m, path_)) f.outer.push_back(std::move(m));
    }
    if (f.outer.empty()) return;
    for (auto& c : conditions(r)) {
      Rule ir = make_rule(r, std::move(c), ActionKind::Rewrite, "match rdr-to");
      rewrite_action(ir.action, *r.rdr_to);
      if (!restrict_to_target(ir)) continue;
      for (auto& piece : port_mapped(std::move(ir), *r.rdr_to)) f.pieces.push_back(std::move(piece));
    }
    if (f.pieces.empty()) return;
    AddrSet t;
    bool known = true;
    for (const auto& h : r.rdr_to->hosts) {
      std::string why;
      auto set = item_set(h, true, why);
      if (!set || h.kind == HostItem::Kind::InterfaceAddr || h.kind == HostItem::Kind::Self) known = false;
      if (set) t = t.unite(*set);
    }
    if (known && !t.empty()) f.target = t;
    found_->push_back(std::move(f));
  }

  void anchor(const PfRule& r, const std::vector<Match>& outer, Flat& out, std::set<std::string>& visiting, int depth) {
    std::vector<Match> conds;
    for (auto& m : within(conditions(r), outer))
      if (apply_view(m, path_)) conds.push_back(std::move(m));
    if (conds.empty()) return;
    std::vector<const std::vector<PfRule>*> contents;
    std::string why;
    if (r.anchor_inline) {
      contents.push_back(&r.children);
    } else if (r.anchor_name.size() >= 2 && r.anchor_name.compare(r.anchor_name.size() - 2, 2, "/*") == 0) {
      std::string parent = r.anchor_name.substr(0, r.anchor_name.size() - 1);  // "x/"
      for (const auto& [name, rules] : model_.anchors)                         // std::map: alphabetical
        if (name.rfind(parent, 0) == 0 && name.find('/', parent.size()) == std::string::npos)
          contents.push_back(&rules);
      if (contents.empty())
        why = fmt::format(
            "anchor \"{}\" has no sub-anchors in the input "
            "(loaded at run time)",
            r.anchor_name);
    } else {
      auto it = model_.anchors.find(r.anchor_name);
      if (it != model_.anchors.end()) {
        contents.push_back(&it->second);
      } else {
        auto missing = model_.anchor_files_missing.find(r.anchor_name);
        why = missing != model_.anchor_files_missing.end() ? fmt::format(
                                                                 "anchor \"{}\" is loaded from \"{}\", which is "
                                                                 "not available",
                                                                 r.anchor_name, missing->second)
                                                           : fmt::format(
                                                                 "anchor \"{}\" has no rules in the input "
                                                                 "(loaded at run time)",
                                                                 r.anchor_name);
      }
    }
    if (!why.empty() || depth > 64 || visiting.count(r.anchor_name)) {
      if (why.empty()) why = fmt::format("anchor \"{}\" is nested in itself", r.anchor_name);
      unknown_contents(r, conds, why, out);
      return;
    }
    visiting.insert(r.anchor_name);
    Flat sub;
    for (std::size_t ci = 0; ci < contents.size(); ++ci) {
      path_.push_back(static_cast<std::uint32_t>(ci));
      flatten(*contents[ci], conds, sub, visiting, depth + 1);
      path_.pop_back();
    }
    visiting.erase(r.anchor_name);
    for (auto& q : sub.quick) out.quick.push_back(std::move(q));
    // An anchor cut by limit_ (it holds the match rule the walk stops at) has not ended
    // yet: only its quick rules have decided.
    const bool cut = limit_ && limit_->size() > path_.size() && std::equal(path_.begin(), path_.end(), limit_->begin());
    if (r.quick && !cut) {
      for (auto it = sub.last.rbegin(); it != sub.last.rend(); ++it) out.quick.push_back(std::move(*it));
    } else {
      for (auto& l : sub.last) out.last.push_back(std::move(l));
    }
  }

  // antispoof for IF: `block in on ! IF from IF:network` and, unless IF is
  // loopback, `block in from IF` (per pf.conf(5)); not quick unless `antispoof
  // quick`.
  std::vector<PfRule> antispoof_rules(const PfRule& r) {
    std::vector<PfRule> out;
    for (const auto& itf : r.ifaces) {
      PfRule a;
      a.kind = RuleKind::Block;
      a.from_antispoof = true;
      a.quick = r.quick;
      a.direction = 1;
      a.inet = r.inet;
      a.inet6 = r.inet6;
      a.span = r.span;
      a.text = r.text;
      a.suppressions = r.suppressions;
      IfaceItem not_itf;
      not_itf.name = itf.name;
      not_itf.negated = true;
      a.ifaces = {not_itf};
      HostItem net;
      net.kind = HostItem::Kind::InterfaceAddr;
      net.name = itf.name;
      net.modifier = "network";
      net.text = itf.name + ":network";
      a.from.hosts = {net};
      a.normalized = fmt::format("block in on ! {} from {}:network (antispoof)", itf.name, itf.name);
      out.push_back(a);
      if (is_loopback_name(itf.name)) continue;
      PfRule b = a;
      b.ifaces.clear();
      HostItem addr = net;
      addr.modifier.clear();
      addr.text = itf.name;
      b.from.hosts = {addr};
      b.normalized = fmt::format("block in from {} (antispoof)", itf.name);
      out.push_back(b);
    }
    return out;
  }

  void rewrite_action(Action& a, const Translation& t) {
    std::string why;
    AddrSet target;
    bool known = true;
    for (const auto& h : t.hosts) {
      auto s = item_set(h, true, why);
      if (!s || h.kind == HostItem::Kind::InterfaceAddr || h.kind == HostItem::Kind::Self) {
        known = false;
        break;
      }
      target = target.unite(*s);
    }
    a.kind = ActionKind::Rewrite;
    a.label = t.text;
    if (known && !target.empty()) a.new_daddr = target;
    if (t.port) a.new_dport = *t.port;
  }

  // The rule with its destination port translated as pf_get_transaddr does: one target
  // port takes every packet; a range maps the matched ports in order, each list item from
  // its first port (`:*`: a range as long as the item's). One rule per stretch of ports
  // that moves by one offset; lower() later cuts them where later rules' ports change, so
  // the filter never sees a stretch it treats in parts.
  std::vector<Rule> port_mapped(Rule ir, const Translation& t) {
    if (!t.port || (t.port->count() == 1 && !t.port_star)) return {std::move(ir)};
    const auto target = t.port->intervals().front();
    PortSet matched = ir.match.dport ? *ir.match.dport : PortSet(0, kMaxPort);
    struct Stretch {
      std::uint32_t lo, hi;
      std::int64_t shift;
    };
    std::vector<Stretch> stretches;
    for (const auto& iv : matched.intervals()) {
      std::uint64_t size = t.port_star ? std::uint64_t{iv.hi} - iv.lo + 1 : std::uint64_t{target.hi} - target.lo + 1;
      for (std::uint64_t lo = iv.lo; lo <= iv.hi && stretches.size() <= 64; lo += size) {
        std::uint64_t hi = std::min<std::uint64_t>(iv.hi, lo + size - 1);
        std::int64_t shift = static_cast<std::int64_t>(target.lo) - static_cast<std::int64_t>(lo);
        // pf: a translated port past 65535 wraps (less 65535).
        std::uint64_t last = static_cast<std::uint64_t>(static_cast<std::int64_t>(hi) + shift);
        if (last > kMaxPort) {
          std::uint64_t cut = kMaxPort - static_cast<std::uint64_t>(static_cast<std::int64_t>(lo) + shift) + lo;
          stretches.push_back({static_cast<std::uint32_t>(lo), static_cast<std::uint32_t>(cut), shift});
          stretches.push_back({static_cast<std::uint32_t>(cut + 1), static_cast<std::uint32_t>(hi), shift - kMaxPort});
        } else {
          stretches.push_back({static_cast<std::uint32_t>(lo), static_cast<std::uint32_t>(hi), shift});
        }
      }
    }
    if (stretches.size() > 64) {
      // Many wraps (a wide match onto a few ports): every packet may get any target port.
      PortSet any;
      for (const auto& s : stretches)
        any.add(static_cast<std::uint32_t>(s.lo + s.shift), static_cast<std::uint32_t>(s.hi + s.shift));
      ir.action.new_dport = t.port_star ? any : *t.port;
      return {std::move(ir)};
    }
    std::vector<Rule> out;
    for (const auto& s : stretches) {
      Rule piece = ir;
      piece.match.dport = PortSet(s.lo, s.hi);
      piece.action.new_dport =
          PortSet(static_cast<std::uint32_t>(s.lo + s.shift), static_cast<std::uint32_t>(s.hi + s.shift));
      out.push_back(std::move(piece));
    }
    return out;
  }

  // A translation applies only to the address families of its target (pfctl infers
  // the rule's family from it).
  static bool restrict_to_target(Rule& ir) {
    if (!ir.action.new_daddr) return true;
    if (ir.action.new_daddr->v4.empty()) ir.match.families.reset(0);
    if (ir.action.new_daddr->v6.empty()) ir.match.families.reset(1);
    return ir.match.families.any();
  }

  void collect_rdr(const std::vector<PfRule>& rules, std::vector<Rule>& legacy, std::vector<Rule>& match_rdr) {
    for (const auto& r : rules) {
      if (r.kind == RuleKind::Anchor && r.anchor_inline) collect_rdr(r.children, legacy, match_rdr);
      if (&r == staged_) {
        for (auto& m : conditions(r)) {
          Rule ir = make_rule(r, std::move(m), ActionKind::Rewrite, "match rdr-to");
          rewrite_action(ir.action, *r.rdr_to);
          if (!restrict_to_target(ir)) continue;
          for (auto& piece : port_mapped(std::move(ir), *r.rdr_to)) match_rdr.push_back(std::move(piece));
        }
      }
      if (r.kind == RuleKind::Rdr && !r.unknown_verdict.empty()) {
        Match all;
        Rule ir = make_rule(r, all, ActionKind::Unknown, r.unknown_verdict);
        ir.match.unknowns.push_back(r.unknown_verdict);
        legacy.push_back(std::move(ir));
        rs_.diagnostics.push_back(make_diagnostic(
            "FWM091", Severity::Warning, r.span,
            fmt::format("{}: inbound packets may be redirected by rules fwmatrix cannot see, so they are undetermined",
                        r.unknown_verdict),
            r.text));
        continue;
      }
      if (r.kind != RuleKind::Rdr && r.kind != RuleKind::Binat) continue;
      PfRule view = r;
      if (r.kind == RuleKind::Binat && r.rdr_to) {
        // Inbound side of binat: packets to the external address go to the
        // internal one.
        view.to.hosts = r.rdr_to->hosts;
        view.from = r.to;
        view.rdr_to->hosts = r.from.hosts;
        view.rdr_to->port.reset();
      }
      for (auto& m : conditions(view)) {
        Rule ir = make_rule(r, m, r.no_translation ? ActionKind::Accept : ActionKind::Rewrite,
                            r.no_translation ? "no rdr" : "rdr");
        if (!r.no_translation && view.rdr_to) rewrite_action(ir.action, *view.rdr_to);
        if (!restrict_to_target(ir)) continue;
        std::vector<Rule> pieces;
        if (!r.no_translation && view.rdr_to)
          pieces = port_mapped(std::move(ir), *view.rdr_to);
        else
          pieces.push_back(std::move(ir));
        for (auto& piece : pieces) {
          if (r.translation_pass && !r.no_translation) rdr_pass(r, piece.match, piece.action);
          legacy.push_back(std::move(piece));
        }
      }
    }
  }

  // `rdr pass` skips the filter for the packets it redirects. The filter stage
  // cannot tell them from other packets to the same destination, so those
  // become undetermined.
  void rdr_pass(const PfRule& r, const Match& m, const Action& a) {
    Match after = m;
    after.in_patterns = m.in_patterns;
    after.dst = a.new_daddr;
    if (a.new_dport) after.dport = a.new_dport;
    Rule ir = make_rule(r, after, ActionKind::Unknown, "rdr pass (skips the filter rules)");
    if (rdr_pass_rules_.empty()) {
      rs_.diagnostics.push_back(make_diagnostic(
          "FWM091", Severity::Warning, r.span,
          "'rdr pass' lets the packets it redirects skip the filter rules; fwmatrix cannot tell them from other "
          "packets to the same translated destination, so those destinations are undetermined",
          r.text));
    }
    rdr_pass_rules_.push_back(std::move(ir));
  }

  const Model& model_;
  Ruleset& rs_;
  Ctx ctx_ = Ctx::HostIn;
  std::vector<Rule> rdr_pass_rules_;
  // ---- match rdr-to in place
  static constexpr std::size_t kMaxSubChains = 2048, kMaxSubRules = 1000000;
  const PfRule* staged_ = nullptr;  // the match rdr-to translated before the filter (rdr stage)
  const Match* entry_ = nullptr;
  std::map<std::pair<const PfRule*, int>, std::vector<Match>> conditions_cache_;
  const Path* collect_after_ = nullptr;  // build: the match rules up to here are not collected         // build: what
                                         // every packet of the chain being built matches
  bool in_place_ = false;                // some other match rdr-to
  Path path_;                            // where flatten is: indices down the anchors, in evaluation order
  std::vector<Step> view_;               // the translations the packets of the chain being built took
  bool view_all_ = false;                // out pass of a forwarded packet: every rule sees all of view_
  std::vector<Found>* found_ = nullptr;  // flatten collects the match rdr-to rules here
  std::optional<Path> limit_;            // flatten leaves out the rules from here on
  std::size_t sub_rules_ = 0;
  bool budget_noted_ = false;
  std::set<std::string> groups_noted_, seen_unknowns_, unknown_anchor_noted_;
  std::map<std::string, std::pair<int, std::size_t>> unknown_counts_;
};

int add_chain(Ruleset& rs, const std::string& name, std::vector<Rule> rules) {
  Chain c;
  c.name = name;
  c.table = "pf";
  c.builtin = true;
  c.policy = PolicyKind::Accept;
  c.policy_text = "pf default: pass when no rule matches";
  int idx = static_cast<int>(rs.chains.size());
  for (std::size_t i = 0; i < rules.size(); ++i) {
    rules[i].chain = idx;
    rules[i].index = static_cast<int>(i);
  }
  c.rules = std::move(rules);
  rs.chains.push_back(std::move(c));
  return idx;
}

}  // namespace

// A translation that moves a stretch of ports by one offset (Lowering::port_mapped) is
// cut where a rule of `later` starts or stops matching ports, so that every piece lands
// on ports the later rules treat alike and the evaluator never has to pick one port of
// a rewritten range.
void cut_port_stretches(std::vector<Rule>& rules, const std::vector<const std::vector<Rule>*>& later) {
  std::set<std::uint64_t> bounds;  // first ports of the later rules' port runs and of the gaps after them
  for (const auto* chain : later)
    for (const auto& r : *chain)
      if (r.match.dport)
        for (const auto& iv : r.match.dport->intervals()) {
          bounds.insert(iv.lo);
          bounds.insert(std::uint64_t{iv.hi} + 1);
        }
  std::vector<Rule> out;
  for (auto& r : rules) {
    bool stretch = r.action.kind == ActionKind::Rewrite && r.action.new_dport && r.match.dport &&
                   r.match.dport->size() == 1 && r.action.new_dport->size() == 1 && r.match.dport->count() > 1 &&
                   r.match.dport->count() == r.action.new_dport->count();
    if (!stretch) {
      out.push_back(std::move(r));
      continue;
    }
    const auto from = r.match.dport->intervals().front();
    const std::int64_t shift =
        static_cast<std::int64_t>(r.action.new_dport->intervals().front().lo) - static_cast<std::int64_t>(from.lo);
    std::uint64_t lo = from.lo;
    auto piece = [&](std::uint64_t a, std::uint64_t b) {
      Rule p = r;
      p.match.dport = PortSet(static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(b));
      p.action.new_dport = PortSet(static_cast<std::uint32_t>(static_cast<std::int64_t>(a) + shift),
                                   static_cast<std::uint32_t>(static_cast<std::int64_t>(b) + shift));
      out.push_back(std::move(p));
    };
    for (auto it = bounds.upper_bound(static_cast<std::uint64_t>(static_cast<std::int64_t>(from.lo) + shift));
         it != bounds.end(); ++it) {
      std::int64_t cut = static_cast<std::int64_t>(*it) - shift;  // first port of the next piece
      if (cut > static_cast<std::int64_t>(from.hi)) break;
      piece(lo, static_cast<std::uint64_t>(cut - 1));
      lo = static_cast<std::uint64_t>(cut);
    }
    piece(lo, from.hi);
  }
  rules = std::move(out);
}

Ruleset lower(const Model& model, const std::string& file) {
  Ruleset rs;
  rs.format = "pf";
  rs.file = file;
  rs.line_count = model.line_count;
  rs.diagnostics = model.diagnostics;
  Lowering lowering(model, rs);
  auto rdr_rules = lowering.rdr_rules();
  auto in_rules = lowering.chain_rules(Ctx::HostIn);
  auto out_rules = lowering.chain_rules(Ctx::HostOut);
  auto fwd_in_rules = lowering.chain_rules(Ctx::FwdIn);
  auto fwd_out_rules = lowering.chain_rules(Ctx::FwdOut);
  cut_port_stretches(rdr_rules, {&in_rules, &fwd_in_rules, &fwd_out_rules});
  cut_port_stretches(fwd_in_rules, {&fwd_out_rules});
  int rdr_chain = rdr_rules.empty() ? -1 : add_chain(rs, "pf rdr (inbound translation)", std::move(rdr_rules));
  int in = add_chain(rs, "pf in", std::move(in_rules));
  int out = add_chain(rs, "pf out", std::move(out_rules));
  int fwd_in = add_chain(rs, "pf forward in", std::move(fwd_in_rules));
  int fwd_out = add_chain(rs, "pf forward out", std::move(fwd_out_rules));
  const int first_sub = static_cast<int>(rs.chains.size());
  for (auto& [name, rules] : lowering.sub_chains) {
    int idx = add_chain(rs, name, std::move(rules));
    rs.chains[static_cast<std::size_t>(idx)].builtin = false;
    rs.chains[static_cast<std::size_t>(idx)].restates = true;
  }
  for (auto& chain : rs.chains)
    for (auto& r : chain.rules)
      if (r.action.kind == ActionKind::Jump && r.action.target_chain <= -2)
        r.action.target_chain = first_sub + (-2 - r.action.target_chain);
  lowering.finish_diagnostics();
  for (Family f : {Family::V4, Family::V6}) {
    Pipeline pin{f, Direction::In, {}};
    if (rdr_chain >= 0) pin.stages.push_back({rdr_chain, true});
    pin.stages.push_back({in, false});
    rs.pipelines.push_back(pin);
    rs.pipelines.push_back(Pipeline{f, Direction::Out, {{out, false}}});
    Pipeline fwd{f, Direction::Forward, {}};
    if (rdr_chain >= 0) fwd.stages.push_back({rdr_chain, true});
    fwd.stages.push_back({fwd_in, false});
    fwd.stages.push_back({fwd_out, false});
    rs.pipelines.push_back(fwd);
  }
  rs.finalize();
  return rs;
}

FrontendEntry frontend_entry() {
  FrontendEntry entry;
  entry.names = {"pf"};
  entry.detect = [](const TextFile& file) { return detect(file.text); };
  entry.load = [](const TextFile& file, const std::string&, const LoadOptions& options, LoadResult& result) {
    auto model = parse(file, options.allow_outside, options.limits);
    result.ruleset = std::make_unique<Ruleset>(lower(model, file.path));
  };
  return entry;
}

}  // namespace fwm::pf
