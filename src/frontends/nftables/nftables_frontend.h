// nftables frontend: `nft list ruleset` output, /etc/nftables.conf scripts (block and
// command forms, define, include) and `nft -j list ruleset` JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "frontends/frontend_entry.h"
#include "ir/ruleset.h"
#include "util/text_input.h"

namespace fwm::nftables {

// ---------------------------------------------------------------------------------
// Vendor model: what the ruleset says, before lowering to the IR. Both the text parser
// and the JSON reader produce it.

enum class VerdictKind { None, Accept, Drop, Continue, Return, Jump, Goto, Queue };

struct Verdict {
  VerdictKind kind = VerdictKind::None;
  std::string chain;  // Jump/Goto target
};

// A value expression on the right of a match, a set element, a define's value.
struct Expr {
  enum class Kind {
    Atom,     // text: a number, address, prefix, range "a-b", name, quoted string
    Range,    // items[0] - items[1] (written with spaces around '-')
    Concat,   // items joined with '.'
    Set,      // anonymous set: items are elements (MapElem for maps)
    SetRef,   // text: set name without '@'
    List,     // items separated by ',' (ct state new,established)
    MapElem,  // items[0] : items[1] or verdict
    Verdict,  // verdict
    Complex,  // text: an expression the analysis does not model (binary ops, selectors)
    BitOr,    // items joined with '|' (flag values: syn | ack)
    Masked,   // items[0] / items[1]: value and mask of a bitmask match (tcp flags syn / syn,ack)
  };
  Kind kind = Kind::Atom;
  std::string text;
  bool quoted = false;
  std::vector<Expr> items;
  Verdict verdict;
};

enum class StmtKind {
  Match,  // selectors op rhs
  Vmap,   // selectors vmap rhs (rhs: Set of MapElem or SetRef)
  Verdict,
  Reject,
  Counter,   // and other statements without effect on the verdict (log, comment)
  Limit,     // limit / quota: conditions decided at run time
  SetValue,  // meta mark set ..., ct mark set ...: no effect on the verdict
  Nat,       // dnat / snat / masquerade / redirect
  Notrack,
  SetUpdate,  // add @s { ... } / update @s { ... }: fills a set from the packet path
  Unknown,    // words the analysis does not model
};

struct Stmt {
  StmtKind kind = StmtKind::Unknown;
  std::vector<std::string> selectors;  // "ip saddr", "tcp dport", "meta l4proto", "iifname"
  bool selector_complex = false;       // masked / shifted selector (ct mark & 0xff)
  // The binary operators applied to the selector, in order, with their operands
  // ("&", fin|syn|rst|ack): read for `tcp flags & mask`, unmodelled elsewhere.
  std::vector<std::pair<std::string, Expr>> selector_ops;
  std::string op;  // "", "!=", "==", "<", ">", "<=", ">=", "!"
  Expr rhs;
  Verdict verdict;
  std::string text;  // as written (for unknowns, nat, labels)
  std::string nat_kind;
  // SetUpdate: the stateful statements run on the element (`limit rate over 10/second`,
  // `ct count over 3`): a condition decided at run time; "" when there are none.
  std::string stateful;
  int column = 1;
};

struct RuleModel {
  std::vector<Stmt> stmts;
  SourceSpan span;
  std::string text;
  std::vector<std::string> suppressions;
  // The rule's handle, when the file says it: a `# handle N` comment after the rule (what
  // `nft -a list ruleset` prints) or the "handle" of a JSON rule. Rules without one have
  // a handle the kernel assigns at load time, which the file does not tell.
  std::optional<std::uint64_t> handle;
};

struct ChainModel {
  std::string family, table, name;
  bool base = false;
  std::string type, hook, device;
  int priority = 0;
  std::optional<bool> policy_accept;  // base chains: default accept
  SourceSpan span, policy_span;
  std::string policy_text;
  std::vector<RuleModel> rules;

  // The position of the rule whose handle the file gives as `handle` (`# handle N`, or a
  // JSON rule's "handle"); nullopt when no rule is known to have it.
  std::optional<std::size_t> rule_with_handle(std::uint64_t handle) const;
};

struct SetModel {
  std::string family, table, name;
  bool is_map = false;
  std::string type;      // "ipv4_addr", "ipv4_addr . inet_service", "inet_service : verdict"
  bool dynamic = false;  // flags dynamic / timeout, or filled from the packet path
  std::vector<Expr> elements;
  SourceSpan span;

