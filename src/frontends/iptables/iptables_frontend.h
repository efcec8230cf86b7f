// iptables-save / ip6tables-save / iptables-restore frontend.
#pragma once

#include <string>
#include <vector>

#include "frontends/frontend_entry.h"
#include "ir/ruleset.h"
#include "util/text_input.h"

namespace fwm::iptables {

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
  SourceSpan span;
  std::string text;
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

// Registry entry: formats "iptables" and "ip6tables" (the latter forces IPv6).
FrontendEntry frontend_entry();

}  // namespace fwm::iptables
