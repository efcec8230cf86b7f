#include "frontends/nftables/nftables_token_scanner.h"

#include <string>
#include <unordered_map>

#include "NftablesLexer.h"
#include "antlr4-runtime.h"

namespace fwm::nftables {

using fwm_antlr_fwm_grammar_nftables::NftablesLexer;

namespace {

// Literal tokens of the grammar ('table', '!=', '{' ...) by text, from the generated
// lexer's vocabulary.
const std::unordered_map<std::string, std::size_t>& literal_tokens() {
  static const std::unordered_map<std::string, std::size_t> literals = [] {
    std::unordered_map<std::string, std::size_t> out;
    antlr4::ANTLRInputStream empty(std::string{});
    NftablesLexer lexer(&empty);
    const antlr4::dfa::Vocabulary& vocabulary = lexer.getVocabulary();
    for (std::size_t type = 1; type <= vocabulary.getMaxTokenType(); ++type) {
      std::string name = vocabulary.getLiteralName(type);
      if (name.size() < 3 || name.front() != '\'' || name.back() != '\'') continue;
      std::string text = name.substr(1, name.size() - 2);
      if (text.find('\\') != std::string::npos) continue;  // escaped literals: none in this grammar
      out.emplace(std::move(text), type);
    }
    return out;
  }();
  return literals;
}

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_word(char c) { return is_letter(c) || is_digit(c) || c == '_'; }
// VALUE : [a-zA-Z0-9_] ( [a-zA-Z0-9_./\\*-]* [a-zA-Z0-9_/\\*] )?
bool is_value_middle(char c) { return is_word(c) || c == '.' || c == '/' || c == '\\' || c == '*' || c == '-'; }
bool is_value_end(char c) { return is_word(c) || c == '/' || c == '\\' || c == '*'; }

// Length of the longest VALUE (first alternative) at `at`; 0 if none.
std::size_t plain_value_length(std::string_view s, std::size_t at) {
  if (at >= s.size() || !is_word(s[at])) return 0;
  std::size_t longest = 1;
  for (std::size_t i = at + 1; i < s.size() && is_value_middle(s[i]); ++i)
    if (is_value_end(s[i])) longest = i - at + 1;
  return longest;
}

// ADDRESS_WITH_COLONS: [0-9a-fA-F]* ':' [0-9a-fA-F]* ':' then [0-9a-fA-F:.]*, never three
// colons in a row and not ending in a single colon, then ( '/' [0-9]+ )?.
std::size_t address_length(std::string_view s, std::size_t at) {
  std::size_t i = at;
  for (int colon = 0; colon < 2; ++colon) {
    while (i < s.size() && is_hex(s[i])) ++i;
    if (i >= s.size() || s[i] != ':') return 0;
    ++i;
  }
  // i - at >= 2 from here; an end is valid after a non-colon or after "::"
  bool ended = s[i - 2] == ':';
  std::size_t end = i;
  while (i < s.size() && (is_hex(s[i]) || s[i] == ':' || s[i] == '.')) {
    if (s[i] == ':' && s[i - 1] == ':' && s[i - 2] == ':') break;
    ++i;
    if (s[i - 1] != ':' || s[i - 2] == ':') {
      ended = true;
      end = i;
    }
  }
  if (!ended) return 0;
  i = end;
  if (i + 1 < s.size() && s[i] == '/' && is_digit(s[i + 1])) {
    i += 2;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  return i - at;
}

}  // namespace

bool scan_tokens(std::string_view s, std::vector<ScannedToken>& out) {
  out.clear();
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  const auto& literals = literal_tokens();
  auto literal = [&](std::string_view text) -> std::size_t {
    auto it = literals.find(std::string(text));
    return it == literals.end() ? 0 : it->second;
  };
  const std::size_t value_type = NftablesLexer::VALUE, other_type = NftablesLexer::OTHER;
  std::size_t line = 1, column = 0, i = 0;
  // Moves the position over s[i, to), counting lines as ANTLR's lexer does.
  auto advance = [&](std::size_t to) {
    for (; i < to; ++i) {
      if (s[i] == '\n') {
        ++line;
        column = 0;
      } else {
        ++column;
      }
    }
  };
  auto emit = [&](std::size_t type, std::size_t length) {
    out.push_back({type, i, i + length - 1, line, column});
    advance(i + length);
  };
  while (i < s.size()) {
    char c = s[i];
    char next = i + 1 < s.size() ? s[i + 1] : '\0';
    if (c == ' ' || c == '\t') {  // WS -> skip
      std::size_t j = i;
      while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
      advance(j);
    } else if (c == '#') {  // COMMENT_TXT -> skip
      std::size_t j = i;
      while (j < s.size() && s[j] != '\r' && s[j] != '\n') ++j;
      advance(j);
    } else if (c == '\n') {
      emit(NftablesLexer::NL, 1);
    } else if (c == '\r' && next == '\n') {
      emit(NftablesLexer::NL, 2);
    } else if (c == '\\') {  // LINE_CONT : '\\' [ \t]* '\r'? '\n' -> skip
      std::size_t j = i + 1;
      while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
      if (j < s.size() && s[j] == '\r') ++j;
      if (j < s.size() && s[j] == '\n') {
        advance(j + 1);
      } else {
        emit(other_type, 1);
      }
    } else if (c == '"') {  // STRING : '"' ( '\\' . | ~["\\\r\n] )* '"'
      std::size_t j = i + 1;
      bool closed = false;
      while (j < s.size()) {
        if (s[j] == '\\') {
          if (j + 1 >= s.size()) break;
          j += 2;
        } else if (s[j] == '"') {
          closed = true;
          break;
        } else if (s[j] == '\r' || s[j] == '\n') {
          break;
        } else {
          ++j;
        }
      }
      emit(closed ? static_cast<std::size_t>(NftablesLexer::STRING) : other_type, closed ? j - i + 1 : 1);
    } else if (c == '\'') {  // SQSTRING : '\'' ~['\r\n]* '\''
      std::size_t j = i + 1;
      while (j < s.size() && s[j] != '\'' && s[j] != '\r' && s[j] != '\n') ++j;
      bool closed = j < s.size() && s[j] == '\'';
      emit(closed ? static_cast<std::size_t>(NftablesLexer::SQSTRING) : other_type, closed ? j - i + 1 : 1);
    } else if ((c == '$' || c == '@') && (is_letter(next) || next == '_')) {
      // VARREF : '$' [a-zA-Z_] [a-zA-Z0-9_./-]* ;  SETREF : '@' [a-zA-Z_] [a-zA-Z0-9_./\\-]*
      std::size_t j = i + 2;
      while (j < s.size() && (is_word(s[j]) || s[j] == '.' || s[j] == '/' || s[j] == '-' || (c == '@' && s[j] == '\\')))
        ++j;
      emit(c == '$' ? NftablesLexer::VARREF : NftablesLexer::SETREF, j - i);
    } else if (std::size_t value = std::max(plain_value_length(s, i), is_hex(c) || c == ':' ? address_length(s, i) : 0);
               value > 0 && (value > 1 || c != ':')) {
      // A keyword wins over a VALUE of the same length (it comes first in the grammar).
      std::size_t keyword = is_letter(c) ? literal(s.substr(i, value)) : 0;
      emit(keyword ? keyword : value_type, value);
    } else if (std::size_t two = next ? literal(s.substr(i, 2)) : 0) {  // '!=', '<=', '>>' ...
      emit(two, 2);
    } else if (std::size_t one = literal(s.substr(i, 1))) {
      emit(one, 1);
    } else {
      emit(other_type, 1);  // OTHER : .
    }
  }
  out.push_back({antlr4::Token::EOF, s.size(), s.size() - 1, line, column});
  return true;
}

}  // namespace fwm::nftables