  // delete element: removes the element with the key of `element` (by element_key_text);
  // false when the set has none.
  bool remove_element(const Expr& element);
};

struct TableModel {
  std::string family, name;
  bool dormant = false;
  // Named stateful objects the table declares: "counter NAME", "quota NAME", "limit NAME".
  std::set<std::string> objects;
  SourceSpan span;
};

struct Model {
  // The first include fwmatrix did not read (refused, not found, unreadable), as written:
  // a set it may define is not known to be missing.
  std::string unread_include;
  std::vector<TableModel> tables;
  std::vector<ChainModel> chains;
  std::vector<SetModel> sets;
  std::vector<Diagnostic> diagnostics;
  std::size_t line_count = 0;
  std::size_t items_parsed = 0;  // items that went through the parser
  std::size_t items_reused = 0;  // items read from the tree of an earlier item of their shape
  bool tokens_scanned = false;   // the token scanner split the input (not ANTLR's lexer)
  std::size_t token_chunks = 0;  // chunks of scanned tokens made into ANTLR tokens
  std::size_t items_reread = 0;  // items read again from a larger chunk (they reached its end)

  // Look-ups by family/table/name; create the object when `create` is set. Chains and
  // sets are found through an index (rulesets with thousands of chains, e.g. one per
  // kube-proxy service): add and remove them only through these functions.
  TableModel* table(const std::string& family, const std::string& name, bool create = false);
  ChainModel* chain(const std::string& family, const std::string& table, const std::string& name, bool create = false);
  SetModel* set(const std::string& family, const std::string& table, const std::string& name, bool create = false);
  void drop_table(const std::string& family, const std::string& name);
  void drop_chain(const std::string& family, const std::string& table, const std::string& name);
  void clear();  // `flush ruleset`: no tables, chains or sets

 private:
  void reindex();
  std::unordered_map<std::string, std::size_t> chain_at_, set_at_;  // family, table, name -> position
};

struct ParseOptions {
  // Includes must resolve inside this directory (default: the input file's directory).
  std::string include_root;
  std::string include_root_display;  // how diagnostics name it (relative stays relative)
  Limits limits;                     // include depth, size and line length of included files
  // Include directories the file's shebang gives (`#!/usr/sbin/nft -I DIR -f`,
  // `--includepath DIR`): searched, after the input's directory, for relative includes.
  // Filled from the top file's first line; included files inherit them.
  std::vector<std::string> include_paths;
  // Parse each token shape once and lay its tree onto later items of that shape. Off:
  // every item goes through the parser (tests compare both).
  bool reuse_item_trees = true;
  // Split the file into tokens with the plain scanner (nftables_token_scanner.h) instead
  // of ANTLR's lexer. Off: ANTLR's lexer (tests compare both).
  bool scan_tokens = true;
  // Scanned tokens made into ANTLR tokens at a time (the chunk grows to hold an item
  // that is longer). Tests set it small to put chunk ends everywhere.
  std::size_t chunk_tokens = std::size_t(1) << 16;
};

// True if the text looks like nftables (block or command form).
bool detect(const std::string& text);
// True if the text looks like `nft -j list ruleset` output.
bool detect_json(const std::string& text);

// The text a set element is compared by (delete element): its key (a map element
// without its value), with ranges, concatenations and flag values written one way.
std::string element_key_text(const Expr& e);

Model parse(const TextFile& file, const ParseOptions& options = {});
Model parse_json(const TextFile& file);
// limits.max_set_combinations bounds the IR rules one nft rule expands into.
Ruleset lower(const Model& model, const std::string& file, const std::string& format, const Limits& limits = {});
// The same, freeing each chain's rules in `model` as soon as they are lowered (the model
// of a large file and its IR are then never both whole).
Ruleset lower(Model&& model, const std::string& file, const std::string& format, const Limits& limits = {});

// Registry entry: formats "nftables" and "nft-json".
FrontendEntry frontend_entry();

}  // namespace fwm::nftables
