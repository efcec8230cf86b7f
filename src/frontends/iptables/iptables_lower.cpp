// Lowering the iptables vendor model into the rule IR: chains, rules, and the packet
// paths (pipelines) through the tables' built-in chains.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <limits>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "frontends/iptables/iptables_extensions.h"
#include "frontends/iptables/iptables_frontend.h"
#include "ir/packet_model.h"
#include "ir/services.h"
#include "ir/suppressions.h"
#include "util/timing.h"

namespace fwm::iptables {

bool is_builtin_chain(const std::string& table, const std::string& chain);

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

// Non-terminating targets: evaluation continues with the next rule. (Hashed sets and maps
// of views: every rule line looks its target and modules up.)
const std::unordered_set<std::string_view> kContinueTargets = {
    "LOG",       "NFLOG",    "ULOG",    "MARK",        "CONNMARK", "TRACE",       "AUDIT",      "DSCP",   "TOS",
    "TCPMSS",    "CLASSIFY", "SECMARK", "CONNSECMARK", "TTL",      "HL",          "ECN",        "TEE",    "CHECKSUM",
    "IDLETIMER", "LED",      "SET",     "RATEEST",     "HMARK",    "TCPOPTSTRIP", "NETMAP_LOG", "IPMARK", "NFCT",
};

// Match modules that depend on state outside the file: their conditions are unknown.
const std::unordered_map<std::string_view, std::string_view> kUnknownModules = {
    {"limit", "rate limit"},
    {"hashlimit", "per-host rate limit"},
    {"recent", "recently-seen list"},
    {"connlimit", "connection count"},
    {"time", "time window"},
    {"statistic", "random/nth sampling"},
    {"mark", "packet mark"},
    {"connmark", "connection mark"},
    {"owner", "socket owner"},
    {"u32", "u32 byte test"},
    {"string", "payload string"},
    {"bpf", "BPF program"},
    {"cgroup", "cgroup"},
    {"policy", "IPsec policy"},
    {"set", "ipset contents"},
    {"physdev", "bridge port"},
    {"pkttype", "link-layer packet type"},
    {"length", "packet length"},
    {"ttl", "TTL"},
    {"hl", "hop limit"},
    {"dscp", "DSCP"},
    {"tos", "TOS"},
    {"ecn", "ECN bits"},
    {"tcpmss", "TCP MSS"},
    {"socket", "local socket lookup"},
    {"rpfilter", ""},  // decided on the packet model (a routable source): see rpfilter_inverted_
    {"helper", "conntrack helper"},
    {"devgroup", "device group"},
    {"realm", "routing realm"},
    {"quota", "byte quota"},
    {"nfacct", "accounting object"},
    {"connbytes", "connection byte count"},
    {"connlabel", "connection label"},
    {"cluster", "cluster hash"},
    {"cpu", "CPU"},
    {"osf", "OS fingerprint"},
    {"ipvs", "IPVS state"},
    {"addrtype", "address type"},
    {"icmp", "ICMP type"},
    {"icmp6", "ICMPv6 type"},
    {"ah", "AH SPI"},
    {"esp", "ESP SPI"},
    {"frag", "fragment header"},
    {"hbh", "hop-by-hop header"},
    {"dst", "destination options header"},
    {"rt", "routing header"},
    {"ipv6header", "IPv6 extension headers"},
    {"mh", "mobility header"},
    {"eui64", "EUI-64 source"},
    {"srh", "segment routing header"},
    {"state", ""},
    {"conntrack", ""},
    {"tcp", ""},
    {"udp", ""},
    {"sctp", ""},
    {"dccp", ""},
    {"udplite", ""},
    {"multiport", ""},
    {"iprange", ""},
    {"comment", ""},
    {"mac", "source MAC address"},
    {"condition", "condition flag"},
    {"geoip", "geographic database"},
    {"account", "accounting"},
    {"l2tp", "L2TP header"},
    {"ipcomp", "IPComp SPI"},
    {"sctp", ""},
    {"iface", "interface state"},
};

// The once-per-file key of the note on lines iptables refuses but fwmatrix still analyses.
constexpr std::string_view kRefusedKeptKey = "iptables-restore refuses, rule kept";
// The once-per-file keys of those refusals, one per reason: this prefix and the reason.
constexpr std::string_view kRefusedReasonKey = "iptables-restore refuses for: ";
// How many of the lines refused for one reason its diagnostic names.
constexpr std::size_t kRefusedLinesNamed = 5;

// Short options iptables knows (commands and rule options).
const std::string kShortOptions = "ACDIRLSFZNXPEpsdiojgmfcwWvnx46h";

// Matches that are an error without any of their options.
const std::unordered_set<std::string_view> kModulesNeedingOptions = {"multiport", "iprange", "state", "conntrack",
                                                                     "comment"};

// Chain numbers by "table name": open addressing over a power-of-two array of slots
// holding each name's hash, its place in one buffer of names, and its chain. Every rule
// line looks up its own chain and usually a jump target; std::unordered_map spent that
// time dividing by its prime bucket count and following a node and a key per lookup.
class ChainNameTable {
 public:
  void reserve(std::size_t names) {
    if (names * 2 > slots_.size()) rehash(slot_count_for(names));
  }
  // The chain named `key`, or -1.
  int find(std::string_view key) const {
    if (slots_.empty()) return -1;
    const std::uint32_t hash = hash_of(key);
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.chain < 0) return -1;
      if (slot.hash == hash && name(slot) == key) return slot.chain;
    }
  }
  // Adds `key` as chain `chain` unless it is there: the chain it names, and whether it is new.
  std::pair<int, bool> insert(std::string_view key, int chain) { return insert(key, hash_of(key), chain); }
  // The same for a key whose hash_of() is known.
  std::pair<int, bool> insert(std::string_view key, std::uint32_t hash, int chain) {
    if ((count_ + 1) * 2 > slots_.size()) rehash(slot_count_for(count_ + 1));
    std::size_t i = hash & mask_;
    for (; slots_[i].chain >= 0; i = (i + 1) & mask_)
      if (slots_[i].hash == hash && name(slots_[i]) == key) return {slots_[i].chain, false};
    slots_[i] = {hash, static_cast<std::uint32_t>(names_.size()), static_cast<std::uint32_t>(key.size()), chain};
    names_.append(key);
    ++count_;
    return {chain, true};
  }
  static std::uint32_t hash_of(std::string_view key) {
    return static_cast<std::uint32_t>(std::hash<std::string_view>()(key));
  }
  // Starts loading the slot where a key of this hash is looked for: a large dump's table
  // is far larger than the caches.
  void prefetch(std::uint32_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & mask_]);
  }

 private:
  struct Slot {  // 16 bytes: a million chains' table stays 32 MB
    std::uint32_t hash = 0;
    std::uint32_t offset = 0;  // of the name in names_
    std::uint32_t length = 0;
    int chain = -1;  // -1: empty
  };
  static std::size_t slot_count_for(std::size_t names) {
    std::size_t count = 16;
    while (count < names * 2) count *= 2;  // at most half full
    return count;
  }
  std::string_view name(const Slot& slot) const { return std::string_view(names_).substr(slot.offset, slot.length); }
  void rehash(std::size_t slot_count) {
    std::vector<Slot> old(slot_count);
    old.swap(slots_);
    mask_ = slot_count - 1;
    for (const Slot& slot : old) {
      if (slot.chain < 0) continue;
      std::size_t i = slot.hash & mask_;
      while (slots_[i].chain >= 0) i = (i + 1) & mask_;
      slots_[i] = slot;
    }
  }
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t count_ = 0;
  std::string names_;  // every name, one after the other
};

// The chains of a ruleset by "table name", and from which rule line on each exists: a
// built-in chain the file never declares comes into being with its first rule, and
// lines before that cannot jump to it.
struct ChainNames {
  ChainNameTable index;
  std::vector<std::size_t> exists_from;  // per chain: the first rule line that sees it

  // Chain `name` of `table`, or -1.
  int index_of(std::string_view table, std::string_view name) const {
    thread_local std::string key;  // "table name", built without allocating once grown
    key.assign(table);
    key += ' ';
    key += name;
    return index.find(key);
  }
  // Chain `name` of `table` as rule line `line` sees it, or -1.
  int find(std::string_view table, std::string_view name, std::size_t line) const {
    int chain = index_of(table, name);
    return chain < 0 || exists_from[static_cast<std::size_t>(chain)] > line ? -1 : chain;
  }
  // Whether the user chain exists, but only from a line after `line` on (declared after
  // it). Built-in chains are left out: one the file never declares comes into being with
  // its first rule, and a jump to it before that is an unknown target, as before.
  bool declared_after(std::string_view table, std::string_view name, std::size_t line) const {
    if (is_builtin_chain(std::string(table), std::string(name))) return false;
    int chain = index_of(table, name);
    return chain >= 0 && exists_from[static_cast<std::size_t>(chain)] > line;
  }
};

