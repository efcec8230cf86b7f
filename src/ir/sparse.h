// Containers for rule fields that most rules leave empty (unknown conditions, interface
// patterns, inline suppressions, a normalized text): one pointer wide when empty, so that
// a ruleset of a million rules does not carry their inline room. They read like
// std::vector and std::string.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace fwm {

template <class T>
class SparseVector {
 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  SparseVector() = default;
  SparseVector(std::initializer_list<T> items) { assign(std::vector<T>(items)); }
  SparseVector(std::vector<T> items) { assign(std::move(items)); }  // NOLINT: converts like the vector
  SparseVector(const SparseVector& other) { assign(other.vec()); }
  SparseVector(SparseVector&&) noexcept = default;
  SparseVector& operator=(const SparseVector& other) {
    if (this != &other) assign(other.vec());
    return *this;
  }
  SparseVector& operator=(SparseVector&&) noexcept = default;
  SparseVector& operator=(std::vector<T> items) {
    assign(std::move(items));
    return *this;
  }
  SparseVector& operator=(std::initializer_list<T> items) {
    assign(std::vector<T>(items));
    return *this;
  }

  // The items as a vector (a shared empty one when there are none).
  const std::vector<T>& vec() const { return items_ ? *items_ : none(); }
  operator const std::vector<T>&() const { return vec(); }  // NOLINT: reads like the vector

  bool empty() const { return !items_ || items_->empty(); }
  std::size_t size() const { return items_ ? items_->size() : 0; }
  T* begin() { return items_ ? items_->data() : nullptr; }
  T* end() { return items_ ? items_->data() + items_->size() : nullptr; }
  const T* begin() const { return items_ ? items_->data() : nullptr; }
  const T* end() const { return items_ ? items_->data() + items_->size() : nullptr; }
  T& operator[](std::size_t i) { return (*items_)[i]; }
  const T& operator[](std::size_t i) const { return (*items_)[i]; }
  T& front() { return items_->front(); }
  const T& front() const { return items_->front(); }
  T& back() { return items_->back(); }
  const T& back() const { return items_->back(); }

  void push_back(T item) { grow().push_back(std::move(item)); }
  template <class... Args>
  T& emplace_back(Args&&... args) {
    return grow().emplace_back(std::forward<Args>(args)...);
  }
  template <class It>
  void append(It first, It last) {
    if (first != last) grow().insert(grow().end(), first, last);
  }
  void pop_back() {
    items_->pop_back();
    if (items_->empty()) items_.reset();
  }
  void clear() { items_.reset(); }

  friend bool operator==(const SparseVector& a, const SparseVector& b) { return a.vec() == b.vec(); }

 private:
  static const std::vector<T>& none() {
    static const std::vector<T> empty;
    return empty;
  }
  std::vector<T>& grow() {
    if (!items_) items_ = std::make_unique<std::vector<T>>();
    return *items_;
  }
  void assign(std::vector<T> items) {
    if (items.empty())
      items_.reset();
    else
      items_ = std::make_unique<std::vector<T>>(std::move(items));
  }
  std::unique_ptr<std::vector<T>> items_;
};

// A string most owners leave empty: one pointer wide until set.
class SparseString {
 public:
  SparseString() = default;
  SparseString(std::string text) { assign(std::move(text)); }  // NOLINT: converts like the string
  SparseString(const char* text) { assign(text); }             // NOLINT
  SparseString(const SparseString& other) { assign(other.str()); }
  SparseString(SparseString&&) noexcept = default;
  SparseString& operator=(const SparseString& other) {
    if (this != &other) assign(other.str());
    return *this;
  }
  SparseString& operator=(SparseString&&) noexcept = default;
  SparseString& operator=(std::string text) {
    assign(std::move(text));
    return *this;
  }
  SparseString& operator=(const char* text) {
    assign(text);
    return *this;
  }

  const std::string& str() const { return text_ ? *text_ : none(); }
  operator const std::string&() const { return str(); }  // NOLINT: reads like the string
  bool empty() const { return !text_; }
  friend bool operator==(const SparseString& a, const std::string& b) { return a.str() == b; }
  friend bool operator==(const SparseString& a, const char* b) { return a.str() == b; }

 private:
  static const std::string& none() {
    static const std::string empty;
    return empty;
  }
  void assign(std::string text) {
    if (text.empty())
      text_.reset();
    else
      text_ = std::make_unique<std::string>(std::move(text));
  }
  std::unique_ptr<std::string> text_;
};

}  // namespace fwm
