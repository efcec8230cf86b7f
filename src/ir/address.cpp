#include "ir/address.h"

#include <arpa/inet.h>

#include <cstring>
#include <fmt/format.h>

namespace fwm {

const char* family_name(Family f) { return f == Family::V4 ? "IPv4" : "IPv6"; }

bool AddrSet::is_all() const {
  return v4 == AddrIntervals(0, kMaxV4) && v6 == AddrIntervals(0, kMaxV6);
}

std::optional<ParsedAddress> parse_ip(std::string_view text) {
  std::string s(text);
  if (s.find(':') != std::string::npos) {
    in6_addr a6{};
    if (inet_pton(AF_INET6, s.c_str(), &a6) != 1) return std::nullopt;
    u128 v = 0;
    for (unsigned char byte : a6.s6_addr) v = (v << 8) | byte;
    return ParsedAddress{Family::V6, v};
  }
  // inet_pton rejects shorthand like "10/8" bases; accept only dotted quads.
  in_addr a4{};
  if (inet_pton(AF_INET, s.c_str(), &a4) != 1) return std::nullopt;
  return ParsedAddress{Family::V4, ntohl(a4.s_addr)};
}

namespace {

u128 prefix_mask(Family f, unsigned len) {
  unsigned bits = f == Family::V4 ? 32 : 128;
  if (len == 0) return 0;
  u128 all = family_max(f);
  return (all << (bits - len)) & all;
}

// Expands addr/mask for an arbitrary (possibly non-contiguous) mask, when the result has
// at most `limit` intervals. Returns false when too large.
bool expand_mask(Family f, u128 base, u128 mask, AddrIntervals& out, std::size_t limit) {
  unsigned bits = f == Family::V4 ? 32 : 128;
  // Lowest set bit of mask; everything below it is free (one interval per combination of
  // the free bits above it).
  unsigned low_free = 0;
  while (low_free < bits && !((mask >> low_free) & 1)) ++low_free;
  std::vector<unsigned> free_bits;
  for (unsigned b = low_free; b < bits; ++b)
    if (!((mask >> b) & 1)) free_bits.push_back(b);
  if (free_bits.size() > 20 || (std::size_t(1) << free_bits.size()) > limit) return false;
  u128 fixed = base & mask;
  u128 block = low_free == 0 ? 0 : ((u128(1) << low_free) - 1);
  for (std::size_t combo = 0; combo < (std::size_t(1) << free_bits.size()); ++combo) {
    u128 v = fixed;
    for (std::size_t i = 0; i < free_bits.size(); ++i)
      if ((combo >> i) & 1) v |= u128(1) << free_bits[i];
    out.add(v, v | block);
  }
  return true;
}

}  // namespace

AddrParse parse_address_expr(std::string_view text) {
  AddrParse res;
  std::string s(text);
  if (s.empty()) {
    res.error = "empty address";
    return res;
  }
  if (auto dash = s.find('-'); dash != std::string::npos) {
    auto a = parse_ip(s.substr(0, dash));
    auto b = parse_ip(s.substr(dash + 1));
    if (!a || !b || a->family != b->family) {
      res.error = fmt::format("invalid address range '{}'", s);
      return res;
    }
    if (a->value > b->value) {
      res.error = fmt::format("address range '{}' has its start after its end", s);
      return res;
    }
    res.set.of(a->family).add(a->value, b->value);
    return res;
  }
  std::string addr = s, mask;
  if (auto slash = s.find('/'); slash != std::string::npos) {
    addr = s.substr(0, slash);
    mask = s.substr(slash + 1);
  }
  auto ip = parse_ip(addr);
  if (!ip) {
    res.error = fmt::format("invalid address '{}'", addr);
    return res;
  }
  Family f = ip->family;
  unsigned bits = f == Family::V4 ? 32 : 128;
  if (mask.empty()) {
    res.set.of(f).add(ip->value, ip->value);
    return res;
  }
  bool numeric = !mask.empty() && mask.find_first_not_of("0123456789") == std::string::npos;
  if (numeric) {
    if (mask.size() > 3 || std::stoul(mask) > bits) {
      res.error = fmt::format("invalid prefix length '/{}' for {}", mask, family_name(f));
      return res;
    }
    unsigned len = static_cast<unsigned>(std::stoul(mask));
    u128 m = prefix_mask(f, len);
    u128 lo = ip->value & m;
    u128 hi = lo | (~m & family_max(f));
    res.set.of(f).add(lo, hi);
    return res;
  }
  auto m = parse_ip(mask);
  if (!m || m->family != f) {
    res.error = fmt::format("invalid mask '{}'", mask);
    return res;
  }
  if (!expand_mask(f, ip->value, m->value, res.set.of(f), 65536)) {
    res.error = fmt::format("non-contiguous mask '{}' selects too many ranges to model", mask);
    return res;
  }
  return res;
}

std::string format_ip(Family f, u128 value) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (f == Family::V4) {
    in_addr a4{};
    a4.s_addr = htonl(static_cast<std::uint32_t>(value));
    inet_ntop(AF_INET, &a4, buf, sizeof buf);
  } else {
    in6_addr a6{};
    for (int i = 15; i >= 0; --i) {
      a6.s6_addr[i] = static_cast<unsigned char>(value & 0xff);
      value >>= 8;
    }
    inet_ntop(AF_INET6, &a6, buf, sizeof buf);
  }
  return buf;
}

