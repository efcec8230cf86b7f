// A vector of trivially copyable items no larger than a pointer that keeps one item in
// place of its heap pointer: 16 bytes, and no allocation while it holds at most one item.
// A port set is one interval almost always (a rule's --dport, a piece of the region), and
// a piece of the region carries two of them through every copy.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>

namespace fwm {

template <class T>
class OneInPlaceVector {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_default_constructible_v<T>);
  static_assert(sizeof(T) <= sizeof(T*) && alignof(T) <= alignof(T*));

 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  OneInPlaceVector() = default;
  OneInPlaceVector(const OneInPlaceVector& other) { copy_from(other); }
  OneInPlaceVector(OneInPlaceVector&& other) noexcept
      : slot_(other.slot_), size_(other.size_), capacity_(other.capacity_) {
    other.release();
  }
  OneInPlaceVector& operator=(const OneInPlaceVector& other) {
    if (this == &other) return *this;
    if (other.size_ <= capacity_) {
      if (other.size_) std::memcpy(data(), other.data(), other.size_ * sizeof(T));
      size_ = other.size_;
      return *this;
    }
    free_heap();
    release();
    copy_from(other);
    return *this;
  }
  OneInPlaceVector& operator=(OneInPlaceVector&& other) noexcept {
    if (this == &other) return *this;
    free_heap();
    slot_ = other.slot_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    other.release();
    return *this;
  }
  ~OneInPlaceVector() { free_heap(); }

  T* data() { return on_heap() ? slot_.many : &slot_.one; }
  const T* data() const { return on_heap() ? slot_.many : &slot_.one; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  T& operator[](std::size_t i) { return data()[i]; }
  const T& operator[](std::size_t i) const { return data()[i]; }
  T& front() { return data()[0]; }
  const T& front() const { return data()[0]; }
  T& back() { return data()[size_ - 1]; }
  const T& back() const { return data()[size_ - 1]; }

  void reserve(std::size_t n) {
    if (n > capacity_) grow_to(n);
  }
  void push_back(const T& item) {
    if (size_ == capacity_) grow_to(std::size_t(capacity_) * 2);
    data()[size_++] = item;
  }
  T* insert(const T* at, const T& item) {
    std::size_t i = static_cast<std::size_t>(at - data());
    T copy = item;  // `item` may live in this vector
    if (size_ == capacity_) grow_to(std::size_t(capacity_) * 2);
    T* d = data();
    std::memmove(d + i + 1, d + i, (size_ - i) * sizeof(T));
    d[i] = copy;
    ++size_;
    return d + i;
  }
  T* erase(const T* first, const T* last) {
    T* d = data();
    std::size_t from = static_cast<std::size_t>(first - d), to = static_cast<std::size_t>(last - d);
    std::memmove(d + from, d + to, (size_ - to) * sizeof(T));
    size_ -= static_cast<std::uint32_t>(to - from);
    return d + from;
  }
  void clear() { size_ = 0; }

  friend bool operator==(const OneInPlaceVector& a, const OneInPlaceVector& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  union Slot {
    T one;
    T* many;
  };
  bool on_heap() const { return capacity_ > 1; }
  void release() {
    slot_.many = nullptr;
    size_ = 0;
    capacity_ = 1;
  }
  void free_heap() {
    if (on_heap()) std::allocator<T>().deallocate(slot_.many, capacity_);
  }
  void copy_from(const OneInPlaceVector& other) {  // this: empty and in place
    if (other.size_ > 1) {
      slot_.many = std::allocator<T>().allocate(other.size_);
      capacity_ = other.size_;
    }
    if (other.size_) std::memcpy(data(), other.data(), other.size_ * sizeof(T));
    size_ = other.size_;
  }
  void grow_to(std::size_t n) {
    T* bigger = std::allocator<T>().allocate(n);
    if (size_) std::memcpy(bigger, data(), size_ * sizeof(T));
    free_heap();
    slot_.many = bigger;
    capacity_ = static_cast<std::uint32_t>(n);
  }

  Slot slot_{.many = nullptr};
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = 1;  // 1: the item, if any, is in slot_
};

}  // namespace fwm
