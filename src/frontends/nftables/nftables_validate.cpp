// Rule validation with nft's reasons; see nftables_validate.h. References are to nftables
// (git.netfilter.org/nftables): src/parser_bison.y (what parses), src/evaluate.c (what
// evaluates), src/ct.c, src/meta.c, src/proto.c, src/tcpopt.c (symbol tables, key lists)
// and the tests/py/*.t files whose fail lines these checks reproduce.
#include "frontends/nftables/nftables_validate.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <set>
#include <string_view>

namespace fwm::nftables {

namespace {

using Words = std::set<std::string_view>;

std::optional<std::uint64_t> number(std::string_view t) {
  if (t.empty() || t.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    if (t.size() > 18) return std::nullopt;
    for (char c : t.substr(2)) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
      v = v * 16 + static_cast<std::uint64_t>(std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                                                                                          : std::tolower(c) - 'a' + 10);
    }
    return v;
  }
  for (char c : t) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    if (v > (UINT64_MAX - 9) / 10) return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

bool is_word(std::string_view t) { return !t.empty() && std::isalpha(static_cast<unsigned char>(t[0])); }

bool quoted(std::string_view t) { return t.size() >= 2 && (t.front() == '"' || t.front() == '\''); }

std::string_view unquoted(std::string_view t) { return quoted(t) ? t.substr(1, t.size() - 2) : t; }

// nft's time strings ("1d2h3m4s5ms"), in milliseconds; a plain number is seconds.
std::optional<std::uint64_t> time_ms(std::string_view t) {
  if (auto n = number(t)) return *n * 1000;
  std::uint64_t total = 0;
  std::size_t i = 0;
  bool any = false;
  while (i < t.size()) {
    std::uint64_t v = 0;
    std::size_t digits = 0;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) {
      v = v * 10 + static_cast<std::uint64_t>(t[i++] - '0');
      if (++digits > 12) return std::nullopt;
    }
    if (digits == 0) return std::nullopt;
    std::size_t u = i;
    while (i < t.size() && std::isalpha(static_cast<unsigned char>(t[i]))) ++i;
    std::string_view unit = t.substr(u, i - u);
    static const std::map<std::string_view, std::uint64_t> units = {{"ms", 1},      {"s", 1000},     {"m", 60000},
                                                                    {"h", 3600000}, {"d", 86400000}, {"w", 604800000}};
    auto it = units.find(unit);
    if (it == units.end()) return std::nullopt;
    total += v * it->second;
    any = true;
  }
  if (!any) return std::nullopt;
  return total;
}

bool ipv4_literal(std::string_view t) {
  std::string s(t.substr(0, t.find('/')));
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool ipv6_literal(std::string_view t) {
  std::string s(t.substr(0, t.find('/')));
  if (!s.empty() && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  in6_addr a{};
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

// An address-like value: dotted quad (IPv4 family) or with colons (IPv6 family).
enum class AddrKind { None, V4, V6, BadV6 };
AddrKind addr_kind(std::string_view t) {
  if (t.empty() || quoted(t)) return AddrKind::None;
  // a range "a-b" of addresses: judge by the first
  std::string_view first = t;
  if (t.find(':') != std::string_view::npos) {
    // a lone ':' (port separator) or a MAC-like token with one colon is no IPv6 address
    if (std::count(t.begin(), t.end(), ':') < 2) return AddrKind::None;
    auto dash = t.find('-');
    if (dash != std::string_view::npos) first = t.substr(0, dash);
    return ipv6_literal(first) ? AddrKind::V6 : AddrKind::BadV6;
  }
  auto dash = t.find('-');
  if (dash != std::string_view::npos) first = t.substr(0, dash);
  return ipv4_literal(first) ? AddrKind::V4 : AddrKind::None;
}

// Widths of the header fields nft checks numeric values against (proto.c, payload.c,
// meta.c, ct.c, socket.c, exthdr.c: each template's length in bits).
const std::map<std::string, std::uint64_t>& field_max() {
  static const std::map<std::string, std::uint64_t> m = {
      {"ip hdrlength", 15},  {"ip version", 15},         {"ip dscp", 63},           {"ip ecn", 3},
      {"ip ttl", 255},       {"ip length", 65535},       {"ip id", 65535},          {"ip6 dscp", 63},
      {"ip6 ecn", 3},        {"ip6 flowlabel", 1048575}, {"ip6 hoplimit", 255},     {"ip6 version", 15},
      {"ip6 length", 65535}, {"vlan id", 4095},          {"vlan dei", 1},           {"vlan cfi", 1},
      {"vlan pcp", 7},       {"ct zone", 65535},         {"socket transparent", 1}, {"socket wildcard", 1},
      {"meta day", 6},       {"srh last-entry", 255},    {"srh flags", 255},        {"srh tag", 65535},
      {"tcp sport", 65535},  {"tcp dport", 65535},       {"udp sport", 65535},      {"udp dport", 65535},
      {"th sport", 65535},   {"th dport", 65535},        {"icmp type", 255},        {"icmp code", 255},
      {"icmpv6 type", 255},  {"icmpv6 code", 255},       {"tcp window", 65535},     {"tcp urgptr", 65535},
  };
  return m;
}

class Validator {
 public:
  Validator(const std::vector<RuleToken>& t, const RuleContext& c) : t_(t), c_(c) {
    if (c.family == "ip") net_ = "ip";
    if (c.family == "ip6") net_ = "ip6";
  }

  std::optional<RuleProblem> run() {
    while (i_ < t_.size() && !problem_) statement();
    return problem_;
  }

 private:
  const std::vector<RuleToken>& t_;
  const RuleContext& c_;
  std::size_t i_ = 0;
  std::optional<RuleProblem> problem_;
  bool terminal_ = false;
  std::string net_;              // network protocol the rule restricts to: ip, ip6, arp, vlan, ...
  std::set<std::string> l4_;     // transport protocols of the last equality match on them
  bool l4_seen_ = false;         // a transport protocol match (or header) came before
  bool udp_dport_seen_ = false;  // `udp dport N`: the outer header of vxlan/geneve
  std::string ether_type_;       // value of `ether type X`
  std::string last_op_;
  int icmp_type_ = -1;  // the value of an earlier `icmp type` equality, -1 when none          // the relational
                        // operator of the last relation read

  std::string_view at(std::size_t k) const { return k < t_.size() ? std::string_view(t_[k].text) : ""; }
  std::string_view cur() const { return at(i_); }
  std::string_view next(std::size_t n = 1) const { return at(i_ + n); }

  void fail(std::size_t token, std::string message) {
    if (!problem_) problem_ = RuleProblem{std::min(token, t_.empty() ? 0 : t_.size() - 1), std::move(message)};
  }
  void syntax(std::size_t token) {
    std::string_view w = at(token);
    fail(token, w.empty() ? "syntax error, unexpected end of rule"
                          : fmt::format("syntax error, unexpected {}",
                                        is_word(w) ? std::string(w) : "'" + std::string(w) + "'"));
  }

  // Skips a braced group starting at i_ ('{'), leaving i_ after its '}'.
  void skip_braces() {
    int depth = 0;
    do {
      if (cur() == "{") ++depth;
      if (cur() == "}") --depth;
      ++i_;
    } while (i_ < t_.size() && depth > 0);
  }

  static bool statement_word(std::string_view w) {
    static const Words words = {"counter",  "log",  "limit",  "quota",    "accept",   "drop",    "reject",
                                "jump",     "goto", "return", "continue", "queue",    "notrack", "masquerade",
                                "redirect", "snat", "dnat",   "tproxy",   "synproxy", "dup",     "fwd"};
    return words.count(w) > 0;
  }

  // ------------------------------------------------------------------ values
  // The values of a right-hand side at i_: one value, a list joined by ',' or '|', or an
  // anonymous set (its element keys). Leaves i_ after it. Records each value's token.
  std::vector<std::size_t> rhs_values() {
    std::vector<std::size_t> out;
    if (cur() == "{") {
      std::size_t open = i_;
      skip_braces();
      // element keys: tokens at depth 1 that are not after ':' (map data) up to ','
      bool data = false;
      int depth = 0;
      for (std::size_t k = open; k < i_; ++k) {
        std::string_view w = at(k);
        if (w == "{") {
          ++depth;
          continue;
        }
        if (w == "}") {
          --depth;
          continue;
        }
        if (depth != 1) continue;
        if (w == ",") {
          data = false;
          continue;
        }
        if (w == ":") {
          data = true;
          continue;
        }
        // element options (`1.2.3.4 counter packets 0 bytes 0 timeout 1h : accept`): up
        // to the element's data or the next element
        if (!data && (w == "timeout" || w == "expires" || w == "comment" || w == "counter" || w == "limit" ||
                      w == "quota" || w == "last")) {
          data = true;
          continue;
        }
        if (!data && w != "-" && w != ".") out.push_back(k);
      }
      return out;
    }
    while (i_ < t_.size()) {
      std::string_view w = cur();
      if (w == "@" || w.empty()) break;
      out.push_back(i_++);
      if (cur() == "," || cur() == "|") {
        ++i_;
        continue;
      }
      break;
    }
    return out;
  }

  void check_range(const std::string& field, const std::vector<std::size_t>& values) {
    auto it = field_max().find(field);
    if (it == field_max().end()) return;
    for (std::size_t k : values) {
      std::string_view w = at(k);
      std::string_view parts[2] = {w, {}};
      auto dash = w.find('-');
      if (dash != std::string_view::npos && dash > 0) {
        parts[0] = w.substr(0, dash);
        parts[1] = w.substr(dash + 1);
      }
      for (auto p : parts) {
        auto n = number(p);
        if (n && *n > it->second) {
          if (field == "ip protocol") return fail(k, "Protocol out of range");
          return fail(k, fmt::format("Value {} exceeds valid range 0-{}", *n, it->second));
        }
      }
    }
  }

  void check_symbols(const std::vector<std::size_t>& values, const Words& known, const char* what,
                     bool numbers_ok = true) {
    for (std::size_t k : values) {
      std::string_view w = at(k);
      if (w.empty() || w[0] == '$' || w[0] == '@') continue;
      if (number(w)) {
        if (numbers_ok) continue;
      } else if (!is_word(w) || known.count(w)) {
        continue;
      }
      return fail(k, fmt::format("Could not parse {}", what));
    }
  }

  void check_family_of_addresses(const std::string& family, const std::vector<std::size_t>& values) {
    for (std::size_t k : values) {
      AddrKind a = addr_kind(at(k));
      if ((family == "ip" && (a == AddrKind::V6 || a == AddrKind::BadV6)) || (family == "ip6" && a == AddrKind::V4))
        return fail(k, "Could not resolve hostname: Address family for hostname not supported");
      if (family == "ip6" && a == AddrKind::BadV6) return fail(k, fmt::format("Could not resolve hostname: {}", at(k)));
    }
  }

  // --------------------------------------------------------------- statements
  void statement() {
    std::string_view w = cur();
    if (terminal_ && statement_word(w)) return fail(i_, "Statement after terminal statement has no effect");
    if (w == "{") return skip_braces();
    if (w == "accept" || w == "drop" || w == "return") {
      terminal_ = true;
      ++i_;
      return;
    }
    if (w == "jump" || w == "goto") {
      terminal_ = true;
      ++i_;
      if (cur() == "{") return skip_braces();
      ++i_;
      return;
    }
    if (w == "reject") return reject();
    if (w == "masquerade" || w == "redirect" || w == "snat" || w == "dnat") return nat();
    if (w == "tproxy") return tproxy();
    if (w == "queue") return queue();
    if (w == "log") return log();
    if (w == "limit") return limit();
    if (w == "ct") return ct();
    if (w == "meta") return meta(true);
    if (w == "iifname" || w == "oifname" || w == "iif" || w == "oif" || w == "mark" || w == "skuid" || w == "skgid" ||
        w == "pkttype") {
      return meta(false);
    }
    if (w == "tcp" && next() == "option") return tcp_option(false);
    if (w == "reset" && next() == "tcp" && next(2) == "option") {
      ++i_;
      return tcp_option(true);
    }
    if (w == "fib") return fib();
    if (w == "osf") return osf();
    if (w == "ipsec") return ipsec();
    if (w == "rt") return rt();
    if (w == "last") return last();
    if (w == "vxlan" || w == "geneve" || w == "gre" || w == "gretap") return tunnel();
    if (w == "@th" || w == "@nh" || w == "@ll" || w == "@ih") return raw_payload();
    if (w == "socket" || w == "srh") return generic_selector(2);
    // other header expressions: NAME FIELD [op] value, values not checked
    static const Words others = {"ah", "esp", "comp", "hbh", "frag", "dst", "mh", "igmp", "exthdr"};
    if (others.count(w) && next() != "set") return generic_selector(2);
    if (w == "ip" || w == "ip6" || w == "tcp" || w == "udp" || w == "udplite" || w == "sctp" || w == "dccp" ||
        w == "th" || w == "vlan" || w == "ether" || w == "icmp" || w == "icmpv6" || w == "arp") {
      return payload();
    }
    ++i_;
  }

  // A selector of `words` tokens ("socket transparent"), then `set V` or a relation.
  void generic_selector(std::size_t words) {
    std::string field;
    for (std::size_t k = 0; k < words; ++k) field += (k ? " " : "") + std::string(next(k));
    i_ += words;
    relation(field);
  }

  // After a selector: [binop operand] [relop] rhs, or `set` value.
  std::vector<std::size_t> relation(const std::string& field) {
    std::size_t selector_end = i_;
    if (cur() == "set") {
      ++i_;
      if (cur() == "{") {
        syntax(i_);
        return {};
      }
      if (cur() == "ct") {
        ct();
        return {};
      }
      // `ip dscp set ip dscp & 0x4f`: the operand of the expression must fit the field
      if (cur() == "ip" || cur() == "ip6" || cur() == "tcp" || cur() == "udp") {
        i_ += 2;
        if (cur() == "&" || cur() == "|" || cur() == "^") {
          ++i_;
          check_range(field, {i_});
          ++i_;
        }
        return {};
      }
      auto values = rhs_values();
      check_range(field, values);
      return values;
    }
    bool binop = false;
    while (cur() == "&" || cur() == "|" || cur() == "^" || cur() == "<<" || cur() == ">>") {
      binop = true;
      ++i_;
      if (cur() == "(") {
        while (i_ < t_.size() && cur() != ")") ++i_;
        ++i_;
      } else {
        check_range(field, {i_});
        ++i_;
      }
    }
    std::string op;
    last_op_.clear();
    static const Words ops = {"==", "!=", "<", ">", "<=", ">=", "!", "eq", "ne", "lt", "gt", "le", "ge"};
    if (ops.count(cur())) {
      op = std::string(cur());
      last_op_ = op;
      if (op == "!" && binop) {
        fail(0, "cannot combine negation with binary expression");
        return {};
      }
      ++i_;
    }
    (void)selector_end;
    if (cur() == "vmap" || cur() == "map") {
      ++i_;
      std::size_t open = i_;
      auto keys = cur() == "{" ? rhs_values() : std::vector<std::size_t>{};
      std::size_t end = i_;
      i_ = open;
      vmap_intervals();
      i_ = std::max(i_, end);
      return keys;
    }
    if (i_ >= t_.size()) return {};
    if (cur() == ".") {  // a concatenation (`ip saddr . tcp dport { ... }`): not checked
      skip_concatenation();
      return {};
    }
    auto values = rhs_values();
    check_range(field, values);
    return values;
  }

  // The rest of a concatenation of selectors and its right side (a set, a map, a value).
  void skip_concatenation() {
    while (i_ < t_.size()) {
      std::string_view w = cur();
      if (w == "{") {
        skip_braces();
        return;
      }
      if (w == "vmap" || w == "map") {
        ++i_;
        if (cur() == "{") skip_braces();
        return;
      }
      if (!w.empty() && w[0] == '@' && w.size() > 1 && next() != ",") {
        ++i_;
        return;
      }
      if (statement_word(w) || w == "comment") return;
      ++i_;
    }
  }

  // `ip saddr vmap { a-b : accept, c-d : drop }`: intervals of one map must not overlap.
  void vmap_intervals() {
    if (cur() != "{") {
      ++i_;
      return;
    }
    std::size_t open = i_;
    skip_braces();
    struct Iv {
      std::uint32_t lo, hi;
      std::size_t token;
    };
    std::vector<Iv> ivs;
    for (std::size_t k = open + 1; k + 1 < i_; ++k) {
      std::string_view w = at(k);
      if (at(k + 1) != ":") continue;
      auto dash = w.find('-');
      if (dash == std::string_view::npos) continue;
      std::string a(w.substr(0, dash)), b(w.substr(dash + 1));
      in_addr x{}, y{};
      if (inet_pton(AF_INET, a.c_str(), &x) != 1 || inet_pton(AF_INET, b.c_str(), &y) != 1) continue;
      ivs.push_back({ntohl(x.s_addr), ntohl(y.s_addr), k});
    }
    for (std::size_t a = 0; a < ivs.size(); ++a)
      for (std::size_t b = 0; b < a; ++b)
        if (ivs[a].lo <= ivs[b].hi && ivs[b].lo <= ivs[a].hi)
          return fail(ivs[a].token, "conflicting intervals specified");
  }

  void set_net(const std::string& proto, std::size_t token) {
    if (proto.empty()) return;
    if (!net_.empty() && net_ != proto && (net_ == "ip" || net_ == "ip6") && (proto == "ip" || proto == "ip6"))
      return fail(token, fmt::format("conflicting protocols specified: {} vs. {}", net_, proto));
    net_ = proto;
  }

  void payload() {
    std::size_t start = i_;
    std::string proto(cur());
    std::string field(next());
    if (proto == "ip" || proto == "ip6") set_net(proto, start);
    if (problem_) return;
    if (proto == "vlan" && !ether_type_.empty() && ether_type_ != "vlan" && ether_type_ != "8021q" &&
        ether_type_ != "8021ad")
      return fail(start, "conflicting protocols specified: ether vs. vlan");
    static const Words l4 = {"tcp", "udp", "udplite", "sctp", "dccp"};
    if (l4.count(proto)) {
      if (!l4_.empty() && (l4_.size() > 1 || !l4_.count(proto))) {
        std::string other;
        for (const auto& p : l4_)
          if (p != proto) other = p;
        return fail(start, fmt::format("conflicting protocols specified: {} vs. {}", other, proto));
      }
      l4_seen_ = true;
    }
    if (proto == "th") l4_seen_ = true;
    i_ += 2;
    std::string key = proto + " " + field;
    auto values = relation(key);
    if (problem_) return;
    if ((field == "saddr" || field == "daddr") && (proto == "ip" || proto == "ip6")) {
      check_family_of_addresses(proto, values);
      // a named set of the other family: nft's datatype check
      for (std::size_t k : values) {
        std::string_view w = at(k);
        if (w.size() < 2 || w[0] != '@' || !c_.set_type) continue;
        auto type = c_.set_type(std::string(w.substr(1)));
        if (!type) continue;
        bool v4 = *type == "ipv4_addr", v6 = *type == "ipv6_addr";
        if ((proto == "ip" && v6) || (proto == "ip6" && v4))
          return fail(k, fmt::format("datatype mismatch, expected {} address, expression has type {} address",
                                     proto == "ip" ? "IPv4" : "IPv6", proto == "ip" ? "IPv6" : "IPv4"));
      }
    }
    if (key == "ip protocol" || key == "ip6 nexthdr") {
      for (std::size_t k : values)
        if (auto n = number(at(k)); n && *n > 255) return fail(k, "Protocol out of range");
      note_l4(values);
    }
    if (key == "ether type") {
      static const Words types = {"ip", "ip6", "arp", "vlan", "8021q", "8021ad"};
      for (std::size_t k : values) {
        if (is_word(at(k)) && !types.count(at(k))) return fail(k, "Could not parse Ethernet protocol");
      }
      if (values.size() == 1 && (last_op_.empty() || last_op_ == "==")) {
        ether_type_ = std::string(at(values[0]));
        if (ether_type_ == "ip" || ether_type_ == "ip6" || ether_type_ == "arp") net_ = ether_type_;
      }
    }
    if (key == "udp dport") udp_dport_seen_ = true;
    // proto.c: icmp mtu is a field of destination-unreachable (type 3) messages only
    if (key == "icmp type" && values.size() == 1 && (last_op_.empty() || last_op_ == "==")) {
      static const std::map<std::string_view, int> types = {
          {"echo-reply", 0},         {"destination-unreachable", 3}, {"source-quench", 4},        {"redirect", 5},
          {"echo-request", 8},       {"router-advertisement", 9},    {"router-solicitation", 10}, {"time-exceeded", 11},
          {"parameter-problem", 12}, {"timestamp-request", 13},      {"timestamp-reply", 14}};
      std::string_view v = at(values[0]);
      if (auto n = number(v); n && *n < 256) icmp_type_ = static_cast<int>(*n);
      if (auto it = types.find(v); it != types.end()) icmp_type_ = it->second;
    }
    if (key == "icmp mtu" && icmp_type_ >= 0 && icmp_type_ != 3)
      return fail(start, fmt::format("incompatible icmp match: rule has {}, need 3", icmp_type_));
  }

  void note_l4(const std::vector<std::size_t>& values) {
    l4_seen_ = true;
    l4_.clear();
    if (!last_op_.empty() && last_op_ != "==" && last_op_ != "eq") return;
    for (std::size_t k : values) {
      std::string_view w = at(k);
      if (w.empty() || w[0] == '$' || w[0] == '@') {
        l4_.clear();
        return;
      }
      if (w == "6") w = "tcp";
      if (w == "17") w = "udp";
      l4_.insert(std::string(w));
    }
  }

  void meta(bool keyword) {
    std::size_t start = i_;
    if (keyword) ++i_;
    std::string key(cur());
    static const Words keys = {"length",    "protocol", "priority", "mark",    "iif",      "oif",     "iifname",
                               "oifname",   "iiftype",  "oiftype",  "skuid",   "skgid",    "nftrace", "rtclassid",
                               "ibriport",  "obriport", "ibrname",  "obrname", "pkttype",  "cpu",     "iifgroup",
                               "oifgroup",  "cgroup",   "random",   "ipsec",   "secpath",  "nfproto", "l4proto",
                               "secmark",   "time",     "day",      "hour",    "iifkind",  "oifkind", "ibrpvid",
                               "ibrvproto", "sdif",     "sdifname", "broute",  "ibrhwaddr"};
    if (keyword && !keys.count(key) && is_word(key))
      return fail(start, fmt::format("syntax error, unexpected {}, known keys are length, protocol, priority, mark, "
                                     "iif, oif, iifname, oifname, iiftype, oiftype, ...",
                                     key));
    ++i_;
    if (key == "ibrhwaddr" && (cur() == "set" || i_ >= t_.size() || statement_word(cur())))
      return fail(start, cur() == "set" ? "meta ibrhwaddr cannot be set" : "syntax error, unexpected end of rule");
    if (key == "broute" && cur() == "set" && !(c_.family == "bridge" && c_.hook == "prerouting"))
      return fail(start, "meta broute is only valid in the bridge prerouting hook (nft: Operation not supported)");
    if ((key == "ibrname" || key == "obrname") && c_.family != "bridge" && c_.family != "")
      return fail(start, fmt::format("meta {} is only valid in the bridge family (nft: Could not process rule: "
                                     "Operation not supported)",
                                     key));
    if (key == "nfproto" && c_.family != "inet" && cur() != "set")
      return fail(start, "meta nfproto is only useful in the inet family");
    std::string field = "meta " + key;
    auto values = relation(field);
    if (problem_) return;
    if (key == "iifname" || key == "oifname") {
      for (std::size_t k : values)
        if (at(k) == "\"\"") return fail(k, "Empty string is not allowed");
    }
    if (key == "pkttype") check_symbols(values, {"host", "unicast", "broadcast", "multicast", "other"}, "packet type");
    if (key == "l4proto") note_l4(values);
    const bool equal = last_op_.empty() || last_op_ == "==";
    if (key == "nfproto" && values.size() == 1 && equal) {
      if (at(values[0]) == "ipv4") set_net("ip", start);
      if (at(values[0]) == "ipv6") set_net("ip6", start);
    }
    if (key == "protocol" && values.size() == 1 && equal && c_.family != "ip" && c_.family != "ip6" &&
        (at(values[0]) == "ip" || at(values[0]) == "ip6"))
      set_net(std::string(at(values[0])), start);
    if (key == "day") {
      for (std::size_t k : values) {
        std::string_view w = unquoted(at(k));
        if (number(w)) continue;
        // meta.c day_type_parse (nftables 1.0.6): the English names, exactly
        static const Words days = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
        bool ok = days.count(w) > 0;
        if (!ok) return fail(k, "Could not parse Day of week of packet reception");
      }
    }
    if (key == "hour") {
      for (std::size_t k : values) {
        std::string_view w = unquoted(at(k));
        auto dash = w.find('-');
        for (std::string_view p :
             {w.substr(0, dash), dash == std::string_view::npos ? std::string_view() : w.substr(dash + 1)}) {
          if (p.empty()) continue;
          unsigned h = 0, m = 0, s = 0;
          std::string ps(p);
          int got = std::sscanf(ps.c_str(), "%u:%u:%u", &h, &m, &s);
          if (got < 2 || h > 23 || m > 59 || s > 60) return fail(k, "wrong time format");
        }
      }
    }
    if (key == "time") {
      for (std::size_t k : values) {
        std::string_view w = unquoted(at(k));
        if (number(w)) continue;
        unsigned y = 0, mo = 0, d = 0;
        std::string ws(w);
        if (std::sscanf(ws.c_str(), "%u-%u-%u", &y, &mo, &d) != 3) return fail(k, "Cannot parse date");
      }
    }
  }

  void ct() {
    std::size_t start = i_;
    ++i_;
    static const Words keys = {"state",    "direction", "status", "mark",    "expiration", "helper", "l3proto",
                               "protocol", "label",     "bytes",  "packets", "avgpkt",     "zone",   "event",
                               "secmark",  "id",        "count",  "timeout", "expectation"};
    static const Words dir_keys = {"saddr", "daddr",   "l3proto", "protocol", "proto-src", "proto-dst",
                                   "bytes", "packets", "avgpkt",  "zone",     "ip",        "ip6"};
    std::string dir;
    if (cur() == "original" || cur() == "reply") {
      dir = std::string(cur());
      ++i_;
      if (!dir_keys.count(cur())) return syntax(i_);
    } else if (!keys.count(cur())) {
      return syntax(i_);
    }
    std::string key(cur());
    ++i_;
    if (key == "ip" || key == "ip6") {
      std::string family = key;
      key = std::string(cur());
      ++i_;
      auto values = relation("ct " + key);
      if (!problem_) check_family_of_addresses(family, values);
      return;
    }
    if ((key == "saddr" || key == "daddr") && !dir.empty()) {
      if (cur() == "." || cur() == "map") return fail(start, "specify either ip or ip6 for address matching");
      if (c_.family == "inet" && net_.empty())
        return fail(start,
                    fmt::format("cannot determine ip protocol version, use \"ip {}\" or \"ip6 {}\" instead", key, key));
    }
    if (key == "event" && cur() != "set") return syntax(i_);
    if (key == "count") {  // ct count [over] N
      return;
    }
    if (cur() == "set") {
      if (key == "event") {
        ++i_;
        if (cur() == "{") return syntax(i_);
        static const Words events = {"new",    "related", "destroy",   "reply",   "assured", "protoinfo",
                                     "helper", "mark",    "seqadjust", "secmark", "label"};
        while (i_ < t_.size()) {
          if (cur() == "," || cur() == "|" || cur() == "or") {
            ++i_;
            continue;
          }
          if (!is_word(cur()) || statement_word(cur())) break;
          if (!events.count(cur())) return fail(i_, "Could not parse conntrack event bits");
          ++i_;
        }
        return;
      }
    }
    auto values = relation("ct " + key);
    if (problem_) return;
    for (std::size_t k : values) {
      std::string_view w = at(k);
      static const Words numeric = {"mark", "bytes", "packets", "avgpkt", "zone", "id", "expiration", "label"};
      if (numeric.count(key) && (w == "original" || w == "reply")) {
        if (key == "mark") return fail(k, "Could not parse packet mark");
        return syntax(k + 1 < t_.size() ? k + 1 : k);
      }
    }
    if (key == "state")
      check_symbols(values, {"invalid", "established", "related", "new", "untracked"}, "conntrack state");
    if (key == "direction") check_symbols(values, {"original", "reply"}, "conntrack direction");
    if (key == "status")
      check_symbols(
          values, {"expected", "seen-reply", "assured", "confirmed", "snat", "dnat", "dying", "offload", "hw-offload"},
          "conntrack status");
    if (key == "l3proto")
      check_symbols(values, {"ipv4", "ipv6", "inet", "arp", "bridge", "netdev"}, "netfilter protocol");
    if (key == "helper") {
      for (std::size_t k : values) {
        std::string_view s = unquoted(at(k));
        if (quoted(at(k)) && s.empty()) return fail(k, "Empty string is not allowed");
        if (s.size() > 16) return fail(k, "String exceeds maximum length of 16");
      }
    }
    if (key == "label") {
      for (std::size_t k : values)
        if (auto n = number(at(k)); n && *n > 127)
          return fail(k, fmt::format("{}: bit {} out of range (128 max)", *n, *n));
    }
    if (key == "expiration") {
      for (std::size_t k : values) {
        std::string_view w = at(k);
        auto dash = w.find('-');
        if (dash == std::string_view::npos) continue;
        auto a = time_ms(w.substr(0, dash)), b = time_ms(w.substr(dash + 1));
        if (a && b && *a >= *b) return fail(k, "Range has zero or negative size");
      }
    }
  }

  void reject() {
    std::size_t start = i_;
    ++i_;
    terminal_ = true;
    if (c_.family == "arp" || net_ == "arp") return fail(start, "cannot reject this network family");
    if (cur() != "with") return;
    ++i_;
    std::string kind(cur());
    ++i_;
    if (kind == "tcp") {
      if (cur() == "reset") ++i_;
      if (!l4_.empty() && !l4_.count("tcp")) return fail(start, "you cannot use tcp reset with this protocol");
      return;
    }
    if (cur() == "type") ++i_;
    std::size_t code = i_;
    ++i_;
    static const Words icmp = {"net-unreachable", "host-unreachable", "prot-unreachable", "port-unreachable",
                               "net-prohibited",  "host-prohibited",  "admin-prohibited", "frag-needed"};
    static const Words icmpv6 = {"no-route",         "admin-prohibited", "addr-unreachable",
                                 "port-unreachable", "policy-fail",      "reject-route"};
    static const Words icmpx = {"port-unreachable", "admin-prohibited", "no-route", "host-unreachable"};
    if (kind == "icmp") {
      if (is_word(at(code)) && !icmp.count(at(code))) return fail(code, "Could not parse icmp code");
      if (net_ == "ip6") return fail(code, "conflicting protocols specified: ip vs ip6");
    } else if (kind == "icmpv6") {
      if (is_word(at(code)) && !icmpv6.count(at(code))) return fail(code, "Could not parse icmpv6 code");
      if (net_ == "ip") return fail(code, "conflicting protocols specified: ip vs ip6");
    } else if (kind == "icmpx") {
      if (is_word(at(code)) && !icmpx.count(at(code))) return fail(code, "Could not parse icmpx code");
    }
  }

  // The nat family: `snat ip to`, else the table's, else what the rule matched before.
  std::string nat_family() const {
    if (c_.family == "ip" || c_.family == "ip6") return c_.family;
    return net_;
  }

  void nat() {
    std::size_t start = i_;
    std::string kind(cur());
    ++i_;
    terminal_ = true;
    static const Words flags = {"random", "persistent", "fully-random", "netmap"};
    std::string family;
    if (cur() == "ip" || cur() == "ip6") {
      family = std::string(cur());
      ++i_;
      if (cur() != "to" && cur() != "addr" && cur() != "prefix") return syntax(i_ < t_.size() ? i_ + 1 : i_);
      if (!net_.empty() && net_ != family && c_.family == "inet")
        return fail(start, fmt::format("conflicting protocols specified: {} vs. {}", net_, family));
    }
    if (kind == "masquerade" || kind == "redirect") {
      bool flags_seen = false;
      while (flags.count(cur()) || cur() == ",") {
        flags_seen = true;
        ++i_;
      }
      if (cur() == "to" && flags_seen) return syntax(i_);
    }
    while (cur() == "addr" || cur() == "prefix" || cur() == ".") ++i_;
    if (cur() != "to") {
      if ((kind == "snat" || kind == "dnat") && !statement_word(cur()) && i_ < t_.size() && is_word(cur()) &&
          cur() != "ip" && cur() != "ip6")
        return;
      return;
    }
    ++i_;
    if (family.empty()) family = nat_family();
    // the target: address[:port], [v6]:port, :port, or an expression with map
    bool port = false, address = false, map = false, data_concat = false;
    std::vector<std::size_t> addresses;
    int depth = 0;
    bool in_data = false;
    while (i_ < t_.size()) {
      std::string_view w = cur();
      if (depth == 0 && (statement_word(w) || flags.count(w) || w == "comment")) break;
      if (w == "{") ++depth;
      if (w == "}") --depth;
      if (w == "map") map = true;
      if (depth > 0 && w == ":") in_data = true;
      if (depth > 0 && w == ",") in_data = false;
      if (depth > 0 && in_data && w == ".") data_concat = true;
      if (depth == 0 && w == ":") port = true;
      // a map keyed by a transport header (`tcp dport map { ... }`) brings its own dependency
      if (depth == 0 && (w == "tcp" || w == "udp" || w == "sctp" || w == "dccp" || w == "udplite")) l4_seen_ = true;
      if (depth == 0 && w != ":" && w != "[" && w != "]" && w != "-" && !(port && number(w))) {
        AddrKind a = addr_kind(w);
        if (a != AddrKind::None) {
          address = true;
          addresses.push_back(i_);
        }
      }
      if (in_data && depth > 0) {
        AddrKind a = addr_kind(w);
        if (a != AddrKind::None) addresses.push_back(i_);
      }
      ++i_;
    }
    if (kind == "dnat" || kind == "snat") {
      if ((address || map) && family.empty() && c_.family == "inet")
        return fail(start, "ip or ip6 must be specified with address for inet tables.");
    }
    if (family == "ip" || family == "ip6") check_family_of_addresses(family, addresses);
    if (problem_) return;
    if ((port || data_concat) && !l4_seen_)
      return fail(start, "transport protocol mapping is only valid after transport protocol match");
  }

  void tproxy() {
    std::size_t start = i_;
    ++i_;
    std::string family;
    if (cur() == "ip" || cur() == "ip6") {
      family = std::string(cur());
      ++i_;
    }
    if (cur() != "to") return syntax(i_);
    ++i_;
    if (!l4_seen_) return fail(start, "Transparent proxy support requires transport protocol match");
    bool address = false;
    std::vector<std::size_t> addresses;
    while (i_ < t_.size() && !statement_word(cur())) {
      if (addr_kind(cur()) != AddrKind::None) {
        address = true;
        addresses.push_back(i_);
      }
      ++i_;
    }
    if (!family.empty() && !net_.empty() && net_ != family)
      return fail(start, fmt::format("conflicting protocols specified: {} vs. {}. You must specify ip or ip6 family "
                                     "in tproxy statement",
                                     net_, family));
    if (family.empty()) family = nat_family();
    if (address && family.empty()) return fail(start, "ip or ip6 must be specified with address for inet tables.");
    check_family_of_addresses(family, addresses);
  }

  void queue() {
    std::size_t start = i_;
    ++i_;
    terminal_ = true;
    bool fanout = false;
    while (i_ < t_.size()) {
      std::string_view w = cur();
      if (w == "flags") {
        ++i_;
        while (cur() == "bypass" || cur() == "fanout" || cur() == ",") {
          if (cur() == "fanout") fanout = true;
          ++i_;
        }
        continue;
      }
      if (w == "bypass" || w == "fanout") {
        if (w == "fanout") fanout = true;
        ++i_;
        continue;
      }
      if (w == "num") {
        ++i_;
        std::string_view v = cur();
        if (!number(v.substr(0, v.find('-'))) && (v.empty() || v[0] != '$'))
          return fail(i_, fmt::format("syntax error, unexpected {}, expecting number or '$'", v));
        std::vector<std::size_t> values{i_};
        ++i_;
        for (std::size_t k : values) {
          std::string_view x = at(k);
          auto dash = x.find('-');
          for (auto p : {x.substr(0, dash), dash == std::string_view::npos ? std::string_view() : x.substr(dash + 1)})
            if (auto n = number(p); n && *n > 65535)
              return fail(k, fmt::format("Value {} exceeds valid range 0-65535", *n));
        }
        continue;
      }
      if (w == "to") {
        ++i_;
        std::size_t expr = i_;
        std::string_view v = cur();
        if (number(v.substr(0, v.find('-')))) {
          ++i_;
          if (fanout && v.find('-') == std::string_view::npos)
            return fail(expr, "fanout requires a range to be specified");
          continue;
        }
        if (v == "symhash" || v == "jhash" || v == "numgen") {
          // symhash mod N [offset M]: values 0+offset .. N-1+offset
          std::uint64_t mod = 0, offset = 0;
          while (i_ < t_.size() && !statement_word(cur()) && cur() != "flags") {
            if (cur() == "mod" && number(next())) mod = *number(next());
            if (cur() == "offset" && number(next())) offset = *number(next());
            ++i_;
          }
          if (fanout) return fail(expr, "fanout requires a range to be specified");
          if (mod > 0 && mod - 1 + offset > 65535) return fail(expr, "queue expression max value exceeds 65535");
          continue;
        }
        // an expression: a selector must be followed by `map`
        ++i_;
        if (i_ >= t_.size() || (cur() != "map" && cur() != ".")) {
          if (v == "oif" || v == "iif" || v == "mark") return syntax(i_);
        }
        continue;
      }
      break;
    }
    (void)start;
  }

  void log() {
    std::size_t start = i_;
    ++i_;
    bool level = false, group = false, flags = false, audit = false, other = false;
    while (i_ < t_.size()) {
      std::string_view w = cur();
      if (w == "level") {
        level = true;
        audit = next() == "audit";
        i_ += 2;
      } else if (w == "group" || w == "snaplen" || w == "queue-threshold") {
        group = true;
        other = true;
        i_ += 2;
      } else if (w == "prefix") {
        other = true;
        i_ += 2;
      } else if (w == "flags") {
        flags = true;
        other = true;
        ++i_;
        while (i_ < t_.size() && !statement_word(cur()) && cur() != "level" && cur() != "group" && cur() != "prefix" &&
               cur() != "snaplen" && cur() != "queue-threshold")
          ++i_;
      } else {
        break;
      }
    }
    if (level && group) return fail(start, "level and group are mutually exclusive");
    if (flags && group) return fail(start, "flags and group are mutually exclusive");
    if (audit && other) return fail(start, "log level audit doesn't support any further options");
  }

  // limit rate [over|until] N[/unit] or N bytes-unit/unit, with blanks anywhere around the
  // '/' (nft's rate_parse; byte units bytes, kbytes, mbytes); burst N packets | N bytes-unit.
  void limit() {
    ++i_;
    if (cur() != "rate") return;
    ++i_;
    if (cur() == "over" || cur() == "until") ++i_;
    std::size_t first = i_;
    std::string rate;
    while (i_ < t_.size() && cur() != "burst" && !statement_word(cur()) && cur() != "comment") {
      rate += std::string(cur());
      ++i_;
      if (rate.find('/') != std::string::npos && rate.back() != '/') break;
    }
    std::size_t digits = 0;
    while (digits < rate.size() && std::isdigit(static_cast<unsigned char>(rate[digits]))) ++digits;
    std::string_view rest = std::string_view(rate).substr(digits);
    std::string_view unit = rest.substr(0, rest.find('/'));
    static const Words byte_units = {"bytes", "kbytes", "mbytes"};
    static const Words times = {"second", "minute", "hour", "day", "week"};
    bool bytes = !unit.empty();
    if (digits == 0 || rest.find('/') == std::string_view::npos || (bytes && !byte_units.count(unit)) ||
        !times.count(rest.substr(rest.find('/') + 1)))
      return fail(first, "Wrong rate format");
    if (cur() == "burst") {
      ++i_;
      std::string_view n = cur();
      ++i_;
      std::string_view burst_unit = n.substr(std::min(n.size(), n.find_first_not_of("0123456789")));
      if (burst_unit.empty()) {
        burst_unit = cur();
        if (burst_unit == "packets" || burst_unit.find("bytes") != std::string_view::npos)
          ++i_;
        else
          burst_unit = "";
      }
      if (!bytes && burst_unit.find("bytes") != std::string_view::npos)
        return fail(i_ - 1, fmt::format("syntax error, unexpected {}, expecting packets", burst_unit));
      if (bytes && burst_unit == "packets")
        return fail(i_ - 1, "syntax error, unexpected packets, expecting string or bytes");
    }
  }

  void tcp_option(bool reset) {
    std::size_t start = i_;
    i_ += 2;  // tcp option
    std::string_view name = cur();
    static const std::map<std::string_view, Words> options = {
        {"eol", {"kind"}},
        {"nop", {"kind"}},
        {"maxseg", {"kind", "length", "size"}},
        {"window", {"kind", "length", "count"}},
        {"sack-perm", {"kind", "length"}},
        {"sack-permitted", {"kind", "length"}},
        {"sack", {"kind", "length", "left", "right"}},
        {"sack0", {"kind", "length", "left", "right"}},
        {"sack1", {"kind", "length", "left", "right"}},
        {"sack2", {"kind", "length", "left", "right"}},
        {"sack3", {"kind", "length", "left", "right"}},
        {"timestamp", {"kind", "length", "tsval", "tsecr"}},
        {"fastopen", {"kind", "length"}},
        {"md5sig", {"kind", "length"}},
        {"mptcp", {"kind", "length", "subtype"}},
    };
    (void)start;
    if (name == "@" || (!name.empty() && name[0] == '@')) {
      // tcp option @kind,offset,length value
      i_ += name == "@" ? 2 : 1;
      std::uint64_t len = 0;
      if (cur() == ",") {
        i_ += 2;
        if (cur() == ",") {
          ++i_;
          if (auto n = number(cur())) len = *n;
          ++i_;
        }
      }
      if (len > 0 && len < 64) {
        auto values = relation("");
        std::uint64_t max = (std::uint64_t(1) << len) - 1;
        for (std::size_t k : values)
          if (auto n = number(at(k)); n && *n > max)
            return fail(k, fmt::format("Value {} exceeds valid range 0-{}", *n, max));
      }
      return;
    }
    if (auto n = number(name)) {
      if (*n > 255) return fail(i_, "value too large");
      ++i_;
      return;
    }
    auto it = options.find(name);
    if (it == options.end()) return syntax(i_);
    ++i_;
    if (reset) return;
    std::string_view field = cur();
    if (field == "exists" || field == "missing" || i_ >= t_.size() || statement_word(field)) return;
    if (is_word(field) && !it->second.count(field) && field != "set") return syntax(i_);
    ++i_;
    relation("");
  }

  void fib() {
    std::size_t start = i_;
    ++i_;
    std::set<std::string> flags;
    while (i_ < t_.size()) {
      std::string_view w = cur();
      if (w == "saddr" || w == "daddr" || w == "mark" || w == "iif" || w == "oif") {
        flags.insert(std::string(w));
        ++i_;
        if (cur() == ".") {
          ++i_;
          continue;
        }
      }
      break;
    }
    if (flags.count("saddr") && flags.count("daddr"))
      return fail(start + 1, "fib: saddr and daddr are mutually exclusive");
    if (flags.count("iif") && flags.count("oif")) return fail(start + 1, "fib: iif and oif are mutually exclusive");
    if (!flags.count("saddr") && !flags.count("daddr")) return fail(start + 1, "fib: need either saddr or daddr");
    ++i_;  // result: oif, oifname, type, check
    relation("");
  }

  void osf() {
    ++i_;
    if (cur() == "ttl") {
      ++i_;
      if (cur() != "loose" && cur() != "skip" && cur() != "global") return fail(i_, "invalid ttl option");
      ++i_;
    }
    if (cur() != "name" && cur() != "version") return syntax(i_);
    ++i_;
    if (i_ >= t_.size()) return syntax(i_);
    auto values = relation("");
    for (std::size_t k : values)
      if (unquoted(at(k)).size() > 16) return fail(k, "String exceeds maximum length of 16");
  }

  void ipsec() {
    ++i_;
    if (cur() != "in" && cur() != "out") return fail(i_, "Could not parse boolean type");
    ++i_;
    if (cur() == "spnum") {
      ++i_;
      if (auto n = number(cur()); n && *n > 255) return fail(i_, "value too large");
      ++i_;
    }
    if (cur() != "ip" && cur() != "ip6" && cur() != "spi" && cur() != "reqid")
      return fail(i_, "syntax error, unexpected end of rule, expecting ip or ip6 or spi or reqid");
    ++i_;
    relation("");
  }

  void rt() {
    std::size_t start = i_;
    ++i_;
    std::string family;
    if (cur() == "ip" || cur() == "ip6") {
      family = std::string(cur());
      ++i_;
    }
    std::string key(cur());
    ++i_;
    if (key != "nexthop") {
      relation("");
      return;
    }
    if (family.empty()) {
      if (c_.family == "inet" || c_.family == "bridge" || c_.family == "netdev") {
        if (net_.empty())
          return fail(start, "cannot determine ip protocol version, use \"ip nexthop\" or \"ip6 nexthop\" instead");
        family = net_;
      } else {
        family = c_.family;
      }
    } else if ((c_.family == "ip" || c_.family == "ip6") && family != c_.family) {
      return fail(start, fmt::format("{} nexthop will not match", family));
    }
    auto values = relation("");
    if (!problem_) check_family_of_addresses(family, values);
  }

  void last() {
    ++i_;
    if (cur() == "used") {
      ++i_;
      if (cur() == "never") {
        ++i_;
        return;
      }
      if (!time_ms(cur())) return syntax(i_ + 1 < t_.size() ? i_ + 1 : i_);
      ++i_;
    }
  }

  void tunnel() {
    std::size_t start = i_;
    std::string kind(cur());
    ++i_;
    if ((kind == "vxlan" || kind == "geneve") && !udp_dport_seen_) return syntax(t_.size());
    // inner headers: gre carries ip/ip6 (not ether/vlan); gretap, vxlan, geneve carry ether
    if (kind == "gre" && (cur() == "ether" || cur() == "vlan" || cur() == "arp"))
      return fail(start, "No symbol type information");
    std::string_view w = cur();
    if (w == "ip" || w == "ip6" || w == "tcp" || w == "udp" || w == "ether" || w == "vlan" || w == "icmp" ||
        w == "icmpv6" || w == "th" || w == "arp") {
      i_ += 2;
      if (cur() == "set") return syntax(i_);
      relation("");
      return;
    }
    ++i_;
    relation("");
  }

  void raw_payload() {
    // @base,offset,length value
    ++i_;
    std::uint64_t len = 0;
    bool have_len = false;
    if (cur() == ",") {
      i_ += 2;
      if (cur() == ",") {
        ++i_;
        if (auto n = number(cur())) {
          len = *n;
          have_len = true;
        }
        ++i_;
      }
    }
    if (i_ >= t_.size() || statement_word(cur())) return syntax(t_.size());
    auto values = relation("");
    if (!have_len || len >= 64) return;
    std::uint64_t max = len == 0 ? 0 : (std::uint64_t(1) << len) - 1;
    for (std::size_t k : values)
      if (auto n = number(at(k)); n && *n > max)
        return fail(k, fmt::format("Value {} exceeds valid range 0-{}", *n, max));
  }
};

}  // namespace

std::optional<RuleProblem> validate_rule(const std::vector<RuleToken>& tokens, const RuleContext& context) {
  return Validator(tokens, context).run();
}

}  // namespace fwm::nftables
