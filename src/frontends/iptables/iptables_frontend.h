// iptables-save / ip6tables-save / iptables-restore frontend.
#pragma once

#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "frontends/frontend_entry.h"
#include "ir/ruleset.h"
#include "util/text_input.h"

namespace fwm::iptables {

// Whether `s` is the literal, the length first: option names are compared with dozens of
// literals for every option of every rule.
template <std::size_t N>
bool is(std::string_view s, const char (&literal)[N]) {
  return s.size() == N - 1 && std::memcmp(s.data(), literal, N - 1) == 0;
}

// Vendor model: what the file says, before lowering to the IR.
struct Option {
  std::string name;                 // "-p", "--dport", ... (long form kept as written)
  bool negated = false;             // '!' before (or, old style, after) the option
  std::vector<std::string> values;  // unquoted values
  int column = 1;
};

struct RuleLine {
  std::string table;
  std::string command;  // "-A", "-I", ...
  std::string chain;
  std::vector<Option> options;  // after the chain name
  SourceSpan span;
  std::string text;
};

struct ChainDecl {
  std::string table;
  std::string name;
  std::string policy;  // "ACCEPT", "DROP", "-"
  // Where a built-in chain's policy is set; empty for other chains (nothing refers to
  // their declarations, and kube-proxy dumps hold tens of thousands).
  SourceSpan span;
  std::string text;
  int line = 0;  // 1-based: where the chain comes into being (iptables-restore reads in order)
};

struct Model {
  Family family = Family::V4;
  bool family_from_header = false;
  std::vector<ChainDecl> chains;
  std::vector<RuleLine> rules;
  std::vector<Diagnostic> diagnostics;
  std::size_t line_count = 0;
};

// True if the text looks like iptables-save / iptables-restore input.
bool detect(const std::string& text);
// Guesses the family from the header ("ip6tables-save") or the addresses used.
// `cache_shapes`: see LineReader (iptables_line_syntax.h); false runs ANTLR on every line.
// `two_threads`: large files are read in two halves at once (the same model as one pass).
Model parse(const TextFile& file, bool cache_shapes = true, bool two_threads = true);
// Takes the model by value and releases each line once lowered (large rulesets).
// `two_threads`: large models are lowered in two halves at once (the same ruleset).
Ruleset lower(Model model, const std::string& file, bool two_threads = true);

// The one-pass load: files whose every rule line appends to a declared chain, and whose
// family is known (a header, or `family`), are read and lowered line by line, with no
// vendor model of the whole file in between. Empty when the file is not such a file; the
// caller then parses and lowers it (the same ruleset, in two steps).
std::optional<Ruleset> load_in_one_pass(const TextFile& file, std::optional<Family> family, bool two_threads = true);

// The one-pass load reads a file in two passes: the other lines first, then the rule
// lines (those starting with '-' or '['), handed on one by one.
struct TableChange {
  std::size_t line = 0;  // 0-based index of a table header or a COMMIT line
  std::string table;     // the table open after it ("" after COMMIT)
};
// Called with each rule line read and its 0-based index; false stops the reading.
using RuleSink = std::function<bool(RuleLine&, std::size_t)>;
// Every line but the rule lines, into a model without rules; `tables` gets where each table
// starts and ends, `end_of_file_diagnostics` what is due after the last line.
Model parse_other_lines(const TextFile& file, const std::vector<std::string_view>& lines,
                        std::vector<TableChange>& tables, std::vector<Diagnostic>& end_of_file_diagnostics,
                        bool two_threads = true);
// The rule lines of [from, to), each handed to `sink` as read; their syntax errors, in line
// order, go to `diagnostics`.
void parse_rule_lines(const TextFile& file, const std::vector<std::string_view>& lines, std::size_t from,
                      std::size_t to, const std::vector<TableChange>& tables, const RuleSink& sink,
                      std::vector<Diagnostic>& diagnostics);
// A line whose first character other than blanks is '-' or '[' (counters): a command, or
// a syntax error, and nothing else.
bool is_rule_line(std::string_view raw);
// The line at the middle of the bytes of lines [from, to) (where they are cut for two
// threads), strictly after `from` and before `to` when there are two lines or more.
std::size_t middle_line(const std::vector<std::string_view>& lines, std::size_t from, std::size_t to);

// A rule line's normalized text, what fingerprints are built from: table, chain and
// options as read (values unquoted), without counters.
std::string normalized_rule_text(const RuleLine& line);
// Builds the normalized text of the rules lowered from iptables lines (which do not keep
// it) by reading their text again.
std::shared_ptr<const RuleNormalizer> make_rule_normalizer();

// Registry entry: formats "iptables" and "ip6tables" (the latter forces IPv6).
FrontendEntry frontend_entry();

}  // namespace fwm::iptables
