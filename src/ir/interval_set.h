// Sorted, disjoint, non-adjacent closed intervals over an unsigned domain.
// Used for ports (0..65535) and addresses (IPv4 0..2^32-1, IPv6 0..2^128-1).
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <type_traits>
#include <vector>

#include "ir/small_vector.h"

namespace fwm {

__extension__ typedef unsigned __int128 u128;

template <class T>
struct Interval {
  T lo;
  T hi;
  bool operator==(const Interval&) const = default;
};

template <class T>
class IntervalSet {
 public:
  IntervalSet() = default;
  IntervalSet(T lo, T hi) {
    if (lo <= hi) items_.push_back({lo, hi});
  }
  IntervalSet(std::initializer_list<Interval<T>> list) {
    for (const auto& iv : list) add(iv.lo, iv.hi);
  }
  static IntervalSet single(T v) { return IntervalSet(v, v); }
  // The union of any intervals, in any order: sorted and merged once, in O(n log n)
  // (adding them one by one to a set costs O(n) each when they come out of order).
  static IntervalSet union_of(std::vector<Interval<T>> parts) {
    std::sort(parts.begin(), parts.end(), [](const Interval<T>& a, const Interval<T>& b) { return a.lo < b.lo; });
    IntervalSet out;
    for (const auto& iv : parts) out.add(iv.lo, iv.hi);
    return out;
  }

  std::span<const Interval<T>> intervals() const { return {items_.data(), items_.size()}; }
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }
  bool operator==(const IntervalSet&) const = default;

  // Number of values, saturating at the type's maximum.
  T count() const {
    T total = 0;
    for (const auto& iv : items_) {
      T width = iv.hi - iv.lo;
      T next = total + width + 1;
      if (next <= total) return static_cast<T>(~T(0));
      total = next;
    }
    return total;
  }

  bool contains(T v) const {
    auto it =
        std::upper_bound(items_.begin(), items_.end(), v, [](T value, const Interval<T>& iv) { return value < iv.lo; });
    if (it == items_.begin()) return false;
    --it;
    return v <= it->hi;
  }

  bool covers(T lo, T hi) const {
    auto it = std::upper_bound(items_.begin(), items_.end(), lo,
                               [](T value, const Interval<T>& iv) { return value < iv.lo; });
    if (it == items_.begin()) return false;
    --it;
    return lo >= it->lo && hi <= it->hi;
  }

  // Insert [lo,hi], merging with neighbours (adjacent intervals are joined).
  void add(T lo, T hi) {
    if (lo > hi) std::swap(lo, hi);
    if (items_.empty() || (items_.back().hi < lo && items_.back().hi + 1 < lo)) {
      items_.push_back({lo, hi});
      return;
    }
    if (lo >= items_.back().lo) {  // overlaps or touches the last interval: extend it
      items_.back().hi = std::max(items_.back().hi, hi);
      return;
    }
    *this = unite(IntervalSet(lo, hi));
  }
  void add(const IntervalSet& other) {
    if (other.empty()) return;
    if (empty()) {
      items_ = other.items_;
      return;
    }
    if (other.items_.front().lo >= items_.back().lo) {  // all of other at or after our end
      for (const auto& iv : other.items_) add(iv.lo, iv.hi);
      return;
    }
    *this = unite(other);
  }

  IntervalSet unite(const IntervalSet& other) const {
    IntervalSet out;
    auto& res = out.items_;
    res.reserve(items_.size() + other.items_.size());
    std::size_t i = 0, j = 0;
    auto push = [&res](const Interval<T>& iv) {
      if (!res.empty() && (res.back().hi >= iv.lo || res.back().hi + 1 == iv.lo)) {
        res.back().hi = std::max(res.back().hi, iv.hi);
      } else {
        res.push_back(iv);
      }
    };
    while (i < items_.size() || j < other.items_.size()) {
      if (j >= other.items_.size() || (i < items_.size() && items_[i].lo <= other.items_[j].lo)) {
        push(items_[i++]);
      } else {
        push(other.items_[j++]);
      }
    }
    return out;
  }

  IntervalSet intersect(const IntervalSet& other) const {
    if (is_much_smaller(other, *this)) return other.intersect_sparse(*this);
    if (is_much_smaller(*this, other)) return intersect_sparse(other);
    IntervalSet out;
    std::size_t i = 0, j = 0;
    while (i < items_.size() && j < other.items_.size()) {
      T lo = std::max(items_[i].lo, other.items_[j].lo);
      T hi = std::min(items_[i].hi, other.items_[j].hi);
      if (lo <= hi) out.items_.push_back({lo, hi});
      if (items_[i].hi < other.items_[j].hi) {
        ++i;
      } else {
        ++j;
      }
    }
    return out;
  }