// What lowering reports, in order: diagnostics, some of them once per file for all the
// rules that use a construct (an unmodelled match, say) with a count of those rules.
struct LoweringReport {
  std::vector<Diagnostic> diagnostics;
  std::vector<std::string> once_keys;                     // per diagnostic: its key, or empty
  std::map<std::string, std::size_t> uses;                // key -> rules using it
  std::map<std::string, std::vector<std::size_t>> lines;  // key -> its first lines (refused lines)

  void add(Diagnostic d, std::string once_key = {}) {
    diagnostics.push_back(std::move(d));
    once_keys.push_back(std::move(once_key));
  }
  // Counts one more use of `key`; false the first time (the caller then adds its diagnostic).
  bool seen_again(const std::string& key) { return ++uses[key] > 1; }
};

class RuleLowering {
 public:
  // `line` gives its text and span to the rules (it is released once lowered).
  RuleLowering(RuleLine& line, std::size_t line_position, Family family, const ChainNames& chains,
               LoweringReport& report)
      : line_(line), position_(line_position), family_(family), chains_(chains), report_(report) {}

  // Appends the IR rules (usually one; "--ports" becomes two disjoint ones) to `out`; on
  // failure appends nothing.
  bool lower(std::vector<Rule>& out) {
    if (other_family_line()) return false;
    const std::size_t before = out.size();
    if (!lower_into(out)) {
      out.resize(before);
      return false;
    }
    for (std::size_t k = before; k < out.size(); ++k)  // while the rule is in cache (Ruleset::rule_fields_filled)
      out[k].fields = rule_fields(out[k]) | kRuleFieldsKnown;
    return true;
  }

 private:
  // The rule is built in place, as the last of `out`: a rule is large to move.
  bool lower_into(std::vector<Rule>& out) {
    Rule& rule = out.emplace_back();
    Match& m = rule.match;
    m.families.reset();
    m.families.set(static_cast<std::size_t>(family_));
    std::optional<PortSet> either_ports;  // multiport --ports
    bool either_negated = false;
    bool in_target = false;
    std::string target_name;
    std::vector<const Option*> target_options;
    for (const Option& opt : line_.options) {
      if (opt.name.empty()) {  // extra value after "-A CHAIN"
        if (is(line_.command, "-I") || is(line_.command, "--insert")) continue;
        return fail(opt, fmt::format("unexpected value '{}' after the chain name", opt.values[0]));
      }
      if (in_target) {
        target_options.push_back(&opt);
        continue;
      }
      const std::string& n = opt.name;
      auto need = [&](std::size_t k) {
        if (opt.values.size() != k) {
          fail(opt, opt.values.size() < k ? fmt::format("option {} needs {} value{}", n, k, k == 1 ? "" : "s")
                                          : fmt::format("option {} takes {} value{}, found '{}' after it", n, k,
                                                        k == 1 ? "" : "s", opt.values[k]));
          return false;
        }
        return true;
      };
      if (n.size() == 2 && kShortOptions.find(n[1]) == std::string::npos)
        return fail(opt, fmt::format("unknown option {}", n));
      if (!module_.empty() && module_needs_option_ && n.rfind("--", 0) == 0) module_needs_option_ = false;
      if (n.size() > 2 && n[1] == '-' && !core_long_option(n) && !attach_to_match(opt)) return false;
      if (is(n, "-p") || is(n, "--protocol")) {
        if (!need(1)) return false;
        std::string p = opt.values[0];
        std::transform(p.begin(), p.end(), p.begin(), ::tolower);
        if (p == "all" || p == "0") {
          // "! -p all" matches nothing: iptables refuses it (rule would never match protocol).
          if (opt.negated) return fail(opt, "rule would never match protocol");
          continue;
        }
        auto num = proto_number(p);
        if (!num) return fail(opt, fmt::format("unknown protocol '{}'", opt.values[0]));
        ProtoSet set = proto_only(*num);
        if (opt.negated) set = ~set;
        m.proto = m.proto ? (*m.proto & set) : set;
        if (!opt.negated) protocol_ = *num;
      } else if (is(n, "-s") || is(n, "--source") || is(n, "-d") || is(n, "--destination")) {
        if (!need(1)) return false;
        AddrSet set;
        for (const auto& part : split(opt.values[0], ',')) {
          auto parsed = parse_address_expr(part);
          if (!parsed.ok()) {
            bool hostname = part.find_first_of("abcdefghijklmnopqrstuvwxyz") != std::string::npos &&
                            part.find(':') == std::string::npos;
            if (parsed.error.find("non-contiguous") != std::string::npos || hostname) {
              // Names were resolved when the rule was loaded; the file does not say to what.
              unknown(m, fmt::format("{} {} ({})", n, part, hostname ? "a host name" : "a non-contiguous mask"), opt);
              set = AddrSet::all();
              break;
            }
            return fail(opt, parsed.error);
          }
          if (parsed.set.of(family_).empty())
            return fail(opt, fmt::format("{} address '{}' in an {} ruleset", family_ == Family::V4 ? "IPv6" : "IPv4",
                                         part, family_name(family_)));
          set = set.unite(parsed.set);
        }
        if (opt.negated) set = set.complement();
        auto& field = (is(n, "-s") || is(n, "--source")) ? m.src : m.dst;
        field = field ? field->intersect(set) : set;
      } else if (is(n, "-i") || is(n, "--in-interface") || is(n, "-o") || is(n, "--out-interface")) {
        if (!need(1)) return false;
        std::string name = opt.values[0];
        IfacePattern pat{name, false};
        if (!name.empty() && name.back() == '+') {
          pat.name.pop_back();
          pat.prefix = true;
        }
        if (pat.name.size() > 15)
          return fail(opt, fmt::format("interface name '{}' is longer than 15 characters", name));
        bool in = is(n, "-i") || is(n, "--in-interface");
        (in ? m.in_patterns : m.out_patterns) = {pat};
        (in ? m.in_negated : m.out_negated) = opt.negated;
      } else if (is(n, "-f") || is(n, "--fragment")) {
        // Matches second and later fragments; the query is a connection's first packet.
        if (!opt.negated) m.never = m.never_by_packet_model = true;
      } else if (is(n, "-m") || is(n, "--match")) {
        if (!need(1)) return false;
        if (module_needs_option_)
          return fail(opt, fmt::format("match -m {} needs at least one of its options", module_));
        module_ = opt.values[0];
        matches_.push_back({module_, false, &opt, {}, {}});
        if (module_ == "rpfilter") rpfilter_ = true;
        module_unmodelled_ = false;
        module_needs_option_ = kModulesNeedingOptions.count(module_) > 0;
        auto it = kUnknownModules.find(module_);
        if (it == kUnknownModules.end()) {
          unknown(m, fmt::format("-m {}", module_), opt);
        } else if (!it->second.empty()) {
          unknown(m, fmt::format("-m {} ({})", module_, it->second), opt);
        }
        module_unmodelled_ = it == kUnknownModules.end() || !it->second.empty();
      } else if (is(n, "--sport") || is(n, "--source-port") || is(n, "--dport") || is(n, "--destination-port")) {
        if (!need(1)) return false;
        if (!port_option_) port_option_ = &opt;
        PortSet set;
        if (!port_range(opt, opt.values[0], set)) return false;
        if (opt.negated) set = set.complement(kMaxPort);
        auto& field = (is(n, "--sport") || is(n, "--source-port")) ? m.sport : m.dport;
        field = field ? field->intersect(set) : set;
      } else if (is(n, "--dports") || is(n, "--destination-ports") || is(n, "--sports") || is(n, "--source-ports") ||
                 is(n, "--ports")) {
        if (!need(1)) return false;
        if (!port_option_) port_option_ = &opt;
        PortSet set;
        auto items = split(opt.values[0], ',');
        std::size_t weight = 0;
        for (const auto& item : items) {
          weight += item.find(':') != std::string::npos ? 2 : 1;
          if (!port_range(opt, item, set)) return false;
        }
        if (weight > 15)
          return fail(
              opt, fmt::format("multiport takes at most 15 ports (a range counts as two); this list has {}", weight));
        if (is(n, "--ports")) {
          either_ports = set;
          either_negated = opt.negated;
          continue;
        }
        if (opt.negated) set = set.complement(kMaxPort);
        auto& field = (is(n, "--sports") || is(n, "--source-ports")) ? m.sport : m.dport;
        field = field ? field->intersect(set) : set;
      } else if (is(n, "--ctstate") || is(n, "--state")) {
        if (!need(1)) return false;
        CtStateSet set;
        for (const auto& s : split(opt.values[0], ',')) {
          auto state = ct_state_named(s);
          if (!state) return fail(opt, fmt::format("unknown connection state '{}'", s));
          set.set(static_cast<std::size_t>(*state));
        }
        if (opt.negated) set = ~set;
        m.state = m.state ? (*m.state & set) : set;
      } else if (is(n, "--src-range") || is(n, "--dst-range")) {
        if (!need(1)) return false;
        auto parsed = parse_address_expr(opt.values[0]);
        if (!parsed.ok() || opt.values[0].find('-') == std::string::npos)
          return fail(
              opt, parsed.ok() ? fmt::format("expected an address range a-b, got '{}'", opt.values[0]) : parsed.error);
        AddrSet set = parsed.set;
        if (opt.negated) set = set.complement();
        auto& field = is(n, "--src-range") ? m.src : m.dst;
        field = field ? field->intersect(set) : set;
      } else if (is(n, "--comment")) {
        if (!need(1)) return false;
        read_suppressions(opt.values[0], rule.suppressions);
      } else if (is(n, "--syn")) {
        // The first packet of a TCP connection has SYN set and ACK, RST, FIN clear.
        if (opt.negated) m.never = m.never_by_packet_model = true;
      } else if (is(n, "--tcp-flags")) {
        if (!need(2)) return false;
        auto has = [](const std::string& list, const char* flag) {
          for (const auto& f : split(upper(list), ','))
            if (f == flag || f == "ALL") return true;
          return false;
        };
        static const std::pair<const char*, unsigned> kFlagBits[] = {{"FIN", 0x01}, {"SYN", 0x02}, {"RST", 0x04},
                                                                     {"PSH", 0x08}, {"ACK", 0x10}, {"URG", 0x20},
                                                                     {"ECE", 0x40}, {"CWR", 0x80}};
        bool comp_ok = true;
        for (const auto& [f, bit] : kFlagBits) {
          bool in_mask = has(opt.values[0], f);
          bool in_comp = upper(opt.values[1]) != "NONE" && has(opt.values[1], f);
          bool packet_has = (packet_model::kTcpFlags & bit) != 0;
          if (in_mask && in_comp != packet_has) comp_ok = false;
        }
        if (comp_ok == opt.negated) m.never = m.never_by_packet_model = true;
      } else if (is(n, "-j") || is(n, "--jump") || is(n, "-g") || is(n, "--goto")) {
        if (!need(1)) return false;
        target_name = opt.values[0];
        is_goto_ = is(n, "-g") || is(n, "--goto");
        in_target = true;
      } else if (is(n, "-c") || is(n, "--set-counters")) {
        std::vector<std::string> counts = opt.values;
        if (counts.size() == 1) counts = split(counts[0], ',');
        bool numbers = counts.size() == 2 && std::all_of(counts.begin(), counts.end(), [](const std::string& v) {
                         return !v.empty() && std::all_of(v.begin(), v.end(), ::isdigit);
                       });
        if (!numbers) return fail(opt, "-c needs two numbers: packets and bytes");
      } else if (module_ == "rpfilter" &&
                 (is(n, "--invert") || is(n, "--loose") || is(n, "--validmark") || is(n, "--accept-local"))) {
        // The reverse-path filter finds a route back for a required connection's source
        // (the packet model: no spoofed or asymmetrically routed sources), whatever its mode.
        if (is(n, "--invert")) rpfilter_inverted_ = !opt.negated;
      } else if (is(n, "-w") || is(n, "--wait") || is(n, "-4") || is(n, "-6") || is(n, "--ipv4") || is(n, "--ipv6")) {
        continue;  // counters and restore flags: no effect on verdicts
      } else if (module_unmodelled_) {
        continue;  // an option of a module already recorded as an unknown condition
      } else {
        // An option we do not model (or unknown): not a parse failure.
        unknown(m, fmt::format("{}{} {}", opt.negated ? "! " : "", n, fmt::join(opt.values, " ")), opt);
      }
    }
    if (port_option_ && !has_port_protocol())
      return fail(*port_option_, fmt::format("{} needs -p tcp, udp, sctp, dccp or udplite", port_option_->name));
    if (module_needs_option_) {
      Option where;
      where.column = line_.options.empty() ? 1 : line_.options.back().column;
      return fail(where, fmt::format("match -m {} needs at least one of its options", module_));
    }
    if (!check_extensions(m, target_name, target_options)) return false;
    if (rpfilter_) {
      // Matches a packet with a route back for its source; --invert, one without.
      bool matches = packet_model::kReverseRouteFound != rpfilter_inverted_;
      if (!matches) m.never = m.never_by_packet_model = true;
      assumed_reverse_path(rpfilter_inverted_ ? "-m rpfilter --invert" : "-m rpfilter");
    }
    if (!set_action(rule, target_name, target_options)) return false;
    kept_refusals();
    rule.span = std::move(line_.span);  // no diagnostic of this line after here
    rule.text = std::move(line_.text);
    if (either_ports) {
      if (either_negated) {
        PortSet outside = either_ports->complement(kMaxPort);
        rule.match.sport = rule.match.sport ? rule.match.sport->intersect(outside) : outside;
        rule.match.dport = rule.match.dport ? rule.match.dport->intersect(outside) : outside;
      } else {
        Rule by_dport = rule;
        rule.match.sport = rule.match.sport ? rule.match.sport->intersect(*either_ports) : *either_ports;
        PortSet not_sport = either_ports->complement(kMaxPort);
        by_dport.match.sport = by_dport.match.sport ? by_dport.match.sport->intersect(not_sport) : not_sport;
        by_dport.match.dport = by_dport.match.dport ? by_dport.match.dport->intersect(*either_ports) : *either_ports;
        out.push_back(std::move(by_dport));  // `rule` is not used after: the push may move it
      }
    }
    return true;
  }

