#include "frontends/iptables/iptables_line_syntax.h"

#include <cstdint>
#include <cstring>
#include <unordered_map>

#include "IptablesLexer.h"
#include "IptablesParser.h"
#include "antlr4-runtime.h"

namespace fwm::iptables {

using fwm_antlr_fwm_grammar_iptables::IptablesLexer;
using fwm_antlr_fwm_grammar_iptables::IptablesParser;

namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Length of the longest match of each lexer rule at `at` (0: no match), following
// grammars/iptables/IptablesLexer.g4 rule by rule.
std::size_t table_header_at(std::string_view s, std::size_t at) {  // '*' [a-zA-Z_0-9]+
  if (s[at] != '*') return 0;
  std::size_t i = at + 1;
  while (i < s.size() && (is_alnum(s[i]) || s[i] == '_')) ++i;
  return i - at >= 2 ? i - at : 0;
}
std::size_t chain_decl_at(std::string_view s, std::size_t at) {  // ':' ~[ \t\r\n]+
  if (s[at] != ':') return 0;
  std::size_t i = at + 1;
  while (i < s.size() && !is_blank(s[i])) ++i;
  return i - at >= 2 ? i - at : 0;
}
std::size_t commit_at(std::string_view s, std::size_t at) {  // 'COMMIT'
  return s.substr(at, 6) == "COMMIT" ? 6 : 0;
}
std::size_t counters_at(std::string_view s, std::size_t at) {  // '[' [0-9]+ ':' [0-9]+ ']'
  if (s[at] != '[') return 0;
  std::size_t i = at + 1, digits = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == digits || i >= s.size() || s[i] != ':') return 0;
  digits = ++i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == digits || i >= s.size() || s[i] != ']') return 0;
  return i + 1 - at;
}
std::size_t long_opt_at(std::string_view s, std::size_t at) {  // '--' [a-zA-Z0-9] [a-zA-Z0-9_-]* ('=' ~[ \t\r\n"]*)?
  if (s.substr(at, 2) != "--" || at + 2 >= s.size() || !is_alnum(s[at + 2])) return 0;
  std::size_t i = at + 3;
  while (i < s.size() && (is_alnum(s[i]) || s[i] == '_' || s[i] == '-')) ++i;
  if (i < s.size() && s[i] == '=') {
    ++i;
    while (i < s.size() && !is_blank(s[i]) && s[i] != '"') ++i;
  }
  return i - at;
}
std::size_t short_opt_at(std::string_view s, std::size_t at) {  // '-' [a-zA-Z0-9]
  return s[at] == '-' && at + 1 < s.size() && is_alnum(s[at + 1]) ? 2 : 0;
}
std::size_t word_at(std::string_view s, std::size_t at) {  // ~[ \t\r\n"'!] ~[ \t\r\n"]*
  char c = s[at];
  if (is_blank(c) || c == '"' || c == '\'' || c == '!') return 0;
  std::size_t i = at + 1;
  while (i < s.size() && !is_blank(s[i]) && s[i] != '"') ++i;
  return i - at;
}

// What the lexer records about the parse of one line shape: token indices of each part.
struct Shape {
  LineSyntax::Kind kind = LineSyntax::Kind::Empty;
  std::size_t policy_token = 0;  // ChainDecl
  bool has_counters = false;     // Command: token 0
  struct Element {
    bool dangling_not = false;
    std::size_t first_token = 0;
    std::size_t option_token = 0;
    bool negated = false;
    std::size_t first_value = 0;
    std::size_t value_count = 0;
  };
  std::vector<Element> elements;
};

class LineErrors : public antlr4::BaseErrorListener {
 public:
  void syntaxError(antlr4::Recognizer*, antlr4::Token*, size_t, size_t column, const std::string& msg,
                   std::exception_ptr) override {
    if (has_error) return;
    has_error = true;
    first_column = static_cast<int>(column) + 1;
    message = msg;
  }
  bool has_error = false;
  int first_column = 1;
  std::string message;
};

// Caches beyond this many shapes are not grown (hostile input: every line a new shape).
constexpr std::size_t kMaxShapes = 4096;

// True if every byte is printable ASCII or a tab, eight bytes at a time (lines with other
// bytes are left to ANTLR).
bool printable_ascii(std::string_view line) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
  std::size_t i = 0;
  for (; i + 8 <= line.size(); i += 8) {
    std::uint64_t chunk;
    std::memcpy(&chunk, line.data() + i, 8);
    std::uint64_t is_del = chunk ^ (0x7f * kOnes);  // a zero byte where a byte is 0x7f
    bool suspect = (chunk & kHighs) != 0 || ((chunk - 0x20 * kOnes) & ~chunk & kHighs) != 0 ||
                   ((is_del - kOnes) & ~is_del & kHighs) != 0;
    if (suspect) break;  // a byte below 0x20 (a tab, perhaps), 0x7f or above: looked at one by one
  }
  for (; i < line.size(); ++i) {
    auto byte = static_cast<unsigned char>(line[i]);
    if ((byte < 0x20 && byte != '\t') || byte >= 0x7f) return false;
  }
  return true;
}

}  // namespace

