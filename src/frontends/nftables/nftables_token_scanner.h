// The tokens of an nftables file, as grammars/nftables/NftablesLexer.g4 defines them,
// found by a plain scanner instead of ANTLR's lexer simulation (which spends most of its
// time locking and looking up DFA edges, character by character).
//
// The scanner follows the lexer grammar rule by rule: the longest match wins, and a
// keyword wins over a VALUE of the same length. Keywords and operators are read from the
// generated lexer's vocabulary, so a keyword added to the grammar needs no change here.
// A file with a byte outside ASCII is left to ANTLR (its columns count code points).
//
// The parser driver checks the scanner against ANTLR's lexer on the first item of every
// token shape it parses and starts over with ANTLR's lexer if they ever differ;
// tests/unit/nftables_token_scanner_test.cpp compares them over the corpus, the shared
// rulesets and random text.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace fwm::nftables {

struct ScannedToken {
  std::size_t type = 0;    // NftablesLexer token type (antlr4::Token::EOF last)
  std::size_t start = 0;   // index of the first character
  std::size_t stop = 0;    // index of the last character (start - 1 for EOF)
  std::size_t line = 1;    // 1-based
  std::size_t column = 0;  // 0-based, as ANTLR counts it
};

// The tokens ANTLR's NftablesLexer would emit for `text` (skipped ones left out, EOF
// last). False, with `out` unspecified, when the text has a byte outside ASCII.
bool scan_tokens(std::string_view text, std::vector<ScannedToken>& out);

}  // namespace fwm::nftables