  // A line marked -6 read as iptables, or -4 read as ip6tables: iptables-restore ignores
  // it ("-6: line is ignored by iptables-restore", xshared.c), so one file can serve both.
  // Noted once per file.
  bool other_family_line() {
    bool other = false;
    for (const Option& opt : line_.options)
      if (((is(opt.name, "-6") || is(opt.name, "--ipv6")) && family_ == Family::V4) ||
          ((is(opt.name, "-4") || is(opt.name, "--ipv4")) && family_ == Family::V6))
        other = true;
    if (!other) return false;
    const std::string key = "other-family lines";
    if (!report_.seen_again(key))
      report_.add(make_diagnostic(
                      "FWM091", Severity::Note, line_.span,
                      fmt::format("lines marked {} are for {}-restore, which alone reads them; read as {}, "
                                  "they are skipped as {}-restore skips them",
                                  family_ == Family::V4 ? "-6" : "-4", family_ == Family::V4 ? "ip6tables" : "iptables",
                                  family_ == Family::V4 ? "iptables" : "ip6tables",
                                  family_ == Family::V4 ? "iptables" : "ip6tables"),
                      line_.text),
                  key);
    return true;
  }

  // iptables' own long options (xshared.c), which belong to no match.
  static bool core_long_option(const std::string& n) {
    static const std::unordered_set<std::string_view> core = {
        "--protocol",      "--source",        "--src",      "--destination", "--dst",     "--in-interface",
        "--out-interface", "--fragment",      "--match",    "--jump",        "--goto",    "--set-counters",
        "--wait",          "--wait-interval", "--ipv4",     "--ipv6",        "--verbose", "--numeric",
        "--exact",         "--line-numbers",  "--modprobe", "--table"};
    return core.count(n) > 0;
  }

  // Gives a match option to the match it belongs to, as iptables does: the most recently
  // loaded match that has it, else the protocol's own match (-p tcp --dport 22 loads
  // tcp). An option none of the loaded matches has is an error when iptables knows all
  // of them (extensions not described are left to the lowering: FWM091).
  bool attach_to_match(const Option& opt) {
    for (auto it = matches_.rbegin(); it != matches_.rend(); ++it) {
      std::string_view full = extension_option(it->name, false, opt.name);
      if (full.empty()) continue;
      it->options.push_back(&opt);
      it->option_names.push_back(full);
      return true;
    }
    if (std::string_view implicit = protocol_match(protocol_); !implicit.empty()) {
      std::string_view full = extension_option(implicit, false, opt.name);
      if (!full.empty()) {
        matches_.push_back({std::string(implicit), false, &opt, {&opt}, {full}});
        return true;
      }
    }
    if (std::all_of(matches_.begin(), matches_.end(),
                    [](const ExtensionUse& m) { return described_extension(m.name, false); }))
      return fail(opt, fmt::format("unknown option \"{}\"", opt.name));
    return true;
  }

