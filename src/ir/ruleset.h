// The format-neutral rule IR. Frontends lower their vendor model into this; the
// evaluator, checks and reporters only see it.
#pragma once

#include <bitset>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/address.h"
#include "ir/file_name.h"
#include "ir/interval_set.h"
#include "ir/sparse.h"

namespace fwm {

struct SourceSpan {
  FileName file;   // as given on the command line (relative stays relative)
  int line = 0;    // 1-based; 0 = no line
  int column = 1;  // 1-based
  int end_line = 0;
  int end_column = 0;
};

enum class Severity { Error, Warning, Note };
const char* severity_name(Severity s);

// A problem found while reading input (FWM090 parse errors, FWM091 constructs read
// but not modelled).
struct Diagnostic {
  std::string id;  // "FWM090" or "FWM091"
  Severity severity = Severity::Error;
  SourceSpan span;
  std::string message;
  std::string snippet;  // the offending source text, if any
};

// A frontend's diagnostic: FWM090 (not read) or FWM091 (read, not modelled) at `span`,
// showing `snippet` (the offending source text, if any).
Diagnostic make_diagnostic(const char* id, Severity severity, const SourceSpan& span, std::string message,
                           std::string snippet = "");

// ---------------------------------------------------------------------------------
// Interfaces: names and prefix patterns ("eth+", "veth*") are resolved per ruleset
// into a finite alphabet of classes so that interface sets can be intersected exactly.

struct IfacePattern {
  std::string name;  // without the wildcard
  bool prefix = false;
};

class IfaceAlphabet {
 public:
  IfaceAlphabet();
  void note(const IfacePattern& p);  // during building
  void freeze();                     // after building: assigns the classes
  std::size_t size() const { return classes_.size(); }
  const std::string& class_name(std::size_t i) const { return classes_[i].label; }
  // Linux "lo"; BSD "lo0", "lo1", ... and the pf interface group "lo" (class "lo*").
  bool class_is_loopback(std::size_t i) const {
    const std::string& l = classes_[i].label;
    if (l == "lo" || l == "lo*") return true;
    return l.size() > 2 && l.rfind("lo", 0) == 0 && l.find_first_not_of("0123456789", 2) == std::string::npos;
  }
  // Classes whose every name the pattern matches.
  std::vector<std::size_t> matching(const IfacePattern& p) const;
  // The class of which the pattern matches some names but not all, or npos when the
  // classes of matching() are exactly the pattern's names. Only when the ruleset names
  // more interfaces and prefixes than the alphabet has classes for (left_out() > 0).
  std::size_t partly_matching(const IfacePattern& p) const;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  // Names and prefixes that got no class of their own (the least used ones) when the
  // ruleset names more than kMaxIfaceClasses - 1; zero otherwise.
  std::size_t left_out() const { return left_out_; }
  // The class a concrete interface name falls into.
  std::size_t classify(const std::string& ifname) const;

 private:
  struct Class {
    std::string label;  // "eth0", "eth*" (other names with that prefix), "*" (all others)
    std::string key;
    bool prefix;
  };
  std::vector<IfacePattern> noted_;
  std::vector<Class> classes_;
  std::size_t left_out_ = 0;
  bool frozen_ = false;
  // The prefix class (or "*") a name falls into, exact classes aside.
  std::size_t enclosing_prefix_class(const std::string& name) const;
};

constexpr std::size_t kMaxIfaceClasses = 256;
using IfaceSet = std::bitset<kMaxIfaceClasses>;

// ---------------------------------------------------------------------------------
// Connection state of the packet as conntrack sees it.
enum class CtState : std::uint8_t { New, Established, Related, Invalid, Untracked, Snat, Dnat };
constexpr std::size_t kCtStates = 7;
using CtStateSet = std::bitset<kCtStates>;
inline CtStateSet ct_all() { return CtStateSet().set(); }
inline CtStateSet ct_only(CtState s) { return CtStateSet().set(static_cast<std::size_t>(s)); }
// "new", "established", "related", "invalid", "untracked", "snat", "dnat" (any case).
std::optional<CtState> ct_state_named(std::string_view name);

using ProtoSet = std::bitset<256>;
constexpr int kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17, kProtoIcmp6 = 58, kProtoSctp = 132, kProtoDccp = 33,
              kProtoUdplite = 136;
inline ProtoSet proto_all() { return ProtoSet().set(); }
inline ProtoSet proto_only(int p) { return ProtoSet().set(static_cast<std::size_t>(p)); }
std::string proto_name(int proto);
std::optional<int> proto_number(const std::string& name);  // "tcp", "6", "ipv6-icmp"...

// ---------------------------------------------------------------------------------
// The address families a match applies to: a std::bitset<2> in one byte (bit 0 IPv4,
// bit 1 IPv6), so that it packs with a match's flags. Both by default.
class FamilySet {
 public:
  FamilySet() = default;
  FamilySet(std::bitset<2> bits) : bits_(static_cast<std::uint8_t>(bits.to_ulong())) {}  // NOLINT: converts
  bool test(std::size_t i) const { return (bits_ >> i) & 1U; }
  FamilySet& set() {
    bits_ = 3;
    return *this;
  }
  FamilySet& set(std::size_t i, bool on = true) {
    bits_ = static_cast<std::uint8_t>(on ? bits_ | (1U << i) : bits_ & ~(1U << i));
    return *this;
  }
  FamilySet& reset() {
    bits_ = 0;
    return *this;
  }
  FamilySet& reset(std::size_t i) { return set(i, false); }
  bool none() const { return bits_ == 0; }
  bool any() const { return bits_ != 0; }
  std::size_t count() const { return static_cast<std::size_t>(test(0)) + test(1); }
  FamilySet& operator&=(FamilySet other) {
    bits_ &= other.bits_;
    return *this;
  }
  friend bool operator==(FamilySet a, FamilySet b) { return a.bits_ == b.bits_; }

