// Containers for rule fields that most rules leave empty (the sets a match tests, unknown
// conditions, interface patterns, inline suppressions, a normalized text): one pointer
// wide when empty, so that a ruleset of a million rules does not carry their inline room.
// They read like std::optional, std::vector and std::string.
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fwm {

// An optional value kept on the heap: one pointer wide. Reads like std::optional; copies
// copy the value.
template <class T>
class HeapOptional {
 public:
  HeapOptional() = default;
  HeapOptional(const T& value) : value_(std::make_unique<T>(value)) {}  // NOLINT: converts like optional
  HeapOptional(T&& value) : value_(std::make_unique<T>(std::move(value))) {}
  HeapOptional(const HeapOptional& other) : value_(other ? std::make_unique<T>(*other) : nullptr) {}
  HeapOptional(HeapOptional&&) noexcept = default;
  HeapOptional& operator=(const HeapOptional& other) {
    if (this != &other) value_ = other ? std::make_unique<T>(*other) : nullptr;
    return *this;
  }
  HeapOptional& operator=(HeapOptional&&) noexcept = default;
  HeapOptional& operator=(const T& value) {
    value_ = std::make_unique<T>(value);
    return *this;
  }
  HeapOptional& operator=(T&& value) {
    value_ = std::make_unique<T>(std::move(value));
    return *this;
  }
  HeapOptional& operator=(const std::optional<T>& value) {
    value_ = value ? std::make_unique<T>(*value) : nullptr;
    return *this;
  }
  explicit operator bool() const { return value_ != nullptr; }
  bool has_value() const { return value_ != nullptr; }
  const T& operator*() const { return *value_; }
  T& operator*() { return *value_; }
  const T* operator->() const { return value_.get(); }
  T* operator->() { return value_.get(); }
  void reset() { value_.reset(); }
  operator std::optional<T>() const { return value_ ? std::optional<T>(*value_) : std::nullopt; }
  bool operator==(const HeapOptional& other) const {
    return value_ && other.value_ ? *value_ == *other.value_ : value_ == other.value_;
  }

 private:
  std::unique_ptr<T> value_;
};

// A vector most owners leave empty: a HeapOptional that holds none while empty.
template <class T>
class SparseVector {
 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  SparseVector() = default;
  SparseVector(std::initializer_list<T> items) { assign(std::vector<T>(items)); }
  SparseVector(std::vector<T> items) { assign(std::move(items)); }  // NOLINT: converts like the vector
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
    if (first == last) return;
    std::vector<T>& items = grow();
    items.insert(items.end(), first, last);
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
    if (!items_) items_ = std::vector<T>();
    return *items_;
  }
  void assign(std::vector<T> items) {
    if (items.empty())
      items_.reset();
    else
      items_ = std::move(items);
  }
  HeapOptional<std::vector<T>> items_;  // none while empty
};

// A string most owners leave empty: a HeapOptional that holds none while empty.
class SparseString {
 public:
  SparseString() = default;
  SparseString(std::string text) { assign(std::move(text)); }  // NOLINT: converts like the string
  SparseString(const char* text) { assign(text); }             // NOLINT
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
      text_ = std::move(text);
  }
  HeapOptional<std::string> text_;  // none while empty
};

}  // namespace fwm