  // iptables' checks of each match's options and of the target's (iptables_extensions.h).
  // A match fwmatrix does not model (-m mac, -m string...) that iptables refuses is
  // reported all the same (FWM090: iptables-restore would not load the file), but the
  // rule stays in the analysis with the match as an unknown condition, as any rule with
  // that match: its value would not have been modelled had iptables taken it. A refusal
  // of a modelled match (ports, states, addresses) or of the target drops the line.
  bool check_extensions(Match& m, const std::string& target, const std::vector<const Option*>& target_options) {
    RuleContext context;
    context.family = family_;
    context.table = line_.table;
    context.chain = line_.chain;
    context.builtin_chain = is_builtin_chain(line_.table, line_.chain);
    context.protocol = protocol_;
    auto check = [&](const ExtensionUse& use) {
      ExtensionProblem problem = check_extension(use, context);
      if (problem.ok()) return true;
      return fail(problem.at ? *problem.at : *use.at, std::move(problem.message));
    };
    for (const ExtensionUse& use : matches_) {
      if (!use.target && unmodelled_match(use.name)) {
        ExtensionProblem problem = check_extension(use, context);
        if (!problem.ok()) refused_but_kept(m, use, problem);
        continue;
      }
      if (!check(use)) return false;
    }
    if (target.empty() || is_goto_ || !described_extension(target, true)) return true;
    ExtensionUse use{target, true, nullptr, target_options, {}};
    for (const Option& opt : line_.options)
      if ((is(opt.name, "-j") || is(opt.name, "--jump")) && !opt.values.empty() && opt.values[0] == target)
        use.at = &opt;
    if (!use.at) return true;
    for (const Option* o : target_options)
      if (o->name.size() == 2 && kShortOptions.find(o->name[1]) == std::string::npos)
        return fail(*o, fmt::format("unknown option {}", o->name));  // "--to-ports -1": -1 is no option
    for (const Option* o : target_options)  // "-j X -p tcp": options after the target, read as its own
      if (o->name.size() < 3 || o->name[1] != '-') return true;
    for (const Option* o : target_options) {
      std::string_view full = extension_option(target, true, o->name);
      use.option_names.push_back(
          full.empty() ? std::string_view(o->name).substr(std::min<std::size_t>(2, o->name.size())) : full);
    }
    return check(use);
  }

  bool fail(const Option& opt, std::string message) {
    // The line is dropped: a refused unmodelled match of it is one more plain refusal.
    for (PendingRefusal& p : pending_refusals_) {
      Diagnostic d;
      d.id = "FWM090";
      d.severity = Severity::Error;
      d.span = line_.span;
      d.span.column = p.column;
      d.message = std::move(p.message);
      d.snippet = line_.text;
      report_.add(std::move(d));
    }
    pending_refusals_.clear();
    Diagnostic d;
    d.id = "FWM090";
    d.severity = Severity::Error;
    d.span = line_.span;
    d.span.column = opt.column;
    d.message = std::move(message);
    d.snippet = line_.text;
    report_.add(std::move(d));
    return false;
  }

  // Whether fwmatrix leaves the match's condition unknown (kUnknownModules).
  static bool unmodelled_match(std::string_view name) {
    auto it = kUnknownModules.find(name);
    return it == kUnknownModules.end() || !it->second.empty();
  }

  // iptables refuses an unmodelled match of the rule: the rule is kept with the match as
  // an unknown condition, and the FWM090 waits for the rest of the line (kept_refusals).
  void refused_but_kept(Match& m, const ExtensionUse& use, const ExtensionProblem& problem) {
    const Option& where = problem.at ? *problem.at : *use.at;
    const bool explicit_match = use.at && (is(use.at->name, "-m") || is(use.at->name, "--match"));
    // An explicit -m is an unknown condition already; a protocol's own match loaded by
    // its option (-p icmp --icmp-type) may have left none of its own.
    if (!explicit_match) {
      auto reason = kUnknownModules.find(use.name);
      unknown(m,
              reason == kUnknownModules.end() ? fmt::format("-m {}", use.name)
                                              : fmt::format("-m {} ({})", use.name, reason->second),
              where);
    }
    pending_refusals_.push_back({where.column, problem.message, use.name});
  }

  // The FWM090s of refused unmodelled matches of a line that is lowered, once per reason
  // (a dump with 1,653 masked MAC addresses has one reason): the tool's reason and that
  // the rules are analysed all the same, at the first such line (OnceMerger adds how many
  // lines and which); once per file, an FWM091 note that iptables-restore would load
  // nothing of the file (OnceMerger adds the count of lines).
  void kept_refusals() {
    if (pending_refusals_.empty()) return;
    std::set<std::string> reasons;  // of this line
    for (const PendingRefusal& p : pending_refusals_) {
      std::string key = fmt::format("{}{}", kRefusedReasonKey, p.message);
      if (!reasons.insert(key).second) continue;
      auto& named = report_.lines[key];
      if (named.size() < kRefusedLinesNamed) named.push_back(static_cast<std::size_t>(line_.span.line));
      if (report_.seen_again(key)) continue;
      Diagnostic d;
      d.id = "FWM090";
      d.severity = Severity::Error;
      d.span = line_.span;
      d.span.column = p.column;
      d.message = fmt::format("{} (the rule is still analysed, '-m {}' as an unknown condition)", p.message, p.match);
      d.snippet = line_.text;
      report_.add(std::move(d), key);
    }
    if (!report_.seen_again(std::string(kRefusedKeptKey))) {  // counted per line
      SourceSpan span = line_.span;
      span.column = pending_refusals_.front().column;
      report_.add(make_diagnostic(
                      "FWM091", Severity::Note, span,
                      "iptables-restore would not load this file: it refuses this line (FWM090) and loads nothing of "
                      "a file with a refused line. fwmatrix analyses the rule all the same, as it does every rule "
                      "refused only for a match it does not model, with that match as an unknown condition (verdicts "
                      "that depend on it are undetermined); rules refused for anything else take no part",
                      line_.text),
                  std::string(kRefusedKeptKey));
    }
    pending_refusals_.clear();
  }

  // An FWM091 note, once per file: the reverse-path filter decided on the packet model.
  void assumed_reverse_path(const std::string& what) {
    std::string key = "assumed: rpfilter";
    if (report_.seen_again(key)) return;
    report_.add(
        make_diagnostic("FWM091", Severity::Note, line_.span, packet_model::reverse_path_note(what), line_.text), key);
  }

  void unknown(Match& m, const std::string& what, const Option& opt) {
    m.unknowns.push_back(what);
    // One diagnostic per construct (module, or option/target outside a module), with a count.
    std::string key = what.rfind("-j ", 0) == 0 ? what : (module_.empty() ? what.substr(0, what.find(' ')) : module_);
    if (report_.seen_again(key)) return;
    Diagnostic d;
    d.id = "FWM091";
    d.severity = Severity::Warning;
    d.span = line_.span;
    d.span.column = opt.column;
    d.message = fmt::format(
        "'{}' is read but not modelled: rules using it are treated as undetermined "
        "(they may or may not match)",
        what);
    d.snippet = line_.text;
    report_.add(std::move(d), key);
  }

  bool port_range(const Option& opt, const std::string& text, PortSet& into) {
    auto colon = text.find(':');
    if (colon == std::string::npos) {
      auto p = parse_port(text);
      if (!p.ok()) return fail(opt, p.error);
      into.add(p.value, p.value);
      return true;
    }
    std::string a = text.substr(0, colon), b = text.substr(colon + 1);
    std::uint32_t lo = 0, hi = kMaxPort;
    if (!a.empty()) {
      auto p = parse_port(a);
      if (!p.ok()) return fail(opt, p.error);
      lo = p.value;
    }
    if (!b.empty()) {
      auto p = parse_port(b);
      if (!p.ok()) return fail(opt, p.error);
      hi = p.value;
    }
    if (lo > hi) return fail(opt, fmt::format("invalid port range '{}' (start after end)", text));
    into.add(lo, hi);
    return true;
  }

  bool set_action(Rule& rule, const std::string& target, const std::vector<const Option*>& opts) {
    bool ok = set_target(rule, target, opts);
    Action& a = rule.action;
    if (a.target_chain >= 0) return ok;  // a jump or goto to a chain: its name says it (Action::label)
    a.label = target;
    for (const Option* o : opts) a.label += fmt::format(" {} {}", o->name, fmt::join(o->values, " "));
    return ok;
  }

