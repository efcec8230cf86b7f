#include "ir/ruleset.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <tuple>

namespace fwm {

Diagnostic make_diagnostic(const char* id, Severity severity, const SourceSpan& span, std::string message,
                           std::string snippet) {
  Diagnostic d;
  d.id = id;
  d.severity = severity;
  d.span = span;
  d.message = std::move(message);
  d.snippet = std::move(snippet);
  return d;
}

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Error:
      return "error";
    case Severity::Warning:
      return "warning";
    case Severity::Note:
      return "note";
  }
  return "error";
}

const char* direction_name(Direction d) {
  switch (d) {
    case Direction::In:
      return "in";
    case Direction::Out:
      return "out";
    case Direction::Forward:
      return "forward";
  }
  return "in";
}

namespace {
struct ProtoEntry {
  int number;
  const char* name;
};
// IANA protocol numbers with the names iptables, nft and /etc/protocols use.
constexpr ProtoEntry kProtocols[] = {
    {0, "hopopt"},    {1, "icmp"},       {2, "igmp"},        {4, "ipip"},       {6, "tcp"},    {17, "udp"},
    {33, "dccp"},     {41, "ipv6"},      {43, "ipv6-route"}, {44, "ipv6-frag"}, {47, "gre"},   {50, "esp"},
    {51, "ah"},       {58, "ipv6-icmp"}, {59, "ipv6-nonxt"}, {60, "ipv6-opts"}, {89, "ospf"},  {94, "ipip"},
    {103, "pim"},     {108, "ipcomp"},   {112, "vrrp"},      {115, "l2tp"},     {132, "sctp"}, {135, "mobility-header"},
    {136, "udplite"},
};
}  // namespace

std::string proto_name(int proto) {
  for (const auto& e : kProtocols)
    if (e.number == proto) return e.name;
  return std::to_string(proto);
}

std::optional<CtState> ct_state_named(std::string_view name) {
  static const std::pair<const char*, CtState> names[] = {
      {"new", CtState::New},         {"established", CtState::Established}, {"related", CtState::Related},
      {"invalid", CtState::Invalid}, {"untracked", CtState::Untracked},     {"snat", CtState::Snat},
      {"dnat", CtState::Dnat}};
  for (const auto& [known, state] : names)
    if (name.size() == std::strlen(known) && std::equal(name.begin(), name.end(), known, [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        }))
      return state;
  return std::nullopt;
}

std::optional<int> proto_number(const std::string& raw) {
  std::string name = raw;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) {
    if (name.size() > 3) return std::nullopt;
    int v = std::stoi(name);
    if (v > 255) return std::nullopt;
    return v;
  }
  if (name == "icmpv6" || name == "icmp6") return kProtoIcmp6;
  if (name == "ipencap") return 4;
  if (name == "mh" || name == "ipv6-mh") return 135;
  if (name == "ipv6-encap") return 41;
  for (const auto& e : kProtocols)
    if (name == e.name) return e.number;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------

IfaceAlphabet::IfaceAlphabet() { note({"lo", false}); }

void IfaceAlphabet::note(const IfacePattern& p) {
  if (frozen_) return;
  noted_.push_back(p);
}