bool scan_tokens(std::string_view line, std::vector<ScannedToken>& out) {
  out.clear();
  if (!printable_ascii(line)) return false;  // control and non-ASCII bytes: ANTLR decides
  std::size_t i = 0;
  while (i < line.size()) {
    char c = line[i];
    if (is_blank(c)) {
      ++i;
      continue;
    }
    ScannedToken t;
    t.start = i;
    if (c == '"') {  // '"' ( '\\' . | ~["\\\r\n] )* '"'
      std::size_t j = i + 1;
      while (j < line.size() && line[j] != '"') j += line[j] == '\\' ? 2 : 1;
      if (j >= line.size()) return false;  // unterminated: ANTLR reports it
      t.type = IptablesLexer::DQSTRING;
      t.length = j + 1 - i;
    } else if (c == '\'') {  // '\'' ~['\r\n]* '\''
      std::size_t j = line.find('\'', i + 1);
      if (j == std::string_view::npos) return false;
      t.type = IptablesLexer::SQSTRING;
      t.length = j + 1 - i;
    } else if (c == '!') {
      t.type = IptablesLexer::NOT;
      t.length = 1;
    } else {
      // The longest match wins; on equal length the rule listed first in the grammar. A
      // rule whose first character is not `c` matches nothing here, so only those whose
      // first character it is are tried, in the grammar's order; then WORD.
      auto take = [&t](std::size_t type, std::size_t length) {
        if (length > t.length) {
          t.type = type;
          t.length = length;
        }
      };
      switch (c) {
        case '*':
          take(IptablesLexer::TABLE_HEADER, table_header_at(line, i));
          break;
        case ':':
          take(IptablesLexer::CHAIN_DECL, chain_decl_at(line, i));
          break;
        case 'C':
          take(IptablesLexer::COMMIT, commit_at(line, i));
          break;
        case '[':
          take(IptablesLexer::COUNTERS, counters_at(line, i));
          break;
        case '-':
          take(IptablesLexer::LONG_OPT, long_opt_at(line, i));
          take(IptablesLexer::SHORT_OPT, short_opt_at(line, i));
          break;
        default:
          break;
      }
      take(IptablesLexer::WORD, word_at(line, i));
      if (t.length == 0) return false;
    }
    out.push_back(t);
    i = t.start + t.length;
  }
  return true;
}

struct LineReader::Impl {
  bool cache_shapes = true;
  antlr4::ANTLRInputStream input;
  IptablesLexer lexer{&input};
  antlr4::CommonTokenStream tokens{&lexer};
  IptablesParser parser{&tokens};
  LineErrors errors;
  std::string line_text;
  std::vector<ScannedToken> scanned;
  std::string key;
  std::unordered_map<std::string, Shape> shapes;
  std::size_t cached_reads = 0;

  Impl() {
    lexer.removeErrorListeners();
    lexer.addErrorListener(&errors);
    parser.removeErrorListeners();
    parser.addErrorListener(&errors);
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(antlr4::atn::PredictionMode::SLL);
  }

  // Fills `out` (cleared first; its vectors keep their room) from a cached shape.
  void from_shape(const Shape& shape, std::string_view line, LineSyntax& out) const {
    auto text = [&](std::size_t token) {
      const ScannedToken& t = scanned[token];
      return line.substr(t.start, t.length);
    };
    auto column = [&](std::size_t token) { return static_cast<int>(scanned[token].start) + 1; };
    out.kind = shape.kind;
    out.error_column = 1;
    out.error_message.clear();
    out.table_header.clear();
    out.chain_decl.clear();
    out.policy.clear();
    out.policy_column = 1;
    out.counters.clear();
    out.elements.resize(shape.kind == LineSyntax::Kind::Command ? shape.elements.size() : 0);
    switch (shape.kind) {
      case LineSyntax::Kind::TableHeader:
        out.table_header = text(0);
        break;
      case LineSyntax::Kind::ChainDecl:
        out.chain_decl = text(0);
        out.policy = text(shape.policy_token);
        out.policy_column = column(shape.policy_token);
        break;
      case LineSyntax::Kind::Command:
        if (shape.has_counters) out.counters = text(0);
        for (std::size_t i = 0; i < shape.elements.size(); ++i) {
          const auto& e = shape.elements[i];
          ElementSyntax& el = out.elements[i];
          el.dangling_not = e.dangling_not;
          el.column = column(e.first_token);
          el.negated = false;
          el.option.clear();
          el.values.resize(e.dangling_not ? 0 : e.value_count);
          if (!e.dangling_not) {
            el.option = text(e.option_token);
            el.negated = e.negated;
            for (std::size_t k = 0; k < e.value_count; ++k) el.values[k] = text(e.first_value + k);
          }
        }
        break;
      default:
        break;
    }
  }