 private:
  std::uint8_t bits_ = 3;
};

// ---------------------------------------------------------------------------------
// A rule's match: a product of per-field sets, plus conditions that cannot be decided
// statically (unknowns). A field left at "any" costs nothing in the evaluator.
struct Match {
  HeapOptional<ProtoSet> proto;
  HeapOptional<AddrSet> src, dst;  // one pointer wide: most rules test neither
  HeapOptional<PortSet> sport, dport;
  // Raw interface conditions; resolved into sets by Ruleset::finalize().
  SparseVector<IfacePattern> in_patterns, out_patterns;
  FamilySet families;  // bit 0 IPv4, bit 1 IPv6; both unless set
  bool in_negated = false, out_negated = false;
  bool never = false;  // a condition that no packet satisfies
  // `never` only for the packets fwmatrix asks about (a connection's first packet: not a
  // later fragment, SYN alone set, from a routable source): the rule still matches
  // others, so it is not dead code (no FWM030).
  bool never_by_packet_model = false;
  HeapOptional<IfaceSet> in_iface, out_iface;
  HeapOptional<CtStateSet> state;
  SparseVector<std::string> unknowns;  // human-readable conditions not modelled

  bool has_unknown() const { return !unknowns.empty(); }
};

enum class ActionKind {
  Accept,
  Deny,      // drop, reject, block
  Jump,      // call a chain, return here afterwards
  Goto,      // continue in a chain; its RETURN goes back to our caller
  Return,    // back to the caller (or the policy of a built-in chain)
  Continue,  // non-terminating (log, counter, mark ...): no effect on the verdict
  Rewrite,   // DNAT/REDIRECT: later stages see the new destination; ends the stage
  SetState,  // NOTRACK / CT --notrack: later rules see the new conntrack state
  Unknown,   // a verdict decided outside the ruleset (QUEUE, NFQUEUE, ...)
};

struct Action {
  ActionKind kind = ActionKind::Continue;
  int target_chain = -1;  // for Jump/Goto, index into Ruleset::chains
  // As written: "DROP", "REJECT --reject-with tcp-reset", "jump MEDIA". A frontend may
  // leave it empty for a jump or goto it resolved to a chain, whose name says the same:
  // kube-proxy's dumps have one such rule in two.
  std::string label;
  HeapOptional<PortSet> new_dport;     // Rewrite
  HeapOptional<AddrSet> new_daddr;     // Rewrite
  HeapOptional<CtStateSet> new_state;  // SetState
};

// The packet fields a rule looks at or changes: those its match tests (a field left at
// "any" is not tested), and the conntrack state for SetState. kRuleFieldsKnown marks
// Rule::fields as filled.
enum RuleField : std::uint16_t {
  kRuleFieldProto = 1,
  kRuleFieldSrc = 2,
  kRuleFieldDst = 4,
  kRuleFieldSport = 8,
  kRuleFieldDport = 16,
  kRuleFieldInIface = 32,
  kRuleFieldOutIface = 64,
  kRuleFieldState = 128,
  kRuleFieldsKnown = 0x8000,
};

struct Rule {
  Match match;
  // Where the rule is and what it looks at, next to what it does: the evaluator reads
  // these for every rule below a memoized call, and the rule anomaly survey for every
  // rule a piece meets, from one cache line rather than from all of the match.
  int chain = -1;            // owning chain index
  int index = 0;             // position in the chain
  std::uint16_t fields = 0;  // rule_fields() | kRuleFieldsKnown, once finalize() (or the frontend) filled it
  Action action;
  SourceSpan span;
  std::string text;                        // original text of the rule (one line, trimmed)
  SparseString normalized;                 // content used for fingerprints: no counters, handles, ids
                                           // (empty: see normalized_text())
  SparseVector<std::string> suppressions;  // result ids suppressed inline
};

enum class PolicyKind { Accept, Deny, Return };

struct Chain {
  std::string name;  // "filter INPUT", "MEDIA"
  std::string table;
  std::optional<PolicyKind> policy;  // for built-in chains
  bool builtin = false;
  // Rules of one action form an unordered set; the order only ranks the action classes
  // (Windows: bypass, block, allow). A rule kept from deciding by rules of its own
  // action is then redundant rather than shadowed.
  bool action_classes_unordered = false;
  // The chain restates rules of other chains for some of their packets (pf: the rules as
  // a packet translated by a `match ... rdr-to` meets them): a rule is reached when a rule
  // of the same statement is, here or there, and this chain's own are not reported.
  bool restates = false;
  SourceSpan policy_span;    // where the policy is set (line 0: implicit)
  SparseString policy_text;  // empty but for built-in chains
  std::vector<Rule> rules;
};

enum class Direction { In, Out, Forward };
const char* direction_name(Direction d);

// One stage of a packet path: a built-in chain. Filter stages decide; nat stages
// only rewrite (an accept there ends the stage without deciding).
struct Stage {
  int chain = -1;
  bool nat = false;
};

// The path a packet of one family takes in one direction: every stage must accept.
struct Pipeline {
  Family family = Family::V4;
  Direction direction = Direction::In;
  std::vector<Stage> stages;
};

class RuleIndex;
struct Ruleset;

// Builds a rule's normalized text when the frontend did not keep it (Rule::normalized
// empty): the text it would have kept. A ruleset of a million rules need not carry a
// second copy of every rule's text for the few that findings name. Safe to call from
// several threads.
class RuleNormalizer {
 public:
  virtual ~RuleNormalizer() = default;
  virtual std::string normalized(const Ruleset& rs, const Rule& rule) const = 0;
};

struct Ruleset {
  std::string format;  // "iptables", "nftables", ...
  std::string file;
  std::string variant;  // "" or e.g. "Domain profile" when one file holds several policies
  std::vector<Chain> chains;
  std::vector<Pipeline> pipelines;
  IfaceAlphabet ifaces;
  std::vector<Diagnostic> diagnostics;
  std::size_t line_count = 0;