  // The action's kind and what it needs, from the target and its options.
  bool set_target(Rule& rule, const std::string& target, const std::vector<const Option*>& opts) {
    Action& a = rule.action;
    auto opt_value = [&](const char* name) -> std::optional<std::string> {
      for (const Option* o : opts)
        if (o->name == name && !o->values.empty()) return o->values[0];
      return std::nullopt;
    };
    if (target.empty()) {
      a.kind = ActionKind::Continue;
      return true;
    }
    if (is_goto_) {
      a.kind = ActionKind::Goto;
      return resolve_chain(rule, target);
    }
    if (is(target, "ACCEPT")) {
      a.kind = ActionKind::Accept;
    } else if (is(target, "DROP") || is(target, "REJECT")) {
      a.kind = ActionKind::Deny;
    } else if (is(target, "RETURN")) {
      a.kind = ActionKind::Return;
    } else if (is(target, "QUEUE") || is(target, "NFQUEUE") || is(target, "SYNPROXY")) {
      a.kind = ActionKind::Unknown;
    } else if (is(target, "NOTRACK") || (is(target, "CT") && opt_value("--notrack"))) {
      a.kind = ActionKind::SetState;
      a.new_state = ct_only(CtState::Untracked);
    } else if (is(target, "CT")) {
      a.kind = ActionKind::Continue;
    } else if (is(target, "SNAT") || is(target, "MASQUERADE")) {
      a.kind = ActionKind::Accept;  // ends the nat chain; the nat stage does not filter
    } else if (is(target, "REDIRECT")) {
      a.kind = ActionKind::Rewrite;
      if (auto ports = opt_value("--to-ports")) {
        if (!has_port_protocol()) return fail(*opts.front(), "REDIRECT --to-ports needs -p tcp, udp, sctp or dccp");
        if (ports->find('/') != std::string::npos)
          return fail(*opts.front(), fmt::format("REDIRECT takes no port offset: '{}'", *ports));
        PortSet set;
        if (!nat_port_range(*opts.front(), *ports, set)) return false;
        a.new_dport = set;
      }
      // REDIRECT sends the packet to the host itself: the destination becomes local.
    } else if (is(target, "DNAT")) {
      a.kind = ActionKind::Rewrite;
      auto to = opt_value("--to-destination");
      if (!to) return fail(line_.options.back(), "DNAT needs --to-destination");
      if (std::count_if(opts.begin(), opts.end(), [](const Option* o) { return o->name == "--to-destination"; }) > 1)
        return fail(*opts.back(), "DNAT takes one --to-destination");
      if (!parse_dnat(*to, a)) return false;
    } else if (kContinueTargets.count(target)) {
      a.kind = ActionKind::Continue;
    } else {
      if (int chain = chains_.find(line_.table, target, position_); chain >= 0) {
        a.kind = ActionKind::Jump;
        a.target_chain = chain;
        return true;
      }
      if (chains_.declared_after(line_.table, target, position_))
        return fail(*target_option(), fmt::format("jump to chain '{}' before its declaration: iptables-restore refuses "
                                                  "it (Chain '{}' does not exist); declare it above",
                                                  target, target));
      bool looks_like_target = std::all_of(
          target.begin(), target.end(), [](unsigned char c) { return std::isupper(c) || std::isdigit(c) || c == '_'; });
      if (looks_like_target) {
        a.kind = ActionKind::Unknown;
        Option pseudo;
        pseudo.column = 1;
        unknown(rule.match, fmt::format("-j {}", target), pseudo);
        rule.match.unknowns.pop_back();  // the verdict is unknown, not the condition
        return true;
      }
      return resolve_chain(rule, target);
    }
    return true;
  }

  bool parse_dnat(const std::string& to, Action& a) {
    // [addr[-addr]][:port[-port]]; IPv6 as [addr]:port.
    std::string addr = to, ports;
    if (!to.empty() && to[0] == '[') {
      auto close = to.find(']');
      addr = to.substr(1, close == std::string::npos ? std::string::npos : close - 1);
      if (close != std::string::npos && close + 1 < to.size() && to[close + 1] == ':') ports = to.substr(close + 2);
    } else if (family_ == Family::V4) {
      auto colon = to.find(':');
      if (colon != std::string::npos) {
        addr = to.substr(0, colon);
        ports = to.substr(colon + 1);
      }
    }
    if (!addr.empty()) {
      auto parsed = parse_address_expr(addr);
      if (!parsed.ok()) return fail(line_.options.back(), parsed.error);
      a.new_daddr = parsed.set;
    }
    if (!ports.empty()) {
      PortSet set;
      if (!has_port_protocol()) return fail(line_.options.back(), "DNAT to a port needs -p tcp, udp, sctp or dccp");
      if (auto slash = ports.find('/'); slash != std::string::npos) {
        auto base = parse_port(ports.substr(slash + 1));
        if (!base.ok() || base.value == 0)
          return fail(line_.options.back(), fmt::format("invalid DNAT port offset in '{}'", ports));
      }
      if (!nat_port_range(line_.options.back(), ports, set)) return false;
      a.new_dport = set;
    }
    return true;
  }

  // NAT port specs: "p", "a-b", "a-b/base" (the base only shifts which port is chosen);
  // service names may themselves contain '-' ("ftp-data").
  bool nat_port_range(const Option& opt, std::string spec, PortSet& into) {
    if (auto slash = spec.find('/'); slash != std::string::npos) spec = spec.substr(0, slash);
    if (parse_port(spec).ok()) return port_range(opt, spec, into);
    // A range is two numbers (libxt_NAT.c / libxt_REDIRECT.c: "ftp-ssh" is refused).
    auto number = [](const std::string& t) {
      return !t.empty() && t.size() <= 5 && std::all_of(t.begin(), t.end(), ::isdigit);
    };
    if (auto dash = spec.find('-'); dash != std::string::npos) {
      std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
      if (number(a) && number(b)) return port_range(opt, a + ":" + b, into);
      return fail(opt, fmt::format("Port `{}' not valid: a range is two numbers", spec));
    }
    return port_range(opt, spec, into);
  }

  // The -j/-g option of the line (the first option when there is none).
  const Option* target_option() const {
    for (const Option& opt : line_.options)
      if (is(opt.name, "-j") || is(opt.name, "--jump") || is(opt.name, "-g") || is(opt.name, "--goto")) return &opt;
    return &line_.options.front();
  }

  bool resolve_chain(Rule& rule, const std::string& target) {
    int chain = chains_.find(line_.table, target, position_);
    if (chain < 0 && chains_.declared_after(line_.table, target, position_))
      return fail(*target_option(), fmt::format("{} to chain '{}' before its declaration: iptables-restore refuses it "
                                                "(Chain '{}' does not exist); declare it above",
                                                is_goto_ ? "goto" : "jump", target, target));
    if (chain < 0) {
      Option pseudo;
      pseudo.column = 1;
      return fail(pseudo, fmt::format("{} to chain '{}', which is not declared in table {}", is_goto_ ? "goto" : "jump",
                                      target, line_.table));
    }
    rule.action.target_chain = chain;
    return true;
  }

  RuleLine& line_;
  std::size_t position_;  // of the line in Model::rules
  Family family_;
  const ChainNames& chains_;
  LoweringReport& report_;
  bool has_port_protocol() const {
    return protocol_ == kProtoTcp || protocol_ == kProtoUdp || protocol_ == kProtoSctp || protocol_ == kProtoDccp ||
           protocol_ == kProtoUdplite;
  }

  std::string module_;
  std::vector<ExtensionUse> matches_;  // each -m (and implicit protocol match), with its options
  struct PendingRefusal {
    int column = 0;
    std::string message;  // iptables' own
    std::string match;
  };
  std::vector<PendingRefusal> pending_refusals_;  // refused unmodelled matches (refused_but_kept)
  bool module_unmodelled_ = false;
  bool rpfilter_ = false;           // -m rpfilter
  bool rpfilter_inverted_ = false;  // -m rpfilter --invert: matches packets without a route back
  bool module_needs_option_ = false;
  const Option* port_option_ = nullptr;
  int protocol_ = -1;
  bool is_goto_ = false;
};

void add_pipelines(Ruleset& rs, Family family) {
  auto stage = [&](const char* table, const char* chain, bool nat = false) -> std::optional<Stage> {
    int idx = rs.find_chain(fmt::format("{} {}", table, chain));
    if (idx < 0) return std::nullopt;
    return Stage{idx, nat};
  };
  auto build = [&](Direction d, std::initializer_list<std::tuple<const char*, const char*, bool>> chains) {
    Pipeline p;
    p.family = family;
    p.direction = d;
    for (const auto& [t, c, nat] : chains)
      if (auto s = stage(t, c, nat)) p.stages.push_back(*s);
    if (!p.stages.empty()) rs.pipelines.push_back(std::move(p));  // a dump without that path says nothing of it
  };
  build(Direction::In, {{"raw", "PREROUTING", false},
                        {"mangle", "PREROUTING", false},
                        {"nat", "PREROUTING", true},
                        {"mangle", "INPUT", false},
                        {"filter", "INPUT", false},
                        {"security", "INPUT", false}});
  build(Direction::Forward, {{"raw", "PREROUTING", false},
                             {"mangle", "PREROUTING", false},
                             {"nat", "PREROUTING", true},
                             {"mangle", "FORWARD", false},
                             {"filter", "FORWARD", false},
                             {"security", "FORWARD", false},
                             {"mangle", "POSTROUTING", false}});
  build(Direction::Out, {{"raw", "OUTPUT", false},
                         {"mangle", "OUTPUT", false},
                         {"nat", "OUTPUT", true},
                         {"filter", "OUTPUT", false},
                         {"security", "OUTPUT", false},
                         {"mangle", "POSTROUTING", false}});
}

}  // namespace

