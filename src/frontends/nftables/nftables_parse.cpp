// Parsing nftables text into the vendor model. The whole file is lexed once; the parser
// then reads one unit (block header, '}', statement, define, include) at a time from the
// shared token stream and its parse tree is freed right after use. Which block a unit is
// in (table, chain, set ...) is tracked here, as nft's own parser does with its scopes.
#include <fmt/format.h>
#include <glob.h>

#include <algorithm>
#include <filesystem>

#include "NftablesLexer.h"
#include "NftablesParser.h"
#include "antlr4-runtime.h"
#include "frontends/nftables/nftables_frontend.h"

namespace fwm::nftables {

using fwm_antlr_fwm_grammar_nftables::NftablesLexer;
using fwm_antlr_fwm_grammar_nftables::NftablesParser;
namespace fs = std::filesystem;

TableModel* Model::find_table(const std::string& family, const std::string& name) {
  for (auto& t : tables)
    if (t.family == family && t.name == name) return &t;
  return nullptr;
}

TableModel& Model::ensure_table(const std::string& family, const std::string& name, const SourceSpan& span) {
  if (auto* t = find_table(family, name)) return *t;
  TableModel t;
  t.family = family;
  t.name = name;
  t.span = span;
  tables.push_back(std::move(t));
  return tables.back();
}

ChainModel* TableModel::find_chain(const std::string& n) {
  for (auto& c : chains)
    if (c.name == n) return &c;
  return nullptr;
}

SetModel* TableModel::find_set(const std::string& n) {
  for (auto& s : sets)
    if (s.name == n) return &s;
  return nullptr;
}

namespace {

struct SyntaxError {
  std::size_t token_index = 0;
  int line = 0;
  int column = 0;
  std::string message;
};

class ThrowingErrors : public antlr4::BaseErrorListener {
 public:
  void syntaxError(antlr4::Recognizer*, antlr4::Token* offending, size_t line, size_t column, const std::string& msg,
                   std::exception_ptr) override {
    SyntaxError e;
    e.line = static_cast<int>(line);
    e.column = static_cast<int>(column) + 1;
    e.message = msg;
    if (offending) e.token_index = offending->getTokenIndex();
    throw e;
  }
};

struct LexError {
  int line, column;
  std::string message;
};

class LexErrors : public antlr4::BaseErrorListener {
 public:
  void syntaxError(antlr4::Recognizer*, antlr4::Token*, size_t line, size_t column, const std::string& msg,
                   std::exception_ptr) override {
    errors.push_back({static_cast<int>(line), static_cast<int>(column) + 1, msg});
  }
  std::vector<LexError> errors;
};

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\\')) --e;
  return std::string(s.substr(b, e - b));
}

std::string unquote(const std::string& raw) {
  if (raw.size() >= 2 && (raw.front() == '"' || raw.front() == '\'') && raw.back() == raw.front()) {
    std::string out;
    for (std::size_t i = 1; i + 1 < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 2 < raw.size()) ++i;
      out += raw[i];
    }
    return out;
  }
  return raw;
}

bool is_family(const std::string& w) {
  return w == "ip" || w == "ip6" || w == "inet" || w == "arp" || w == "bridge" || w == "netdev";
}

enum class BlockKind { Table, Chain, Set, Flowtable, Object, Ignored };

struct Block {
  BlockKind kind;
  std::string family, table, name;
};

class Parser {
 public:
  Parser(Model& model, const ParseOptions& options) : model_(model), options_(options) {}

  void parse_file(const TextFile& file, std::size_t depth) {
    auto lines = split_lines(file.text);
    if (depth == 0) model_.line_count = lines.size();
    antlr4::ANTLRInputStream input(file.text);
    NftablesLexer lexer(&input);
    LexErrors lex_errors;
    lexer.removeErrorListeners();
    lexer.addErrorListener(&lex_errors);
    antlr4::CommonTokenStream tokens(&lexer);
    tokens.fill();
    std::set<int> bad_lines;
    for (const auto& e : lex_errors.errors) {
      std::string_view line_text = e.line >= 1 && static_cast<std::size_t>(e.line) <= lines.size()
                                       ? lines[static_cast<std::size_t>(e.line) - 1]
                                       : std::string_view();
      error(file.path, e.line, e.column, fmt::format("unexpected character: {}", e.message), trim(line_text));
      bad_lines.insert(e.line);
    }
    NftablesParser parser(&tokens);
    ThrowingErrors errors;
    parser.removeErrorListeners();
    parser.addErrorListener(&errors);
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(antlr4::atn::PredictionMode::SLL);

    file_ = &file;
    lines_ = &lines;
    std::size_t block_depth_at_start = blocks_.size();
    const auto& all = tokens.getTokens();
    while (true) {
      std::size_t start = tokens.index();
      if (start >= all.size() || all[start]->getType() == antlr4::Token::EOF) break;
      try {
        auto* unit = parser.unit();
        std::size_t stop = tokens.index();
        bool touches_bad = false;
        for (std::size_t i = start; i < stop && i < all.size(); ++i)
          if (bad_lines.count(static_cast<int>(all[i]->getLine()))) touches_bad = true;
        if (!touches_bad) handle_unit(unit, tokens, start, stop, depth);
      } catch (const SyntaxError& e) {
        std::string_view line_text = e.line >= 1 && static_cast<std::size_t>(e.line) <= lines.size()
                                         ? lines[static_cast<std::size_t>(e.line) - 1]
                                         : std::string_view();
        if (!bad_lines.count(e.line))
          error(file.path, e.line, e.column, fmt::format("cannot parse this statement: {}", e.message),
                trim(line_text));
        resync(tokens, start);
      }
      parser.getTreeTracker().reset();
      parser.reset();
      // reset() rewinds the stream: continue after the unit (or after the skipped text).
      tokens.seek(next_index_);
    }
    if (blocks_.size() > block_depth_at_start) {
      const Block& b = blocks_.back();
      error(file.path, static_cast<int>(lines.size()), 1,
            fmt::format("'{}' is not closed: '}}' expected before the end of the file", describe(b)), "");
      blocks_.resize(block_depth_at_start);
    }
  }

