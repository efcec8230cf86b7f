// nftables frontend: `nft list ruleset` output, /etc/nftables.conf and nft -f scripts
// (block and command forms), and `nft -j list ruleset` JSON, into one vendor model that
// is lowered to the rule IR.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/ruleset.h"
#include "util/text_input.h"

namespace fwm::nftables {

// A term of a statement as written (after `$var` expansion).
struct Term {
  enum class Kind {
    Atom,     // a word, number, address, operator, '$var' left unresolved
    String,   // "quoted" (text holds the unquoted content)
    SetRef,   // @name (text without '@')
    Set,      // { e1, e2 }: items are Element terms
    Element,  // one set element: items are its terms ("22", ":", "accept")
    Group,    // ( ... ): items are its terms
  };
  Kind kind = Kind::Atom;
  std::string text;
  int line = 0;
  int column = 1;
  std::vector<Term> items;

  bool is(const char* word) const { return kind == Kind::Atom && text == word; }
};
using Terms = std::vector<Term>;

struct RuleModel {
  Terms terms;
  SourceSpan span;
  std::string text;  // one line, trimmed
};

struct ChainModel {
  std::string name;
  bool base = false;
  std::string type;  // filter, nat, route
  std::string hook;  // prerouting, input, forward, output, postrouting, ingress, egress
  std::vector<std::string> devices;
  int priority = 0;
  std::string priority_text;
  bool policy_drop = false;
  SourceSpan span;         // the chain header
  SourceSpan policy_span;  // line 0 when the policy is implicit
  std::string policy_text;
  std::vector<RuleModel> rules;
  std::size_t order = 0;  // creation order over all tables (ties between priorities)
};

struct SetModel {
  std::string name;
  bool is_map = false;
  std::vector<std::string> key_types;  // "ipv4_addr", "inet_service", ... (concatenations: several)
  std::string value_type;              // maps: "verdict", "ipv4_addr", ...
  std::set<std::string> flags;         // interval, constant, dynamic, timeout
  bool filled_at_runtime = false;      // `add @s { ... }` / `update @s` in a rule
  std::vector<Term> elements;          // Element terms
  SourceSpan span;
};

struct TableModel {
  std::string family;  // ip ip6 inet arp bridge netdev
  std::string name;
  bool dormant = false;
  std::vector<ChainModel> chains;
  std::vector<SetModel> sets;
  SourceSpan span;

  ChainModel* find_chain(const std::string& n);
  SetModel* find_set(const std::string& n);
};

struct Model {
  std::vector<TableModel> tables;
  std::vector<Diagnostic> diagnostics;
  std::size_t line_count = 0;
  std::size_t next_chain_order = 0;
  // Constructs read but not applied (e.g. `delete rule ... handle N`), for FWM091.
  std::map<std::string, std::pair<SourceSpan, std::size_t>> unapplied;

  TableModel* find_table(const std::string& family, const std::string& name);
  TableModel& ensure_table(const std::string& family, const std::string& name, const SourceSpan& span);
};

struct ParseOptions {
  // Includes must resolve inside this directory (default: the input file's directory).
  std::string include_root;
  std::size_t max_include_depth = 16;
};

// True if the text looks like nftables input (`table inet filter {`, `flush ruleset`,
// `#!/usr/sbin/nft -f`).
bool detect(const std::string& text);
// True if the text is `nft -j` JSON (an object with an "nftables" array).
bool detect_json(const std::string& text);

Model parse(const TextFile& file, const ParseOptions& options = {});
Model parse_json(const TextFile& file);
Ruleset lower(const Model& model, const std::string& file, const std::string& format = "nftables");

// Numeric value of a chain priority: a number, a name (raw -300, mangle -150, dstnat
// -100, filter 0, security 50, srcnat 100; bridge: filter -200 ...) with an optional
// "+ N" / "- N". Empty error on success.
std::string chain_priority(const std::string& family, const std::string& hook, const Terms& terms,
                           std::size_t first, int& value);

}  // namespace fwm::nftables