void IfaceAlphabet::freeze() {
  if (frozen_) return;
  frozen_ = true;
  // Each distinct name and prefix, with how many times the rules name it.
  std::map<std::pair<std::string, bool>, std::size_t> uses;
  for (const auto& p : noted_) {
    if (p.prefix && p.name.empty()) continue;  // "+" alone matches everything
    ++uses[{p.name, p.prefix}];
  }
  noted_ = {};
  std::vector<std::pair<std::string, bool>> kept;
  kept.reserve(uses.size());
  for (const auto& [pattern, count] : uses) kept.push_back(pattern);
  // One class is "*". Beyond that, the most used names and prefixes keep a class of their
  // own ("lo" always: loopback traffic is told apart; a prefix before a name used as
  // often); the others fall into the class of their longest kept prefix, or "*", and the
  // rules naming them are matched approximately (Ruleset::finalize).
  constexpr std::size_t room = kMaxIfaceClasses - 1;
  if (kept.size() > room) {
    auto rank = [&](const std::pair<std::string, bool>& p) {
      bool loopback = !p.second && p.first == "lo";
      return std::tuple<bool, std::ptrdiff_t, bool, const std::string&>(
          !loopback, -static_cast<std::ptrdiff_t>(uses.at(p)), !p.second, p.first);
    };
    std::stable_sort(kept.begin(), kept.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
    left_out_ = kept.size() - room;
    kept.resize(room);
    std::sort(kept.begin(), kept.end());
  }
  for (const auto& [name, prefix] : kept)
    if (!prefix) classes_.push_back({name, name, false});
  for (const auto& [name, prefix] : kept)
    if (prefix) classes_.push_back({name + "*", name, true});
  classes_.push_back({"*", "", true});
}

std::size_t IfaceAlphabet::enclosing_prefix_class(const std::string& name) const {
  std::size_t best = classes_.size() - 1;  // "*"
  std::size_t best_len = 0;
  for (std::size_t i = 0; i < classes_.size(); ++i) {
    const auto& c = classes_[i];
    if (c.prefix && !c.key.empty() && name.rfind(c.key, 0) == 0 && c.key.size() > best_len) {
      best = i;
      best_len = c.key.size();
    }
  }
  return best;
}

std::size_t IfaceAlphabet::partly_matching(const IfacePattern& p) const {
  if (left_out_ == 0 || (p.prefix && p.name.empty())) return npos;
  for (const auto& c : classes_)
    if (c.prefix == p.prefix && c.key == p.name) return npos;  // the pattern's own class
  // The names the pattern matches beyond its classes inside it fall into one class: the
  // longest kept prefix of the pattern's name (shorter than it, for a prefix pattern).
  return enclosing_prefix_class(p.name);
}

std::size_t IfaceAlphabet::classify(const std::string& ifname) const {
  // Exact class first, then the longest prefix class, then "*".
  for (std::size_t i = 0; i < classes_.size(); ++i)
    if (!classes_[i].prefix && classes_[i].key == ifname) return i;
  return enclosing_prefix_class(ifname);
}

std::vector<std::size_t> IfaceAlphabet::matching(const IfacePattern& p) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < classes_.size(); ++i) {
    const auto& c = classes_[i];
    bool hit;
    if (!p.prefix) {
      hit = !c.prefix && c.key == p.name;
    } else if (!c.prefix) {
      hit = c.key.rfind(p.name, 0) == 0;
    } else {
      // A prefix class "k*" holds names starting with k that no longer prefix claims:
      // it is inside pattern p* iff k starts with p.
      hit = !c.key.empty() ? c.key.rfind(p.name, 0) == 0 : p.name.empty();
    }
    if (hit) out.push_back(i);
  }
  return out;
}

int Ruleset::find_chain(const std::string& name) const {
  for (std::size_t i = 0; i < chains.size(); ++i)
    if (chains[i].name == name) return static_cast<int>(i);
  return -1;
}

const Pipeline* Ruleset::pipeline(Family f, Direction d) const {
  for (const auto& p : pipelines)
    if (p.family == f && p.direction == d) return &p;
  return nullptr;
}

bool Ruleset::covers(Family f) const {
  return std::any_of(pipelines.begin(), pipelines.end(), [f](const Pipeline& p) { return p.family == f; });
}

std::vector<IfacePattern> Ruleset::interface_patterns() const {
  std::vector<IfacePattern> out;
  for (const auto& chain : chains)
    for (const auto& rule : chain.rules) {
      out.insert(out.end(), rule.match.in_patterns.begin(), rule.match.in_patterns.end());
      out.insert(out.end(), rule.match.out_patterns.begin(), rule.match.out_patterns.end());
    }
  return out;
}

std::uint16_t rule_fields(const Rule& rule) {
  const Match& m = rule.match;
  std::uint16_t f = 0;
  if (m.proto) f |= kRuleFieldProto;
  if (m.src) f |= kRuleFieldSrc;
  if (m.dst) f |= kRuleFieldDst;
  if (m.sport) f |= kRuleFieldSport;
  if (m.dport) f |= kRuleFieldDport;
  if (m.in_iface || !m.in_patterns.empty()) f |= kRuleFieldInIface;
  if (m.out_iface || !m.out_patterns.empty()) f |= kRuleFieldOutIface;
  if (m.state || rule.action.kind == ActionKind::SetState) f |= kRuleFieldState;
  return f;
}

std::string normalized_text(const Ruleset& rs, const Rule& rule) {
  if (!rule.normalized.empty() || !rs.normalizer) return rule.normalized;
  return rs.normalizer->normalized(rs, rule);
}

