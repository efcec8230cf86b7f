// The option tables and final checks of iptables' extensions (see iptables_extensions.h).
// Messages follow iptables 1.8.9's own ("dscp: option \"--dscp\" cannot be used together
// with \"--dscp-class\"."), so that a finding reads as the tool's refusal.
#include "frontends/iptables/iptables_extensions.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <unordered_map>

#include "ir/address.h"
#include "ir/ruleset.h"
#include "ir/services.h"

namespace fwm::iptables {

namespace {

// How an option's value is read (xtables' XTTYPE_* and the extensions' own parsers).
enum class Type {
  Flag,       // no value
  UInt,       // one unsigned number in [lo, hi] (strtoul base 0: 0x.., 0..)
  URange,     // a, a:b, :b, a: or ':' within [lo, hi], a <= b
  MarkMask,   // value[/mask], 32-bit each
  TosMask,    // value[/mask] (8 bits) or a symbolic TOS name
  PortRange,  // port or service, or a range of numbers/services with ':'
  PortList,   // multiport: comma-separated ports and ranges
  Str,        // a string of at most `hi` bytes (0: any length)
  Word,       // one of `words` (case-sensitive)
  WordList,   // comma-separated words of `words`
  Addr,       // an address of the rule's family
  Net,        // address[/mask]
  Prefix,     // address/length (a prefix must be given)
  Mac,        // six hex bytes
  Prob,       // a decimal in [0, 1]
  Any,        // one value, not checked here
  Two,        // two values, not checked here
};

// Option flags (xtables' XTOPT_INVERT, XTOPT_MAND, XTOPT_MULTI).
constexpr unsigned kInv = 1, kMand = 2, kMulti = 4;

struct OptSpec {
  std::string_view name;  // without "--"
  Type type = Type::Flag;
  std::uint64_t lo = 0, hi = 0;
  unsigned flags = 0;
  std::vector<std::string_view> words = {};
};

// The options seen of one extension, by name, for its final check.
struct Seen {
  std::vector<std::pair<std::string_view, const Option*>> options;  // in order (a few per match)
  const Option* first(std::string_view name) const {
    for (const auto& [n, opt] : options)
      if (n == name) return opt;
    return nullptr;
  }
  bool has(std::string_view name) const { return first(name) != nullptr; }
};

using FinalCheck = std::function<ExtensionProblem(const ExtensionUse&, const Seen&, const RuleContext&)>;

struct ExtSpec {
  std::string_view name;
  bool target = false;
  std::vector<OptSpec> options;
  int protocol = -1;  // the kernel match/target is only valid with -p of this protocol
  std::vector<std::vector<std::string_view>> exclusive = {};  // at most one of each group
  std::vector<std::vector<std::string_view>> one_of = {};     // at least one of each group
  FinalCheck check = nullptr;
  std::string_view label = {};  // the name iptables prints ("STRING match"); default: name
};

constexpr std::uint64_t kU8 = 0xff, kU16 = 0xffff, kU32 = 0xffffffffULL, kU64 = ~0ULL;

// xtables_strtoul: no sign, base 0, the whole text, within [lo, hi].
std::optional<std::uint64_t> read_uint(std::string_view text, std::uint64_t lo, std::uint64_t hi) {
  if (text.empty() || text[0] == '-' || text[0] == '+') return std::nullopt;
  int base = 10;
  std::size_t i = 0;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    i = 2;
  } else if (text.size() > 1 && text[0] == '0') {
    base = 8;
    i = 1;
  }
  std::uint64_t v = 0;
  for (; i < text.size(); ++i) {
    int d = std::isdigit(static_cast<unsigned char>(text[i]))    ? text[i] - '0'
            : std::isxdigit(static_cast<unsigned char>(text[i])) ? std::tolower(text[i]) - 'a' + 10
                                                                 : 99;
    if (d >= base) return std::nullopt;
    if (v > (kU64 - static_cast<unsigned>(d)) / static_cast<unsigned>(base)) return std::nullopt;  // past 64 bits
    v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
  }
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

bool is_number(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// The extensions compare their keywords with strcasecmp (state names, address types,
// DSCP classes, packet types, log levels).
bool same_word(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool one_of_words(const std::vector<std::string_view>& words, std::string_view w) {
  return std::any_of(words.begin(), words.end(), [&](std::string_view known) { return same_word(known, w); });
}

std::vector<std::string_view> split_view(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

// A port for a range bound: a number (0..65535) or a service name.
bool valid_port(std::string_view text) { return parse_port(std::string(text)).ok(); }

std::string range_text(const OptSpec& o) { return fmt::format("{}-{}", o.lo, o.hi); }

// The message for a value the option's type refuses; empty when it reads.
std::string check_value(std::string_view ext, const OptSpec& o, const Option& opt, const RuleContext& rule) {
  const std::string& v = opt.values.empty() ? std::string() : opt.values[0];
  auto bad = [&] {
    return fmt::format("{}: bad value for option \"--{}\", or out of range ({}).", ext, o.name, range_text(o));
  };
  switch (o.type) {
    case Type::Flag:
    case Type::Two:
      return {};
    case Type::UInt:
      return read_uint(v, o.lo, o.hi) ? std::string() : bad();
    case Type::URange: {
      auto parts = split_view(v, ':');
      if (parts.size() > 2) return bad();
      std::uint64_t a = o.lo, b = o.hi;
      if (!parts[0].empty()) {
        auto x = read_uint(parts[0], o.lo, o.hi);
        if (!x)
          return fmt::format("{}: bad value for option \"--{}\" near \"{}\", or out of range ({}).", ext, o.name,
                             parts[0], range_text(o));
        a = b = *x;
      }
      if (parts.size() == 2) {
        b = o.hi;
        if (!parts[1].empty()) {
          auto y = read_uint(parts[1], o.lo, o.hi);
          if (!y)
            return fmt::format("{}: bad value for option \"--{}\" near \"{}\", or out of range ({}).", ext, o.name,
                               parts[1], range_text(o));
          b = *y;
        }
      }
      if (a > b) return fmt::format("{}: invalid range \"{}\" for option \"--{}\" (start after end)", ext, v, o.name);
      return {};
    }
    case Type::MarkMask: {
      auto parts = split_view(v, '/');
      if (parts.size() > 2 || !read_uint(parts[0], 0, kU32) || (parts.size() == 2 && !read_uint(parts[1], 0, kU32)))
        return fmt::format("{}: bad integer value for option \"--{}\", or out of range.", ext, o.name);
      return {};
    }
    case Type::TosMask: {
      static const std::string_view names[] = {"Minimize-Delay", "Maximize-Throughput", "Maximize-Reliability",
                                               "Minimize-Cost", "Normal-Service"};
      if (std::find(std::begin(names), std::end(names), v) != std::end(names)) return {};
      auto parts = split_view(v, '/');
      if (parts.size() > 2 || !read_uint(parts[0], 0, kU8) || (parts.size() == 2 && !read_uint(parts[1], 0, kU8)))
        return fmt::format("{}: bad value for option \"--{}\": \"{}\" is neither a TOS value[/mask] nor a TOS name",
                           ext, o.name, v);
      return {};
    }
    case Type::PortRange: {
      auto parts = split_view(v, ':');
      if (parts.size() > 2) return fmt::format("invalid port/service `{}' specified", v);
      for (auto p : parts)
        if (!p.empty() && !valid_port(p)) return fmt::format("invalid port/service `{}' specified", p);
      if (parts.size() == 2 && !parts[0].empty() && !parts[1].empty() &&
          parse_port(std::string(parts[0])).value > parse_port(std::string(parts[1])).value)
        return "invalid portrange (min > max)";
      return {};
    }
    case Type::PortList:
      for (auto item : split_view(v, ',')) {
        auto parts = split_view(item, ':');
        for (auto p : parts)
          if (p.empty() || !valid_port(p)) return fmt::format("Port `{}' not valid", p);
      }
      return {};
    case Type::Str:
      if (o.hi && v.size() > o.hi)
        return fmt::format("{}: value of option \"--{}\" is too long ({} bytes, at most {})", ext, o.name, v.size(),
                           o.hi);
      return {};
    case Type::Word:
      if (!one_of_words(o.words, v))
        return fmt::format("{}: bad value for option \"--{}\": \"{}\" (expected {})", ext, o.name, v,
                           fmt::join(o.words, ", "));
      return {};
    case Type::WordList:
      for (auto w : split_view(v, ','))
        if (!one_of_words(o.words, w))
          return fmt::format("{}: bad value for option \"--{}\": \"{}\" (expected {})", ext, o.name, w,
                             fmt::join(o.words, ", "));
      return {};
    case Type::Addr:
    case Type::Net:
    case Type::Prefix: {
      if (o.type == Type::Prefix && v.find('/') == std::string::npos)
        return fmt::format("{}: option \"--{}\" needs a prefix (address/length), not \"{}\"", ext, o.name, v);
      if (o.type == Type::Addr && v.find('/') != std::string::npos)
        return fmt::format("{}: option \"--{}\" takes an address, not a network: \"{}\"", ext, o.name, v);
      auto parsed = parse_address_expr(v);
      if (!parsed.ok() || v.find('-') != std::string::npos || parsed.set.of(rule.family).empty())
        return fmt::format("{}: bad value for option \"--{}\": \"{}\" is not an {} {}", ext, o.name, v,
                           family_name(rule.family), o.type == Type::Addr ? "address" : "network");
      return {};
    }
    case Type::Mac: {
      auto parts = split_view(v, ':');
      bool ok = parts.size() == 6 && std::all_of(parts.begin(), parts.end(), [](std::string_view p) {
                  return !p.empty() && p.size() <= 2 &&
                         std::all_of(p.begin(), p.end(), [](unsigned char c) { return std::isxdigit(c); });
                });
      return ok ? std::string() : "Invalid MAC address specified.";
    }
    case Type::Prob: {
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);
      if (v.empty() || end != v.c_str() + v.size() || !(d >= 0.0 && d <= 1.0))
        return fmt::format("{}: bad value for option \"--{}\", or out of range (0-1).", ext, o.name);
      return {};
    }
    case Type::Any:
      return {};
  }
  return {};
}

std::size_t values_of(Type t) {
  switch (t) {
    case Type::Flag:
      return 0;
    case Type::Two:
      return 2;
    default:
      return 1;
  }
}

ExtensionProblem at(const Option* opt, std::string message) { return {opt, std::move(message)}; }

// Hooks: which built-in chains of a table a packet passes through for each hook.
bool in_chains(const RuleContext& rule, std::initializer_list<std::string_view> chains) {
  return std::find(chains.begin(), chains.end(), rule.chain) != chains.end();
}

const std::vector<std::string_view> kDscpClasses = {"CS0",  "CS1",  "CS2",  "CS3",  "CS4",  "CS5",  "CS6",  "CS7",
                                                    "BE",   "AF11", "AF12", "AF13", "AF21", "AF22", "AF23", "AF31",
                                                    "AF32", "AF33", "AF41", "AF42", "AF43", "EF"};
const std::vector<std::string_view> kAddrTypes = {"UNSPEC",   "UNICAST",   "LOCAL",     "BROADCAST",
                                                  "ANYCAST",  "MULTICAST", "BLACKHOLE", "UNREACHABLE",
                                                  "PROHIBIT", "THROW",     "NAT",       "XRESOLVE"};
const std::vector<std::string_view> kLogLevels = {"0",    "1",      "2",     "3",     "4",     "5",   "6",
                                                  "7",    "emerg",  "alert", "crit",  "error", "err", "warning",
                                                  "warn", "notice", "info",  "debug", "panic"};

// "the option --x needs a TCP match that only matches SYN packets", and similar.
ExtensionProblem needs_protocol(const ExtensionUse& use, int protocol, const RuleContext& rule) {
  if (rule.protocol == protocol) return {};
  return at(use.at, fmt::format("{} {} is only valid with -p {} (the kernel refuses it for other protocols)",
                                use.target ? "target" : "match", use.name, proto_name(protocol)));
}

// NAT ports (libxt_NAT.c parse_ports): "port" (a service name too) or "first-last" in
// numbers, each 0-65535, first <= last; only with a protocol that has ports.
ExtensionProblem nat_ports(std::string_view ext, const Option& opt, std::string_view ports, const RuleContext& rule) {
  if (rule.protocol != kProtoTcp && rule.protocol != kProtoUdp && rule.protocol != kProtoSctp &&
      rule.protocol != kProtoDccp && rule.protocol != kProtoUdplite)
    return at(&opt, "Need TCP, UDP, SCTP or DCCP with port specification");
  if (auto slash = ports.find('/'); slash != std::string_view::npos) ports = ports.substr(0, slash);
  if (valid_port(ports)) return {};
  auto dash = ports.find('-');
  if (dash == std::string_view::npos) return at(&opt, fmt::format("Port `{}' not valid", ports));
  auto lo = ports.substr(0, dash), hi = ports.substr(dash + 1);
  if (!is_number(lo) || !is_number(hi) || !read_uint(lo, 0, kU16) || !read_uint(hi, 0, kU16))
    return at(&opt, fmt::format("Port `{}' not valid", ports));
  if (*read_uint(lo, 0, kU16) > *read_uint(hi, 0, kU16))
    return at(&opt, fmt::format("{}: invalid port range `{}' (first after last)", ext, ports));
  return {};
}

// "addr[-addr][:ports]", IPv6 "[addr[-addr]][:ports]" (libxt_NAT.c parse_to).
ExtensionProblem nat_address_and_ports(std::string_view ext, const Option& opt, const RuleContext& rule) {
  std::string_view to = opt.values[0];
  std::string_view ports;
  if (rule.family == Family::V6) {
    if (!to.empty() && to[0] == '[') {
      auto close = to.find(']');
      if (close == std::string_view::npos) return at(&opt, fmt::format("{}: invalid address `{}'", ext, to));
      if (close + 1 < to.size()) {
        if (to[close + 1] != ':') return at(&opt, fmt::format("{}: invalid address `{}'", ext, to));
        ports = to.substr(close + 2);
      }
    }
  } else if (auto colon = to.find(':'); colon != std::string_view::npos) {
    ports = to.substr(colon + 1);
  }
  return ports.empty() ? ExtensionProblem{} : nat_ports(ext, opt, ports, rule);
}

const std::vector<ExtSpec>& specs() {
  static const std::vector<ExtSpec> all = [] {
    std::vector<ExtSpec> s;
    const OptSpec sport{"sport", Type::PortRange, 0, 0, kInv}, dport{"dport", Type::PortRange, 0, 0, kInv};
    const OptSpec source_port{"source-port", Type::PortRange, 0, 0, kInv},
        destination_port{"destination-port", Type::PortRange, 0, 0, kInv};
    // ---- matches (libxt_*.c, libipt_*.c, libip6t_*.c)
    s.push_back({"tcp",
                 false,
                 {sport,
                  dport,
                  source_port,
                  destination_port,
                  {"tcp-flags", Type::Two, 0, 0, kInv},
                  {"syn", Type::Flag, 0, 0, kInv},
                  {"tcp-option", Type::UInt, 1, kU8, kInv}},
                 kProtoTcp,
                 {{"sport", "source-port"}, {"dport", "destination-port"}, {"syn", "tcp-flags"}}});
    s.push_back({"udp", false, {sport, dport, source_port, destination_port}, kProtoUdp});
    s.push_back({"udplite", false, {sport, dport, source_port, destination_port}, kProtoUdplite});
    s.push_back({"sctp",
                 false,
                 {sport, dport, source_port, destination_port, {"chunk-types", Type::Two, 0, 0, kInv}},
                 kProtoSctp});
    s.push_back({"dccp",
                 false,
                 {sport,
                  dport,
                  source_port,
                  destination_port,
                  {"dccp-types", Type::Any, 0, 0, kInv},
                  {"dccp-option", Type::UInt, 1, kU8, kInv}},
                 kProtoDccp});
    s.push_back(
        {"ah", false, {{"ahspi", Type::URange, 0, kU32, kInv}, {"ahlen", Type::UInt, 0, kU32, kInv}, {"ahres"}}, 51});
    s.push_back({"esp", false, {{"espspi", Type::URange, 0, kU32, kInv}}, 50});
    s.push_back({"ipcomp", false, {{"ipcompspi", Type::URange, 0, kU32, kInv}, {"compres"}}, 108});
    s.push_back({"mh", false, {{"mh-type", Type::Any, 0, kU8, kInv}}, 135, {}, {}, [](auto&, const Seen& seen, auto&) {
                   // Numbers (or names) a[:b], a <= b (libip6t_mh.c parse_mh_types).
                   if (const Option* o = seen.first("mh-type")) {
                     auto parts = split_view(o->values[0], ':');
                     if (parts.size() == 2 && is_number(parts[0]) && is_number(parts[1]) &&
                         std::stoul(std::string(parts[0])) > std::stoul(std::string(parts[1])))
                       return at(o, fmt::format("mh: invalid range \"{}\" for option \"--mh-type\"", o->values[0]));
                   }
                   return ExtensionProblem{};
                 }});
    s.push_back({"icmp", false, {{"icmp-type", Type::Any, 0, 0, kInv | kMand}}, kProtoIcmp});
    s.push_back({"icmp6", false, {{"icmpv6-type", Type::Any, 0, 0, kInv | kMand}}, kProtoIcmp6});
    s.push_back({"multiport",
                 false,
                 {{"sports", Type::PortList, 0, 0, kInv},
                  {"source-ports", Type::PortList, 0, 0, kInv},
                  {"dports", Type::PortList, 0, 0, kInv},
                  {"destination-ports", Type::PortList, 0, 0, kInv},
                  {"ports", Type::PortList, 0, 0, kInv}},
                 -1,
                 {{"sports", "source-ports", "dports", "destination-ports", "ports"}},
                 {{"sports", "source-ports", "dports", "destination-ports", "ports"}}});
    // Any length: iptables-nft-restore 1.8.9 takes a 300-byte comment (run here).
    s.push_back({"comment", false, {{"comment", Type::Str, 0, 0, kMand}}});
    s.push_back({"state", false, {{"state", Type::Any, 0, 0, kInv | kMand}}});  // states: read by the lowering
    s.push_back({"conntrack",
                 false,
                 {{"ctstate", Type::Any, 0, 0, kInv},  // states: read by the lowering
                  {"ctproto", Type::Any, 0, 0, kInv},
                  {"ctorigsrc", Type::Net, 0, 0, kInv},
                  {"ctorigdst", Type::Net, 0, 0, kInv},
                  {"ctreplsrc", Type::Net, 0, 0, kInv},
                  {"ctrepldst", Type::Net, 0, 0, kInv},
                  {"ctorigsrcport", Type::URange, 0, kU16, kInv},
                  {"ctorigdstport", Type::URange, 0, kU16, kInv},
                  {"ctreplsrcport", Type::URange, 0, kU16, kInv},
                  {"ctrepldstport", Type::URange, 0, kU16, kInv},
                  {"ctstatus", Type::WordList, 0, 0, kInv, {"NONE", "EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED"}},
                  {"ctexpire", Type::URange, 0, kU32, kInv},
                  {"ctdir", Type::Word, 0, 0, 0, {"ORIGINAL", "REPLY"}}},
                 -1,
                 {},
                 {{"ctstate", "ctproto", "ctorigsrc", "ctorigdst", "ctreplsrc", "ctrepldst", "ctorigsrcport",
                   "ctorigdstport", "ctreplsrcport", "ctrepldstport", "ctstatus", "ctexpire", "ctdir"}},
                 [](auto&, const Seen& seen, auto&) {
                   if (const Option* o = seen.first("ctproto")) {
                     auto p = proto_number(o->values[0]);
                     if (!p) return at(o, fmt::format("conntrack: unknown protocol \"{}\"", o->values[0]));
                     if (*p == 0) return at(o, "conntrack: rule would never match protocol");
                   }
                   return ExtensionProblem{};
                 }});
    s.push_back({"connbytes",
                 false,
                 {{"connbytes", Type::URange, 0, kU64, kInv | kMand},
                  {"connbytes-dir", Type::Word, 0, 0, kMand, {"original", "reply", "both"}},
                  {"connbytes-mode", Type::Word, 0, 0, kMand, {"packets", "bytes", "avgpkt"}}}});
    s.push_back({"connlabel",
                 false,
                 {{"label", Type::Any, 0, 0, kInv | kMand}, {"set"}},
                 -1,
                 {},
                 {},
                 [](auto&, const Seen& seen, auto&) {
                   // A label is a bit number below 128 (XT_CONNLABEL_MAXBIT) or a name of connlabel.conf.
                   if (const Option* o = seen.first("label");
                       o && is_number(o->values[0]) && std::stoul(o->values[0].substr(0, 9)) > 127)
                     return at(o, fmt::format("connlabel: label {} is out of range (0-127)", o->values[0]));
                   return ExtensionProblem{};
                 }});
    s.push_back({"connlimit",
                 false,
                 {{"connlimit-upto", Type::UInt, 0, kU32, kInv},
                  {"connlimit-above", Type::UInt, 0, kU32, kInv},
                  {"connlimit-mask", Type::UInt, 0, 128},
                  {"connlimit-saddr"},
                  {"connlimit-daddr"}},
                 -1,
                 {{"connlimit-upto", "connlimit-above"}, {"connlimit-saddr", "connlimit-daddr"}},
                 {{"connlimit-upto", "connlimit-above"}}});
    s.push_back({"connmark", false, {{"mark", Type::MarkMask, 0, 0, kInv | kMand}}});
    s.push_back({"mark", false, {{"mark", Type::MarkMask, 0, 0, kInv | kMand}}});
    s.push_back({"cpu", false, {{"cpu", Type::UInt, 0, kU32, kInv | kMand}}});
    s.push_back({"dscp",
                 false,
                 {{"dscp", Type::UInt, 0, 63, kInv}, {"dscp-class", Type::Word, 0, 0, kInv, kDscpClasses}},
                 -1,
                 {{"dscp", "dscp-class"}},
                 {{"dscp", "dscp-class"}}});
    s.push_back({"tos", false, {{"tos", Type::TosMask, 0, 0, kInv | kMand}}});
    s.push_back({"ecn",
                 false,
                 {{"ecn-tcp-cwr", Type::Flag, 0, 0, kInv},
                  {"ecn-tcp-ece", Type::Flag, 0, 0, kInv},
                  {"ecn-ip-ect", Type::UInt, 0, 3, kInv}},
                 -1,
                 {},
                 {{"ecn-tcp-cwr", "ecn-tcp-ece", "ecn-ip-ect"}},
                 [](const ExtensionUse& use, const Seen& seen, const RuleContext& rule) {
                   // The TCP bits need -p tcp (xt_ecn.c ecn_mt_check).
                   if ((seen.has("ecn-tcp-cwr") || seen.has("ecn-tcp-ece")) && rule.protocol != kProtoTcp)
                     return at(use.at, "ecn: --ecn-tcp-cwr and --ecn-tcp-ece need -p tcp");
                   return ExtensionProblem{};
                 }});
    s.push_back({"hashlimit",
                 false,
                 {{"hashlimit", Type::Any},
                  {"hashlimit-upto", Type::Any},
                  {"hashlimit-above", Type::Any},
                  {"hashlimit-burst", Type::Any},
                  {"hashlimit-mode", Type::Any},
                  {"hashlimit-srcmask", Type::UInt, 0, 128},
                  {"hashlimit-dstmask", Type::UInt, 0, 128},
                  {"hashlimit-name", Type::Str, 0, 255, kMand},
                  {"hashlimit-htable-size", Type::UInt, 0, kU32},
                  {"hashlimit-htable-max", Type::UInt, 0, kU32},
                  {"hashlimit-htable-expire", Type::UInt, 0, kU32},
                  {"hashlimit-htable-gcinterval", Type::UInt, 0, kU32},
                  {"hashlimit-rate-match"},
                  {"hashlimit-rate-interval", Type::UInt, 0, kU32}},
                 -1,
                 {{"hashlimit", "hashlimit-upto", "hashlimit-above"}},
                 {{"hashlimit", "hashlimit-upto", "hashlimit-above"}}});
    s.push_back({"limit", false, {{"limit", Type::Any}, {"limit-burst", Type::UInt, 0, kU32}}});
    s.push_back({"helper", false, {{"helper", Type::Str, 0, 29, kInv | kMand}}});
    s.push_back({"length", false, {{"length", Type::URange, 0, kU16, kInv | kMand}}});
    s.push_back({"mac", false, {{"mac-source", Type::Mac, 0, 0, kInv | kMand}}});
    s.push_back({"nfacct", false, {{"nfacct-name", Type::Str, 0, 31, kMand}}});
    s.push_back({"owner",
                 false,
                 {{"uid-owner", Type::Any, 0, 0, kInv},
                  {"gid-owner", Type::Any, 0, 0, kInv},
                  {"socket-exists", Type::Flag, 0, 0, kInv},
                  {"suppl-groups"}},
                 -1,
                 {},
                 {},
                 [](const ExtensionUse& use, const Seen& seen, const RuleContext& rule) {
                   // --suppl-groups extends a --gid-owner given before it (libxt_owner.c).
                   for (std::size_t i = 0; i < use.options.size(); ++i) {
                     if (use.option_names[i] == "gid-owner") break;
                     if (use.option_names[i] == "suppl-groups")
                       return at(
                           use.options[i],
                           "owner: Bad value for \"--suppl-groups\" option: \"you need to use --gid-owner first\"");
                   }
                   // Sockets are known on the way out only (xt_owner.c: LOCAL_OUT and POST_ROUTING hooks).
                   if (rule.builtin_chain && !in_chains(rule, {"OUTPUT", "POSTROUTING"}) &&
                       (seen.has("uid-owner") || seen.has("gid-owner") || seen.has("socket-exists")))
                     return at(use.at, fmt::format("owner: the match is only valid in the OUTPUT and POSTROUTING "
                                                   "chains, not in {}",
                                                   rule.chain));
                   return ExtensionProblem{};
                 }});
    s.push_back({"pkttype",
                 false,
                 {{"pkt-type",
                   Type::Word,
                   0,
                   0,
                   kInv | kMand,
                   {"unicast", "broadcast", "multicast", "host", "otherhost", "outgoing", "loopback", "fastroute"}}}});
    s.push_back({"policy",
                 false,
                 {{"dir", Type::Word, 0, 0, kMand, {"in", "out"}},
                  {"pol", Type::Word, 0, 0, kMand, {"none", "ipsec"}},
                  {"strict"},
                  {"reqid", Type::UInt, 0, kU32, kInv | kMulti},
                  {"spi", Type::UInt, 0, kU32, kInv | kMulti},
                  {"proto", Type::Word, 0, 0, kInv | kMulti, {"ah", "esp", "ipcomp", "51", "50", "108"}},
                  {"mode", Type::Word, 0, 0, kInv | kMulti, {"transport", "tunnel"}},
                  {"tunnel-src", Type::Net, 0, 0, kInv | kMulti},
                  {"tunnel-dst", Type::Net, 0, 0, kInv | kMulti},
                  {"next", Type::Flag, 0, 0, kMulti}},
                 -1,
                 {},
                 {},
                 [](const ExtensionUse& use, const Seen& seen, auto&) {
                   // Per element (elements end at --next): tunnel addresses need --mode tunnel; with
                   // --strict an element must say something (libxt_policy.c policy_check).
                   bool strict = seen.has("strict"), tunnel = false, addrs = false, any = false;
                   const Option* addr_at = nullptr;
                   auto end_element = [&]() -> ExtensionProblem {
                     if (addrs && !tunnel)
                       return at(addr_at, "policy match: --tunnel-src/--tunnel-dst is only valid in tunnel mode");
                     if (strict && !any)
                       return at(use.at,
                                 "policy match: empty policy element: --strict is in effect, but none of "
                                 "reqid, spi, proto, mode, tunnel-src, tunnel-dst is given");
                     tunnel = addrs = any = false;
                     return {};
                   };
                   for (std::size_t i = 0; i < use.options.size(); ++i) {
                     const std::string_view n = use.option_names[i];
                     if (n == "next") {
                       if (auto p = end_element(); !p.ok()) return p;
                       continue;
                     }
                     if (n == "dir" || n == "pol" || n == "strict") continue;
                     any = true;
                     if (n == "mode" && !use.options[i]->values.empty() && use.options[i]->values[0] == "tunnel")
                       tunnel = true;
                     if (n == "tunnel-src" || n == "tunnel-dst") {
                       addrs = true;
                       addr_at = use.options[i];
                     }
                   }
                   return end_element();
                 }});
    s.push_back({"quota", false, {{"quota", Type::UInt, 0, kU64, kInv | kMand}}});
    s.push_back({"realm", false, {{"realm", Type::Any, 0, 0, kInv | kMand}}});
    s.push_back({"recent",
                 false,
                 {{"set", Type::Flag, 0, 0, kInv},
                  {"rcheck", Type::Flag, 0, 0, kInv},
                  {"update", Type::Flag, 0, 0, kInv},
                  {"remove", Type::Flag, 0, 0, kInv},
                  {"seconds", Type::UInt, 1, kU32},
                  {"reap"},
                  {"hitcount", Type::UInt, 1, kU16},
                  {"rttl"},
                  {"name", Type::Str, 0, 199},
                  {"rsource"},
                  {"rdest"},
                  {"mask", Type::Addr}},
                 -1,
                 {{"set", "rcheck", "update", "remove"}, {"rsource", "rdest"}, {"set", "rttl"}, {"remove", "rttl"}},
                 {{"set", "rcheck", "update", "remove"}}});
    s.push_back({"set",
                 false,
                 {{"match-set", Type::Two, 0, 0, kInv | kMand},
                  {"return-nomatch"},
                  {"update-counters", Type::Flag, 0, 0, kInv},
                  {"update-subcounters", Type::Flag, 0, 0, kInv},
                  {"packets-eq", Type::UInt, 0, kU64, kInv},
                  {"packets-lt", Type::UInt, 0, kU64},
                  {"packets-gt", Type::UInt, 0, kU64},
                  {"bytes-eq", Type::UInt, 0, kU64, kInv},
                  {"bytes-lt", Type::UInt, 0, kU64},
                  {"bytes-gt", Type::UInt, 0, kU64}}});
    s.push_back({"statistic",
                 false,
                 {{"mode", Type::Word, 0, 0, kMand, {"random", "nth"}},
                  {"probability", Type::Prob, 0, 1, kInv},
                  {"every", Type::UInt, 1, kU32, kInv},
                  {"packet", Type::UInt, 0, kU32}},
                 -1,
                 {},
                 {},
                 [](auto&, const Seen& seen, auto&) {
                   // libxt_statistic.c statistic_check.
                   const Option* mode = seen.first("mode");
                   bool nth = mode && mode->values[0] == "nth";
                   if (seen.has("probability") && nth)
                     return at(seen.first("probability"), "statistic: --probability can only be used in random mode");
                   if ((seen.has("every") || seen.has("packet")) && !nth)
                     return at(seen.first(seen.has("every") ? "every" : "packet"),
                               "statistic: --every and --packet can only be used in nth mode");
                   if (seen.has("every") != seen.has("packet"))
                     return at(seen.first(seen.has("every") ? "every" : "packet"),
                               seen.has("every") ? "statistic: option \"--every\" also requires \"--packet\"."
                                                 : "statistic: option \"--packet\" also requires \"--every\".");
                   if (seen.has("every")) {
                     auto every = read_uint(seen.first("every")->values[0], 1, kU32);
                     auto packet = read_uint(seen.first("packet")->values[0], 0, kU32);
                     if (every && packet && *packet >= *every)
                       return at(seen.first("packet"), "the --packet p must be 0 <= p <= n-1");
                   }
                   return ExtensionProblem{};
                 }});
    s.push_back({"string",
                 false,
                 {{"algo", Type::Word, 0, 0, kMand, {"bm", "kmp"}},
                  {"string", Type::Str, 0, 128, kInv},
                  {"hex-string", Type::Str, 0, 0, kInv},
                  {"from", Type::UInt, 0, kU16},
                  {"to", Type::UInt, 0, kU16},
                  {"icase"}},
                 -1,
                 {{"string", "hex-string"}},
                 {{"string", "hex-string"}},
                 {},
                 "string"});
    s.push_back({"tcpmss", false, {{"mss", Type::URange, 0, kU16, kInv | kMand}}, kProtoTcp});
    s.push_back({"ttl",
                 false,
                 {{"ttl-eq", Type::UInt, 0, kU8, kInv}, {"ttl-lt", Type::UInt, 0, kU8}, {"ttl-gt", Type::UInt, 0, kU8}},
                 -1,
                 {{"ttl-eq", "ttl-lt", "ttl-gt"}},
                 {{"ttl-eq", "ttl-lt", "ttl-gt"}}});
    s.push_back({"hl",
                 false,
                 {{"hl-eq", Type::UInt, 0, kU8, kInv}, {"hl-lt", Type::UInt, 0, kU8}, {"hl-gt", Type::UInt, 0, kU8}},
                 -1,
                 {{"hl-eq", "hl-lt", "hl-gt"}},
                 {{"hl-eq", "hl-lt", "hl-gt"}}});
    s.push_back({"addrtype",
                 false,
                 {{"src-type", Type::WordList, 0, 0, kInv, kAddrTypes},
                  {"dst-type", Type::WordList, 0, 0, kInv, kAddrTypes},
                  {"limit-iface-in"},
                  {"limit-iface-out"}},
                 -1,
                 {{"limit-iface-in", "limit-iface-out"}},
                 {},
                 [](const ExtensionUse& use, const Seen& seen, const RuleContext& rule) {
                   if (!seen.has("src-type") && !seen.has("dst-type"))
                     return at(use.at, "addrtype: you must specify --src-type or --dst-type");
                   // xt_addrtype.c addrtype_mt_checkentry_v1: the interface of the packet's hook.
                   if (rule.builtin_chain && seen.has("limit-iface-in") && in_chains(rule, {"OUTPUT", "POSTROUTING"}))
                     return at(seen.first("limit-iface-in"),
                               fmt::format("addrtype: --limit-iface-in is not valid in {}", rule.chain));
                   if (rule.builtin_chain && seen.has("limit-iface-out") && in_chains(rule, {"PREROUTING", "INPUT"}))
                     return at(seen.first("limit-iface-out"),
                               fmt::format("addrtype: --limit-iface-out is not valid in {}", rule.chain));
                   return ExtensionProblem{};
                 }});
    s.push_back({"cgroup",
                 false,
                 {{"cgroup", Type::UInt, 0, kU32, kInv}, {"path", Type::Str, 0, 4095, kInv}},
                 -1,
                 {{"cgroup", "path"}},
                 {{"cgroup", "path"}}});
    s.push_back({"cluster",
                 false,
                 {{"cluster-total-nodes", Type::UInt, 1, 32, kMand},
                  {"cluster-local-node", Type::UInt, 1, 32, kInv},
                  {"cluster-local-nodemask", Type::UInt, 1, kU32, kInv},
                  {"cluster-hash-seed", Type::UInt, 0, kU32, kMand}},
                 -1,
                 {{"cluster-local-node", "cluster-local-nodemask"}},
                 {{"cluster-local-node", "cluster-local-nodemask"}},
                 [](auto&, const Seen& seen, auto&) {
                   const Option* total = seen.first("cluster-total-nodes");
                   const Option* local = seen.first("cluster-local-node");
                   if (total && local) {
                     auto t = read_uint(total->values[0], 0, kU32), l = read_uint(local->values[0], 0, kU32);
                     if (t && l && *l > *t)
                       return at(local, "cluster match: --cluster-local-node must be <= --cluster-total-nodes");
                   }
                   return ExtensionProblem{};
                 },
                 "cluster match"});
    s.push_back({"eui64", false, {}, -1, {}, {}, [](const ExtensionUse& use, auto&, const RuleContext& rule) {
                   // ip6t_eui64.c: PRE_ROUTING, LOCAL_IN and FORWARD only.
                   if (rule.builtin_chain && in_chains(rule, {"OUTPUT", "POSTROUTING"}))
                     return at(use.at, fmt::format("eui64: the match is not valid in {}", rule.chain));
                   return ExtensionProblem{};
                 }});
    s.push_back({"frag",
                 false,
                 {{"fragid", Type::URange, 0, kU32, kInv},
                  {"fraglen", Type::UInt, 0, kU32, kInv},
                  {"fragres"},
                  {"fragfirst"},
                  {"fragmore"},
                  {"fraglast"}},
                 -1,
                 {{"fragmore", "fraglast"}}});
    s.push_back({"rt",
                 false,
                 {{"rt-type", Type::UInt, 0, kU8, kInv},
                  {"rt-segsleft", Type::URange, 0, kU32, kInv},
                  {"rt-len", Type::UInt, 0, kU32, kInv},
                  {"rt-0-res"},
                  {"rt-0-addrs", Type::Any},
                  {"rt-0-not-strict"}}});
    s.push_back({"osf",
                 false,
                 {{"genre", Type::Str, 0, 0, kInv | kMand}, {"ttl", Type::UInt, 0, 2}, {"log", Type::UInt, 0, 2}},
                 kProtoTcp});
    s.push_back({"iprange",
                 false,
                 {{"src-range", Type::Any, 0, 0, kInv}, {"dst-range", Type::Any, 0, 0, kInv}},
                 -1,
                 {},
                 {{"src-range", "dst-range"}},
                 {},
                 "iprange match"});

    // ---- targets
    s.push_back({"ACCEPT", true, {}});
    s.push_back({"DROP", true, {}});
    s.push_back({"RETURN", true, {}});
    s.push_back({"NOTRACK", true, {}});
    s.push_back({"TRACE", true, {}});
    s.push_back({"REJECT",
                 true,
                 {{"reject-with", Type::Any}},
                 -1,
                 {},
                 {},
                 [](auto&, const Seen& seen, const RuleContext& rule) {
                   // libipt_REJECT.c / libip6t_REJECT.c reject_table; tcp-reset needs -p tcp (the kernel's
                   // reject_tg_check).
                   static const std::vector<std::string_view> v4 = {"icmp-net-unreachable",
                                                                    "net-unreach",
                                                                    "icmp-host-unreachable",
                                                                    "host-unreach",
                                                                    "icmp-proto-unreachable",
                                                                    "proto-unreach",
                                                                    "icmp-port-unreachable",
                                                                    "port-unreach",
                                                                    "icmp-net-prohibited",
                                                                    "net-prohib",
                                                                    "icmp-host-prohibited",
                                                                    "host-prohib",
                                                                    "icmp-admin-prohibited",
                                                                    "admin-prohib",
                                                                    "tcp-reset",
                                                                    "tcp-rst"};
                   static const std::vector<std::string_view> v6 = {"icmp6-no-route",
                                                                    "no-route",
                                                                    "icmp6-adm-prohibited",
                                                                    "adm-prohibited",
                                                                    "icmp6-addr-unreachable",
                                                                    "addr-unreach",
                                                                    "icmp6-port-unreachable",
                                                                    "port-unreach",
                                                                    "icmp6-policy-fail",
                                                                    "policy-fail",
                                                                    "icmp6-reject-route",
                                                                    "reject-route",
                                                                    "tcp-reset",
                                                                    "tcp-rst"};
                   const Option* o = seen.first("reject-with");
                   if (!o) return ExtensionProblem{};
                   // The first type the value begins (strncasecmp over the value's length).
                   const auto& known = rule.family == Family::V4 ? v4 : v6;
                   const std::string& v = o->values[0];
                   auto it = std::find_if(known.begin(), known.end(), [&](std::string_view k) {
                     return !v.empty() && v.size() <= k.size() && same_word(k.substr(0, v.size()), v);
                   });
                   if (it == known.end()) return at(o, fmt::format("unknown reject type \"{}\"", v));
                   if ((*it == "tcp-reset" || *it == "tcp-rst") && rule.protocol != kProtoTcp)
                     return at(o, "REJECT: --reject-with tcp-reset is only valid with -p tcp");
                   return ExtensionProblem{};
                 }});
    s.push_back({"LOG",
                 true,
                 {{"log-level", Type::Word, 0, 0, 0, kLogLevels},
                  {"log-prefix", Type::Str, 0, 29},
                  {"log-tcp-sequence"},
                  {"log-tcp-options"},
                  {"log-ip-options"},
                  {"log-uid"},
                  {"log-macdecode"}}});
    s.push_back({"NFLOG",
                 true,
                 {{"nflog-group", Type::UInt, 0, kU16},
                  {"nflog-prefix", Type::Str},  // longer than the legacy 64 bytes with nf_tables
                  {"nflog-range", Type::UInt, 0, kU32},
                  {"nflog-size", Type::UInt, 0, kU32},
                  {"nflog-threshold", Type::UInt, 0, kU16}},
                 -1,
                 {{"nflog-range", "nflog-size"}}});
    s.push_back({"NFQUEUE",
                 true,
                 {{"queue-num", Type::UInt, 0, kU16},
                  {"queue-balance", Type::Any},
                  {"queue-bypass"},
                  {"queue-cpu-fanout"},
                  {"fail-open"}},
                 -1,
                 {{"queue-num", "queue-balance"}},
                 {},
                 [](auto&, const Seen& seen, auto&) {
                   // a:b with a < b <= 65534 (libxt_NFQUEUE.c: the range is first..last, both queues).
                   if (const Option* o = seen.first("queue-balance")) {
                     auto parts = split_view(o->values[0], ':');
                     std::optional<std::uint64_t> a = 0, b = 65534;
                     if (parts.size() == 2) {
                       if (!parts[0].empty()) a = read_uint(parts[0], 0, kU16);
                       if (!parts[1].empty()) b = read_uint(parts[1], 0, kU16);
                     }
                     if (parts.size() != 2 || !a || !b || *b > 65534)
                       return at(o,
                                 "NFQUEUE: bad value for option \"--queue-balance\", or out of range (0-65534); "
                                 "it takes a range first:last");
                     if (*a >= *b)
                       return at(o, "NFQUEUE: bad range \"" + o->values[0] + "\" (first must be below last)");
                   }
                   return ExtensionProblem{};
                 }});
    s.push_back({"MARK",
                 true,
                 {{"set-xmark", Type::MarkMask},
                  {"set-mark", Type::MarkMask},
                  {"and-mark", Type::UInt, 0, kU32},
                  {"or-mark", Type::UInt, 0, kU32},
                  {"xor-mark", Type::UInt, 0, kU32}},
                 -1,
                 {{"set-xmark", "set-mark", "and-mark", "or-mark", "xor-mark"}},
                 {{"set-xmark", "set-mark", "and-mark", "or-mark", "xor-mark"}}});
    s.push_back({"CONNMARK",
                 true,
                 {{"set-xmark", Type::MarkMask},
                  {"set-mark", Type::MarkMask},
                  {"and-mark", Type::UInt, 0, kU32},
                  {"or-mark", Type::UInt, 0, kU32},
                  {"xor-mark", Type::UInt, 0, kU32},
                  {"save-mark"},
                  {"restore-mark"},
                  {"nfmask", Type::UInt, 0, kU32},
                  {"ctmask", Type::UInt, 0, kU32},
                  {"mask", Type::UInt, 0, kU32}},
                 -1,
                 {{"set-xmark", "set-mark", "and-mark", "or-mark", "xor-mark", "save-mark", "restore-mark"}},
                 {{"set-xmark", "set-mark", "and-mark", "or-mark", "xor-mark", "save-mark", "restore-mark"}}});
    s.push_back({"CONNSECMARK", true, {{"save"}, {"restore"}}, -1, {{"save", "restore"}}, {{"save", "restore"}}});
    s.push_back({"SECMARK", true, {{"selctx", Type::Str, 0, 255, kMand}}});
    s.push_back({"CT",
                 true,
                 {{"notrack"},
                  {"helper", Type::Str, 0, 15},
                  {"timeout", Type::Str, 0, 31},
                  {"ctevents", Type::Any},
                  {"expevents", Type::Any},
                  {"zone", Type::UInt, 0, kU16},
                  {"zone-orig", Type::UInt, 0, kU16},
                  {"zone-reply", Type::UInt, 0, kU16}}});
    s.push_back({"DSCP",
                 true,
                 {{"set-dscp", Type::UInt, 0, 63}, {"set-dscp-class", Type::Word, 0, 0, 0, kDscpClasses}},
                 -1,
                 {{"set-dscp", "set-dscp-class"}},
                 {{"set-dscp", "set-dscp-class"}}});
    s.push_back({"TOS",
                 true,
                 {{"set-tos", Type::TosMask},
                  {"and-tos", Type::UInt, 0, kU8},
                  {"or-tos", Type::UInt, 0, kU8},
                  {"xor-tos", Type::UInt, 0, kU8}},
                 -1,
                 {{"set-tos", "and-tos", "or-tos", "xor-tos"}},
                 {{"set-tos", "and-tos", "or-tos", "xor-tos"}}});
    s.push_back({"TTL",
                 true,
                 {{"ttl-set", Type::UInt, 0, kU8}, {"ttl-inc", Type::UInt, 1, kU8}, {"ttl-dec", Type::UInt, 1, kU8}},
                 -1,
                 {{"ttl-set", "ttl-inc", "ttl-dec"}},
                 {{"ttl-set", "ttl-inc", "ttl-dec"}}});
    s.push_back({"HL",
                 true,
                 {{"hl-set", Type::UInt, 0, kU8}, {"hl-inc", Type::UInt, 1, kU8}, {"hl-dec", Type::UInt, 1, kU8}},
                 -1,
                 {{"hl-set", "hl-inc", "hl-dec"}},
                 {{"hl-set", "hl-inc", "hl-dec"}}});
    s.push_back({"ECN",
                 true,
                 {{"ecn-tcp-remove"},
                  {"ecn-tcp-cwr", Type::UInt, 0, 1},
                  {"ecn-tcp-ece", Type::UInt, 0, 1},
                  {"ecn-ip-ect", Type::UInt, 0, 3}},
                 -1,
                 {},
                 {{"ecn-tcp-remove", "ecn-tcp-cwr", "ecn-tcp-ece", "ecn-ip-ect"}},
                 {},
                 "ECN target"});
    s.push_back({"TCPMSS",
                 true,
                 {{"set-mss", Type::UInt, 0, kU16}, {"clamp-mss-to-pmtu"}},
                 kProtoTcp,
                 {{"set-mss", "clamp-mss-to-pmtu"}},
                 {{"set-mss", "clamp-mss-to-pmtu"}}});
    s.push_back(
        {"TCPOPTSTRIP", true, {{"strip-options", Type::Any}}, kProtoTcp, {}, {}, [](auto&, const Seen& seen, auto&) {
           // Option numbers 2-255 or names (libxt_TCPOPTSTRIP.c): 0 (EOL) and 1 (NOP) cannot be stripped.
           static const std::string_view names[] = {"wscale", "mss", "sack-permitted", "sack", "timestamp", "md5"};
           if (const Option* o = seen.first("strip-options"))
             for (auto item : split_view(o->values[0], ',')) {
               if (std::find(std::begin(names), std::end(names), item) != std::end(names)) continue;
               auto n = read_uint(item, 0, kU8);
               if (!n) return at(o, fmt::format("TCPOPTSTRIP: unknown TCP option \"{}\"", item));
               if (*n < 2) return at(o, "Option value may not be 0 or 1");
             }
           return ExtensionProblem{};
         }});
    s.push_back({"TEE", true, {{"gateway", Type::Addr, 0, 0, kMand}, {"oif", Type::Str, 0, 15}}});
    s.push_back({"TPROXY",
                 true,
                 {{"on-port", Type::PortRange, 0, 0, kMand}, {"on-ip", Type::Addr}, {"tproxy-mark", Type::MarkMask}},
                 -1,
                 {},
                 {},
                 [](const ExtensionUse& use, auto&, const RuleContext& rule) {
                   // xt_TPROXY.c tproxy_tg_check: TCP or UDP only.
                   if (rule.protocol != kProtoTcp && rule.protocol != kProtoUdp)
                     return at(use.at, "TPROXY: the target is only valid with -p tcp or -p udp");
                   return ExtensionProblem{};
                 }});
    s.push_back({"SYNPROXY",
                 true,
                 {{"sack-perm"}, {"timestamp"}, {"wscale", Type::UInt, 0, 14}, {"mss", Type::UInt, 0, kU16}, {"ecn"}},
                 kProtoTcp});
    s.push_back({"AUDIT", true, {{"type", Type::Word, 0, 0, kMand, {"accept", "drop", "reject"}}}});
    s.push_back({"CHECKSUM", true, {{"checksum-fill", Type::Flag, 0, 0, kMand}}});
    s.push_back(
        {"CLASSIFY", true, {{"set-class", Type::Any, 0, 0, kMand}}, -1, {}, {}, [](auto&, const Seen& seen, auto&) {
           if (const Option* o = seen.first("set-class")) {
             auto parts = split_view(o->values[0], ':');
             auto hex16 = [](std::string_view p) {
               return !p.empty() && p.size() <= 4 &&
                      std::all_of(p.begin(), p.end(), [](unsigned char c) { return std::isxdigit(c); });
             };
             if (parts.size() != 2 || !hex16(parts[0]) || !hex16(parts[1]))
               return at(o,
                         fmt::format("CLASSIFY: bad class value \"{}\" (expected MAJOR:MINOR in hex)", o->values[0]));
           }
           return ExtensionProblem{};
         }});
    s.push_back(
        {"IDLETIMER", true, {{"timeout", Type::UInt, 0, kU32, kMand}, {"label", Type::Str, 0, 27, kMand}, {"alarm"}}});
    s.push_back(
        {"LED", true, {{"led-trigger-id", Type::Str, 0, 26, kMand}, {"led-delay", Type::Any}, {"led-always-blink"}}});
    s.push_back({"HMARK",
                 true,
                 {{"hmark-tuple", Type::Any},
                  {"hmark-src-prefix", Type::UInt, 0, 128},
                  {"hmark-dst-prefix", Type::UInt, 0, 128},
                  {"hmark-sport-mask", Type::UInt, 0, kU16},
                  {"hmark-dport-mask", Type::UInt, 0, kU16},
                  {"hmark-spi-mask", Type::UInt, 0, kU32},
                  {"hmark-proto-mask", Type::UInt, 0, kU16},
                  {"hmark-rnd", Type::UInt, 0, kU32},
                  {"hmark-mod", Type::UInt, 1, kU32, kMand},
                  {"hmark-offset", Type::UInt, 0, kU32}},
                 -1,
                 {{"hmark-spi-mask", "hmark-sport-mask"}, {"hmark-spi-mask", "hmark-dport-mask"}}});
    s.push_back({"DNPT", true, {{"src-pfx", Type::Prefix, 0, 0, kMand}, {"dst-pfx", Type::Prefix, 0, 0, kMand}}});
    s.push_back({"SNPT", true, {{"src-pfx", Type::Prefix, 0, 0, kMand}, {"dst-pfx", Type::Prefix, 0, 0, kMand}}});
    s.push_back({"SNAT",
                 true,
                 {{"to-source", Type::Any, 0, 0, kMand}, {"random"}, {"random-fully"}, {"persistent"}},
                 -1,
                 {},
                 {},
                 [](auto&, const Seen& seen, const RuleContext& rule) {
                   const Option* o = seen.first("to-source");
                   return o ? nat_address_and_ports("SNAT", *o, rule) : ExtensionProblem{};
                 }});
    s.push_back({"DNAT", true, {{"to-destination", Type::Any, 0, 0, kMand}, {"random"}, {"persistent"}}});
    s.push_back({"MASQUERADE",
                 true,
                 {{"to-ports", Type::Any}, {"random"}, {"random-fully"}},
                 -1,
                 {},
                 {},
                 [](auto&, const Seen& seen, const RuleContext& rule) {
                   const Option* o = seen.first("to-ports");
                   return o ? nat_ports("MASQUERADE", *o, o->values[0], rule) : ExtensionProblem{};
                 }});
    s.push_back({"REDIRECT", true, {{"to-ports", Type::Any}, {"random"}}});
    s.push_back({"NETMAP", true, {{"to", Type::Net, 0, 0, kMand}}});
    return s;
  }();
  return all;
}

const ExtSpec* find_spec(std::string_view name, bool target) {
  if (!target && name == "icmpv6") name = "icmp6";
  if (!target && name == "ipv6-icmp") name = "icmp6";
  // Looked up for every match and target of every rule: hashed (targets are upper case,
  // matches lower case, but both are keyed with the kind).
  static const std::unordered_map<std::string, const ExtSpec*> by_name = [] {
    std::unordered_map<std::string, const ExtSpec*> index;
    for (const auto& s : specs()) index.emplace(std::string(s.target ? "T" : "m") + std::string(s.name), &s);
    return index;
  }();
  thread_local std::string key;
  key.assign(target ? "T" : "m");
  key.append(name);
  auto it = by_name.find(key);
  return it == by_name.end() ? nullptr : it->second;
}

const OptSpec* find_opt(const ExtSpec& spec, std::string_view name) {
  for (const auto& o : spec.options)
    if (o.name == name) return &o;
  return nullptr;
}

}  // namespace

bool described_extension(std::string_view name, bool target) { return find_spec(name, target) != nullptr; }

std::string_view extension_option(std::string_view name, bool target, std::string_view given) {
  const ExtSpec* spec = find_spec(name, target);
  if (!spec || given.size() < 3 || given.substr(0, 2) != "--") return {};
  given.remove_prefix(2);
  if (const OptSpec* o = find_opt(*spec, given)) return o->name;
  const OptSpec* only = nullptr;
  for (const auto& o : spec->options)
    if (o.name.substr(0, given.size()) == given) {
      if (only) return {};  // ambiguous: getopt_long refuses it
      only = &o;
    }
  return only ? only->name : std::string_view();
}

std::string_view protocol_match(int protocol) {
  switch (protocol) {
    case kProtoTcp:
      return "tcp";
    case kProtoUdp:
      return "udp";
    case kProtoSctp:
      return "sctp";
    case kProtoDccp:
      return "dccp";
    case kProtoUdplite:
      return "udplite";
    case kProtoIcmp:
      return "icmp";
    case kProtoIcmp6:
      return "icmp6";
    case 50:
      return "esp";
    case 51:
      return "ah";
    case 135:
      return "mh";
    default:
      return {};
  }
}

ExtensionProblem check_extension(const ExtensionUse& use, const RuleContext& rule) {
  const ExtSpec* spec = find_spec(use.name, use.target);
  if (!spec) return {};
  const std::string label(spec->label.empty() ? spec->name : spec->label);
  Seen seen;
  for (std::size_t i = 0; i < use.options.size(); ++i) {
    const Option* opt = use.options[i];
    const std::string_view name = use.option_names[i];
    const OptSpec* o = find_opt(*spec, name);
    if (!o) return at(opt, fmt::format("{}: unknown option \"{}\"", label, opt->name));
    if (seen.has(name) && !(o->flags & kMulti))
      return at(opt, fmt::format("{}: option \"--{}\" can only be used once.", label, name));
    seen.options.emplace_back(name, opt);
    if (opt->negated && !(o->flags & kInv))
      return at(opt, fmt::format("{}: option \"--{}\" cannot be inverted.", label, name));
    const std::size_t want = values_of(o->type);
    if (opt->values.size() < want) return at(opt, fmt::format("option \"--{}\" requires an argument", name));
    if (opt->values.size() > want) return at(opt, fmt::format("Bad argument `{}'", opt->values[want]));
    if (auto problem = check_value(label, *o, *opt, rule); !problem.empty()) return at(opt, problem);
  }
  for (const auto& group : spec->exclusive) {
    const Option* first = nullptr;
    std::string_view first_name;
    for (std::size_t i = 0; i < use.options.size(); ++i) {
      if (std::find(group.begin(), group.end(), use.option_names[i]) == group.end()) continue;
      if (!first) {
        first = use.options[i];
        first_name = use.option_names[i];
      } else if (use.option_names[i] != first_name) {
        return at(use.options[i], fmt::format("{}: option \"--{}\" cannot be used together with \"--{}\".", label,
                                              use.option_names[i], first_name));
      }
    }
  }
  for (const auto& o : spec->options)
    if ((o.flags & kMand) && !seen.has(o.name))
      return at(use.at, fmt::format("{}: option \"--{}\" must be specified", label, o.name));
  for (const auto& group : spec->one_of)
    if (std::none_of(group.begin(), group.end(), [&](std::string_view n) { return seen.has(n); })) {
      std::vector<std::string> names;
      for (auto n : group) names.push_back(fmt::format("--{}", n));
      return at(use.at, fmt::format("{}: one of {} must be specified", label, fmt::join(names, ", ")));
    }
  // In IPv6, AH is an extension header found by walking the headers (ip6t_ah.c has no
  // .proto): -m ah needs no -p ah there.
  const bool header_walk = spec->name == "ah" && rule.family == Family::V6;
  if (spec->protocol >= 0 && !header_walk)
    if (auto p = needs_protocol(use, spec->protocol, rule); !p.ok()) return p;
  if (spec->check) return spec->check(use, seen, rule);
  return {};
}

}  // namespace fwm::iptables