 private:
  static std::string describe(const Block& b) {
    switch (b.kind) {
      case BlockKind::Table: return fmt::format("table {} {}", b.family, b.table);
      case BlockKind::Chain: return fmt::format("chain {}", b.name);
      case BlockKind::Set: return fmt::format("set {}", b.name);
      case BlockKind::Flowtable: return fmt::format("flowtable {}", b.name);
      case BlockKind::Object: return fmt::format("object {}", b.name);
      case BlockKind::Ignored: return "block";
    }
    return "block";
  }

  void error(const std::string& file, int line, int col, std::string msg, std::string snippet) {
    Diagnostic d;
    d.id = "FWM090";
    d.severity = Severity::Error;
    d.span = {file, line, col, line, static_cast<int>(snippet.size()) + 1};
    d.message = std::move(msg);
    d.snippet = std::move(snippet);
    model_.diagnostics.push_back(std::move(d));
  }

  void error_at(const SourceSpan& span, int col, std::string msg, const std::string& text) {
    error(span.file, span.line, col, std::move(msg), text);
  }

  void unapplied(const SourceSpan& span, const std::string& what) {
    auto it = model_.unapplied.find(what);
    if (it == model_.unapplied.end())
      model_.unapplied[what] = {span, 1};
    else
      ++it->second.second;
  }

  // After a syntax error: skip to the end of the statement. A line that ends with '{'
  // opens a block whose content is skipped too (it would be read at the wrong level).
  void resync(antlr4::CommonTokenStream& tokens, std::size_t start) {
    const auto& all = tokens.getTokens();
    int depth = 0;
    std::size_t i = start;
    for (; i < all.size(); ++i) {
      auto type = all[i]->getType();
      if (type == antlr4::Token::EOF) break;
      if (type == NftablesLexer::LBRACE) ++depth;
      if (type == NftablesLexer::RBRACE) {
        if (depth == 0) break;  // closes an enclosing block
        --depth;
      }
      if (type == NftablesLexer::NL) {
        if (depth == 0) {
          ++i;
          break;
        }
        if (depth == 1 && i > start && all[i - 1]->getType() == NftablesLexer::LBRACE) {
          // a block header that did not parse: ignore the block's content
          blocks_.push_back({BlockKind::Ignored, "", "", ""});
          ++i;
          break;
        }
      }
    }
    next_index_ = i;
  }

  SourceSpan span_of(antlr4::Token* first, antlr4::Token* last) const {
    SourceSpan s;
    s.file = file_->path;
    s.line = static_cast<int>(first->getLine());
    s.column = static_cast<int>(first->getCharPositionInLine()) + 1;
    s.end_line = static_cast<int>(last->getLine());
    s.end_column = static_cast<int>(last->getCharPositionInLine() + last->getText().size()) + 1;
    return s;
  }

  std::string text_of(const SourceSpan& s) const {
    std::string out;
    for (int l = s.line; l <= s.end_line && l >= 1 && static_cast<std::size_t>(l) <= lines_->size(); ++l) {
      if (!out.empty()) out += ' ';
      out += trim((*lines_)[static_cast<std::size_t>(l) - 1]);
    }
    return out;
  }

  // --- parse tree to terms (with $variable expansion) ---------------------------------

