#include "ir/small_vector.h"

#include "fwm_catch.hpp"
#include <random>
#include <vector>

#include "ir/interval_set.h"

using fwm::Interval;
using fwm::OneInPlaceVector;

namespace {

using Item = Interval<std::uint32_t>;

bool same(const OneInPlaceVector<Item>& v, const std::vector<Item>& ref) {
  return v.size() == ref.size() && std::equal(v.begin(), v.end(), ref.begin());
}

}  // namespace

TEST_CASE("one-in-place vector: one item in place, more on the heap", "[ir]") {
  STATIC_REQUIRE(sizeof(OneInPlaceVector<Item>) == 16);
  STATIC_REQUIRE(sizeof(fwm::PortSet) == 16);
  OneInPlaceVector<Item> v;
  CHECK(v.empty());
  CHECK(v.capacity() == 1);
  v.push_back({80, 80});
  CHECK(v.capacity() == 1);  // in place
  v.push_back({443, 443});
  CHECK(v.capacity() >= 2);
  CHECK(v.front() == Item{80, 80});
  CHECK(v.back() == Item{443, 443});
  v.insert(v.begin(), v.back());  // an item of the vector itself
  CHECK(v[0] == Item{443, 443});
  v.erase(v.begin(), v.begin() + 1);
  CHECK(v.size() == 2);
  OneInPlaceVector<Item> copy = v;
  CHECK(copy == v);
  copy = copy;  // NOLINT: self-assignment keeps the items
  CHECK(copy == v);
  OneInPlaceVector<Item> moved = std::move(copy);
  CHECK(moved == v);
  CHECK(copy.empty());  // NOLINT: moved-from is empty
  OneInPlaceVector<Item> one;
  one.push_back({1, 2});
  v = one;  // fewer items into room on the heap
  CHECK(v.size() == 1);
  one = std::move(moved);  // two items onto one in place
  CHECK(one.size() == 2);
}

TEST_CASE("one-in-place vector: random edits agree with std::vector", "[ir]") {
  std::mt19937 rng(11);
  for (int round = 0; round < 200; ++round) {
    OneInPlaceVector<Item> v;
    std::vector<Item> ref;
    for (int step = 0; step < 60; ++step) {
      auto value = static_cast<std::uint32_t>(rng() % 1000);
      switch (rng() % 6) {
        case 0:
        case 1:
          v.push_back({value, value + 1});
          ref.push_back({value, value + 1});
          break;
        case 2: {
          std::size_t at = ref.empty() ? 0 : rng() % (ref.size() + 1);
          v.insert(v.begin() + at, {value, value});
          ref.insert(ref.begin() + static_cast<std::ptrdiff_t>(at), {value, value});
          break;
        }
        case 3:
          if (!ref.empty()) {
            std::size_t from = rng() % ref.size(), to = from + rng() % (ref.size() - from + 1);
            v.erase(v.begin() + from, v.begin() + to);
            ref.erase(ref.begin() + static_cast<std::ptrdiff_t>(from), ref.begin() + static_cast<std::ptrdiff_t>(to));
          }
          break;
        case 4: {
          OneInPlaceVector<Item> copy;
          copy = v;
          v = std::move(copy);
          break;
        }
        default:
          if (rng() % 8 == 0) {
            v.clear();
            ref.clear();
          }
      }
      REQUIRE(same(v, ref));
    }
  }
}

TEST_CASE("port sets keep their intervals through the in-place storage", "[ir]") {
  std::mt19937 rng(5);
  for (int round = 0; round < 300; ++round) {
    fwm::PortSet a, b;
    std::vector<bool> in_a(70000), in_b(70000);
    for (int k = 0; k < 6; ++k) {
      std::uint32_t lo = rng() % 65536, hi = std::min<std::uint32_t>(65535, lo + rng() % 300);
      (k % 2 ? a : b).add(lo, hi);
      for (std::uint32_t p = lo; p <= hi; ++p) (k % 2 ? in_a : in_b)[p] = true;
    }
    fwm::PortSet both = a.intersect(b), either = a.unite(b), only_a = a.subtract(b);
    fwm::PortSet in_place = a;
    in_place.subtract_in_place(b);
    CHECK(in_place == only_a);
    for (std::uint32_t p = 0; p <= 65535; p += 7) {
      REQUIRE(both.contains(p) == (in_a[p] && in_b[p]));
      REQUIRE(either.contains(p) == (in_a[p] || in_b[p]));
      REQUIRE(only_a.contains(p) == (in_a[p] && !in_b[p]));
    }
  }
}
