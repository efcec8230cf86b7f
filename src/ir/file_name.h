// The name of an input file as every source span carries it: one shared, immutable copy
// per distinct name, so that a span is one pointer wide and a ruleset of a million rules
// does not carry a million copies of its file's path.
#pragma once

#include <fmt/format.h>

#include <compare>
#include <string>
#include <string_view>

namespace fwm {

class FileName {
 public:
  FileName();
  // Interns `name`: every FileName of equal text shares one copy (kept to process exit).
  FileName(std::string_view name);                                         // NOLINT: converts like a string
  FileName(const std::string& name) : FileName(std::string_view(name)) {}  // NOLINT
  FileName(const char* name) : FileName(std::string_view(name)) {}         // NOLINT

  const std::string& str() const { return *text_; }
  operator const std::string&() const { return *text_; }  // NOLINT: reads like a string
  bool empty() const { return text_->empty(); }

  // Equal text is the same copy.
  friend bool operator==(const FileName& a, const FileName& b) { return a.text_ == b.text_; }
  friend bool operator==(const FileName& a, std::string_view b) { return *a.text_ == b; }
  friend std::strong_ordering operator<=>(const FileName& a, const FileName& b) { return *a.text_ <=> *b.text_; }

 private:
  const std::string* text_;
};

}  // namespace fwm

template <>
struct fmt::formatter<fwm::FileName> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const fwm::FileName& name, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(std::string_view(name.str()), ctx);
  }
};