namespace {

// What becomes of one rule line, decided in file order before any is lowered.
enum class LineFate { Flush, Reported, Lowered };

// One line's lowering: its rules, and where its diagnostics are in its thread's report.
struct LoweredLine {
  std::vector<Rule> rules;
  bool ok = false;
  std::size_t report = 0;  // which LoweringReport
  std::size_t first_diagnostic = 0, end_diagnostic = 0;
};

// Lines lowered on one thread when there are fewer than this.
constexpr std::size_t kMinLinesForTwoThreads = 20000;

// The ruleset's chains as they come into being, and their names for the lowering.
class ChainTable {
 public:
  ChainTable(Ruleset& rs, ChainNames& names) : rs_(rs), names_(names) {}

  // The chain `name` of `table`, created if new: seen by rule lines from `from_line` on.
  int ensure(const std::string& table, const std::string& name, std::size_t from_line) {
    std::string key = key_of(table, name);
    const std::uint32_t hash = ChainNameTable::hash_of(key);
    return ensure(std::move(key), hash, table, name, from_line);
  }

  // The chains the file declares (":NAME POLICY"), with the built-in chains' policies.
  // `exists_from` (when given): per declaration, the first rule line that sees the chain.
  void declare(const std::vector<ChainDecl>& decls, const std::vector<std::size_t>* exists_from = nullptr) {
    rs_.chains.reserve(decls.size());
    names_.index.reserve(decls.size());
    names_.exists_from.reserve(decls.size());
    // Each name's key and hash a few declarations ahead, its slot prefetched.
    constexpr std::size_t kAhead = 8;
    std::array<std::string, kAhead> keys;
    std::array<std::uint32_t, kAhead> hashes{};
    auto prepare = [&](std::size_t d) {
      keys[d % kAhead] = key_of(decls[d].table, decls[d].name);
      hashes[d % kAhead] = ChainNameTable::hash_of(keys[d % kAhead]);
      names_.index.prefetch(hashes[d % kAhead]);
    };
    for (std::size_t d = 0; d < std::min(kAhead, decls.size()); ++d) prepare(d);
    for (std::size_t d = 0; d < decls.size(); ++d) {
      std::string key = std::move(keys[d % kAhead]);
      const std::uint32_t hash = hashes[d % kAhead];
      if (d + kAhead < decls.size()) prepare(d + kAhead);
      const ChainDecl& decl = decls[d];
      // A built-in chain is there from the start, wherever the file sets its policy.
      const std::size_t from = exists_from && !is_builtin_chain(decl.table, decl.name) ? (*exists_from)[d] : 0;
      Chain& c = rs_.chains[static_cast<std::size_t>(ensure(std::move(key), hash, decl.table, decl.name, from))];
      if (c.builtin) {
        c.policy = decl.policy == "DROP" ? PolicyKind::Deny : PolicyKind::Accept;
        c.policy_span = decl.span;
        c.policy_text = decl.text;
      }
    }
  }

 private:
  static std::string key_of(const std::string& table, const std::string& name) {
    std::string key;
    key.reserve(table.size() + 1 + name.size());
    key.append(table).append(1, ' ').append(name);
    return key;
  }

  // The chain `key` ("table name", hashed to `hash`), created if new.
  int ensure(std::string key, std::uint32_t hash, const std::string& table, const std::string& name,
             std::size_t from_line) {
    auto [chain, created] = names_.index.insert(key, hash, static_cast<int>(rs_.chains.size()));
    if (!created) {  // declared again: it exists from its first declaration on
      auto& from = names_.exists_from[static_cast<std::size_t>(chain)];
      from = std::min(from, from_line);
      return chain;
    }
    Chain c;
    c.name = std::move(key);
    c.table = table;
    c.builtin = is_builtin_chain(table, name);
    if (c.builtin) c.policy = PolicyKind::Accept;  // the kernel default until a policy is set
    rs_.chains.push_back(std::move(c));
    names_.exists_from.push_back(from_line);
    return chain;
  }

  Ruleset& rs_;
  ChainNames& names_;
};

// Lowering diagnostics taken into the ruleset in file order: those reported once per file
// keep their first place and get the count of rules from every report.
class OnceMerger {
 public:
  explicit OnceMerger(std::vector<Diagnostic>& into) : into_(into) {}

  void take(LoweringReport& report, std::size_t d) {
    const std::string& key = report.once_keys[d];
    if (key.empty()) {
      into_.push_back(std::move(report.diagnostics[d]));
      return;
    }
    std::size_t uses = report.uses.at(key);  // this report's; the diagnostic is its first
    auto& named = lines_[key];
    if (auto l = report.lines.find(key); l != report.lines.end())
      for (std::size_t line : l->second)
        if (named.size() < kRefusedLinesNamed) named.push_back(line);
    if (auto seen = once_.find(key); seen != once_.end()) {
      seen->second.second += uses;
    } else {
      once_[key] = {into_.size(), uses};
      into_.push_back(std::move(report.diagnostics[d]));
    }
  }

  // Adds the counts of rules to the diagnostics reported once.
  void finish() {
    for (auto& [key, entry] : once_) {
      if (key == kRefusedKeptKey)
        into_[entry.first].message +=
            fmt::format(" ({} such line{} in this file)", entry.second, entry.second == 1 ? "" : "s");
      else if (key.starts_with(kRefusedReasonKey) && entry.second > 1)
        into_[entry.first].message +=
            fmt::format(" ({} lines of this file are refused for this reason: {}{})", entry.second,
                        fmt::join(lines_[key], ", "), entry.second > lines_[key].size() ? ", ..." : "");
      else if (key.starts_with(kRefusedReasonKey))
        continue;
      else if (entry.second > 1)
        into_[entry.first].message += fmt::format(" ({} rules use it)", entry.second);
    }
  }

 private:
  std::vector<Diagnostic>& into_;
  std::map<std::string, std::pair<std::size_t, std::size_t>> once_;  // key -> (diagnostic, rules using it)
  std::map<std::string, std::vector<std::size_t>> lines_;            // key -> its first lines
};

// Gives each rule its position in its chain, adds the pipelines and resolves interfaces.
// `indexed`: every rule's index is its position in its chain already.
void complete(Ruleset& rs, Family family, bool indexed = false) {
  if (!indexed)
    for (auto& c : rs.chains)
      for (std::size_t i = 0; i < c.rules.size(); ++i) c.rules[i].index = static_cast<int>(i);
  add_pipelines(rs, family);
  rs.finalize();
}

// The chain a rule line appends to ("-A NAME ...", after counters), read without the
// grammar; empty for any other line.
std::string_view appended_chain(std::string_view line) {
  std::size_t at = line.find_first_not_of(" \t");
  if (at != std::string_view::npos && line[at] == '[') {  // counters
    at = line.find(']', at);
    if (at != std::string_view::npos) at = line.find_first_not_of(" \t", at + 1);
  }
  if (at == std::string_view::npos) return {};
  line.remove_prefix(at);
  std::size_t command = line.rfind("-A ", 0) == 0 ? 3 : line.rfind("--append ", 0) == 0 ? 9 : 0;
  if (command == 0) return {};
  line.remove_prefix(command);
  at = line.find_first_not_of(" \t");
  if (at == std::string_view::npos) return {};
  line.remove_prefix(at);
  return line.substr(0, line.find_first_of(" \t"));
}

// The line nearest to `at` (within a few thousand lines) where a chain's lines give way to
// another's, or `at`. Only a cheaper join of two threads' rules depends on it.
std::size_t chain_boundary_near(const std::vector<std::string_view>& lines, std::size_t at) {
  constexpr std::size_t kReach = 4096;
  auto boundary = [&](std::size_t i) {
    std::string_view before = appended_chain(lines[i - 1]), here = appended_chain(lines[i]);
    return !before.empty() && !here.empty() && before != here;
  };
  for (std::size_t d = 0; d < kReach; ++d) {
    if (at + d >= 1 && at + d < lines.size() && boundary(at + d)) return at + d;
    if (d > 0 && d < at && boundary(at - d)) return at - d;
  }
  return at;
}

bool use_two_threads(bool wanted, std::size_t lines) {
  return wanted && lines >= kMinLinesForTwoThreads && std::thread::hardware_concurrency() >= 2;
}

}  // namespace

