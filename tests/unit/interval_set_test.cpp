#include <bitset>
#include "fwm_catch.hpp"
#include <random>

#include "ir/address.h"
#include "ir/interval_set.h"
#include "ir/services.h"

using namespace fwm;

TEST_CASE("port sets merge, intersect and subtract exactly", "[ir]") {
  PortSet s;
  s.add(10, 20);
  s.add(21, 30);  // adjacent: merged
  s.add(40, 50);
  REQUIRE(s.size() == 2);
  REQUIRE(s.intervals()[0] == Interval<std::uint32_t>{10, 30});
  REQUIRE(s.contains(30));
  REQUIRE_FALSE(s.contains(31));
  REQUIRE(s.count() == 32);

  PortSet t(25, 45);
  REQUIRE(s.intersect(t) == PortSet({{25, 30}, {40, 45}}));
  REQUIRE(s.subtract(t) == PortSet({{10, 24}, {46, 50}}));
  REQUIRE(s.unite(t) == PortSet(10, 50));
  REQUIRE(t.subset_of(PortSet(0, 100)));
  REQUIRE_FALSE(s.subset_of(t));
}

TEST_CASE("port set edges at 0 and 65535", "[ir]") {
  PortSet all = all_ports();
  REQUIRE(all.count() == 65536);
  REQUIRE(all.subtract(PortSet(0, 0)) == PortSet(1, 65535));
  REQUIRE(all.subtract(PortSet(65535, 65535)) == PortSet(0, 65534));
  REQUIRE(PortSet(0, 65535).complement(kMaxPort).empty());
  REQUIRE(PortSet().complement(kMaxPort) == all);
  PortSet s;
  s.add(65535, 65535);
  s.add(0, 0);
  REQUIRE(s.complement(kMaxPort) == PortSet(1, 65534));
}

TEST_CASE("address sets cover the whole 128-bit range", "[ir]") {
  AddrIntervals v6(0, kMaxV6);
  REQUIRE(v6.subtract(AddrIntervals(kMaxV6, kMaxV6)).intervals().back().hi == kMaxV6 - 1);
  REQUIRE(v6.complement(kMaxV6).empty());
}

TEST_CASE("address expressions: CIDR, masks, ranges", "[ir]") {
  auto a = parse_address_expr("10.1.2.3/8");
  REQUIRE(a.ok());
  REQUIRE(format_addr_set(a.set) == "10.0.0.0/8");
  auto mask = parse_address_expr("10.0.0.0/255.255.0.0");
  REQUIRE(mask.ok());
  REQUIRE(format_addr_set(mask.set) == "10.0.0.0/16");
  auto noncontig = parse_address_expr("10.0.1.0/255.0.255.0");
  REQUIRE(noncontig.ok());
  REQUIRE(noncontig.set.v4.size() == 256);  // 10.x.1.0/24 for every x
  auto range = parse_address_expr("10.1.0.1-10.1.0.200");
  REQUIRE(range.ok());
  REQUIRE(range.set.v4.count() == 200);
  REQUIRE_FALSE(parse_address_expr("10.1.0.9-10.1.0.1").ok());
  REQUIRE_FALSE(parse_address_expr("10.0.0.0/33").ok());
  REQUIRE_FALSE(parse_address_expr("banana").ok());
  auto v6 = parse_address_expr("2001:db8::/32");
  REQUIRE(v6.ok());
  REQUIRE(format_addr_set(v6.set) == "2001:db8::/32");
  REQUIRE(format_addr_intervals(Family::V4, AddrIntervals(0, kMaxV4)) == "any IPv4");
}

TEST_CASE("ports: numbers and IANA names, never /etc/services", "[ir]") {
  REQUIRE(parse_port("443").value == 443);
  REQUIRE(parse_port("https").value == 443);
  REQUIRE(parse_port("sip-tls").value == 5061);
  REQUIRE(parse_port("microsoft-ds").value == 445);
  REQUIRE_FALSE(parse_port("65536").ok());
  REQUIRE_FALSE(parse_port("no-such-service").ok());
  REQUIRE(format_ports(PortSet({{80, 80}, {49152, 57500}})) == "80, 49152-57500");
}

// A large set (one interval per hole, like a piece after many service rules) against a
// small one takes the binary-search paths; every result must equal the value-by-value one.
TEST_CASE("interval sets: a few intervals against many give the exact results", "[ir]") {
  constexpr std::uint32_t kMax = 4000;
  std::mt19937 random(12345);
  auto random_set = [&](int intervals) {
    PortSet s;
    for (int i = 0; i < intervals; ++i) {
      std::uint32_t lo = random() % kMax, width = random() % (i % 3 == 0 ? 40 : 4);
      s.add(lo, std::min(kMax, lo + width));
    }
    return s;
  };
  auto values = [&](const PortSet& s) {
    std::bitset<kMax + 1> bits;
    for (const auto& iv : s.intervals())
      for (std::uint32_t v = iv.lo; v <= iv.hi; ++v) bits.set(v);
    return bits;
  };
  auto well_formed = [](const PortSet& s) {
    const auto& ivs = s.intervals();
    for (std::size_t i = 0; i < ivs.size(); ++i) {
      if (ivs[i].lo > ivs[i].hi) return false;
      if (i > 0 && ivs[i - 1].hi + 1 >= ivs[i].lo) return false;  // sorted, disjoint, not adjacent
    }
    return true;
  };
  std::size_t sparse_cases = 0;
  for (int round = 0; round < 400; ++round) {
    PortSet many = random_set(300 + round % 200);
    PortSet few = random_set(1 + round % 6);
    if (few.size() * 16 < many.size()) ++sparse_cases;
    auto a = values(many), b = values(few);
    INFO("round " << round);
    REQUIRE(values(many.intersect(few)) == (a & b));
    REQUIRE(values(few.intersect(many)) == (a & b));
    REQUIRE(well_formed(many.intersect(few)));
    REQUIRE(many.intersects(few) == (a & b).any());
    REQUIRE(few.intersects(many) == (a & b).any());
    PortSet cut = many;
    cut.subtract_in_place(few);
    REQUIRE(values(cut) == (a & ~b));
    REQUIRE(well_formed(cut));
    REQUIRE(cut == many.subtract(few));
    PortSet cut_few = few;
    cut_few.subtract_in_place(many);
    REQUIRE(cut_few == few.subtract(many));
  }
  REQUIRE(sparse_cases > 300);
  // Cuts at the edges of the domain and of intervals.
  PortSet edges{{0, 10}, {20, 30}, {40, 65535}};
  for (std::uint32_t v : {0u, 10u, 11u, 20u, 30u, 65535u}) {
    PortSet many;
    for (std::uint32_t i = 0; i < 100; ++i) many.add(i * 600, i * 600 + 300);
    many.add(edges);
    PortSet expect = many.subtract(PortSet::single(v));
    many.subtract_in_place(PortSet::single(v));
    REQUIRE(many == expect);
  }
}
