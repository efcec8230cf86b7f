#include "util/limits.h"

#include <fmt/format.h>

#include <cctype>
#include <limits>

namespace fwm {

const std::vector<LimitSetting>& limit_settings() {
  static const std::vector<LimitSetting> all = {
      {kMaxFileSizeFlag, "max_file_size", &Limits::max_file_size, true, "largest input file read, in bytes"},
      {kMaxLineLengthFlag, "max_line_length", &Limits::max_line_length, true,
       "longest line of a line-oriented input file, in bytes"},
      {kMaxIncludeDepthFlag, "max_include_depth", &Limits::max_include_depth, false,
       "nesting of pf include / load anchor and nftables include"},
      {kMaxMacroExpansionFlag, "max_macro_expansion", &Limits::max_macro_expansion, true,
       "bytes one pf macro may expand to"},
      {kMaxSetCombinationsFlag, "max_set_combinations", &Limits::max_set_combinations, false,
       "IR rules one nftables rule may expand into (set element combinations)"},
      {kMaxCallDepthFlag, "max_call_depth", &Limits::max_call_depth, false,
       "nesting of chain calls (jump, goto, anchors) during evaluation"},
      {kMaxPiecesFlag, "max_pieces", &Limits::max_pieces, false,
       "pieces (intervals) a query region may split into during evaluation"},
      {kMaxRedundancyChecksFlag, "max_redundancy_checks", &Limits::max_redundancy_checks, false,
       "rules whose redundancy the anomaly analysis checks"},
  };
  return all;
}

std::string parse_limit_value(const std::string& text, bool bytes, std::size_t& out) {
  std::size_t i = 0;
  unsigned long long value = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    unsigned digit = static_cast<unsigned>(text[i] - '0');
    if (value > (std::numeric_limits<unsigned long long>::max() - digit) / 10) return "too large";
    value = value * 10 + digit;
    ++i;
  }
  if (i == 0) return bytes ? "expected a number of bytes (optionally with K, M or G)" : "expected a number";
  std::string unit = text.substr(i);
  unsigned long long factor = 1;
  if (!unit.empty()) {
    if (!bytes) return fmt::format("expected a plain number, not '{}'", text);
    std::string u;
    for (char c : unit) u += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (u == "K" || u == "KIB")
      factor = 1ull << 10;
    else if (u == "M" || u == "MIB")
      factor = 1ull << 20;
    else if (u == "G" || u == "GIB")
      factor = 1ull << 30;
    else
      return fmt::format("unknown unit '{}' (use K, M or G)", unit);
  }
  if (value == 0) return "must be at least 1";
  if (value > std::numeric_limits<std::size_t>::max() / factor) return "too large";
  out = static_cast<std::size_t>(value * factor);
  return {};
}

std::string limit_hint(std::size_t value, const char* unit, const char* flag) {
  return fmt::format(" (the limit is {}{}{}; {} raises it)", value, *unit ? " " : "", unit, flag);
}

std::string with_eval_limit_hint(const std::string& problem, const Limits& limits) {
  if (problem.find(fmt::format("nested deeper than {}", limits.max_call_depth)) != std::string::npos)
    return problem + limit_hint(limits.max_call_depth, "calls", kMaxCallDepthFlag);
  if (problem.find(fmt::format("more than {} pieces", limits.max_pieces)) != std::string::npos)
    return problem + limit_hint(limits.max_pieces, "pieces", kMaxPiecesFlag);
  return problem;
}

}  // namespace fwm