Ruleset lower(Model model, const std::string& file, bool two_threads) {
  Ruleset rs;
  rs.format = model.family == Family::V6 ? "ip6tables" : "iptables";
  rs.file = file;
  rs.normalizer = make_rule_normalizer();
  rs.line_count = model.line_count;
  rs.diagnostics = model.diagnostics;
  ChainNames chains;  // looked up for every jump
  ChainTable table(rs, chains);
  auto ensure_chain = [&](const std::string& t, const std::string& name, std::size_t from_line) {
    return table.ensure(t, name, from_line);
  };
  {
    // A user chain exists from its declaration on: iptables-restore refuses a rule for it,
    // or a jump to it, on a line above (Chain 'X' does not exist).
    std::vector<std::size_t> exists_from(model.chains.size(), 0);
    for (std::size_t d = 0; d < model.chains.size(); ++d)
      exists_from[d] =
          static_cast<std::size_t>(std::lower_bound(model.rules.begin(), model.rules.end(), model.chains[d].line,
                                                    [](const RuleLine& r, int line) { return r.span.line < line; }) -
                                   model.rules.begin());
    table.declare(model.chains, &exists_from);
  }
  // Restore-style commands that create chains or set policies.
  for (const auto& r : model.rules) {
    if (is(r.command, "-N") || is(r.command, "--new-chain")) ensure_chain(r.table, r.chain, 0);
    if ((is(r.command, "-P") || is(r.command, "--policy")) && !r.options.empty() && !r.options[0].values.empty()) {
      int idx = ensure_chain(r.table, r.chain, 0);
      Chain& c = rs.chains[static_cast<std::size_t>(idx)];
      c.policy = r.options[0].values[0] == "DROP" ? PolicyKind::Deny : PolicyKind::Accept;
      c.policy_span = r.span;
      c.policy_text = r.text;
    }
  }
  // In file order: what each line does, the diagnostics of lines that are not lowered,
  // and the built-in chains the file never declares, which come into being with their
  // first rule.
  const std::size_t n = model.rules.size();
  std::vector<LineFate> fate(n, LineFate::Reported);
  std::vector<int> target_chain(n, -1);
  std::vector<std::pair<std::size_t, Diagnostic>> not_lowered;  // line, diagnostic; in file order
  std::size_t to_lower = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const RuleLine& r = model.rules[i];
    bool append = is(r.command, "-A") || is(r.command, "--append");
    bool insert = is(r.command, "-I") || is(r.command, "--insert");
    if (is(r.command, "-F") || is(r.command, "--flush")) {
      fate[i] = LineFate::Flush;
      continue;
    }
    if (!append && !insert) {
      if (r.command != "-N" && r.command != "--new-chain" && r.command != "-P" && r.command != "--policy")
        not_lowered.emplace_back(i,
                                 make_diagnostic("FWM091", Severity::Warning, r.span,
                                                 fmt::format("command {} is read but not applied", r.command), r.text));
      continue;
    }
    if (!is_builtin_chain(r.table, r.chain) && chains.declared_after(r.table, r.chain, i)) {
      not_lowered.emplace_back(
          i,
          make_diagnostic("FWM090", Severity::Error, r.span,
                          fmt::format("chain '{}' is declared below this line: iptables-restore refuses a rule for it "
                                      "before its declaration (No chain/target/match by that name)",
                                      r.chain),
                          r.text));
      continue;
    }
    const int known = chains.index_of(r.table, r.chain);
    if (known < 0 && !is_builtin_chain(r.table, r.chain)) {
      not_lowered.emplace_back(
          i,
          make_diagnostic("FWM090", Severity::Error, r.span,
                          fmt::format("chain '{}' is not declared in table {} (iptables-restore: chain does not exist)",
                                      r.chain, r.table),
                          r.text));
      continue;
    }
    target_chain[i] = known >= 0 ? known : ensure_chain(r.table, r.chain, i);
    fate[i] = LineFate::Lowered;
    ++to_lower;
  }
  // Lowering, on two threads for large files: each line depends only on the chains
  // above. Each thread keeps its own report; they are merged in file order below.
  std::vector<LoweredLine> lowered(n);
  std::size_t threads = use_two_threads(two_threads, to_lower) ? 2 : 1;
  std::vector<LoweringReport> reports(threads);
  // Without -I and -F (iptables-save never writes them) every chain's rules are its lines'
  // in file order: each thread lowers the lines of its own chains straight into them, so
  // that no second copy of the rules is made. Otherwise the lines are lowered first and
  // put in place in file order below.
  bool appends_only = true;
  for (std::size_t i = 0; i < n && appends_only; ++i)
    if (fate[i] == LineFate::Flush ||
        (fate[i] == LineFate::Lowered && (is(model.rules[i].command, "-I") || is(model.rules[i].command, "--insert"))))
      appends_only = false;
  std::vector<std::size_t> thread_of_chain(rs.chains.size(), 0);
  if (appends_only) {
    std::vector<std::size_t> lines_of(rs.chains.size(), 0);
    for (std::size_t i = 0; i < n; ++i)
      if (fate[i] == LineFate::Lowered) ++lines_of[static_cast<std::size_t>(target_chain[i])];
    std::vector<std::size_t> by_size(rs.chains.size());
    for (std::size_t c = 0; c < by_size.size(); ++c) {
      by_size[c] = c;
      rs.chains[c].rules.reserve(lines_of[c]);
    }
    std::stable_sort(by_size.begin(), by_size.end(),
                     [&](std::size_t a, std::size_t b) { return lines_of[a] > lines_of[b]; });
    std::vector<std::size_t> load(threads, 0);  // the largest chains first, each to the lighter thread
    for (std::size_t c : by_size) {
      std::size_t t = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
      thread_of_chain[c] = t;
      load[t] += lines_of[c];
    }
  }
  auto lower_line = [&](std::size_t t, std::size_t i, std::vector<Rule>& into) {
    LoweredLine& out = lowered[i];
    out.report = t;
    out.first_diagnostic = reports[t].diagnostics.size();
    RuleLine& r = model.rules[i];
    std::size_t before = into.size();
    out.ok = RuleLowering(r, i, model.family, chains, reports[t]).lower(into);
    out.end_diagnostic = reports[t].diagnostics.size();
    for (std::size_t k = before; k < into.size(); ++k) into[k].chain = target_chain[i];
    // Released now, so that the peak holds one copy of a large ruleset, not two; the
    // placement below still reads the command and -I's position.
    if (appends_only) {
      r = RuleLine{};
    } else if (!is(r.command, "-I") && !is(r.command, "--insert")) {  // -I keeps its position and text
      r.options = {};
      r.text = {};
    }
  };
  auto lower_lines = [&](std::size_t t, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      if (fate[i] != LineFate::Lowered) continue;
      if (!appends_only) {
        lower_line(t, i, lowered[i].rules);
        continue;
      }
      auto c = static_cast<std::size_t>(target_chain[i]);
      if (thread_of_chain[c] != t) continue;
      lower_line(t, i, rs.chains[c].rules);  // a line that fails adds nothing
    }
  };
  if (threads == 1) {
    lower_lines(0, 0, n);
  } else if (appends_only) {
    auto second = std::async(std::launch::async, lower_lines, 1, 0, n);
    lower_lines(0, 0, n);
    second.get();
  } else {
    auto second_half = std::async(std::launch::async, lower_lines, 1, n / 2, n);
    lower_lines(0, 0, n / 2);
    second_half.get();
  }
  // In file order: diagnostics, and each lowered line's rules into place.
  OnceMerger merger(rs.diagnostics);
  std::size_t next_not_lowered = 0;
  for (std::size_t i = 0; i < n; ++i) {
    // Each line's vendor model is released once placed, so that the peak holds one
    // copy of a large ruleset, not two.
    struct Release {
      RuleLine& line;
      ~Release() { line = RuleLine{}; }
    } release{model.rules[i]};
    const RuleLine& r = model.rules[i];
    if (fate[i] == LineFate::Flush) {
      for (auto& c : rs.chains)
        if (c.table == r.table && (r.chain.empty() || c.name == r.table + " " + r.chain)) c.rules.clear();
      continue;
    }
    if (fate[i] == LineFate::Reported) {
      if (next_not_lowered < not_lowered.size() && not_lowered[next_not_lowered].first == i)
        rs.diagnostics.push_back(std::move(not_lowered[next_not_lowered++].second));
      continue;
    }
    LoweredLine& line = lowered[i];
    for (std::size_t d = line.first_diagnostic; d < line.end_diagnostic; ++d) merger.take(reports[line.report], d);
    if (!line.ok || appends_only) continue;
    auto& rules = rs.chains[static_cast<std::size_t>(target_chain[i])].rules;
    std::size_t pos = rules.size();
    if (is(r.command, "-I") || is(r.command, "--insert")) {
      // "-I CHAIN [rulenum]": 1 (the default) inserts first; iptables-restore refuses 0
      // (Invalid rule number) and a number past the end plus one (Index of insertion too big).
      pos = 0;
      std::string problem;
      for (const auto& o : r.options) {
        if (!o.name.empty() || o.values.empty() || o.values[0].empty() ||
            !std::all_of(o.values[0].begin(), o.values[0].end(), ::isdigit))
          continue;
        const std::string& number = o.values[0];
        const std::size_t n = number.size() > 9 ? std::numeric_limits<std::size_t>::max() : std::stoul(number);
        if (n == 0)
          problem = fmt::format("Invalid rule number `{}': rules are numbered from 1", number);
        else if (n - 1 > rules.size())
          problem = fmt::format("Index of insertion too big: -I {} {} with {} rule{} in the chain", r.chain, number,
                                rules.size(), rules.size() == 1 ? "" : "s");
        else
          pos = n - 1;
      }
      if (!problem.empty()) {
        rs.diagnostics.push_back(make_diagnostic("FWM090", Severity::Error, r.span, problem, r.text));
        line.rules = {};
        continue;
      }
    }
    rules.insert(rules.begin() + static_cast<std::ptrdiff_t>(pos), std::make_move_iterator(line.rules.begin()),
                 std::make_move_iterator(line.rules.end()));
    line.rules = {};
  }
  merger.finish();
  rs.rule_fields_filled = true;  // RuleLowering::lower() filled them
  complete(rs, model.family);
  return rs;
}