  void add_atom(Terms& out, antlr4::Token* tok) {
    Term t;
    t.line = static_cast<int>(tok->getLine());
    t.column = static_cast<int>(tok->getCharPositionInLine()) + 1;
    auto type = tok->getType();
    if (type == NftablesLexer::STRING || type == NftablesLexer::SQSTRING) {
      t.kind = Term::Kind::String;
      t.text = unquote(tok->getText());
    } else if (type == NftablesLexer::SETREF) {
      t.kind = Term::Kind::SetRef;
      t.text = tok->getText().substr(1);
    } else if (type == NftablesLexer::VARIABLE) {
      std::string name = tok->getText().substr(1);
      auto it = defines_.find(name);
      if (it == defines_.end()) {
        bad_variable_ = bad_variable_.empty() ? name : bad_variable_;
        t.text = tok->getText();
      } else {
        for (Term v : it->second) {
          relocate(v, t.line, t.column);
          out.push_back(std::move(v));
        }
        return;
      }
    } else {
      t.text = tok->getText();
    }
    out.push_back(std::move(t));
  }

  static void relocate(Term& t, int line, int column) {
    t.line = line;
    t.column = column;
    for (auto& i : t.items) relocate(i, line, column);
  }

  void add_set(Terms& out, NftablesParser::SetLiteralContext* ctx) {
    Term set;
    set.kind = Term::Kind::Set;
    set.line = static_cast<int>(ctx->getStart()->getLine());
    set.column = static_cast<int>(ctx->getStart()->getCharPositionInLine()) + 1;
    for (auto* el : ctx->element()) {
      Term element;
      element.kind = Term::Kind::Element;
      element.line = static_cast<int>(el->getStart()->getLine());
      element.column = static_cast<int>(el->getStart()->getCharPositionInLine()) + 1;
      for (auto* et : el->elementTerm()) {
        if (et->setLiteral())
          add_set(element.items, et->setLiteral());
        else if (et->group())
          add_group(element.items, et->group());
        else
          add_atom(element.items, et->atom()->getStart());
      }
      // A variable holding a set inside a set ({ $A, 22 }) contributes its elements.
      if (element.items.size() == 1 && element.items[0].kind == Term::Kind::Set) {
        for (auto& inner : element.items[0].items) set.items.push_back(std::move(inner));
        continue;
      }
      set.items.push_back(std::move(element));
    }
    out.push_back(std::move(set));
  }

  void add_group(Terms& out, NftablesParser::GroupContext* ctx) {
    Term g;
    g.kind = Term::Kind::Group;
    g.line = static_cast<int>(ctx->getStart()->getLine());
    g.column = static_cast<int>(ctx->getStart()->getCharPositionInLine()) + 1;
    for (auto* t : ctx->term()) add_term(g.items, t);
    out.push_back(std::move(g));
  }

  void add_term(Terms& out, NftablesParser::TermContext* t) {
    if (t->setLiteral())
      add_set(out, t->setLiteral());
    else if (t->group())
      add_group(out, t->group());
    else
      add_atom(out, t->getStart());
  }

  Terms terms_of(NftablesParser::StatementContext* st) {
    Terms out;
    for (auto* t : st->term()) add_term(out, t);
    return out;
  }

  static std::vector<std::string> words_of(const Terms& terms) {
    std::vector<std::string> out;
    for (const auto& t : terms) out.push_back(t.kind == Term::Kind::Atom || t.kind == Term::Kind::String ? t.text : "");
    return out;
  }

  // --- units ------------------------------------------------------------------------

  void handle_unit(NftablesParser::UnitContext* unit, antlr4::CommonTokenStream& tokens, std::size_t start,
                   std::size_t stop, std::size_t depth) {
    next_index_ = stop;
    const auto& all = tokens.getTokens();
    // the last token of the unit other than the terminator
    std::size_t last = stop > start ? stop - 1 : start;
    while (last > start && (all[last]->getType() == NftablesLexer::NL || all[last]->getType() == NftablesLexer::SEMI))
      --last;
    SourceSpan span = span_of(all[start], all[last]);
    std::string text = text_of(span);

    if (dynamic_cast<NftablesParser::EmptyUnitContext*>(unit) || dynamic_cast<NftablesParser::EofUnitContext*>(unit))
      return;
    if (dynamic_cast<NftablesParser::CloseUnitContext*>(unit)) {
      if (blocks_.size() <= base_depth_) {
        error_at(span, span.column, "'}' without an open block", text);
        return;
      }
      blocks_.pop_back();
      return;
    }
    if (auto* inc = dynamic_cast<NftablesParser::IncludeUnitContext*>(unit)) {
      include(unquote(inc->string()->getText()), span, text, depth);
      return;
    }
    if (auto* def = dynamic_cast<NftablesParser::DefineUnitContext*>(unit)) {
      bad_variable_.clear();
      Terms value = terms_of(def->value);
      if (!bad_variable_.empty()) {
        error_at(span, span.column, fmt::format("undefined variable ${}", bad_variable_), text);
        return;
      }
      std::string name = def->var->getText();
      if (def->DEFINE() && defines_.count(name)) {
        error_at(span, span.column, fmt::format("${} is already defined (use redefine)", name), text);
        return;
      }
      defines_[name] = std::move(value);
      return;
    }
    if (auto* undef = dynamic_cast<NftablesParser::UndefineUnitContext*>(unit)) {
      defines_.erase(undef->var->getText());
      return;
    }
    if (auto* open = dynamic_cast<NftablesParser::OpenUnitContext*>(unit)) {
      open_block(open->blockHeader(), span, text);
      return;
    }
    auto* st = static_cast<NftablesParser::StatementUnitContext*>(unit);
    bad_variable_.clear();
    Terms terms = terms_of(st->statement());
    if (!bad_variable_.empty()) {
      error_at(span, span.column, fmt::format("undefined variable ${}", bad_variable_), text);
      return;
    }
    statement(std::move(terms), span, text);
  }