  bool intersects(const IntervalSet& other) const {
    if (is_much_smaller(other, *this)) return other.intersects_sparse(*this);
    if (is_much_smaller(*this, other)) return intersects_sparse(other);
    std::size_t i = 0, j = 0;
    while (i < items_.size() && j < other.items_.size()) {
      if (std::max(items_[i].lo, other.items_[j].lo) <= std::min(items_[i].hi, other.items_[j].hi)) return true;
      if (items_[i].hi < other.items_[j].hi) {
        ++i;
      } else {
        ++j;
      }
    }
    return false;
  }

  // True when every value of this set is in other.
  bool subset_of(const IntervalSet& other) const {
    std::size_t j = 0;
    for (const auto& iv : items_) {
      while (j < other.items_.size() && other.items_[j].hi < iv.lo) ++j;
      if (j >= other.items_.size() || other.items_[j].lo > iv.lo || other.items_[j].hi < iv.hi) return false;
    }
    return true;
  }

  IntervalSet subtract(const IntervalSet& other) const {
    IntervalSet out;
    std::size_t j = 0;
    for (auto iv : items_) {
      while (j < other.items_.size() && other.items_[j].hi < iv.lo) ++j;
      std::size_t k = j;
      bool alive = true;
      while (k < other.items_.size() && other.items_[k].lo <= iv.hi) {
        const auto& cut = other.items_[k];
        if (cut.lo > iv.lo) out.items_.push_back({iv.lo, static_cast<T>(cut.lo - 1)});
        if (cut.hi >= iv.hi) {
          alive = false;
          break;
        }
        iv.lo = cut.hi + 1;
        ++k;
      }
      if (alive) out.items_.push_back(iv);
    }
    return out;
  }

  // this = this minus other, in place. When other has a few intervals and this many (a
  // piece with one hole per service), only the intervals other touches are rewritten.
  void subtract_in_place(const IntervalSet& other) {
    if (!is_much_smaller(other, *this)) {
      *this = subtract(other);
      return;
    }
    for (const auto& cut : other.items_) {
      auto first = first_reaching(cut.lo);  // first interval with hi >= cut.lo
      auto last = first;
      while (last != items_.end() && last->lo <= cut.hi) ++last;
      if (first == last) continue;
      Interval<T> left{first->lo, cut.lo}, right{cut.hi, std::prev(last)->hi};
      bool keep_left = first->lo<cut.lo, keep_right = std::prev(last)->hi> cut.hi;
      if (keep_left) left.hi = cut.lo - 1;
      if (keep_right) right.lo = cut.hi + 1;
      std::size_t at = static_cast<std::size_t>(first - items_.begin());
      std::size_t removed = static_cast<std::size_t>(last - first), kept = std::size_t(keep_left) + keep_right;
      if (kept > removed) items_.insert(items_.begin() + static_cast<std::ptrdiff_t>(at), Interval<T>{});
      if (kept < removed)
        items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(at + kept),
                     items_.begin() + static_cast<std::ptrdiff_t>(at + removed));
      if (keep_left) items_[at++] = left;
      if (keep_right) items_[at] = right;
    }
  }

  IntervalSet complement(T max_value) const { return IntervalSet(T(0), max_value).subtract(*this); }

 private:
  // Below this ratio of sizes, looking each interval of the small set up by binary search
  // in the large one beats walking both.
  static bool is_much_smaller(const IntervalSet& small, const IntervalSet& large) {
    return small.items_.size() * 16 < large.items_.size();
  }

  // The first interval whose hi is >= v (intervals are sorted by lo and by hi).
  auto first_reaching(T v) const {
    return std::lower_bound(items_.begin(), items_.end(), v,
                            [](const Interval<T>& iv, T value) { return iv.hi < value; });
  }
  auto first_reaching(T v) {
    return std::lower_bound(items_.begin(), items_.end(), v,
                            [](const Interval<T>& iv, T value) { return iv.hi < value; });
  }

  // The intersection, walking this (small) set and looking each interval up in large.
  IntervalSet intersect_sparse(const IntervalSet& large) const {
    IntervalSet out;
    for (const auto& iv : items_)
      for (auto it = large.first_reaching(iv.lo); it != large.items_.end() && it->lo <= iv.hi; ++it)
        out.items_.push_back({std::max(iv.lo, it->lo), std::min(iv.hi, it->hi)});
    return out;
  }
  bool intersects_sparse(const IntervalSet& large) const {
    for (const auto& iv : items_) {
      auto it = large.first_reaching(iv.lo);
      if (it != large.items_.end() && it->lo <= iv.hi) return true;
    }
    return false;
  }

  // Port sets keep their one interval in place (OneInPlaceVector); address intervals, of
  // 32 bytes, do not fit.
  using Storage =
      std::conditional_t<sizeof(Interval<T>) <= sizeof(void*), OneInPlaceVector<Interval<T>>, std::vector<Interval<T>>>;
  Storage items_;
};

using PortSet = IntervalSet<std::uint32_t>;
constexpr std::uint32_t kMaxPort = 65535;
inline PortSet all_ports() { return PortSet(0, kMaxPort); }

}  // namespace fwm