std::optional<Ruleset> load_in_one_pass(const TextFile& file, std::optional<Family> family, bool two_threads) {
  const auto lines = split_lines(file.text);
  if (timing_enabled()) print_timing("iptables lines split", 0);
  std::vector<TableChange> tables;
  std::vector<Diagnostic> end_of_file_diagnostics;
  Model declarations = parse_other_lines(file, lines, tables, end_of_file_diagnostics, two_threads);
  if (timing_enabled()) print_timing("iptables declarations", 0);
  if (family) {
    declarations.family = *family;
  } else if (!declarations.family_from_header) {
    return std::nullopt;  // the addresses of every rule decide it
  }
  Ruleset rs;
  rs.format = declarations.family == Family::V6 ? "ip6tables" : "iptables";
  rs.file = file.path;
  rs.normalizer = make_rule_normalizer();
  rs.line_count = lines.size();
  ChainNames chains;
  {
    // Here a rule's position is its 0-based line: a chain exists from its declaration's.
    std::vector<std::size_t> exists_from(declarations.chains.size(), 0);
    for (std::size_t d = 0; d < declarations.chains.size(); ++d)
      exists_from[d] = static_cast<std::size_t>(std::max(declarations.chains[d].line - 1, 0));
    ChainTable(rs, chains).declare(declarations.chains, &exists_from);
  }
  if (timing_enabled()) print_timing("iptables chains declared", 0);

  // Each rule line is lowered as soon as it is read, on two threads for large files: the
  // first half's rules go straight into their chains, the second half's into chains of
  // its own, appended below. A line that is not "-A" to a declared chain (-I, -N, -F, a
  // built-in chain the file never declares) stops both: the caller takes the two-step way.
  struct Part {
    std::vector<Diagnostic> syntax_errors;
    LoweringReport report;
    std::vector<std::vector<Rule>> rules;  // per chain (second half)
  };
  std::atomic<bool> give_up{false};
  const std::size_t threads = use_two_threads(two_threads, lines.size()) ? 2 : 1;
  std::vector<Part> parts(threads);
  auto read_part = [&](std::size_t t, std::size_t from, std::size_t to) {
    Part& part = parts[t];
    if (t > 0) part.rules.resize(rs.chains.size());
    RuleSink lower_line = [&](RuleLine& line, std::size_t idx) {
      if (give_up.load(std::memory_order_relaxed)) return false;
      int chain =
          is(line.command, "-A") || is(line.command, "--append") ? chains.find(line.table, line.chain, idx) : -1;
      if (chain < 0) {
        give_up = true;
        return false;
      }
      auto c = static_cast<std::size_t>(chain);
      auto& into = t == 0 ? rs.chains[c].rules : part.rules[c];
      std::size_t before = into.size();
      RuleLowering(line, idx, declarations.family, chains, part.report).lower(into);  // adds nothing if it fails
      for (std::size_t k = before; k < into.size(); ++k) {  // the second half's are moved on below
        into[k].chain = chain;
        into[k].index = static_cast<int>(k);
      }
      return true;
    };
    parse_rule_lines(file, lines, from, to, tables, lower_line, part.syntax_errors);
  };
  if (threads == 1) {
    read_part(0, 0, lines.size());
  } else {
    // Halves of the rule lines' bytes (this pass skips the declarations, which come
    // first), cut where one chain's lines end and another's begin when that is near: a
    // chain both halves fill is joined by moving the second half's rules.
    std::size_t first_rule = 0;
    while (first_rule + 2 < lines.size() && !is_rule_line(lines[first_rule])) ++first_rule;
    std::size_t half = chain_boundary_near(lines, middle_line(lines, first_rule, lines.size()));
    // Whichever half is read first frees the declarations, which are not needed any more.
    std::atomic<bool> one_half_done{false};
    auto read_half = [&](std::size_t t, std::size_t from, std::size_t to) {
      read_part(t, from, to);
      if (one_half_done.exchange(true)) return;
      std::vector<ChainDecl>().swap(declarations.chains);
    };
    auto second_half = std::async(std::launch::async, read_half, 1, half, lines.size());
    read_half(0, 0, half);
    second_half.get();
  }
  if (give_up) return std::nullopt;
  if (timing_enabled()) print_timing("iptables rules read and lowered", 0);

  for (std::size_t t = 1; t < threads; ++t)
    for (std::size_t c = 0; c < rs.chains.size(); ++c) {
      auto& from = parts[t].rules[c];
      auto& into = rs.chains[c].rules;
      if (into.empty()) {
        into.swap(from);
      } else if (!from.empty()) {
        for (Rule& r : from) r.index += static_cast<int>(into.size());
        into.reserve(into.size() + from.size());  // exactly: no spare room to give back
        into.insert(into.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
      }
      from = {};
    }
  // Diagnostics as the two steps give them: syntax errors in line order, then what is due
  // at the end of the file, then the lowering's in file order.
  rs.diagnostics = std::move(declarations.diagnostics);
  for (auto& part : parts) {
    std::size_t middle = rs.diagnostics.size();
    rs.diagnostics.insert(rs.diagnostics.end(), std::make_move_iterator(part.syntax_errors.begin()),
                          std::make_move_iterator(part.syntax_errors.end()));
    std::inplace_merge(rs.diagnostics.begin(), rs.diagnostics.begin() + static_cast<std::ptrdiff_t>(middle),
                       rs.diagnostics.end(),
                       [](const Diagnostic& a, const Diagnostic& b) { return a.span.line < b.span.line; });
  }
  rs.diagnostics.insert(rs.diagnostics.end(), std::make_move_iterator(end_of_file_diagnostics.begin()),
                        std::make_move_iterator(end_of_file_diagnostics.end()));
  OnceMerger merger(rs.diagnostics);
  for (auto& part : parts)
    for (std::size_t d = 0; d < part.report.diagnostics.size(); ++d) merger.take(part.report, d);
  merger.finish();
  rs.rule_fields_filled = true;  // RuleLowering::lower() filled them
  complete(rs, declarations.family, /*indexed=*/true);
  return rs;
}

FrontendEntry frontend_entry() {
  FrontendEntry entry;
  entry.names = {"iptables", "ip6tables"};
  entry.detect = [](const TextFile& file) { return detect(file.text); };
  entry.load = [](const TextFile& file, const std::string&, const LoadOptions& options, LoadResult& result) {
    auto t0 = std::chrono::steady_clock::now();
    // An explicit --format decides the family; detection keeps what the file says.
    std::optional<Family> family;
    if (options.format == "ip6tables") family = Family::V6;
    if (options.format == "iptables") family = Family::V4;
    if (auto ruleset = load_in_one_pass(file, family)) {
      result.ruleset = std::make_unique<Ruleset>(std::move(*ruleset));
      return;
    }
    auto model = parse(file);
    if (timing_enabled())
      print_timing("iptables parse", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (family) model.family = *family;
    result.ruleset = std::make_unique<Ruleset>(lower(std::move(model), file.path));
  };
  return entry;
}

}  // namespace fwm::iptables