void align_interfaces(Ruleset& a, Ruleset& b) {
  auto from_a = a.interface_patterns();
  a.finalize(b.interface_patterns());
  b.finalize(from_a);
}

namespace {
// Ends the unknown a rule gets for an interface pattern matched approximately, and the
// diagnostic that says how many; finalize() finds its own by them when called again.
constexpr std::string_view kApproximateInterface = "(matched approximately: too many interface names to tell apart)";
constexpr std::string_view kApproximateInterfaces = "where their packets may cross those interfaces";
}  // namespace

void Ruleset::finalize(const std::vector<IfacePattern>& extra_patterns) {
  {
    std::lock_guard<std::mutex> lock(*index_mutex);
    index_cache.reset();
  }
  // An earlier finalize() that matched interfaces approximately left unknowns and a
  // diagnostic to take back.
  const bool approximated_before = ifaces.left_out() > 0;
  ifaces = IfaceAlphabet();
  const std::vector<IfacePattern> patterns = interface_patterns();
  for (const auto& p : patterns) ifaces.note(p);
  for (const auto& p : extra_patterns) ifaces.note(p);
  ifaces.freeze();
  IfaceSet universe;
  for (std::size_t i = 0; i < ifaces.size(); ++i) universe.set(i);
  // A pattern left without a class of its own matches part of the class it falls into:
  // the rule's set over-approximates what it matches (a negated one: all but the classes
  // certainly matched), and the rule says so with an unknown, so that the evaluator
  // gives the packets it may match an undetermined verdict rather than guess.
  auto resolve = [&](const std::vector<IfacePattern>& patterns, bool negated, Match& m) {
    IfaceSet inside, partly;
    for (const auto& p : patterns) {
      for (auto i : ifaces.matching(p)) inside.set(i);
      if (auto i = ifaces.partly_matching(p); i != IfaceAlphabet::npos) {
        partly.set(i);
        m.unknowns.push_back(fmt::format("{}interface {}{} {}", negated ? "not " : "", p.name, p.prefix ? "*" : "",
                                         kApproximateInterface));
      }
    }
    return negated ? universe & ~inside : inside | partly;
  };
  auto drop_approximations = [](Match& m) {
    std::vector<std::string> kept = m.unknowns;
    std::erase_if(kept, [](const std::string& u) { return u.ends_with(kApproximateInterface); });
    if (kept.size() != m.unknowns.size()) m.unknowns = std::move(kept);
  };
  if (approximated_before)
    std::erase_if(diagnostics, [](const Diagnostic& d) { return d.message.ends_with(kApproximateInterfaces); });
  const bool approximate = ifaces.left_out() > 0;
  const Rule* first_approximated = nullptr;
  std::size_t approximated = 0;
  const bool fill_fields = !rule_fields_filled;
  rule_fields_filled = false;
  for (auto& chain : chains) {
    // Chains grow rule by rule while a frontend lowers them: give back the spare
    // capacity (up to half of a large chain) now that they are complete.
    chain.rules.shrink_to_fit();
    if (patterns.empty() && !fill_fields) continue;  // nothing to resolve, nothing to fill
    for (auto& rule : chain.rules) {
      auto& m = rule.match;
      if (!m.in_patterns.empty() || !m.out_patterns.empty()) {
        if (approximated_before && !m.unknowns.empty()) drop_approximations(m);
        const std::size_t unknowns_before = m.unknowns.size();
        if (!m.in_patterns.empty()) m.in_iface = resolve(m.in_patterns, m.in_negated, m);
        if (!m.out_patterns.empty()) m.out_iface = resolve(m.out_patterns, m.out_negated, m);
        if (approximate && m.unknowns.size() > unknowns_before && approximated++ == 0) first_approximated = &rule;
      }
      if (fill_fields) rule.fields = rule_fields(rule) | kRuleFieldsKnown;
    }
  }
  if (first_approximated)
    diagnostics.push_back(make_diagnostic(
        "FWM091", Severity::Warning, first_approximated->span,
        fmt::format("the rules name {} interfaces and interface prefixes; fwmatrix tells {} apart and matches the "
                    "{} least used approximately: {} rule(s), from this one, get undetermined verdicts {}",
                    ifaces.left_out() + kMaxIfaceClasses - 1, kMaxIfaceClasses - 1, ifaces.left_out(), approximated,
                    kApproximateInterfaces),
        first_approximated->text));
}

}  // namespace fwm
