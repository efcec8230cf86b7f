// The syntax of one iptables-save line, as grammars/iptables/*.g4 define it.
//
// Large dumps (kube-proxy writes 100k-700k lines) repeat a few dozen line shapes with
// different chain names, addresses and comments. LineReader runs the ANTLR lexer and
// parser on the first line of each shape (its sequence of token types) and records
// where each element of the parse tree starts and ends; later lines of that shape are
// split into tokens by a plain scanner that follows the lexer grammar's rules and are
// laid onto the recorded parse. A line the scanner does not recognise (non-ASCII bytes,
// unterminated quotes), a shape the grammar rejects, and every line once the cache is
// full go through ANTLR. tests/unit/iptables_line_syntax_test.cpp checks the scanner
// against the ANTLR lexer and the cached parses against fresh ones.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fwm::iptables {

struct ElementSyntax {
  bool dangling_not = false;        // a '!' with no option after it
  int column = 1;                   // 1-based column of the element's first token
  std::string option;               // "-A", "--dport", "--protocol=tcp"
  bool negated = false;             // a '!' before or after the option
  std::vector<std::string> values;  // as written (quotes kept)
};

struct LineSyntax {
  enum class Kind { Empty, SyntaxError, TableHeader, ChainDecl, Commit, Command };
  Kind kind = Kind::Empty;
  // SyntaxError: 1-based column and the parser's message.
  int error_column = 1;
  std::string error_message;
  std::string table_header;  // TableHeader: "*filter"
  std::string chain_decl;    // ChainDecl: ":INPUT"
  std::string policy;        // ChainDecl: as written
  int policy_column = 1;
  std::string counters;                 // Command: "[12:345]" before the command, or empty
  std::vector<ElementSyntax> elements;  // Command
};

// Token types and spans of a line as IptablesLexer would produce them (whitespace
// skipped). False when the line holds something the scanner leaves to ANTLR.
struct ScannedToken {
  std::size_t type = 0;
  std::size_t start = 0;
  std::size_t length = 0;
};
bool scan_tokens(std::string_view line, std::vector<ScannedToken>& out);

class LineReader {
 public:
  // `cache_shapes`: false runs ANTLR on every line (the reference the tests compare with).
  explicit LineReader(bool cache_shapes = true);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The line's syntax, in an object the reader keeps and fills again on the next read
  // (its vectors keep their room: a large dump's lines would otherwise allocate them
  // anew, line after line). Valid until then; the caller may move from it.
  LineSyntax& read(std::string_view line);

  // Lines read through a cached shape, and distinct shapes cached (for tests, benches).
  std::size_t cached_reads() const;
  std::size_t shapes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fwm::iptables
