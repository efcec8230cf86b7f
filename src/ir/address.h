// IPv4 and IPv6 address sets as interval sets, with parsing and printing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ir/interval_set.h"

namespace fwm {

enum class Family : std::uint8_t { V4 = 0, V6 = 1 };
constexpr u128 kMaxV4 = 0xffffffffu;
constexpr u128 kMaxV6 = ~u128(0);
inline u128 family_max(Family f) { return f == Family::V4 ? kMaxV4 : kMaxV6; }
const char* family_name(Family f);

using AddrIntervals = IntervalSet<u128>;

// A set of addresses of both families.
struct AddrSet {
  AddrIntervals v4;
  AddrIntervals v6;

  static AddrSet all() { return {AddrIntervals(0, kMaxV4), AddrIntervals(0, kMaxV6)}; }
  static AddrSet none() { return {}; }
  const AddrIntervals& of(Family f) const { return f == Family::V4 ? v4 : v6; }
  AddrIntervals& of(Family f) { return f == Family::V4 ? v4 : v6; }
  bool empty() const { return v4.empty() && v6.empty(); }
  bool is_all() const;
  AddrSet complement() const { return {v4.complement(kMaxV4), v6.complement(kMaxV6)}; }
  AddrSet unite(const AddrSet& o) const { return {v4.unite(o.v4), v6.unite(o.v6)}; }
  AddrSet intersect(const AddrSet& o) const { return {v4.intersect(o.v4), v6.intersect(o.v6)}; }
  AddrSet subtract(const AddrSet& o) const { return {v4.subtract(o.v4), v6.subtract(o.v6)}; }
  bool operator==(const AddrSet&) const = default;
};

struct ParsedAddress {
  Family family;
  u128 value;
};

// "10.1.2.3" or "2001:db8::1".
std::optional<ParsedAddress> parse_ip(std::string_view text);

// Result of parsing an address expression: a set, or an error message.
struct AddrParse {
  AddrSet set;
  std::string error;  // empty when ok
  bool ok() const { return error.empty(); }
};

// "A", "A/len", "A/dotted.mask" (non-contiguous masks expanded when small),
// "A-B" (inclusive range). Host bits of a prefix are ignored as the kernel does.
AddrParse parse_address_expr(std::string_view text);

std::string format_ip(Family f, u128 value);
// Prints an interval set minimally as CIDRs where exact, else "a-b" ranges.
std::string format_addr_intervals(Family f, const AddrIntervals& set, std::size_t max_items = 8);
std::string format_addr_set(const AddrSet& set, std::size_t max_items = 8);

// Default trusted networks: RFC 1918, ULA, loopback (v4 and v6).
AddrSet rfc1918_ula_loopback();
// Internal networks (no loopback): RFC 1918 + ULA.
AddrSet rfc1918_ula();

}  // namespace fwm