  // The ANTLR parse of the line; records its shape when `scanned_ok` and the lexer
  // agrees with the scanner on every token.
  LineSyntax parse_with_antlr(std::string_view line, bool scanned_ok) {
    line_text.assign(line);
    input.load(line_text);
    lexer.setInputStream(&input);
    tokens.setTokenSource(&lexer);
    parser.setTokenStream(&tokens);
    errors.has_error = false;
    errors.message.clear();
    parser.getTreeTracker().reset();  // the previous line's parse tree: the runtime keeps every tree otherwise
    IptablesParser::LineContext* tree = parser.line();
    LineSyntax out;
    if (errors.has_error) {
      out.kind = LineSyntax::Kind::SyntaxError;
      out.error_column = errors.first_column;
      out.error_message = errors.message;
      return out;
    }
    Shape shape;
    if (auto* th = tree->tableHeader()) {
      out.kind = shape.kind = LineSyntax::Kind::TableHeader;
      out.table_header = th->getText();
    } else if (tree->commitLine()) {
      out.kind = shape.kind = LineSyntax::Kind::Commit;
    } else if (auto* cd = tree->chainDecl()) {
      out.kind = shape.kind = LineSyntax::Kind::ChainDecl;
      out.chain_decl = cd->CHAIN_DECL()->getText();
      out.policy = cd->policy->getText();
      out.policy_column = static_cast<int>(cd->policy->getStart()->getCharPositionInLine()) + 1;
      shape.policy_token = cd->policy->getStart()->getTokenIndex();
    } else if (auto* cmd = tree->command()) {
      out.kind = shape.kind = LineSyntax::Kind::Command;
      if (auto* counters = cmd->counters()) {
        out.counters = counters->getText();
        shape.has_counters = true;
      }
      for (auto* el : cmd->element()) {
        ElementSyntax element;
        Shape::Element recorded;
        element.column = static_cast<int>(el->getStart()->getCharPositionInLine()) + 1;
        recorded.first_token = el->getStart()->getTokenIndex();
        if (dynamic_cast<IptablesParser::DanglingNotContext*>(el)) {
          element.dangling_not = recorded.dangling_not = true;
        } else {
          auto* oe = static_cast<IptablesParser::OptionElementContext*>(el);
          element.option = oe->option()->getText();
          recorded.option_token = oe->option()->getStart()->getTokenIndex();
          element.negated = recorded.negated = !oe->NOT().empty();
          auto values = oe->value();
          if (!values.empty()) recorded.first_value = values.front()->getStart()->getTokenIndex();
          recorded.value_count = values.size();
          for (auto* v : values) element.values.push_back(v->getText());
        }
        out.elements.push_back(std::move(element));
        shape.elements.push_back(recorded);
      }
    }
    if (scanned_ok && cache_shapes && shapes.size() < kMaxShapes && lexer_agrees())
      shapes.emplace(key, std::move(shape));
    return out;
  }

  // Whether the ANTLR lexer's tokens of the line just parsed are the scanner's.
  bool lexer_agrees() {
    const auto& all = tokens.getTokens();
    std::size_t n = 0;
    for (const auto* t : all) {
      if (t->getType() == antlr4::Token::EOF) break;
      if (n >= scanned.size() || t->getType() != scanned[n].type || t->getStartIndex() != scanned[n].start ||
          t->getStopIndex() + 1 != scanned[n].start + scanned[n].length)
        return false;
      ++n;
    }
    return n == scanned.size();
  }

  LineSyntax& read(std::string_view line) {
    bool scanned_ok = cache_shapes && scan_tokens(line, scanned);
    if (scanned_ok) {
      key.clear();
      for (const auto& t : scanned) key.push_back(static_cast<char>(t.type));
      if (auto it = shapes.find(key); it != shapes.end()) {
        ++cached_reads;
        from_shape(it->second, line, syntax);
        return syntax;
      }
    }
    syntax = parse_with_antlr(line, scanned_ok);
    return syntax;
  }

  LineSyntax syntax;  // what read() returns, filled again by each read
};

LineReader::LineReader(bool cache_shapes) : impl_(std::make_unique<Impl>()) { impl_->cache_shapes = cache_shapes; }
LineReader::~LineReader() = default;
LineSyntax& LineReader::read(std::string_view line) { return impl_->read(line); }
std::size_t LineReader::cached_reads() const { return impl_->cached_reads; }
std::size_t LineReader::shapes() const { return impl_->shapes.size(); }

}  // namespace fwm::iptables
