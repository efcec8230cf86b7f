// pf.conf frontend (OpenBSD, FreeBSD/pfSense/OPNsense, macOS) and `pfctl -sr`
// output.
//
// Reading follows pfctl: '\'-continued lines are joined, comments removed, and
// $macros expanded textually before each statement is parsed (with the macros
// defined so far), keeping every character's source position for diagnostics.
// The ANTLR grammar (grammars/pf) parses one top-level statement at a time into
// the vendor model below; the lowering turns pf's last-match-wins evaluation
// with `quick` and anchors into the IR's first-match chains.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "frontends/frontend_entry.h"
#include "ir/ruleset.h"
#include "util/text_input.h"

namespace fwm::pf {

// One address item of a rule, a table or a translation target.
struct HostItem {
  enum class Kind {
    Any,
    Address,        // literal address, CIDR or range: `set`
    Table,          // <name>
    InterfaceAddr,  // em0, (em0), em0:network, (egress:0): addresses of an
                    // interface
    Self,           // self
    NoRoute,        // no-route
    UrpfFailed,     // urpf-failed
    RouteLabel,     // route <label>
    HostName,       // a name resolved by DNS when the rules were loaded
  };
  Kind kind = Kind::Any;
  bool negated = false;
  AddrSet set;           // Address
  std::string name;      // table, interface or host name
  std::string modifier;  // interface modifier: "network", "broadcast", "peer",
                         // "0", or ""
  bool dynamic = false;  // (if): follows the interface's address
  std::string text;      // as written
};

// A source or destination: addresses (empty = any) and ports.
struct Endpoint {
  std::vector<HostItem> hosts;
  std::optional<PortSet> ports;            // nullopt: no port condition
  std::vector<std::string> unknown_ports;  // service names fwmatrix cannot resolve
  std::string port_text;
  std::size_t port_items = 0;  // list items (pfctl expands each into its own rule)
};

struct IfaceItem {
  std::string name;
  bool negated = false;
  SourceSpan span;  // set skip: the statement
  std::string text;
};

enum class RuleKind {
  Pass,
  Block,
  Match,
  Anchor,     // anchor hook or inline anchor block
  Antispoof,  // expands to block rules
  Rdr,        // legacy rdr (FreeBSD, OpenBSD < 4.7)
  Binat,      // legacy binat
  Nat,        // legacy nat (outbound source translation)
  Include,    // an include whose file could not be read (contents unknown)
};

struct Translation {
  std::vector<HostItem> hosts;  // target addresses (pool)
  std::optional<PortSet> port;  // target ports: one, or the range written
  // pf.conf(5): `port 2000:2999 rdr-to ... port 4000:*` redirects 2000 to 4000, 2001 to
  // 4001, ...; an explicit range `port 4000:4999` maps the same way, wrapping around
  // (pf_get_transaddr: (port - first) % size + start).
  bool port_star = false;
  bool binat = false;  // binat-to: the rule's source is mapped to hosts both ways
  std::string text;
};

struct PfRule {
  RuleKind kind = RuleKind::Pass;
  bool quick = false;
  int direction = 0;              // 0 both, 1 in, 2 out
  std::vector<IfaceItem> ifaces;  // `on` list (empty = every interface)
  bool inet = true, inet6 = true;
  std::vector<int> protos;  // empty = any protocol
  Endpoint from, to;
  std::vector<std::string> unknowns;  // conditions fwmatrix does not model
  bool never = false;                 // no initial packet of a connection matches (flags)
  // pass/match ... rdr-to, legacy rdr/binat targets, and `no rdr` / `rdr pass`.
  std::optional<Translation> rdr_to;
  bool no_translation = false;
  bool translation_pass = false;
  // Anchors: the (path) name, whether it carries an inline block, and its
  // rules.
  std::string anchor_name;
  bool anchor_inline = false;
  std::vector<PfRule> children;
  std::string unknown_verdict;  // Include: why the contents are unknown
  SourceSpan span;
  std::string text;        // source text of the statement, blanks collapsed
  std::string normalized;  // macro-expanded text, blanks collapsed
  std::vector<std::string> suppressions;
  // How many kernel rules pfctl makes of this one (lists expanded, address families
  // that cannot meet skipped): for comparison with `pfctl -nv` output.
  std::size_t expansions = 1;
  bool from_antispoof = false;  // one of the block rules an antispoof line expands to
};

struct Table {
  std::string name;
  std::vector<HostItem> entries;
  std::string unknown;  // non-empty: contents not known (persist without
                        // entries, missing file)
  SourceSpan span;
};

struct Model {
  std::vector<PfRule> rules;  // main ruleset in order
  std::map<std::string, Table> tables;
  std::map<std::string, std::vector<PfRule>> anchors;       // named anchors with known contents
  std::map<std::string, std::string> anchor_files_missing;  // load anchor whose file is absent
  std::vector<IfaceItem> skip;                              // set skip on ...
  std::vector<std::string> unavailable_includes;
  std::vector<Diagnostic> diagnostics;
  std::size_t line_count = 0;
  std::filesystem::path input_root;  // directory of the input (canonical): includes stay inside
  bool allow_outside = false;        // --allow-outside
  Limits limits;                     // include depth, macro expansion, sizes of read files
  std::size_t statements = 0;        // statements read (all kinds)
};

// Kernel rules pfctl would load for the main ruleset and inline anchors (filter rules
// only: pass, block, match).
std::size_t expanded_rule_count(const Model& model);

// True if the text looks like a pf.conf or `pfctl -sr` output.
bool detect(const std::string& text);
// Parses a pf.conf file (with its includes, table files and loaded anchors
// resolved relative to its directory).
// Include, anchor and table files are read only inside the input file's directory tree
// unless allow_outside (--allow-outside).
Model parse(const TextFile& file, bool allow_outside = false, const Limits& limits = {});
Ruleset lower(const Model& model, const std::string& file);

// Registry entry: format "pf".
FrontendEntry frontend_entry();

}  // namespace fwm::pf