namespace {

// Splits [lo,hi] into CIDR blocks; returns false if it needs more than `limit` blocks.
bool to_cidrs(Family f, u128 lo, u128 hi, std::vector<std::string>& out, std::size_t limit) {
  unsigned bits = f == Family::V4 ? 32 : 128;
  std::vector<std::string> blocks;
  while (true) {
    unsigned len = bits;
    // Largest block starting at lo that fits in [lo,hi].
    while (len > 0) {
      unsigned host = bits - (len - 1);
      u128 size_minus_one = host >= 128 ? ~u128(0) : ((u128(1) << host) - 1);
      if ((lo & size_minus_one) != 0) break;
      if (lo + size_minus_one > hi || lo + size_minus_one < lo) break;
      --len;
    }
    unsigned host = bits - len;
    u128 span = host >= 128 ? ~u128(0) : ((u128(1) << host) - 1);
    blocks.push_back(len == bits ? format_ip(f, lo) : fmt::format("{}/{}", format_ip(f, lo), len));
    if (blocks.size() > limit) return false;
    if (lo + span >= hi) break;
    lo = lo + span + 1;
  }
  out.insert(out.end(), blocks.begin(), blocks.end());
  return true;
}

}  // namespace

std::string format_addr_intervals(Family f, const AddrIntervals& set, std::size_t max_items) {
  if (set.empty()) return "none";
  if (set == AddrIntervals(0, family_max(f))) return f == Family::V4 ? "any IPv4" : "any IPv6";
  // "Everything but a few networks" reads better as what it leaves out.
  AddrIntervals rest = set.complement(family_max(f));
  if (rest.size() < set.size()) return "any address except " + format_addr_intervals(f, rest, max_items);
  std::vector<std::string> parts;
  for (const auto& iv : set.intervals()) {
    std::vector<std::string> cidrs;
    if (to_cidrs(f, iv.lo, iv.hi, cidrs, 2)) {
      parts.insert(parts.end(), cidrs.begin(), cidrs.end());
    } else {
      parts.push_back(format_ip(f, iv.lo) + "-" + format_ip(f, iv.hi));
    }
  }
  std::string out;
  for (std::size_t i = 0; i < parts.size() && i < max_items; ++i) {
    if (i) out += ", ";
    out += parts[i];
  }
  if (parts.size() > max_items) out += fmt::format(" (+{} more)", parts.size() - max_items);
  return out;
}

std::string format_addr_set(const AddrSet& set, std::size_t max_items) {
  if (set.is_all()) return "any";
  std::string out;
  if (!set.v4.empty()) out = format_addr_intervals(Family::V4, set.v4, max_items);
  if (!set.v6.empty()) {
    if (!out.empty()) out += ", ";
    out += format_addr_intervals(Family::V6, set.v6, max_items);
  }
  return out.empty() ? "none" : out;
}

AddrSet rfc1918_ula() {
  AddrSet s;
  for (const char* net : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"})
    s = s.unite(parse_address_expr(net).set);
  return s;
}

AddrSet rfc1918_ula_loopback() {
  AddrSet s = rfc1918_ula();
  for (const char* net : {"127.0.0.0/8", "::1"}) s = s.unite(parse_address_expr(net).set);
  return s;
}

}  // namespace fwm