  void include(const std::string& pattern, const SourceSpan& span, const std::string& text, std::size_t depth) {
    if (depth + 1 > options_.max_include_depth) {
      error_at(span, span.column, fmt::format("include nested deeper than {} files (a cycle?)",
                                              options_.max_include_depth), text);
      return;
    }
    fs::path base = fs::path(file_->path).parent_path();
    fs::path full = fs::path(pattern).is_absolute() ? fs::path(pattern) : base / pattern;
    bool wildcard = pattern.find_first_of("*?[") != std::string::npos;
    std::vector<std::string> files;
    glob_t g{};
    if (glob(full.string().c_str(), 0, nullptr, &g) == 0)
      for (std::size_t i = 0; i < g.gl_pathc; ++i) files.push_back(g.gl_pathv[i]);
    globfree(&g);
    if (files.empty()) {
      if (!wildcard) error_at(span, span.column, fmt::format("include \"{}\": no such file ({})", pattern,
                                                            full.string()), text);
      return;
    }
    std::sort(files.begin(), files.end());
    std::error_code ec;
    fs::path root = fs::weakly_canonical(options_.include_root.empty() ? fs::path(".") : fs::path(options_.include_root), ec);
    for (const auto& f : files) {
      fs::path canonical = fs::weakly_canonical(f, ec);
      auto rel = canonical.lexically_relative(root);
      if (rel.empty() || rel.native().rfind("..", 0) == 0) {
        error_at(span, span.column,
                 fmt::format("include \"{}\" refused: {} is outside the input's directory {}", pattern,
                             canonical.string(), root.string()),
                 text);
        continue;
      }
      TextFile inc = read_text_file(f);
      if (!inc.ok()) {
        error_at(span, span.column, fmt::format("include \"{}\": {}", pattern, inc.error), text);
        continue;
      }
      // Show included files relative to the including file's path as given.
      inc.path = (base / fs::path(f).lexically_relative(base)).lexically_normal().string();
      if (fs::path(pattern).is_absolute()) inc.path = f;
      const TextFile* saved_file = file_;
      const std::vector<std::string_view>* saved_lines = lines_;
      std::size_t saved_next = next_index_;
      std::size_t saved_base = base_depth_;
      base_depth_ = blocks_.size();
      parse_file(inc, depth + 1);
      base_depth_ = saved_base;
      file_ = saved_file;
      lines_ = saved_lines;
      next_index_ = saved_next;
    }
  }

  // Resolves "[family] table [name]" arguments of a command; family defaults to ip.
  bool command_target(const std::vector<std::string>& w, std::size_t from, std::size_t names, std::string& family,
                      std::vector<std::string>& out, std::size_t& next) {
    family = "ip";
    std::size_t i = from;
    if (i < w.size() && is_family(w[i]) && w.size() > i + names) family = w[i++];
    out.clear();
    for (std::size_t k = 0; k < names; ++k) {
      if (i >= w.size() || w[i].empty()) return false;
      out.push_back(w[i++]);
    }
    next = i;
    return true;
  }