  int find_chain(const std::string& name) const;
  const Pipeline* pipeline(Family f, Direction d) const;
  bool covers(Family f) const;
  // Resolves interface patterns into sets over the alphabet and fills Rule::fields. Call
  // after building; call again with another ruleset's patterns to share one alphabet with
  // it (diff).
  void finalize(const std::vector<IfacePattern>& extra_patterns = {});
  // Set by a frontend that filled every Rule::fields as it built the rules: the next
  // finalize() leaves them (and clears this).
  bool rule_fields_filled = false;
  std::vector<IfacePattern> interface_patterns() const;

  // Builds Rule::normalized for the rules that do not keep it; null: they all do.
  std::shared_ptr<const RuleNormalizer> normalizer;

  // The evaluator's index of large chains (rule_index.h): built on first use, dropped by
  // finalize(). Not part of the ruleset's meaning.
  mutable std::shared_ptr<const RuleIndex> index_cache;
  mutable std::shared_ptr<std::mutex> index_mutex = std::make_shared<std::mutex>();
};

// The fields `rule` looks at or changes (RuleField), from its match and action.
std::uint16_t rule_fields(const Rule& rule);
// Rule::fields when filled, else rule_fields().
inline std::uint16_t fields_of(const Rule& rule) {
  return (rule.fields & kRuleFieldsKnown) ? static_cast<std::uint16_t>(rule.fields & ~kRuleFieldsKnown)
                                          : rule_fields(rule);
}

// A rule's normalized text (what fingerprints are built from): kept, or built by the
// ruleset's normalizer (empty when it has neither).
std::string normalized_text(const Ruleset& rs, const Rule& rule);

// Gives two rulesets the same interface alphabet, so that their boxes can be compared.
void align_interfaces(Ruleset& a, Ruleset& b);

// A string literal's text, one pointer wide (a piece of the region carries one or two
// deciders): reads like a std::string_view; empty by default.
class StaticText {
 public:
  StaticText() = default;
  StaticText(const char* literal) : text_(literal ? literal : "") {}  // NOLINT: converts like a view
  operator std::string_view() const { return text_; }                 // NOLINT
  bool empty() const { return *text_ == '\0'; }
  friend bool operator==(StaticText a, StaticText b) { return std::string_view(a) == std::string_view(b); }

 private:
  const char* text_ = "";
};

// A reference to what decided a piece of the query region.
struct Decider {
  const Rule* rule = nullptr;     // the deciding rule, or
  const Chain* policy = nullptr;  // the chain whose policy applied, or neither: implicit default
  StaticText implicit;            // description of an implicit default
  friend bool operator==(const Decider&, const Decider&) = default;
};

}  // namespace fwm
