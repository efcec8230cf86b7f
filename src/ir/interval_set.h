// Sorted, disjoint, non-adjacent closed intervals over an unsigned domain.
// Used for ports (0..65535) and addresses (IPv4 0..2^32-1, IPv6 0..2^128-1).
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <vector>

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

  const std::vector<Interval<T>>& intervals() const { return items_; }
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
    auto it = std::upper_bound(items_.begin(), items_.end(), v,
                               [](T value, const Interval<T>& iv) { return value < iv.lo; });
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
    std::size_t i = 0, j = 0;
    while (i < items_.size() && j < other.items_.size()) {
      if (std::max(items_[i].lo, other.items_[j].lo) <= std::min(items_[i].hi, other.items_[j].hi))
        return true;
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
      if (j >= other.items_.size() || other.items_[j].lo > iv.lo || other.items_[j].hi < iv.hi)
        return false;
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

  IntervalSet complement(T max_value) const {
    return IntervalSet(T(0), max_value).subtract(*this);
  }

 private:
  std::vector<Interval<T>> items_;
};

using PortSet = IntervalSet<std::uint32_t>;
constexpr std::uint32_t kMaxPort = 65535;
inline PortSet all_ports() { return PortSet(0, kMaxPort); }

}  // namespace fwm