  void open_block(NftablesParser::BlockHeaderContext* h, const SourceSpan& span, const std::string& text) {
    std::vector<std::string> names;
    for (auto* n : h->name()) names.push_back(unquote(n->getText()));
    bool command = h->ADD() || h->CREATE();
    auto kind = h->kind->getType();
    std::string family = "ip";
    Block* table_block = nullptr;
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it)
      if (it->kind == BlockKind::Table) {
        table_block = &*it;
        break;
      }
    bool in_table = !blocks_.empty() && blocks_.back().kind == BlockKind::Table;
    bool at_top = blocks_.size() == base_depth_ || (blocks_.empty());
    if (!blocks_.empty() && blocks_.back().kind == BlockKind::Ignored) {
      blocks_.push_back({BlockKind::Ignored, "", "", ""});
      return;
    }
    if (kind == NftablesLexer::TABLE) {
      if (!at_top && !blocks_.empty()) {
        error_at(span, span.column, "a table cannot be declared inside another block", text);
        blocks_.push_back({BlockKind::Ignored, "", "", ""});
        return;
      }
      std::string name;
      if (names.size() == 2 && is_family(names[0])) {
        family = names[0];
        name = names[1];
      } else if (names.size() == 1) {
        name = names[0];
      } else {
        error_at(span, span.column, "expected 'table [FAMILY] NAME {' (family: ip, ip6, inet, arp, bridge, netdev)",
                 text);
        blocks_.push_back({BlockKind::Ignored, "", "", ""});
        return;
      }
      model_.ensure_table(family, name, span);
      blocks_.push_back({BlockKind::Table, family, name, ""});
      return;
    }
    // chain / set / map / flowtable / objects: inside a table, or "add chain [f] t c {" at top.
    std::string table, name;
    if (in_table && !command) {
      if (names.size() != 1) {
        error_at(span, span.column, "expected one name before '{'", text);
        blocks_.push_back({BlockKind::Ignored, "", "", ""});
        return;
      }
      family = table_block->family;
      table = table_block->table;
      name = names[0];
    } else if (at_top || blocks_.empty()) {
      std::vector<std::string> out;
      std::size_t next = 0;
      if (!command_target(names, 0, 2, family, out, next) || next != names.size()) {
        error_at(span, span.column, "expected '[add] KIND [FAMILY] TABLE NAME {'", text);
        blocks_.push_back({BlockKind::Ignored, "", "", ""});
        return;
      }
      table = out[0];
      name = out[1];
      if (!model_.find_table(family, table)) {
        error_at(span, span.column, fmt::format("table {} {} does not exist", family, table), text);
        blocks_.push_back({BlockKind::Ignored, "", "", ""});
        return;
      }
    } else {
      error_at(span, span.column, "this block is not allowed here (expected inside a table)", text);
      blocks_.push_back({BlockKind::Ignored, "", "", ""});
      return;
    }
    TableModel& t = *model_.find_table(family, table);
    if (kind == NftablesLexer::CHAIN) {
      if (!t.find_chain(name)) {
        ChainModel c;
        c.name = name;
        c.span = span;
        c.order = model_.next_chain_order++;
        t.chains.push_back(std::move(c));
      }
      blocks_.push_back({BlockKind::Chain, family, table, name});
    } else if (kind == NftablesLexer::SET || kind == NftablesLexer::MAP) {
      if (!t.find_set(name)) {
        SetModel s;
        s.name = name;
        s.is_map = kind == NftablesLexer::MAP;
        s.span = span;
        t.sets.push_back(std::move(s));
      }
      blocks_.push_back({BlockKind::Set, family, table, name});
    } else if (kind == NftablesLexer::FLOWTABLE) {
      blocks_.push_back({BlockKind::Flowtable, family, table, name});
    } else {
      blocks_.push_back({BlockKind::Object, family, table, name});
    }
  }

  void statement(Terms terms, const SourceSpan& span, const std::string& text) {
    if (terms.empty()) return;
    if (blocks_.size() == base_depth_ && base_depth_ == 0) return command(std::move(terms), span, text);
    if (blocks_.empty()) return command(std::move(terms), span, text);
    const Block& b = blocks_.back();
    switch (b.kind) {
      case BlockKind::Ignored:
      case BlockKind::Flowtable:
      case BlockKind::Object:
        return;  // parsed, not analysed
      case BlockKind::Table: {
        auto w = words_of(terms);
        TableModel* t = model_.find_table(b.family, b.table);
        if (w[0] == "flags") {
          for (std::size_t i = 1; i < w.size(); ++i)
            if (w[i] == "dormant") t->dormant = true;
          return;
        }
        if (w[0] == "comment") return;
        error_at(span, terms[0].column,
                 fmt::format("unexpected '{}' in table {}: expected chain, set, map, flowtable, an object, flags or "
                             "comment", terms[0].text, b.table),
                 text);
        return;
      }
      case BlockKind::Chain: {
        TableModel* t = model_.find_table(b.family, b.table);
        ChainModel* c = t->find_chain(b.name);
        return chain_statement(*t, *c, std::move(terms), span, text);
      }
      case BlockKind::Set: {
        TableModel* t = model_.find_table(b.family, b.table);
        SetModel* s = t->find_set(b.name);
        return set_statement(*s, std::move(terms), span, text);
      }
    }
  }

  void chain_statement(TableModel& t, ChainModel& c, Terms terms, const SourceSpan& span, const std::string& text) {
    auto w = words_of(terms);
    if (w[0] == "type") {
      // type TYPE hook HOOK [device D | devices = { ... }] priority P
      if (w.size() < 4 || w[2] != "hook") {
        error_at(span, terms[0].column, "expected 'type filter|nat|route hook HOOK priority P'", text);
        return;
      }
      if (w[1] != "filter" && w[1] != "nat" && w[1] != "route") {
        error_at(span, terms[1].column, fmt::format("unknown chain type '{}' (expected filter, nat or route)", w[1]),
                 text);
        return;
      }
      static const std::set<std::string> hooks = {"prerouting", "input",   "forward", "output",
                                                   "postrouting", "ingress", "egress"};
      if (!hooks.count(w[3])) {
        error_at(span, terms[3].column, fmt::format("unknown hook '{}'", w[3]), text);
        return;
      }
      c.base = true;
      c.type = w[1];
      c.hook = w[3];
      std::size_t i = 4;
      while (i < terms.size()) {
        if (w[i] == "device" && i + 1 < terms.size()) {
          c.devices = {terms[i + 1].text};
          i += 2;
        } else if (w[i] == "devices" && i + 2 < terms.size() && terms[i + 1].is("=")) {
          collect_devices(terms[i + 2], c.devices);
          i += 3;
        } else if (w[i] == "priority") {
          int value = 0;
          std::string err = chain_priority(t.family, c.hook, terms, i + 1, value);
          if (!err.empty()) {
            error_at(span, i + 1 < terms.size() ? terms[i + 1].column : terms[i].column, err, text);
            return;
          }
          c.priority = value;
          for (std::size_t k = i + 1; k < terms.size(); ++k) c.priority_text += (k > i + 1 ? " " : "") + terms[k].text;
          return;
        } else {
          error_at(span, terms[i].column, fmt::format("unexpected '{}' in the chain type (expected device or priority)",
                                                      terms[i].text), text);
          return;
        }
      }
      error_at(span, span.column, "a base chain needs 'priority P'", text);
      return;
    }
    if (w[0] == "policy") {
      if (w.size() != 2 || (w[1] != "accept" && w[1] != "drop")) {
        error_at(span, terms[0].column, "expected 'policy accept' or 'policy drop'", text);
        return;
      }
      c.policy_drop = w[1] == "drop";
      c.policy_span = span;
      c.policy_text = text;
      return;
    }
    if (w[0] == "devices" && terms.size() == 3 && terms[1].is("=")) {
      collect_devices(terms[2], c.devices);
      return;
    }
    if (w[0] == "comment" && terms.size() == 2) return;
    if (w[0] == "flags" && terms.size() >= 2) return;  // flags offload (hardware offload)
    RuleModel r;
    r.terms = std::move(terms);
    r.span = span;
    r.text = text;
    note_set_updates(t, r.terms);
    c.rules.push_back(std::move(r));
  }

  static void collect_devices(const Term& t, std::vector<std::string>& out) {
    out.clear();
    if (t.kind == Term::Kind::Set) {
      for (const auto& e : t.items)
        if (!e.items.empty()) out.push_back(e.items[0].text);
    } else {
      out.push_back(t.text);
    }
  }

  // `add @s { ip saddr }`, `update @s { ... }`: the set is filled from the packet path.
  static void note_set_updates(TableModel& t, const Terms& terms) {
    for (std::size_t i = 0; i + 1 < terms.size(); ++i)
      if ((terms[i].is("add") || terms[i].is("update") || terms[i].is("delete")) &&
          terms[i + 1].kind == Term::Kind::SetRef)
        if (auto* s = t.find_set(terms[i + 1].text)) s->filled_at_runtime = true;
  }

  void set_statement(SetModel& s, Terms terms, const SourceSpan& span, const std::string& text) {
    auto w = words_of(terms);
    if (w[0] == "type" || w[0] == "typeof") {
      s.key_types.clear();
      bool value = false;
      for (std::size_t i = 1; i < terms.size(); ++i) {
        if (terms[i].is(":")) {
          value = true;
          continue;
        }
        if (terms[i].is(".")) continue;
        if (value)
          s.value_type += (s.value_type.empty() ? "" : " ") + terms[i].text;
        else
          s.key_types.push_back(terms[i].text);
      }
      return;
    }
    if (w[0] == "flags") {
      for (std::size_t i = 1; i < terms.size(); ++i)
        if (terms[i].kind == Term::Kind::Atom && terms[i].text != ",") s.flags.insert(terms[i].text);
      return;
    }
    if (w[0] == "elements" && terms.size() == 3 && terms[1].is("=") && terms[2].kind == Term::Kind::Set) {
      for (auto& e : terms[2].items) s.elements.push_back(std::move(e));
      return;
    }
    static const std::set<std::string> ignored = {"timeout", "gc-interval", "size", "policy", "auto-merge",
                                                  "counter", "comment", "quota", "limit"};
    if (ignored.count(w[0])) return;
    error_at(span, terms[0].column,
             fmt::format("unexpected '{}' in set {}: expected type, typeof, flags, elements, timeout, size, policy, "
                         "auto-merge, counter or comment",
                         terms[0].text, s.name),
             text);
  }

  // Command forms of nft scripts (add/insert/create/delete/flush ...).
  void command(Terms terms, const SourceSpan& span, const std::string& text) {
    auto w = words_of(terms);
    const std::string& verb = w[0];
    std::string what = w.size() > 1 ? w[1] : "";
    std::string family;
    std::vector<std::string> names;
    std::size_t next = 0;
    auto fail = [&](const std::string& msg) { error_at(span, terms[0].column, msg, text); };
    if (verb == "flush" && what == "ruleset") {
      std::string fam = w.size() > 2 ? w[2] : "";
      auto& ts = model_.tables;
      ts.erase(std::remove_if(ts.begin(), ts.end(), [&](const TableModel& t) { return fam.empty() || t.family == fam; }),
               ts.end());
      return;
    }
    if (verb == "table") {  // "table inet t" without a block: same as add table
      what = "table";
      terms.insert(terms.begin(), Term{Term::Kind::Atom, "add", terms[0].line, terms[0].column, {}});
      w.insert(w.begin(), "add");
    }
    bool add = verb == "add" || verb == "create" || verb == "table";
    bool insert = verb == "insert";
    if ((add || insert) && what == "rule") {
      if (!command_target(w, 2, 2, family, names, next)) return fail("expected 'add rule [FAMILY] TABLE CHAIN ...'");
      TableModel* t = model_.find_table(family, names[0]);
      if (!t) return fail(fmt::format("table {} {} does not exist", family, names[0]));
      ChainModel* c = t->find_chain(names[1]);
      if (!c) return fail(fmt::format("chain {} does not exist in table {} {}", names[1], family, names[0]));
      bool positioned = false;
      if (next + 1 < w.size() && (w[next] == "position" || w[next] == "handle" || w[next] == "index")) {
        positioned = true;
        next += 2;
      }
      if (positioned) unapplied(span, "rule position (handle/index): the rule is placed at the chain's end/start");
      RuleModel r;
      r.terms.assign(std::make_move_iterator(terms.begin() + static_cast<std::ptrdiff_t>(next)),
                     std::make_move_iterator(terms.end()));
      if (r.terms.empty()) return fail("a rule needs at least one statement");
      r.span = span;
      r.text = text;
      note_set_updates(*t, r.terms);
      if (insert)
        c->rules.insert(c->rules.begin(), std::move(r));
      else
        c->rules.push_back(std::move(r));
      return;
    }
    if (add && what == "table") {
      if (!command_target(w, 2, 1, family, names, next)) return fail("expected 'add table [FAMILY] NAME'");
      auto& t = model_.ensure_table(family, names[0], span);
      for (std::size_t i = next; i + 1 < w.size(); ++i)
        if (w[i] == "flags" && w[i + 1] == "dormant") t.dormant = true;
      return;
    }
    if (add && (what == "chain" || what == "set" || what == "map")) {
      if (!command_target(w, 2, 2, family, names, next))
        return fail(fmt::format("expected 'add {} [FAMILY] TABLE NAME'", what));
      TableModel* t = model_.find_table(family, names[0]);
      if (!t) return fail(fmt::format("table {} {} does not exist", family, names[0]));
      if (what == "chain" && !t->find_chain(names[1])) {
        ChainModel c;
        c.name = names[1];
        c.span = span;
        c.order = model_.next_chain_order++;
        t->chains.push_back(std::move(c));
      } else if (what != "chain" && !t->find_set(names[1])) {
        SetModel s;
        s.name = names[1];
        s.is_map = what == "map";
        s.span = span;
        t->sets.push_back(std::move(s));
      }
      if (next != w.size()) return fail("unexpected text after the name (a block '{ ... }' must open on this line)");
      return;
    }
    if (add && what == "element") {
      if (!command_target(w, 2, 2, family, names, next) || next + 1 != terms.size() ||
          terms[next].kind != Term::Kind::Set)
        return fail("expected 'add element [FAMILY] TABLE SET { ELEMENTS }'");
      TableModel* t = model_.find_table(family, names[0]);
      SetModel* s = t ? t->find_set(names[1]) : nullptr;
      if (!s) return fail(fmt::format("set {} does not exist in table {} {}", names[1], family, names[0]));
      for (auto& e : terms[next].items) s->elements.push_back(std::move(e));
      return;
    }
    if ((verb == "delete" || verb == "destroy") && what == "table") {
      if (!command_target(w, 2, 1, family, names, next)) return fail("expected 'delete table [FAMILY] NAME'");
      auto& ts = model_.tables;
      auto it = std::find_if(ts.begin(), ts.end(), [&](const TableModel& t) {
        return t.family == family && t.name == names[0];
      });
      if (it == ts.end()) {
        if (verb == "delete") return fail(fmt::format("table {} {} does not exist", family, names[0]));
        return;
      }
      ts.erase(it);
      return;
    }
    if ((verb == "delete" || verb == "destroy") && what == "chain") {
      if (!command_target(w, 2, 2, family, names, next)) return fail("expected 'delete chain [FAMILY] TABLE NAME'");
      if (TableModel* t = model_.find_table(family, names[0])) {
        auto& cs = t->chains;
        cs.erase(std::remove_if(cs.begin(), cs.end(), [&](const ChainModel& c) { return c.name == names[1]; }),
                 cs.end());
      }
      return;
    }
    if (verb == "flush" && (what == "chain" || what == "table" || what == "set" || what == "map")) {
      std::size_t n = what == "table" ? 1 : 2;
      if (!command_target(w, 2, n, family, names, next)) return fail(fmt::format("expected 'flush {} ...'", what));
      TableModel* t = model_.find_table(family, names[0]);
      if (!t) return;
      for (auto& c : t->chains)
        if (what == "table" || (what == "chain" && c.name == names[1])) c.rules.clear();
      if (what == "set" || what == "map")
        if (auto* s = t->find_set(names[1])) s->elements.clear();
      return;
    }
    static const std::set<std::string> verbs = {"add",   "create", "insert", "replace", "delete", "destroy", "flush",
                                                "list",  "reset",  "rename", "describe", "monitor", "export",
                                                "import", "get"};
    if (verbs.count(verb)) {
      if (verb == "list" || verb == "describe" || verb == "monitor" || verb == "export" || verb == "get" ||
          verb == "reset")
        return;  // no change to the ruleset
      unapplied(span, fmt::format("'{} {}'", verb, what));
      return;
    }
    fail(fmt::format("unexpected '{}' outside a table: expected table, include, define or a command "
                     "(add, insert, delete, flush ...)",
                     terms[0].text));
  }

  Model& model_;
  const ParseOptions& options_;
  const TextFile* file_ = nullptr;
  const std::vector<std::string_view>* lines_ = nullptr;
  std::vector<Block> blocks_;
  std::size_t base_depth_ = 0;
  std::size_t next_index_ = 0;
  std::map<std::string, Terms> defines_;
  std::string bad_variable_;
};

}  // namespace

