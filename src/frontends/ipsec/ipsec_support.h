// Shared by the IPsec readers (internal).
#pragma once

#include <antlr4-runtime.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/ipsec_policy.h"
#include "ir/suppressions.h"
#include "util/text_input.h"

namespace fwm::ipsec {

// Collects the first syntax error of a parse.
class FirstError : public antlr4::BaseErrorListener {
 public:
  void syntaxError(antlr4::Recognizer*, antlr4::Token* offending, size_t line, size_t column, const std::string& msg,
                   std::exception_ptr) override {
    if (has_error) return;
    has_error = true;
    this->line = static_cast<int>(line);
    this->column = static_cast<int>(column) + 1;
    message = msg;
    if (offending) token = offending->getText();
  }
  void reset() {
    has_error = false;
    message.clear();
    token.clear();
  }
  bool has_error = false;
  int line = 1, column = 1;
  std::string message, token;
};

// A lexer and parser of one grammar that read a file one chunk at a time (a line, a
// command, a record), so that a syntax error costs only its chunk. `load()` hands the
// parser a chunk that starts at `line` and `column` (0-based) of the file; `errors()`
// then holds the chunk's first syntax error.
template <class Lexer, class Parser>
class ChunkParser {
 public:
  ChunkParser() : lexer_(&input_), tokens_(&lexer_), parser_(&tokens_) {
    lexer_.removeErrorListeners();
    lexer_.addErrorListener(&errors_);
    parser_.removeErrorListeners();
    parser_.addErrorListener(&errors_);
  }
  ChunkParser(const ChunkParser&) = delete;
  ChunkParser& operator=(const ChunkParser&) = delete;

  Parser& load(const std::string& text, int line = 1, int column = 0) {
    input_.load(text);
    lexer_.setInputStream(&input_);  // resets the position to line 1, column 0
    lexer_.setLine(static_cast<std::size_t>(line));
    lexer_.setCharPositionInLine(static_cast<std::size_t>(column));
    tokens_.setTokenSource(&lexer_);
    parser_.setTokenStream(&tokens_);
    errors_.reset();
    return parser_;
  }
  const FirstError& errors() const { return errors_; }

 private:
  antlr4::ANTLRInputStream input_;
  Lexer lexer_;
  antlr4::CommonTokenStream tokens_;
  Parser parser_;
  FirstError errors_;
};

// Readers: fill `policy` (entries, diagnostics, line_count) from `file`.
void read_ipsec_conf(const TextFile& file, IpsecPolicy& policy);
void read_swanctl(const TextFile& file, IpsecPolicy& policy);
void read_setkey(const TextFile& file, IpsecPolicy& policy);
void read_openbsd(const TextFile& file, IpsecPolicy& policy);
void read_xfrm(const TextFile& file, IpsecPolicy& policy);
void read_windows_script(const TextFile& file, IpsecPolicy& policy);
void read_netsh_show(const TextFile& file, IpsecPolicy& policy);
void read_registry(const TextFile& file, IpsecPolicy& policy);
void read_netipsecrule_json(const TextFile& file, IpsecPolicy& policy);
void read_netipsecrule_csv(const TextFile& file, IpsecPolicy& policy);

// Helpers.
// The source text of a parse-tree node (from its input stream), whitespace runs collapsed.
std::string source_text(antlr4::ParserRuleContext* ctx);
std::string collapse_spaces(const std::string& s);
std::string trim(std::string_view s);

// Line n (1-based) of the file, trimmed; empty outside the file.
inline std::string line_at(const std::vector<std::string_view>& lines, int n) {
  return n >= 1 && static_cast<std::size_t>(n) <= lines.size() ? trim(lines[static_cast<std::size_t>(n) - 1])
                                                               : std::string();
}
std::string lower(std::string s);
std::string unquote(const std::string& s);
std::vector<std::string> split(const std::string& s, char sep);  // trimmed, empty parts dropped
// A part of the file that could not be read: its entries are unknown.
void add_error(IpsecPolicy& p, int line, int column, const std::string& message, const std::string& snippet);
// An entry the policy tool would refuse (e.g. netsh rejects the command): an error that
// leaves nothing unknown.
void add_rejected(IpsecPolicy& p, int line, int column, const std::string& message, const std::string& snippet);
void add_unmodelled(IpsecPolicy& p, int line, int column, const std::string& message, const std::string& snippet);

// Address / port / protocol values. Each returns false with `error` set on bad input.
bool parse_cidr_list(const std::vector<std::string>& items, AddrSet& out, std::string& error);
bool parse_port_value(const std::string& text, PortSet& out, std::string& error);  // "80", "49152-57500", names
std::optional<int> parse_protocol(const std::string& text);                        // "udp", "17", "tcp"...

// Rank for "most specific selector first" (strongSwan, OpenBSD): fewer addresses and
// ports = earlier.
long long specificity_rank(const IpsecSelector& s);

}  // namespace fwm::ipsec
