// Resource limits: how far fwmatrix follows its input before it stops with a diagnostic
// instead of exhausting memory or time. Every default is far above what real configs
// need (a 700k-line kube-proxy dump, blocklist sets of 100k addresses on one line); each
// limit has a flag to raise it (`check`, `ports`, `explain`, `diff`) and every
// diagnostic a limit triggers names the limit's value and that flag.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace fwm {

struct Limits {
  // Bytes of one input file (the main file, includes, pf table and anchor files).
  std::size_t max_file_size = std::size_t(1) << 30;  // 1 GiB
  // Bytes of one line of a line-oriented input file. JSON documents (`nft -j` writes the
  // whole ruleset on one line) are not split into lines and have no line limit.
  std::size_t max_line_length = std::size_t(16) << 20;  // 16 MiB
  // Nesting of includes (pf `include`, `load anchor`; nftables `include`); a file that
  // includes itself stops here.
  std::size_t max_include_depth = 16;
  // Bytes a pf macro expands to (macros naming macros multiply: `b = "$a $a"`).
  std::size_t max_macro_expansion = std::size_t(1) << 20;  // 1 MiB
  // Rules one nftables rule expands into (combinations of anonymous set elements that
  // the IR cannot hold as one box, e.g. concatenations `ip saddr . tcp dport { ... }`).
  std::size_t max_set_combinations = 4096;
  // Evaluation: nesting of chain calls (jump/goto/anchors). Jump cycles are found
  // independently of this limit.
  std::size_t max_call_depth = 256;
  // Evaluation: pieces a query region may split into (the number of intervals the
  // evaluator tracks) before the rest is reported undetermined.
  std::size_t max_pieces = 2'000'000;
  // Rule anomaly analysis (FWM030/FWM031): deciding rules whose redundancy is checked.
  std::size_t max_redundancy_checks = 50'000;
};

// The command-line flags that raise each limit (also the key names in .fwmatrix.yaml,
// without the leading dashes).
inline constexpr const char* kMaxFileSizeFlag = "--max-file-size";
inline constexpr const char* kMaxLineLengthFlag = "--max-line-length";
inline constexpr const char* kMaxIncludeDepthFlag = "--max-include-depth";
inline constexpr const char* kMaxMacroExpansionFlag = "--max-macro-expansion";
inline constexpr const char* kMaxSetCombinationsFlag = "--max-set-combinations";
inline constexpr const char* kMaxCallDepthFlag = "--max-call-depth";
inline constexpr const char* kMaxPiecesFlag = "--max-pieces";
inline constexpr const char* kMaxRedundancyChecksFlag = "--max-redundancy-checks";

// One limit as the command line and .fwmatrix.yaml name it.
struct LimitSetting {
  const char* flag;  // "--max-file-size"
  const char* key;   // "max_file_size" (in the `limits:` mapping of .fwmatrix.yaml)
  std::size_t Limits::*member;
  bool bytes;        // a size: the value may end in K, M or G (KiB, MiB, GiB)
  const char* help;  // for --help (the default is appended)
};
const std::vector<LimitSetting>& limit_settings();

// Parses a limit's value: a positive integer, for sizes optionally followed by K, M or G
// (or KiB, MiB, GiB; powers of 1024). Empty on success, else what is wrong.
std::string parse_limit_value(const std::string& text, bool bytes, std::size_t& out);

// " (the limit is VALUE UNIT; FLAG raises it)": appended to every diagnostic a limit
// triggers.
std::string limit_hint(std::size_t value, const char* unit, const char* flag);

// The evaluator words its limit problems itself ("chain calls nested deeper than N",
// "more than N pieces"); this appends the flag that raises the limit to such a problem
// and returns other problems unchanged.
std::string with_eval_limit_hint(const std::string& problem, const Limits& limits);

}  // namespace fwm