std::string chain_priority(const std::string& family, const std::string& hook, const Terms& terms, std::size_t first,
                           int& value) {
  if (first >= terms.size()) return "expected a priority after 'priority'";
  auto number = [](const std::string& s, int& out) {
    if (s.empty() || !std::all_of(s.begin(), s.end(), ::isdigit) || s.size() > 9) return false;
    out = std::stoi(s);
    return true;
  };
  std::size_t i = first;
  int base = 0;
  bool negative = false;
  if (terms[i].is("-")) {
    negative = true;
    ++i;
  }
  if (i >= terms.size()) return "expected a priority number or name";
  std::string name = terms[i].text;
  int offset = 0;
  // "filter-10" / "filter+10" written without spaces arrive as one word.
  for (char sign : {'-', '+'}) {
    auto pos = name.find(sign);
    if (pos != std::string::npos && pos > 0 && number(name.substr(pos + 1), offset)) {
      if (sign == '-') offset = -offset;
      name = name.substr(0, pos);
      break;
    }
  }
  if (number(name, base)) {
    if (negative) base = -base;
  } else {
    if (negative) return fmt::format("expected a number after '-', found '{}'", name);
    static const std::map<std::string, int> inet_names = {{"raw", -300},   {"mangle", -150}, {"dstnat", -100},
                                                          {"filter", 0},   {"security", 50}, {"srcnat", 100}};
    static const std::map<std::string, int> bridge_names = {
        {"dstnat", -300}, {"filter", -200}, {"out", 100}, {"srcnat", 300}};
    const auto& table = family == "bridge" ? bridge_names : inet_names;
    auto it = table.find(name);
    if (it == table.end())
      return fmt::format("unknown priority '{}' (expected a number or raw, mangle, dstnat, filter, security, srcnat)",
                         name);
    base = it->second;
    (void)hook;
  }
  ++i;
  if (i + 1 < terms.size() && (terms[i].is("+") || terms[i].is("-"))) {
    int n = 0;
    if (!number(terms[i + 1].text, n)) return fmt::format("expected a number after '{}'", terms[i].text);
    offset += terms[i].is("-") ? -n : n;
    i += 2;
  }
  if (i != terms.size()) return fmt::format("unexpected '{}' after the priority", terms[i].text);
  value = base + offset;
  return {};
}

bool detect(const std::string& text) {
  std::size_t pos = 0;
  int seen = 0;
  while (pos < text.size() && seen < 60) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = trim(std::string_view(text.data() + pos, end - pos));
    pos = end + 1;
    if (line.empty()) continue;
    ++seen;
    if (line.rfind("#!", 0) == 0 && line.find("nft") != std::string::npos) return true;
    if (line[0] == '#') continue;
    if (line == "flush ruleset") return true;
    if (line.rfind("table ", 0) == 0 && line.back() == '{') {
      std::string rest = line.substr(6);
      std::string first = rest.substr(0, rest.find(' '));
      if (is_family(first) || std::count(rest.begin(), rest.end(), ' ') == 1) return true;
    }
    if (line.rfind("add table ", 0) == 0 || line.rfind("define ", 0) == 0 || line.rfind("include \"", 0) == 0)
      return true;
  }
  return false;
}

Model parse(const TextFile& file, const ParseOptions& options) {
  Model model;
  ParseOptions opts = options;
  if (opts.include_root.empty()) {
    fs::path dir = fs::path(file.path).parent_path();
    opts.include_root = dir.empty() ? "." : dir.string();
  }
  Parser parser(model, opts);
  parser.parse_file(file, 0);
  return model;
}

}  // namespace fwm::nftables
