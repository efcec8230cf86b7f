// Parsing nftables text into the vendor model. The whole file is lexed once; the parser
// is called for one item at a time (a block opener, a chain declaration, one rule, one
// command) with the entry rule of the block it is in. `define`, `include` and the command
// forms (add, insert, delete, flush) are applied here, in file order.
//
// Items of the same token shape (the same token types up to the item's end) parse to
// the same tree: generated and real rulesets repeat a few shapes thousands of times.
// The tree of a shape's first item is kept and laid onto the tokens of the later items
// of that shape instead of parsing them again (ItemShapes below).
#include <fmt/format.h>
#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include "NftablesLexer.h"
#include "NftablesParser.h"
#include "antlr4-runtime.h"
#include "frontends/nftables/nftables_frontend.h"
#include "frontends/nftables/nftables_token_scanner.h"
#include "frontends/nftables/nftables_validate.h"
#include "ir/suppressions.h"

namespace fwm::nftables {

using fwm_antlr_fwm_grammar_nftables::NftablesLexer;
using fwm_antlr_fwm_grammar_nftables::NftablesParser;
using P = NftablesParser;

// ---------------------------------------------------------------------------------
// Model look-ups

TableModel* Model::table(const std::string& family, const std::string& name, bool create) {
  for (auto& t : tables)
    if (t.family == family && t.name == name) return &t;
  if (!create) return nullptr;
  tables.push_back(TableModel{family, name, false, {}});
  return &tables.back();
}

namespace {
std::string object_key(const std::string& family, const std::string& table, const std::string& name) {
  std::string key = family;
  key += '\0';
  key += table;
  key += '\0';
  key += name;
  return key;
}
}  // namespace

ChainModel* Model::chain(const std::string& family, const std::string& table_name, const std::string& name,
                         bool create) {
  std::string key = object_key(family, table_name, name);
  if (auto it = chain_at_.find(key); it != chain_at_.end()) return &chains[it->second];
  if (!create) return nullptr;
  ChainModel c;
  c.family = family;
  c.table = table_name;
  c.name = name;
  chain_at_.emplace(std::move(key), chains.size());
  chains.push_back(std::move(c));
  return &chains.back();
}

SetModel* Model::set(const std::string& family, const std::string& table_name, const std::string& name, bool create) {
  std::string key = object_key(family, table_name, name);
  if (auto it = set_at_.find(key); it != set_at_.end()) return &sets[it->second];
  if (!create) return nullptr;
  SetModel s;
  s.family = family;
  s.table = table_name;
  s.name = name;
  set_at_.emplace(std::move(key), sets.size());
  sets.push_back(std::move(s));
  return &sets.back();
}

void Model::drop_table(const std::string& family, const std::string& name) {
  tables.erase(std::remove_if(tables.begin(), tables.end(),
                              [&](const TableModel& t) { return t.family == family && t.name == name; }),
               tables.end());
  chains.erase(std::remove_if(chains.begin(), chains.end(),
                              [&](const ChainModel& c) { return c.family == family && c.table == name; }),
               chains.end());
  sets.erase(std::remove_if(sets.begin(), sets.end(),
                            [&](const SetModel& s) { return s.family == family && s.table == name; }),
             sets.end());
  reindex();
}

void Model::drop_chain(const std::string& family, const std::string& table_name, const std::string& name) {
  chains.erase(std::remove_if(
                   chains.begin(), chains.end(),
                   [&](const ChainModel& c) { return c.family == family && c.table == table_name && c.name == name; }),
               chains.end());
  reindex();
}

void Model::clear() {
  tables.clear();
  chains.clear();
  sets.clear();
  reindex();
}

void Model::reindex() {
  chain_at_.clear();
  set_at_.clear();
  for (std::size_t i = 0; i < chains.size(); ++i)
    chain_at_.emplace(object_key(chains[i].family, chains[i].table, chains[i].name), i);
  for (std::size_t i = 0; i < sets.size(); ++i)
    set_at_.emplace(object_key(sets[i].family, sets[i].table, sets[i].name), i);
}

std::optional<std::size_t> ChainModel::rule_with_handle(std::uint64_t handle) const {
  for (std::size_t i = 0; i < rules.size(); ++i)
    if (rules[i].handle == handle) return i;
  return std::nullopt;
}

bool SetModel::remove_element(const Expr& element) {
  std::string key = element_key_text(element);
  auto it =
      std::find_if(elements.begin(), elements.end(), [&](const Expr& have) { return element_key_text(have) == key; });
  if (it == elements.end()) return false;
  elements.erase(it);
  return true;
}

std::string element_key_text(const Expr& e) {
  auto joined = [](const std::vector<Expr>& items, const char* sep) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : sep) + element_key_text(i);
    return out;
  };
  switch (e.kind) {
    case Expr::Kind::Range:
      return joined(e.items, "-");
    case Expr::Kind::Concat:
      return joined(e.items, " . ");
    case Expr::Kind::BitOr:
      return joined(e.items, "|");
    case Expr::Kind::List:
      return joined(e.items, ",");
    case Expr::Kind::Set:
      return "{" + joined(e.items, ",") + "}";
    case Expr::Kind::MapElem:
      return e.items.empty() ? e.text : element_key_text(e.items[0]);
    case Expr::Kind::SetRef:
      return "@" + e.text;
    default:
      return e.text;
  }
}

// ---------------------------------------------------------------------------------
// Detection

bool detect(const std::string& text) {
  std::size_t pos = 0;
  int seen = 0;
  while (pos < text.size() && seen < 40) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty()) continue;
    if (line.rfind("#!", 0) == 0 && line.find("nft") != std::string_view::npos) return true;
    if (line.front() == '#') continue;
    ++seen;
    for (const char* start : {"table ", "flush ruleset", "add table ", "add rule ", "add chain ", "define ",
                              "include \"", "create table ", "delete table ", "insert rule "})
      if (line.rfind(start, 0) == 0) return true;
    return false;
  }
  return false;
}

namespace {

std::string unquote(const std::string& raw) {
  if (raw.size() >= 2 && (raw.front() == '"' || raw.front() == '\'') && raw.back() == raw.front()) {
    std::string out;
    for (std::size_t i = 1; i + 1 < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 2 < raw.size()) {
        out += raw[++i];
      } else {
        out += raw[i];
      }
    }
    return out;
  }
  return raw;
}

// Reports the first syntax error of an item and stops the parse there (no recovery:
// the driver skips to the end of the item itself).
class ItemErrors : public antlr4::BaseErrorListener {
 public:
  void syntaxError(antlr4::Recognizer*, antlr4::Token* offending, size_t line, size_t column, const std::string& msg,
                   std::exception_ptr) override {
    if (has_error) return;
    has_error = true;
    this->line = static_cast<int>(line);
    this->column = static_cast<int>(column) + 1;
    message = msg;
    token = offending ? offending->getText() : "";
    token_type = offending ? offending->getType() : 0;
  }
  void reset() {
    has_error = false;
    message.clear();
    token.clear();
  }
  bool has_error = false;
  int line = 0, column = 1;
  std::string message, token;
  std::size_t token_type = 0;
};

class StopAtFirstError : public antlr4::DefaultErrorStrategy {
 public:
  void recover(antlr4::Parser*, std::exception_ptr) override { throw antlr4::ParseCancellationException(); }
  antlr4::Token* recoverInline(antlr4::Parser* recognizer) override {
    antlr4::InputMismatchException e(recognizer);
    reportError(recognizer, e);
    throw antlr4::ParseCancellationException();
  }
  void sync(antlr4::Parser*) override {}
};

enum class BlockKind { Top, Table, Chain, Set, Other };

// Thrown when the token scanner and ANTLR's lexer disagree on an item.
struct ScannerDisagreed {};

// A token stream that remembers the furthest token the parser has looked at, so that
// a parse is known to depend only on the tokens of its item.
class WatchedTokenStream : public antlr4::CommonTokenStream {
 public:
  using antlr4::CommonTokenStream::CommonTokenStream;
  antlr4::Token* LT(ssize_t k) override {
    antlr4::Token* t = antlr4::CommonTokenStream::LT(k);
    if (t && t->getTokenIndex() > furthest) furthest = t->getTokenIndex();
    return t;
  }
  std::size_t furthest = 0;
};

// Parse trees of items by token shape. The parser's decisions depend only on token types
// (the grammar has no predicates), so an item whose token types equal those of an item
// parsed before has the same tree; only the tokens its nodes point at differ. A shape is
// kept only when its parse had no error and looked at no token past the item's end.
// The trees stay alive in the parser until `clear()`; at most kMaxParses items are
// parsed between two clears, which bounds the memory they hold.
class ItemShapes {
 public:
  static constexpr std::size_t kMaxParses = 4096;
  static constexpr std::size_t kMaxItemTokens = 256;

  // The shape of the item starting at `start`: the entry rule and the token types up to
  // its end (a newline or ';' outside braces, a '}' closing the block, '{' at the end of
  // a line, or the end of input). False when the item is longer than kMaxItemTokens.
  bool shape_at(antlr4::CommonTokenStream& tokens, std::size_t start, BlockKind kind) {
    key_.assign(1, static_cast<char>(kind));
    int depth = 0;
    std::size_t size = tokens.size();
    for (std::size_t i = start; i < size && i - start < kMaxItemTokens; ++i) {
      std::size_t type = tokens.get(i)->getType();
      key_ += static_cast<char>(type == antlr4::Token::EOF ? 255 : type);
      bool ends = false;
      if (type == antlr4::Token::EOF) {
        ends = true;
      } else if (type == P::LBRACE) {
        ++depth;
        ends = i + 1 < size && tokens.get(i + 1)->getType() == P::NL;
        if (ends) key_ += static_cast<char>(P::NL), ++i;
      } else if (type == P::RBRACE) {
        ends = depth == 0;
        --depth;
      } else if (type == P::NL || type == P::SEMI) {
        ends = depth <= 0;
      }
      if (ends) {
        shape_end_ = i;
        return true;
      }
    }
    return false;
  }

  // The tree of the current shape, laid onto the item starting at `start`; `next` is the
  // token after the item. Null when the shape has not been seen.
  antlr4::ParserRuleContext* find(antlr4::CommonTokenStream& tokens, std::size_t start, std::size_t& next) {
    auto it = trees_.find(key_);
    if (it == trees_.end()) return nullptr;
    Tree& tree = it->second;
    for (const Slot& slot : tree.slots)
      *slot.token = slot.offset == kNoToken ? nullptr : tokens.get(start + slot.offset);
    next = start + tree.length;
    return tree.root;
  }

  // After a parse of the current shape from `start` to `next` (exclusive), with no error.
  void keep(antlr4::ParserRuleContext* root, std::size_t start, std::size_t next, std::size_t furthest) {
    if (furthest > shape_end_ || next > shape_end_ + 1 || next <= start) return;
    Tree tree{root, next - start, {}};
    collect_slots(root, start, tree.slots);
    trees_.emplace(key_, std::move(tree));
  }

  // Counts a parse; true when the trees must be dropped first (parser.reset()).
  bool parse_due_to_clear() { return ++parses_ > kMaxParses; }
  void clear() {
    trees_.clear();
    parses_ = 1;
  }

 private:
  static constexpr std::size_t kNoToken = static_cast<std::size_t>(-1);
  // A token pointer in the tree (a context's start or stop, a leaf's symbol) and the
  // position of its token in the item.
  struct Slot {
    antlr4::Token** token;
    std::size_t offset;
  };
  struct Tree {
    antlr4::ParserRuleContext* root;
    std::size_t length;  // tokens of the item
    std::vector<Slot> slots;
  };

  static void collect_slots(antlr4::tree::ParseTree* node, std::size_t start, std::vector<Slot>& slots) {
    auto slot = [&](antlr4::Token*& t) { slots.push_back({&t, t ? t->getTokenIndex() - start : kNoToken}); };
    if (auto* ctx = dynamic_cast<antlr4::ParserRuleContext*>(node)) {
      slot(ctx->start);
      slot(ctx->stop);
      for (auto* child : ctx->children) collect_slots(child, start, slots);
    } else if (auto* leaf = dynamic_cast<antlr4::tree::TerminalNodeImpl*>(node)) {
      slot(leaf->symbol);
    }
  }

  std::string key_;
  std::size_t shape_end_ = 0;
  std::unordered_map<std::string, Tree> trees_;
  std::size_t parses_ = 0;
};

struct Block {
  BlockKind kind = BlockKind::Top;
  std::string family, table, name;
  std::size_t chain_index = 0;  // Chain blocks: index into Model::chains
  std::map<std::string, Expr> defines;
};

// Priority names [man: "chain priority names"]: ip, ip6, inet, arp, netdev; bridge differs.
std::optional<int> priority_name(const std::string& family, const std::string& name) {
  static const std::map<std::string, int> standard = {{"raw", -300}, {"mangle", -150}, {"dstnat", -100},
                                                      {"filter", 0}, {"security", 50}, {"srcnat", 100}};
  static const std::map<std::string, int> bridge = {{"dstnat", -300}, {"filter", -200}, {"out", 100}, {"srcnat", 300}};
  const auto& table = family == "bridge" ? bridge : standard;
  auto it = table.find(name);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

class FileParser {
 public:
  // Tokens a chunk holds beyond the end of the line its first item starts on: more than
  // the longest item read from its shape (ItemShapes::kMaxItemTokens).
  static constexpr std::size_t kChunkMargin = 2 * ItemShapes::kMaxItemTokens;

  FileParser(Model& model, std::vector<Block>& stack, const ParseOptions& options, int depth)
      : model_(model), stack_(stack), options_(options), depth_(depth) {}

  void run(const TextFile& file) {
    file_ = &file;
    lines_ = split_lines(file.text);
    include_paths_ = options_.include_paths;
    if (depth_ == 0 && !lines_.empty()) read_shebang(lines_.front());
    model_.line_count += lines_.size();
    // The scanner's tokens, handed to the parser through a token source of their own, with
    // their text (the file is ASCII: character and byte positions agree); ANTLR's lexer
    // on the file decoded into code points when the scanner leaves it to ANTLR.
    std::vector<ScannedToken> scanned;
    scanned_ = options_.scan_tokens && scan_tokens(file.text, scanned);
    antlr4::ANTLRInputStream input(scanned_ ? std::string() : file.text);
    NftablesLexer lexer(&input);
    // The scanner's tokens become ANTLR tokens a chunk at a time (about 110 bytes each:
    // a whole file's at once took 100 MB for 50,000 rules). A chunk starts at an item and
    // holds at least the rest of its line and kChunkMargin tokens more, so that an item
    // read from its shape lies inside it; an item the parser reads up to the chunk's end
    // is read again from a chunk twice as large. The file's last chunk ends with its EOF.
    const std::size_t scanned_count = scanned.size();  // the last is the EOF
    std::size_t chunk_begin = 0, chunk_end = 0;
    auto source_of = [&](std::size_t begin, std::size_t end) {
      std::vector<std::unique_ptr<antlr4::Token>> list;
      list.reserve(end - begin + 1);
      auto add = [&](const ScannedToken& t) {
        auto token =
            std::make_unique<antlr4::CommonToken>(std::pair<antlr4::TokenSource*, antlr4::CharStream*>(&lexer, &input),
                                                  t.type, antlr4::Token::DEFAULT_CHANNEL, t.start, t.stop);
        token->setLine(t.line);
        token->setCharPositionInLine(t.column);
        if (t.type != antlr4::Token::EOF) token->setText(file.text.substr(t.start, t.stop - t.start + 1));
        list.push_back(std::move(token));
      };
      for (std::size_t i = begin; i < end; ++i) add(scanned[i]);
      if (end < scanned_count) {  // the chunk's own end: an EOF where the next token starts
        ScannedToken eof = scanned[end];
        eof.type = antlr4::Token::EOF;
        eof.stop = eof.start - 1;
        add(eof);
      }
      return std::make_unique<antlr4::ListTokenSource>(std::move(list));
    };
    // The end of a chunk starting at `begin` (an item's first token): at least `size`
    // tokens, and kChunkMargin past the first newline from `begin` on. That newline is
    // kept for the next call: a line of many items is searched once, not once per item.
    std::size_t newline_from = 1, newline_at = 0;  // the newline at newline_at is the first from newline_from on
    auto chunk_end_from = [&](std::size_t begin, std::size_t size) {
      if (begin < newline_from || begin > newline_at) {
        newline_from = newline_at = begin;
        while (newline_at < scanned_count && scanned[newline_at].type != P::NL) ++newline_at;
      }
      const std::size_t line_end = newline_at;
      std::size_t end = std::max(begin + std::max<std::size_t>(size, 1), line_end + 1 + kChunkMargin);
      return std::min(end, scanned_count);
    };
    std::unique_ptr<antlr4::ListTokenSource> scanned_source;
    if (scanned_) {
      chunk_end = chunk_end_from(0, options_.chunk_tokens);
      scanned_source = source_of(0, chunk_end);
      model_.tokens_scanned = true;
      ++model_.token_chunks;
    }
    WatchedTokenStream tokens(scanned_source ? static_cast<antlr4::TokenSource*>(scanned_source.get()) : &lexer);
    NftablesParser parser(&tokens);
    ItemErrors errors;
    lexer.removeErrorListeners();
    lexer.addErrorListener(&errors);
    parser.removeErrorListeners();
    parser.addErrorListener(&errors);
    parser.setErrorHandler(std::make_shared<StopAtFirstError>());
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(antlr4::atn::PredictionMode::SLL);
    tokens_ = &tokens;
    input_ = &input;
    tokens.fill();
    ItemShapes shapes;
    auto last_chunk = [&] { return !scanned_ || chunk_end == scanned_count; };
    // Makes scanner tokens [begin, end) the stream's tokens, from an item's first token.
    auto load_chunk = [&](std::size_t begin, std::size_t end) {
      auto next_source = source_of(begin, end);
      tokens.setTokenSource(next_source.get());  // drops the previous chunk's tokens
      scanned_source = std::move(next_source);
      chunk_begin = begin;
      chunk_end = end;
      ++model_.token_chunks;
      tokens.fill();
      parser.reset();  // its trees point at the previous chunk's tokens
      shapes.clear();
      tokens.seek(0);
      tokens.furthest = 0;
    };
    std::size_t start_depth = stack_.size();
    while (tokens.LA(1) != antlr4::Token::EOF || !last_chunk()) {
      std::size_t start = tokens.index();
      if (!last_chunk() &&
          (tokens.size() - 1 - start < kChunkMargin || chunk_end_from(chunk_begin + start, 0) > chunk_end)) {
        load_chunk(chunk_begin + start, chunk_end_from(chunk_begin + start, options_.chunk_tokens));
        continue;
      }
      BlockKind kind = stack_.back().kind;
      bool shaped = options_.reuse_item_trees && shapes.shape_at(tokens, start, kind);
      std::size_t next = 0;
      if (antlr4::ParserRuleContext* tree = shaped ? shapes.find(tokens, start, next) : nullptr) {
        tokens.seek(next);
        ++model_.items_reused;
        read_item(kind, tree);
        continue;
      }
      if (shapes.parse_due_to_clear()) {
        parser.reset();  // drops every tree the parser made
        shapes.clear();
      }
      tokens.seek(start);
      tokens.furthest = start;
      parser.getErrorHandler()->reset(&parser);
      errors.reset();
      antlr4::ParserRuleContext* tree = nullptr;
      try {
        tree = parse_item(parser, kind);
      } catch (const antlr4::ParseCancellationException&) {
        errors.has_error = true;
      }
      if (!last_chunk() && std::max(tokens.index(), tokens.furthest) + 1 >= tokens.size()) {
        // The parser read up to the chunk's end: read the item again from a larger chunk.
        ++model_.items_reread;
        std::size_t size = 2 * (chunk_end - chunk_begin - start);
        load_chunk(chunk_begin + start, chunk_end_from(chunk_begin + start, size));
        continue;
      }
      ++model_.items_parsed;
      // The first item of a shape checks the scanner against ANTLR's lexer.
      if (scanned_source && !lexer_agrees(tokens, start, std::max(tokens.index(), tokens.furthest + 1)))
        throw ScannerDisagreed{};
      if (!errors.has_error && shaped) shapes.keep(tree, start, tokens.index(), tokens.furthest);
      if (!errors.has_error) read_item(kind, tree);
      if (errors.has_error) {
        syntax_error(errors, kind);
        skip_broken_item(start);
      } else if (tokens.index() == start) {
        tokens.consume();  // cannot happen with this grammar; never loop forever
      }
    }
    for (std::size_t d = stack_.size(); d > start_depth; --d) {
      const Block& b = stack_.back();
      error(static_cast<int>(lines_.size()), 1,
            fmt::format("end of file inside {} '{}': '}}' expected", block_name(b.kind), b.name), "");
      stack_.pop_back();
    }
    tokens_ = nullptr;
  }

 private:
  // Whether ANTLR's lexer, run on the characters of tokens [from, to), makes the same tokens.
  bool lexer_agrees(antlr4::CommonTokenStream& tokens, std::size_t from, std::size_t to) const {
    to = std::min(to, tokens.size());
    if (from >= to) return true;
    antlr4::Token* first = tokens.get(from);
    std::size_t begin = first->getStartIndex();
    antlr4::Token* last = tokens.get(to - 1);
    std::size_t end = last->getType() == antlr4::Token::EOF ? file_->text.size() : last->getStopIndex() + 1;
    if (end < begin) return true;
    antlr4::ANTLRInputStream piece(file_->text.substr(begin, end - begin));
    NftablesLexer lexer(&piece);
    lexer.removeErrorListeners();
    lexer.setLine(first->getLine());
    lexer.setCharPositionInLine(first->getCharPositionInLine());
    for (std::size_t k = from; k < to; ++k) {
      std::unique_ptr<antlr4::Token> expected = lexer.nextToken();
      antlr4::Token* got = tokens.get(k);
      if (expected->getType() != got->getType() || expected->getLine() != got->getLine() ||
          expected->getCharPositionInLine() != got->getCharPositionInLine())
        return false;
      if (got->getType() == antlr4::Token::EOF) break;
      if (expected->getStartIndex() + begin != got->getStartIndex() ||
          expected->getStopIndex() + begin != got->getStopIndex())
        return false;
    }
    return true;
  }

  static antlr4::ParserRuleContext* parse_item(NftablesParser& parser, BlockKind kind) {
    switch (kind) {
      case BlockKind::Top:
        return parser.topItem();
      case BlockKind::Table:
        return parser.tableItem();
      case BlockKind::Chain:
        return parser.chainItem();
      case BlockKind::Set:
        return parser.setItem();
      case BlockKind::Other:
        break;
    }
    return parser.otherItem();
  }

  void read_item(BlockKind kind, antlr4::ParserRuleContext* tree) {
    switch (kind) {
      case BlockKind::Top:
        return top_item(static_cast<P::TopItemContext*>(tree));
      case BlockKind::Table:
        return table_item(static_cast<P::TableItemContext*>(tree));
      case BlockKind::Chain:
        return chain_item(static_cast<P::ChainItemContext*>(tree));
      case BlockKind::Set:
        return set_item(static_cast<P::SetItemContext*>(tree));
      case BlockKind::Other:
        return other_item(static_cast<P::OtherItemContext*>(tree));
    }
  }

  // ------------------------------------------------------------- diagnostics
  static const char* block_name(BlockKind k) {
    switch (k) {
      case BlockKind::Top:
        return "file";
      case BlockKind::Table:
        return "table";
      case BlockKind::Chain:
        return "chain";
      case BlockKind::Set:
        return "set";
      case BlockKind::Other:
        return "block";
    }
    return "block";
  }

  std::string line_text(int line) const {
    if (line < 1 || static_cast<std::size_t>(line) > lines_.size()) return "";
    std::string_view s = lines_[static_cast<std::size_t>(line) - 1];
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
  }

  void error(int line, int column, std::string message, std::string snippet, const char* id = "FWM090") {
    Diagnostic d;
    d.id = id;
    d.severity = std::string(id) == "FWM090" ? Severity::Error : Severity::Warning;
    d.span = {file_->path, line, column, line, column};
    d.message = std::move(message);
    d.snippet = snippet.empty() ? line_text(line) : std::move(snippet);
    model_.diagnostics.push_back(std::move(d));
  }

  void error_at(antlr4::ParserRuleContext* ctx, std::string message, const char* id = "FWM090") {
    auto* t = ctx->getStart();
    error(static_cast<int>(t->getLine()), static_cast<int>(t->getCharPositionInLine()) + 1, std::move(message), "", id);
  }

  void syntax_error(const ItemErrors& e, BlockKind kind) {
    static const char* what[] = {"a table, command, define or include", "a chain, set, map or table property",
                                 "a rule or chain property", "a set property", "a statement"};
    std::string token = e.token == "<EOF>" ? "end of file" : (e.token == "\n" ? "end of line" : "'" + e.token + "'");
    std::string msg = e.message;
    if (msg.size() > 160 || msg.find("expecting {") != std::string::npos ||
        msg.rfind("no viable alternative", 0) == 0) {
      msg = fmt::format("unexpected {} while reading {}", token, what[static_cast<int>(kind)]);
    } else {
      msg = fmt::format("{} (while reading {})", msg, what[static_cast<int>(kind)]);
    }
    error(e.line, e.column, msg, "");
  }

  // After a syntax error: skip to the end of the item. A '{' left open on that line is a
  // block we cannot read: its content is skipped up to the matching '}'.
  void skip_broken_item(std::size_t start) {
    tokens_->seek(start);
    int depth = 0;
    std::size_t previous = 0;
    while (true) {
      auto type = tokens_->LA(1);
      if (type == antlr4::Token::EOF) return;
      if (type == P::RBRACE && depth == 0 && tokens_->index() != start) return;  // closes the block
      tokens_->consume();
      if (type == P::LBRACE) ++depth;
      if (type == P::RBRACE) --depth;
      if ((type == P::NL || type == P::SEMI) && depth <= 0) return;
      // A '{' left open in the middle of a line is a broken expression: skip the line. A
      // line ending in '{' opens a block we cannot read: skip it up to its '}'.
      if (type == P::NL && previous != P::LBRACE) return;
      previous = type;
      if (type == P::NL) {
        Block b = stack_.back();
        b.kind = BlockKind::Other;
        b.name = "(unreadable)";
        b.defines.clear();
        for (int i = 0; i < depth; ++i) stack_.push_back(b);
        return;
      }
    }
  }

  // ------------------------------------------------------------- helpers
  static std::string text_of(antlr4::tree::ParseTree* t) { return t ? t->getText() : std::string(); }

  std::string source_text(antlr4::ParserRuleContext* ctx) const {
    auto* a = ctx->getStart();
    auto* b = ctx->getStop();
    if (!a || !b || b->getStopIndex() < a->getStartIndex()) return "";
    std::string s = scanned_ ? file_->text.substr(a->getStartIndex(), b->getStopIndex() - a->getStartIndex() + 1)
                             : input_->getText(antlr4::misc::Interval(a->getStartIndex(), b->getStopIndex()));
    // Collapse line continuations and runs of blanks into one space.
    std::string out;
    bool space = false, quoted = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (c == '"') quoted = !quoted;
      if (c == '#' && !quoted) {  // a comment inside a multi-line item: not part of the text
        while (i + 1 < s.size() && s[i + 1] != '\n') ++i;
        space = true;
        continue;
      }
      if (c == '\\' && i + 1 < s.size() && s[i + 1] == '\n') {
        space = true;
        ++i;
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\n') {
        space = true;
        continue;
      }
      if (space && !out.empty()) out += ' ';
      space = false;
      out += c;
    }
    return out;
  }

  std::string ident(P::IdentifierContext* c) const { return c ? unquote(c->getText()) : std::string(); }

  std::string family_of(P::FamilyContext* f) const { return f ? f->getText() : std::string("ip"); }

  const Expr* lookup_define(const std::string& name) const {
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
      auto d = it->defines.find(name);
      if (d != it->defines.end()) return &d->second;
    }
    return nullptr;
  }

  Expr var(antlr4::tree::TerminalNode* node) {
    std::string name = node->getText().substr(1);
    if (const Expr* e = lookup_define(name)) return *e;
    auto* t = node->getSymbol();
    error(static_cast<int>(t->getLine()), static_cast<int>(t->getCharPositionInLine()) + 1,
          fmt::format("undefined variable ${} (no 'define {} = ...' before it)", name, name), "");
    Expr e;
    e.kind = Expr::Kind::Complex;
    e.text = node->getText();
    return e;
  }

  // ------------------------------------------------------------- expressions
  Expr verdict_expr(P::VerdictContext* v) {
    Expr e;
    e.kind = Expr::Kind::Verdict;
    e.verdict = verdict(v);
    e.text = v->getText();
    return e;
  }

  Verdict verdict(P::VerdictContext* v) {
    Verdict out;
    if (v->ACCEPT())
      out.kind = VerdictKind::Accept;
    else if (v->DROP())
      out.kind = VerdictKind::Drop;
    else if (v->CONTINUE())
      out.kind = VerdictKind::Continue;
    else if (v->RETURN())
      out.kind = VerdictKind::Return;
    else if (v->QUEUE())
      out.kind = VerdictKind::Queue;
    else {
      out.kind = v->JUMP() ? VerdictKind::Jump : VerdictKind::Goto;
      if (v->LBRACE()) {  // an anonymous chain follows: "jump {" ... "}"
        const Block& b = stack_.back();
        out.chain = fmt::format("{}@{}", b.name, v->getStart()->getLine());
        pending_anonymous_chain_ = out.chain;
      } else if (v->identifier()) {
        out.chain = ident(v->identifier());
      } else if (v->VARREF()) {
        Expr e = var(v->VARREF());
        out.chain = e.text;
      }
    }
    return out;
  }

  // Text of a context: one token's text directly (the common case), else the concatenation.
  static std::string flat_text(antlr4::ParserRuleContext* c) {
    if (c->getStart() == c->getStop()) return c->getStart()->getText();
    return c->getText();
  }

  Expr atom(P::AtomContext* a) {
    Expr e;
    if (a->getStart() == a->getStop()) {  // one token: decide by its type, no child look-ups
      auto* t = a->getStart();
      switch (t->getType()) {
        case P::VALUE:
          e.text = t->getText();
          return e;
        case P::SETREF:
          e.kind = Expr::Kind::SetRef;
          e.text = t->getText().substr(1);
          return e;
        case P::STRING:
        case P::SQSTRING:
          e.text = unquote(t->getText());
          e.quoted = true;
          return e;
        case P::VARREF:
          return var(a->VARREF());
        default:
          break;
      }
    }
    if (a->VARREF()) return var(a->VARREF());
    if (a->SETREF()) {
      e.kind = Expr::Kind::SetRef;
      e.text = a->SETREF()->getText().substr(1);
      return e;
    }
    if (a->setExpr()) return set_expr(a->setExpr());
    if (a->string()) {
      e.text = unquote(a->string()->getText());
      e.quoted = true;
      return e;
    }
    if (a->valueExpr()) {  // ( ... ): flag values joined with '|' are read, the rest is not
      e = value_expr(a->valueExpr());
      e.text = source_text(a);
      return e;
    }
    e.text = flat_text(a);  // "-" VALUE, keyword used as a value
    return e;
  }

  // `syn | ack | 0x40`: a BitOr of its atoms; any other operator, selector or map: Complex.
  Expr value_expr(P::ValueExprContext* v) {
    Expr e;
    e.kind = Expr::Kind::Complex;
    e.text = source_text(v);
    if (v->MAP() || !v->DOT().empty()) return e;
    for (auto* op : v->binOp())
      if (!op->PIPE() && !op->OR_WORD()) return e;
    std::vector<Expr> items;
    for (auto* term : v->valueTerm()) {
      if (!term->atom()) return e;
      items.push_back(atom(term->atom()));
    }
    if (items.size() == 1) return std::move(items.front());
    e.kind = Expr::Kind::BitOr;
    e.items = std::move(items);
    return e;
  }

  Expr range_value(P::RangeValueContext* r) {
    auto atoms = r->atom();
    if (atoms.size() == 1) return atom(atoms[0]);
    Expr e;
    e.kind = Expr::Kind::Range;
    e.items = {atom(atoms[0]), atom(atoms[1])};
    return e;
  }

  Expr concat_value(P::ConcatValueContext* c) {
    auto parts = c->rangeValue();
    if (parts.size() == 1) return range_value(parts[0]);
    Expr e;
    e.kind = Expr::Kind::Concat;
    for (auto* p : parts) e.items.push_back(range_value(p));
    return e;
  }

  // A right side: one value, a list `a, b` (flag lists, ct states), flag values joined
  // with '|' (BitOr) and the bitmask form `value / mask` (Masked: tcp flags syn / syn,ack).
  Expr rhs(P::RhsContext* r) {
    auto items = r->rhsItem();
    if (items.size() == 1) return concat_value(items[0]->concatValue());
    if (r->SLASH().size() > 1) {
      Expr e;
      e.kind = Expr::Kind::Complex;
      e.text = source_text(r);
      return e;
    }
    // The separators between the items, in order; a '/' splits value and mask.
    std::vector<Expr> sides(1);
    std::vector<bool> piped(1, false);
    sides[0].kind = Expr::Kind::List;
    std::size_t item = 0;
    for (auto* child : r->children) {
      auto* term = dynamic_cast<antlr4::tree::TerminalNode*>(child);
      if (!term) {
        sides.back().items.push_back(concat_value(items[item++]->concatValue()));
        continue;
      }
      auto type = term->getSymbol()->getType();
      if (type == P::SLASH) {
        sides.emplace_back();
        sides.back().kind = Expr::Kind::List;
        piped.push_back(false);
      } else if (type == P::PIPE) {
        piped.back() = true;
      }
    }
    for (std::size_t i = 0; i < sides.size(); ++i) {
      Expr& side = sides[i];
      if (piped[i]) side.kind = Expr::Kind::BitOr;  // `,` and `|` both join bits of a bitmask
      if (side.items.size() == 1) side = Expr(std::move(side.items.front()));
    }
    if (sides.size() == 1) {
      sides[0].text = sides[0].kind == Expr::Kind::List ? "" : source_text(r);
      return std::move(sides[0]);
    }
    Expr e;
    e.kind = Expr::Kind::Masked;
    e.text = source_text(r);
    e.items = std::move(sides);
    return e;
  }

  Expr element_key(P::ElementKeyContext* k) {
    if (k->concatValue()) return concat_value(k->concatValue());
    Expr e;
    e.kind = Expr::Kind::Complex;
    e.text = source_text(k);
    if (!k->PIPE().empty()) {  // syn | ack
      e.kind = Expr::Kind::BitOr;
      for (auto* a : k->atom()) e.items.push_back(atom(a));
    }
    return e;
  }

  Expr set_expr(P::SetExprContext* s) {
    Expr e;
    e.kind = Expr::Kind::Set;
    for (auto* el : s->setElement()) {
      Expr key = element_key(el->key);
      if (el->COLON()) {
        Expr m;
        m.kind = Expr::Kind::MapElem;
        m.items.push_back(std::move(key));
        if (el->verdict()) {
          m.items.push_back(verdict_expr(el->verdict()));
        } else {
          m.items.push_back(element_key(el->data));
        }
        e.items.push_back(std::move(m));
      } else if (key.kind == Expr::Kind::Set) {  // a $variable holding a set: its elements
        for (auto& k : key.items) e.items.push_back(std::move(k));
      } else {
        e.items.push_back(std::move(key));
      }
    }
    return e;
  }

  // ------------------------------------------------------------- statements
  // An operator as its symbol: nft's scanner reads "ne" as "!=", "or" as "|" (scanner.l).
  static std::string operator_text(antlr4::ParserRuleContext* op) {
    static const std::unordered_map<std::string, std::string> words = {
        {"eq", "=="}, {"ne", "!="}, {"lt", "<"},  {"gt", ">"},      {"le", "<="},    {"ge", ">="},
        {"and", "&"}, {"or", "|"},  {"xor", "^"}, {"lshift", "<<"}, {"rshift", ">>"}};
    std::string text = op->getStart()->getText();
    auto it = words.find(text);
    return it == words.end() ? text : it->second;
  }

  static std::string selector_text(P::SelectorContext* s) {
    std::string out;
    for (auto* child : s->children) {
      if (!out.empty()) out += ' ';
      auto* ctx = dynamic_cast<antlr4::ParserRuleContext*>(child);
      out += ctx ? flat_text(ctx) : child->getText();
    }
    return out;
  }

  Stmt statement(P::StatementContext* st) {
    Stmt s;
    s.column = static_cast<int>(st->getStart()->getCharPositionInLine()) + 1;
    s.text = source_text(st);
    auto selectors = [&](P::SelectorExprContext* se) {
      for (auto* sel : se->selector()) s.selectors.push_back(selector_text(sel));
      s.selector_complex = !se->binOp().empty() || !se->atom().empty();
      auto ops = se->binOp();
      auto operands = se->atom();
      if (operands.size() == ops.size() && se->plainAtom().empty())
        for (std::size_t i = 0; i < ops.size(); ++i)
          s.selector_ops.emplace_back(operator_text(ops[i]), atom(operands[i]));
    };
    if (auto* to = dynamic_cast<P::TcpOptionStatementContext*>(st)) {
      // nft(8) EXTENSION HEADER EXPRESSIONS: tcp option NAME FIELD; `set` rewrites it (an
      // MSS clamp: no rule decision reads it), a test is not modelled (undetermined).
      auto fields = to->field();
      s.selectors.push_back(fmt::format("tcp option {} {}", fields[0]->getText(), fields[1]->getText()));
      if (to->SET()) {
        s.kind = StmtKind::SetValue;
      } else {
        s.kind = StmtKind::Match;
        if (to->relOp()) s.op = operator_text(to->relOp());
        if (to->rhs()) {
          s.rhs = rhs(to->rhs());
        } else {  // exists / missing
          s.selectors.back() = fmt::format("tcp option {}", fields[0]->getText());
          s.rhs.text = fields[1]->getText();
        }
      }
    } else if (auto* raw = dynamic_cast<P::TcpRawOptionStatementContext*>(st)) {
      // tcp option @KIND,OFFSET,LENGTH: bits of a raw option; not modelled (undetermined)
      auto v = raw->VALUE();
      s.selectors.push_back(fmt::format("tcp option @{},{},{}", v[0]->getText(), v[1]->getText(), v[2]->getText()));
      if (raw->SET()) {
        s.kind = StmtKind::SetValue;
      } else {
        s.kind = StmtKind::Match;
        if (raw->relOp()) s.op = operator_text(raw->relOp());
        s.rhs = rhs(raw->rhs());
      }
    } else if (auto* m = dynamic_cast<P::MatchStatementContext*>(st)) {
      s.kind = StmtKind::Match;
      selectors(m->selectorExpr());
      if (m->relOp()) s.op = operator_text(m->relOp());
      if (m->OVER()) s.op = "over";
      s.rhs = rhs(m->rhs());
    } else if (auto* v = dynamic_cast<P::VmapStatementContext*>(st)) {
      s.kind = StmtKind::Vmap;
      selectors(v->selectorExpr());
      s.rhs = vmap_operand(v->vmapOperand());
    } else if (auto* kv = dynamic_cast<P::KeylessVmapStatementContext*>(st)) {
      s.kind = StmtKind::Vmap;
      s.rhs = vmap_operand(kv->vmapOperand());
    } else if (auto* sv = dynamic_cast<P::SetValueStatementContext*>(st)) {
      s.kind = StmtKind::SetValue;
      selectors(sv->selectorExpr());
    } else if (auto* vd = dynamic_cast<P::VerdictStatementContext*>(st)) {
      s.kind = StmtKind::Verdict;
      s.verdict = verdict(vd->verdict());
    } else if (dynamic_cast<P::RejectStatementContext*>(st)) {
      s.kind = StmtKind::Reject;
    } else if (dynamic_cast<P::CounterStatementContext*>(st) || dynamic_cast<P::LogStatementContext*>(st) ||
               dynamic_cast<P::CommentStatementContext*>(st)) {
      s.kind = StmtKind::Counter;
    } else if (dynamic_cast<P::LimitStatementContext*>(st) || dynamic_cast<P::QuotaStatementContext*>(st)) {
      s.kind = StmtKind::Limit;
    } else if (dynamic_cast<P::NotrackStatementContext*>(st)) {
      s.kind = StmtKind::Notrack;
    } else if (auto* n = dynamic_cast<P::NatStatementContext*>(st)) {
      s.kind = StmtKind::Nat;
      s.nat_kind = n->natKind()->getText();
    } else if (auto* u = dynamic_cast<P::SetUpdateStatementContext*>(st)) {
      s.kind = StmtKind::SetUpdate;
      s.rhs.kind = Expr::Kind::SetRef;
      s.rhs.text = u->SETREF()->getText().substr(1);
      s.stateful = stateful_text(u->dynsetBody());
    } else if (auto* me = dynamic_cast<P::MeterStatementContext*>(st)) {
      // meter NAME { key stmt... }: a set of the rule's own, filled from the packet path
      s.kind = StmtKind::SetUpdate;
      s.rhs.kind = Expr::Kind::SetRef;
      s.rhs.text = ident(me->identifier());
      s.stateful = stateful_text(me->dynsetBody());
    } else {
      s.kind = StmtKind::Unknown;
    }
    return s;
  }

  // The stateful statements of an element a rule adds to a set or meter (limit, quota,
  // ct count), whose outcome decides whether the rule goes on; "" when there are none.
  std::string stateful_text(P::DynsetBodyContext* body) {
    if (!body) return "";
    std::string out;
    for (auto* d : body->dynsetStmt()) out += (out.empty() ? "" : " ") + source_text(d);
    for (auto* o : body->elementOption())
      if (o->LIMIT()) out += (out.empty() ? "" : " ") + source_text(o);
    return out;
  }

  Expr vmap_operand(P::VmapOperandContext* v) {
    if (v->setExpr()) return set_expr(v->setExpr());
    if (v->VARREF()) return var(v->VARREF());
    Expr e;
    e.kind = Expr::Kind::SetRef;
    e.text = v->SETREF()->getText().substr(1);
    return e;
  }

  RuleModel rule(P::RuleBodyContext* body) {
    RuleModel r;
    auto* a = body->getStart();
    auto* b = body->getStop();
    int first = static_cast<int>(a->getLine()), last = static_cast<int>(b->getLine());
    r.span = {file_->path, first, static_cast<int>(a->getCharPositionInLine()) + 1, last,
              static_cast<int>(b->getCharPositionInLine() + b->getText().size()) + 1};
    r.text = source_text(body);
    const std::vector<P::StatementContext*> statements = body->statement();
    r.stmts.reserve(statements.size());  // a Stmt is 320 bytes: no spare room, no moves
    for (auto* st : statements) {
      Stmt s = statement(st);
      if (auto* c = dynamic_cast<P::CommentStatementContext*>(st))
        read_suppressions(unquote(c->string()->getText()), r.suppressions);
      // Consecutive unmodelled words form one unknown condition; `synproxy` starts a
      // statement of its own (its options follow it).
      if (s.kind == StmtKind::Unknown && s.text != "synproxy" && !r.stmts.empty() &&
          r.stmts.back().kind == StmtKind::Unknown) {
        r.stmts.back().text += " " + s.text;
        continue;
      }
      r.stmts.push_back(std::move(s));
    }
    // '#' comments on the rule's lines may carry suppressions too. On its first line such
    // a comment comes after the rule's start (searched from there in an ASCII file, where
    // columns are bytes: a line of many rules is not searched once per rule).
    for (int l = first; l <= last && l >= 1 && static_cast<std::size_t>(l) <= lines_.size(); ++l) {
      std::string_view line = lines_[static_cast<std::size_t>(l) - 1];
      std::size_t from = l == first && scanned_ ? std::min<std::size_t>(a->getCharPositionInLine(), line.size()) : 0;
      auto hash = line.find('#', from);
      if (hash != std::string_view::npos) read_suppressions(line.substr(hash), r.suppressions);
    }
    if (last >= 1 && static_cast<std::size_t>(last) <= lines_.size()) {
      std::string_view line = lines_[static_cast<std::size_t>(last) - 1];
      std::size_t column = b->getCharPositionInLine();
      std::size_t after = (scanned_ ? column : byte_offset(line, column)) + b->getText().size();
      if (after <= line.size()) r.handle = handle_comment(line.substr(after));
    }
    return r;
  }

  // What nft refuses in a rule the grammar reads (nftables_validate.h): an FWM090 with
  // nft's reason, and the rule is not loaded. False when the rule is refused.
  bool validate(P::RuleBodyContext* body, const std::string& family, const std::string& table,
                const ChainModel& chain) {
    std::vector<RuleToken> words;
    for (std::size_t k = body->getStart()->getTokenIndex(); k <= body->getStop()->getTokenIndex(); ++k) {
      antlr4::Token* t = tokens_->get(k);
      if (t->getType() == P::NL || t->getType() == antlr4::Token::EOF) continue;
      words.push_back({t->getText(), static_cast<int>(t->getLine()), static_cast<int>(t->getCharPositionInLine()) + 1});
    }
    RuleContext context;
    context.family = family;
    context.chain_type = chain.type;
    context.hook = chain.hook;
    context.set_type = [&](const std::string& name) -> std::optional<std::string> {
      const SetModel* s = model_.set(family, table, name);
      if (!s) return std::nullopt;
      return s->type;
    };
    auto problem = validate_rule(words, context);
    if (!problem || words.empty()) return true;
    const RuleToken& at = words[problem->token];
    error(at.line, at.column, fmt::format("{} (nft refuses the rule)", problem->message), "");
    return false;
  }

  // The byte offset in `line` of the character at `column` (ANTLR's lexer counts code
  // points; the token scanner, which reads only ASCII files, bytes: the same there).
  static std::size_t byte_offset(std::string_view line, std::size_t column) {
    std::size_t i = 0;
    for (std::size_t c = 0; c < column && i < line.size(); ++c) {
      ++i;
      while (i < line.size() && (static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) ++i;
    }
    return i;
  }

  // `# handle 12`, the comment `nft -a` prints right after a rule (the text after the
  // rule's last token on its last line); nothing else in between.
  static std::optional<std::uint64_t> handle_comment(std::string_view rest) {
    auto skip_blanks = [&] {
      while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    };
    skip_blanks();
    if (rest.empty() || rest.front() != '#') return std::nullopt;
    rest.remove_prefix(1);
    skip_blanks();
    if (rest.substr(0, 6) != "handle") return std::nullopt;
    rest.remove_prefix(6);
    if (rest.empty() || (rest.front() != ' ' && rest.front() != '\t')) return std::nullopt;
    skip_blanks();
    auto handle = handle_number(rest);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t' || rest.front() == '\r'))
      rest.remove_prefix(1);
    if (!rest.empty()) return std::nullopt;
    return handle;
  }

  // A rule handle or index: decimal digits only, as nft reads them.
  static std::optional<std::uint64_t> handle_number(std::string_view& text) {
    std::uint64_t value = 0;
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
      if (digits >= 19) return std::nullopt;
      value = value * 10 + static_cast<std::uint64_t>(text[digits] - '0');
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    text.remove_prefix(digits);
    return value;
  }

  // ------------------------------------------------------------- block structure
  static bool closes(P::EndContext* end) { return end && end->RBRACE(); }

  void close_block() {
    if (stack_.size() > 1) stack_.pop_back();
  }

  void push(BlockKind kind, std::string family, std::string table, std::string name) {
    Block b;
    if (kind == BlockKind::Chain)
      b.chain_index = static_cast<std::size_t>(model_.chain(family, table, name, true) - model_.chains.data());
    b.kind = kind;
    b.family = std::move(family);
    b.table = std::move(table);
    b.name = std::move(name);
    stack_.push_back(std::move(b));
  }

  SourceSpan span_of(antlr4::ParserRuleContext* ctx) const {
    auto* t = ctx->getStart();
    int line = static_cast<int>(t->getLine());
    return {file_->path, line, static_cast<int>(t->getCharPositionInLine()) + 1, line,
            static_cast<int>(line_text(line).size()) + 1};
  }

  void define(P::DefinitionContext* d) {
    if (auto* def = dynamic_cast<P::DefineContext*>(d)) {
      Expr value = def->verdict() ? verdict_expr(def->verdict()) : rhs(def->rhs());
      stack_.back().defines[ident(def->name)] = std::move(value);
    } else if (auto* undef = dynamic_cast<P::UndefineContext*>(d)) {
      for (auto it = stack_.rbegin(); it != stack_.rend(); ++it)
        if (it->defines.erase(ident(undef->name))) break;
    }
  }

  ChainModel* open_chain(antlr4::ParserRuleContext* at, const std::string& family, const std::string& table,
                         const std::string& name) {
    model_.table(family, table, true);
    ChainModel* c = model_.chain(family, table, name, true);
    if (c->span.line == 0) c->span = span_of(at);
    return c;
  }

  void top_item(P::TopItemContext* item) {
    if (auto* t = dynamic_cast<P::TableOpenContext*>(item)) {
      std::string family = family_of(t->family()), name = ident(t->name);
      TableModel* tm = model_.table(family, name, true);
      if (tm->span.line == 0) tm->span = span_of(t);
      push(BlockKind::Table, family, name, name);
    } else if (auto* c = dynamic_cast<P::ChainOpenCmdContext*>(item)) {
      std::string family = family_of(c->family());
      open_chain(c, family, ident(c->table), ident(c->name));
      push(BlockKind::Chain, family, ident(c->table), ident(c->name));
    } else if (auto* s = dynamic_cast<P::SetOpenCmdContext*>(item)) {
      std::string family = family_of(s->family());
      SetModel* sm = model_.set(family, ident(s->table), ident(s->name), true);
      sm->is_map = s->setKind()->MAP() != nullptr;
      if (sm->span.line == 0) sm->span = span_of(s);
      push(BlockKind::Set, family, ident(s->table), ident(s->name));
    } else if (auto* f = dynamic_cast<P::FlowtableOpenCmdContext*>(item)) {
      push(BlockKind::Other, family_of(f->family()), ident(f->table), ident(f->name));
    } else if (auto* cmd = dynamic_cast<P::CommandItemContext*>(item)) {
      command(cmd->command());
    } else if (auto* d = dynamic_cast<P::DefineItemContext*>(item)) {
      define(d->definition());
    } else if (auto* inc = dynamic_cast<P::IncludeItemContext*>(item)) {
      include(inc, unquote(inc->path->getText()));
    } else if (auto* e = dynamic_cast<P::EmptyTopItemContext*>(item)) {
      if (closes(e->end())) error_at(e, "'}' without a block to close");
    }
  }

  void table_item(P::TableItemContext* item) {
    const Block& b = stack_.back();
    std::string family = b.family, table = b.table;
    if (auto* c = dynamic_cast<P::ChainOpenContext*>(item)) {
      open_chain(c, family, table, ident(c->name));
      push(BlockKind::Chain, family, table, ident(c->name));
    } else if (auto* s = dynamic_cast<P::SetOpenContext*>(item)) {
      SetModel* sm = model_.set(family, table, ident(s->name), true);
      sm->is_map = s->setKind()->MAP() != nullptr;
      if (sm->span.line == 0) sm->span = span_of(s);
      push(BlockKind::Set, family, table, ident(s->name));
    } else if (auto* f = dynamic_cast<P::FlowtableOpenContext*>(item)) {
      push(BlockKind::Other, family, table, ident(f->name));
    } else if (auto* o = dynamic_cast<P::ObjectOpenContext*>(item)) {
      model_.table(family, table, true)->objects.insert(o->objectKind()->getStart()->getText() + " " + ident(o->name));
      push(BlockKind::Other, family, table, ident(o->name));
    } else if (auto* fl = dynamic_cast<P::TableFlagsContext*>(item)) {
      for (auto* id : fl->identifier())
        if (ident(id) == "dormant") model_.table(family, table, true)->dormant = true;
      if (closes(fl->end())) close_block();
    } else if (auto* tc = dynamic_cast<P::TableCommentContext*>(item)) {
      if (closes(tc->end())) close_block();
    } else if (auto* td = dynamic_cast<P::TableDefineContext*>(item)) {
      define(td->definition());
      if (closes(td->end())) close_block();
    } else if (auto* inc = dynamic_cast<P::TableIncludeContext*>(item)) {
      bool close = closes(inc->end());
      include(inc, unquote(inc->path->getText()));
      if (close) close_block();
    } else if (auto* e = dynamic_cast<P::EmptyTableItemContext*>(item)) {
      if (closes(e->end())) close_block();
    }
  }

  void chain_item(P::ChainItemContext* item) {
    const Block& b = stack_.back();
    ChainModel* chain = &model_.chains[b.chain_index];
    P::EndContext* end = nullptr;
    if (auto* t = dynamic_cast<P::ChainTypeDeclContext*>(item)) {
      end = t->end();
      chain->base = true;
      chain->type = ident(t->chainType);
      chain->hook = ident(t->hook);
      for (auto* dev : t->deviceSpec()) chain->device = source_text(dev);
      if (!chain->policy_accept) chain->policy_accept = true;
      if (auto prio = priority(t->priority, b.family)) chain->priority = *prio;
      chain->span = span_of(t);
      static const char* hooks[] = {"prerouting", "input", "forward", "output", "postrouting", "ingress", "egress"};
      if (std::find(std::begin(hooks), std::end(hooks), chain->hook) == std::end(hooks))
        error_at(t->hook, fmt::format("unknown hook '{}' (expected prerouting, input, forward, output, "
                                      "postrouting, ingress or egress)",
                                      chain->hook));
      static const char* types[] = {"filter", "nat", "route"};
      if (std::find(std::begin(types), std::end(types), chain->type) == std::end(types))
        error_at(t->chainType, fmt::format("unknown chain type '{}' (expected filter, nat or route)", chain->type));
    } else if (auto* p = dynamic_cast<P::ChainPolicyContext*>(item)) {
      end = p->end();
      bool accept = p->ACCEPT() != nullptr;
      if (p->VARREF()) {
        Expr e = var(p->VARREF());
        accept = e.kind != Expr::Kind::Verdict || e.verdict.kind != VerdictKind::Drop;
        if (e.kind != Expr::Kind::Verdict && e.text != "accept") accept = e.text != "drop";
      }
      chain->policy_accept = accept;
      chain->policy_span = span_of(p);
      chain->policy_text = line_text(chain->policy_span.line);
    } else if (auto* r = dynamic_cast<P::ChainRuleContext*>(item)) {
      end = r->end();
      std::string family = b.family, table = b.table;
      if (!validate(r->ruleBody(), family, table, *chain)) {
        if (closes(end)) close_block();
        return;
      }
      chain->rules.push_back(rule(r->ruleBody()));
      if (!pending_anonymous_chain_.empty()) {
        std::string name = std::move(pending_anonymous_chain_);
        pending_anonymous_chain_.clear();
        open_chain(r, family, table, name);
        push(BlockKind::Chain, family, table, name);
        return;
      }
    } else if (auto* c = dynamic_cast<P::ChainCommentContext*>(item)) {
      end = c->end();
    } else if (auto* d = dynamic_cast<P::ChainDevicesContext*>(item)) {
      end = d->end();
      chain->device = source_text(d->deviceSpec());
    } else if (auto* cd = dynamic_cast<P::ChainDefineContext*>(item)) {
      end = cd->end();
      define(cd->definition());
    } else if (auto* inc = dynamic_cast<P::ChainIncludeContext*>(item)) {
      end = inc->end();
      include(inc, unquote(inc->path->getText()));
    } else if (auto* e = dynamic_cast<P::EmptyChainItemContext*>(item)) {
      end = e->end();
    }
    if (closes(end)) close_block();
  }

  std::optional<int> priority(P::PriorityExprContext* p, const std::string& family) {
    const auto& ch = p->children;
    std::size_t i = 0;
    bool negative = false;
    if (ch[0]->getText() == "-") {
      negative = true;
      i = 1;
    }
    std::string base = ch[i]->getText();
    if (p->VARREF()) base = var(p->VARREF()).text;
    if (p->identifier()) base = ident(p->identifier());
    ++i;
    int sign = 0;
    std::string offset;
    if (i + 1 < ch.size()) {
      sign = ch[i]->getText() == "+" ? 1 : -1;
      offset = ch[i + 1]->getText();
    }
    // The lexer keeps "filter-10" together; split name and offset here.
    if (!base.empty() && !std::isdigit(static_cast<unsigned char>(base[0]))) {
      auto pos = base.find_first_of("+-");
      if (pos != std::string::npos && sign == 0) {
        sign = base[pos] == '+' ? 1 : -1;
        offset = base.substr(pos + 1);
        base = base.substr(0, pos);
      }
    }
    auto number = [](const std::string& t) -> std::optional<int> {
      if (t.empty() || t.size() > 9 || !std::all_of(t.begin(), t.end(), ::isdigit)) return std::nullopt;
      return std::stoi(t);
    };
    int value = 0;
    if (auto n = number(base)) {
      value = *n;
    } else if (auto named = priority_name(family, base)) {
      value = *named;
    } else {
      error_at(p, fmt::format("unknown priority '{}' for family {} (expected a number or raw, mangle, dstnat, "
                              "filter, security, srcnat{})",
                              base, family, family == "bridge" ? ", out" : ""));
      return std::nullopt;
    }
    if (negative) value = -value;
    if (sign != 0) {
      auto o = number(offset);
      if (!o) {
        error_at(p, fmt::format("priority offset '{}' is not a number", offset));
        return std::nullopt;
      }
      value += sign * *o;
    }
    return value;
  }

  void set_item(P::SetItemContext* item) {
    const Block& b = stack_.back();
    SetModel* set = model_.set(b.family, b.table, b.name, true);
    P::EndContext* end = nullptr;
    if (auto* t = dynamic_cast<P::SetTypeContext*>(item)) {
      end = t->end();
      set->type.clear();
      for (auto* child : t->children) {
        if (child == end) break;
        if (child == t->children.front()) continue;
        if (!set->type.empty()) set->type += ' ';
        set->type += child->getText();
      }
    } else if (auto* f = dynamic_cast<P::SetFlagsContext*>(item)) {
      end = f->end();
      for (auto* id : f->identifier()) {
        std::string flag = ident(id);
        if (flag == "dynamic" || flag == "timeout") set->dynamic = true;
      }
    } else if (auto* e = dynamic_cast<P::SetElementsContext*>(item)) {
      end = e->end();
      Expr elements = set_expr(e->setExpr());
      for (auto& el : elements.items) set->elements.push_back(std::move(el));
    } else if (auto* t2 = dynamic_cast<P::SetTimeoutContext*>(item)) {
      end = t2->end();
      set->dynamic = true;
    } else if (auto* o = dynamic_cast<P::SetOtherContext*>(item)) {
      end = o->end();
      if (o->getStart()->getType() == P::TYPEOF) set->type = "typeof " + source_text(o).substr(7);
    } else if (auto* em = dynamic_cast<P::EmptySetItemContext*>(item)) {
      end = em->end();
    }
    if (closes(end)) close_block();
  }

  void other_item(P::OtherItemContext* item) {
    P::EndContext* end = nullptr;
    if (auto* o = dynamic_cast<P::OtherBlockStatementContext*>(item)) end = o->end();
    if (auto* e = dynamic_cast<P::EmptyOtherItemContext*>(item)) end = e->end();
    if (closes(end)) close_block();
  }

  // ------------------------------------------------------------- commands
  void not_applied(antlr4::ParserRuleContext* ctx, const std::string& what) {
    error_at(ctx, fmt::format("{} is read but not applied", what), "FWM091");
  }

  void command(P::CommandContext* cmd) {
    if (auto* r = dynamic_cast<P::RuleCommandContext*>(cmd)) {
      std::string family = family_of(r->family()), table = ident(r->table), chain = ident(r->chain);
      ChainModel* c = model_.chain(family, table, chain);
      if (!c) {
        error_at(r,
                 fmt::format("chain {} {} {} does not exist (nft: No such file or directory)", family, table, chain));
        return;
      }
      std::string verb = r->ruleVerb() ? r->ruleVerb()->getText() : "add";
      bool insert = verb == "insert";
      // handle N / position N (the same: position is the older word) / index I
      std::string where;
      std::uint64_t number = 0;
      P::RulePositionContext* position = r->rulePosition();
      if (position) {
        where = position->getStart()->getText();
        std::string text = position->VALUE()->getText();
        std::string_view digits = text;
        auto n = handle_number(digits);
        if (!n || !digits.empty()) {
          error_at(position, fmt::format("'{} {}': a rule {} is a number", where, text, where));
          return;
        }
        number = *n;
      }
      if (verb == "replace" && where != "handle") {
        error_at(r, fmt::format("'replace rule' needs 'handle N' after the chain (nft: replace rule {} {} {} handle "
                                "N statement...)",
                                family, table, chain));
        return;
      }
      if (!validate(r->ruleBody(), family, table, *c)) return;
      RuleModel rm = rule(r->ruleBody());
      rm.text = source_text(r);
      std::optional<std::size_t> at;  // the rule the position refers to
      if (where == "index") {
        if (number >= c->rules.size()) {
          error_at(position,
                   fmt::format("'index {}': chain {} {} {} has {} rule{} at this point, so no rule has index {} (nft: "
                               "Could not process rule: No such file or directory)",
                               number, family, table, chain, c->rules.size(), c->rules.size() == 1 ? "" : "s", number));
          return;
        }
        at = static_cast<std::size_t>(number);
      } else if (!where.empty()) {
        at = c->rule_with_handle(number);
      }
      if (verb == "replace") {
        if (!at) {
          error_at(position,
                   unknown_handle(fmt::format("replace rule ... handle {}", number), family, table, chain, number,
                                  "not applied"),
                   "FWM091");
          return;
        }
        rm.handle = number;  // the kernel keeps the handle of a replaced rule
        c->rules[*at] = std::move(rm);
        return;
      }
      std::size_t to = insert ? 0 : c->rules.size();
      if (at) {
        to = insert ? *at : *at + 1;
      } else if (!where.empty()) {
        error_at(position,
                 unknown_handle(fmt::format("{} {}", where, number), family, table, chain, number,
                                insert ? "the rule is inserted at the start of the chain instead"
                                       : "the rule is added at the end of the chain instead"),
                 "FWM091");
      }
      c->rules.insert(c->rules.begin() + static_cast<std::ptrdiff_t>(to), std::move(rm));
    } else if (auto* dr = dynamic_cast<P::DeleteRuleContext*>(cmd)) {
      delete_rule(dr);
    } else if (auto* t = dynamic_cast<P::TableCommandContext*>(cmd)) {
      TableModel* tm = model_.table(family_of(t->family()), ident(t->name), true);
      if (tm->span.line == 0) tm->span = span_of(t);
    } else if (auto* c = dynamic_cast<P::ChainCommandContext*>(cmd)) {
      open_chain(c, family_of(c->family()), ident(c->table), ident(c->name));
    } else if (auto* e = dynamic_cast<P::ElementCommandContext*>(cmd)) {
      std::string family = family_of(e->family());
      SetModel* s = model_.set(family, ident(e->table), ident(e->set));
      if (!s) {
        error_at(e, fmt::format("set {} {} {} does not exist", family, ident(e->table), ident(e->set)));
        return;
      }
      Expr elements = set_expr(e->setExpr());
      if (e->ADD() || e->CREATE()) {
        for (auto& el : elements.items) s->elements.push_back(std::move(el));
      } else {
        delete_elements(e, *s, elements);
      }
    } else if (auto* f = dynamic_cast<P::FlushRulesetContext*>(cmd)) {
      if (!f->family()) {
        model_.clear();
      } else {
        std::string family = f->family()->getText();
        std::vector<std::string> names;
        for (const auto& t : model_.tables)
          if (t.family == family) names.push_back(t.name);
        for (const auto& n : names) model_.drop_table(family, n);
      }
    } else if (auto* dt = dynamic_cast<P::DropTableContext*>(cmd)) {
      std::string family = family_of(dt->family()), name = ident(dt->name);
      if (dt->FLUSH()) {
        for (auto& c : model_.chains)
          if (c.family == family && c.table == name) c.rules.clear();
      } else {
        model_.drop_table(family, name);
      }
    } else if (auto* dc = dynamic_cast<P::DropChainContext*>(cmd)) {
      std::string family = family_of(dc->family()), table = ident(dc->table), name = ident(dc->name);
      if (dc->FLUSH()) {
        if (ChainModel* c = model_.chain(family, table, name)) c->rules.clear();
      } else {
        model_.drop_chain(family, table, name);
      }
    } else if (auto* o = dynamic_cast<P::OtherCommandContext*>(cmd)) {
      std::string verb = o->getStart()->getText();
      if (verb != "list") not_applied(o, fmt::format("command '{}'", source_text(o)));
    } else if (auto* oc = dynamic_cast<P::ObjectCommandContext*>(cmd)) {
      // add counter / quota / limit / ct helper objects: state, no effect on verdicts;
      // `add counter [FAMILY] TABLE NAME ...` declares the name for `counter name NAME`.
      std::vector<std::string> words;
      for (auto* t : oc->genericTerm()) words.push_back(unquote(t->getText()));
      static const std::set<std::string> families = {"ip", "ip6", "inet", "arp", "bridge", "netdev"};
      std::string kind =
          oc->getStart()->getText() == "add" || oc->getStart()->getText() == "create" ? oc->children[1]->getText() : "";
      std::size_t i = 0;
      std::string family = "ip";
      if (i < words.size() && families.count(words[i])) family = words[i++];
      if (i + 1 < words.size() && (kind == "counter" || kind == "quota" || kind == "limit"))
        model_.table(family, words[i], true)->objects.insert(kind + " " + words[i + 1]);
    }
  }

  // delete element F T S { e, ... }: removes each element the set has with that key. An
  // element the set does not have is an error for nft (the whole command fails); here
  // the others are still removed. Sets filled at run time may hold elements the file
  // does not list: for them it is a warning.
  void delete_elements(P::ElementCommandContext* e, SetModel& set, const Expr& elements) {
    bool destroy = e->DESTROY() != nullptr;  // destroy: no error when it is not there
    auto written = e->setExpr()->setElement();
    for (std::size_t i = 0; i < elements.items.size(); ++i) {
      const Expr& el = elements.items[i];
      antlr4::ParserRuleContext* at = written.size() == elements.items.size()
                                          ? static_cast<antlr4::ParserRuleContext*>(written[i])
                                          : static_cast<antlr4::ParserRuleContext*>(e->setExpr());
      if (set.remove_element(el) || destroy) continue;
      std::string key = element_key_text(el);
      if (set.dynamic) {
        error_at(at,
                 fmt::format("'delete element': {} is not among the listed elements of {} {} {}, which is filled at "
                             "run time: nothing removed for it",
                             key, set.family, set.table, set.name),
                 "FWM091");
      } else {
        error_at(at,
                 fmt::format("'delete element': {} {} {} has no element {} (nft: Could not process rule: No such file "
                             "or directory)",
                             set.family, set.table, set.name, key));
      }
    }
  }

  // The FWM091 text for a handle that no rule of the chain is known to have: `command` as
  // written, `outcome` what was done instead.
  static std::string unknown_handle(const std::string& command, const std::string& family, const std::string& table,
                                    const std::string& chain, std::uint64_t handle, const char* outcome) {
    return fmt::format(
        "'{}': no rule of chain {} {} {} is known to have handle {} (the file has no '# handle {}' "
        "comment after one of its rules): {}",
        command, family, table, chain, handle, handle, outcome);
  }

  // delete rule F T C handle N: removes the rule whose `# handle N` comment the file has.
  void delete_rule(P::DeleteRuleContext* d) {
    std::string family = family_of(d->family()), table = ident(d->table), chain = ident(d->chain);
    bool destroy = d->DESTROY() != nullptr;  // destroy: no error when it is not there
    std::string text = d->VALUE()->getText();
    std::string_view digits = text;
    auto handle = handle_number(digits);
    if (!handle || !digits.empty()) {
      auto* t = d->VALUE()->getSymbol();
      error(static_cast<int>(t->getLine()), static_cast<int>(t->getCharPositionInLine()) + 1,
            fmt::format("'handle {}': a rule handle is a number", text), "");
      return;
    }
    ChainModel* c = model_.chain(family, table, chain);
    if (!c) {
      if (!destroy)
        error_at(d,
                 fmt::format("chain {} {} {} does not exist (nft: No such file or directory)", family, table, chain));
      return;
    }
    auto at = c->rule_with_handle(*handle);
    if (!at) {
      auto* t = d->VALUE()->getSymbol();
      error(static_cast<int>(t->getLine()), static_cast<int>(t->getCharPositionInLine()) + 1,
            unknown_handle(fmt::format("{} rule ... handle {}", destroy ? "destroy" : "delete", *handle), family, table,
                           chain, *handle, "not applied"),
            "", "FWM091");
      return;
    }
    c->rules.erase(c->rules.begin() + static_cast<std::ptrdiff_t>(*at));
  }

  // `#!/usr/sbin/nft -I /etc/nftables.d -f` (nft(8): -I, --includepath directory): the
  // directories nft searches for relative includes when the file runs as a script.
  void read_shebang(std::string_view line) {
    if (line.rfind("#!", 0) != 0 || line.find("nft") == std::string_view::npos) return;
    std::vector<std::string> words;
    std::string word;
    for (char c : line.substr(2)) {
      if (c == ' ' || c == '\t' || c == '\r') {
        if (!word.empty()) words.push_back(std::move(word));
        word.clear();
      } else {
        word += c;
      }
    }
    if (!word.empty()) words.push_back(std::move(word));
    for (std::size_t i = 1; i < words.size(); ++i) {
      const std::string& w = words[i];
      if ((w == "-I" || w == "--includepath") && i + 1 < words.size()) {
        include_paths_.push_back(words[++i]);
      } else if (w.rfind("--includepath=", 0) == 0) {
        include_paths_.push_back(w.substr(14));
      } else if (w.rfind("-I", 0) == 0 && w.size() > 2 && w[2] != '-') {
        include_paths_.push_back(w.substr(2));
      }
    }
  }

  void unread(const std::string& pattern) {
    if (model_.unread_include.empty()) model_.unread_include = pattern;
  }

  void include(antlr4::ParserRuleContext* inc, const std::string& pattern) {
    namespace fs = std::filesystem;
    if (static_cast<std::size_t>(depth_) >= options_.limits.max_include_depth) {
      unread(pattern);
      error_at(inc, fmt::format("include nesting deeper than {} levels (include loop?); {} raises this limit",
                                options_.limits.max_include_depth, kMaxIncludeDepthFlag));
      return;
    }
    fs::path base = fs::path(file_->path).parent_path();
    if (base.empty()) base = ".";
    fs::path target = fs::path(pattern).is_absolute() ? fs::path(pattern) : base / pattern;
    std::error_code ec;
    fs::path root = fs::weakly_canonical(options_.include_root.empty() ? base : fs::path(options_.include_root), ec);
    std::string root_name = !options_.include_root_display.empty() ? options_.include_root_display
                            : options_.include_root.empty()        ? base.string()
                                                                   : options_.include_root;
    auto outside = [&](const fs::path& p) {
      auto rel = fs::weakly_canonical(p, ec).lexically_relative(root);
      return rel.empty() || *rel.begin() == "..";
    };
    if (outside(target.parent_path())) {
      unread(pattern);
      error_at(inc, fmt::format("include \"{}\" is outside the input's directory {}: refused (fwmatrix reads only "
                                "files under the directory of the file it was given)",
                                pattern, root_name));
      return;
    }
    std::vector<std::string> files;
    bool wildcard = pattern.find_first_of("*?[") != std::string::npos;
    glob_t g{};
    if (::glob(target.string().c_str(), 0, nullptr, &g) == 0)
      for (std::size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
    globfree(&g);
    // Not beside the input: the shebang's include directories. One inside the input's
    // directory is read as it is; an absolute one elsewhere (/etc/nftables.d) as the
    // directory of the same name beside the input, the layout of /etc copied with it.
    if (files.empty() && !fs::path(pattern).is_absolute()) {
      for (const auto& dir : include_paths_) {
        fs::path d(dir);
        fs::path candidate = d.is_absolute() ? d : base / d;
        std::string how;
        if (outside(candidate) && d.is_absolute()) {
          fs::path name = d.filename().empty() ? d.parent_path().filename() : d.filename();
          candidate = root / name;
          how = fmt::format("the shebang's include path {} read as {}", dir, candidate.string());
        }
        if (outside(candidate) || !fs::is_directory(candidate, ec)) continue;
        glob_t gi{};
        if (::glob((candidate / pattern).string().c_str(), 0, nullptr, &gi) == 0)
          for (std::size_t i = 0; i < gi.gl_pathc; ++i) files.emplace_back(gi.gl_pathv[i]);
        globfree(&gi);
        if (files.empty()) continue;
        if (!how.empty()) not_applied_note(inc, fmt::format("include \"{}\": {}", pattern, how));
        break;
      }
    }
    if (files.empty()) {
      if (!wildcard) {
        unread(pattern);
        error_at(inc, fmt::format("include \"{}\": file not found (looked for {}{})", pattern, target.string(),
                                  include_paths_.empty() ? "" : " and in the shebang's include paths"));
      }
      return;  // a wildcard matching nothing is not an error for nft
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      if (outside(f)) {  // e.g. through a symbolic link
        unread(pattern);
        error_at(inc, fmt::format("include \"{}\" resolves to {}, outside the input's directory {}: refused", pattern,
                                  fs::weakly_canonical(f, ec).string(), root_name));
        continue;
      }
      TextFile included = read_text_file(f, read_limits(options_.limits));
      if (!included.ok()) {
        unread(pattern);
        error_at(inc, fmt::format("include \"{}\": {}", pattern, included.error));
        continue;
      }
      ParseOptions sub = options_;
      sub.include_paths = include_paths_;
      sub.include_root = root.string();
      sub.include_root_display = root_name;
      FileParser nested(model_, stack_, sub, depth_ + 1);
      nested.run(included);
    }
  }

  // A note (FWM091 at note level) on how an item was read.
  void not_applied_note(antlr4::ParserRuleContext* ctx, std::string message) {
    error_at(ctx, std::move(message), "FWM091");
    model_.diagnostics.back().severity = Severity::Note;
  }

  std::string pending_anonymous_chain_;
  std::vector<std::string> include_paths_;
  Model& model_;
  std::vector<Block>& stack_;
  const ParseOptions& options_;
  int depth_ = 0;
  const TextFile* file_ = nullptr;
  std::vector<std::string_view> lines_;
  WatchedTokenStream* tokens_ = nullptr;
  bool scanned_ = false;  // tokens from the scanner: the file is ASCII, input_ is empty
  antlr4::ANTLRInputStream* input_ = nullptr;
};

}  // namespace

Model parse(const TextFile& file, const ParseOptions& options) {
  Model model;
  try {
    std::vector<Block> stack(1);
    FileParser parser(model, stack, options, 0);
    parser.run(file);
  } catch (const ScannerDisagreed&) {
    // The token scanner and ANTLR's lexer read an item differently (a scanner bug): read
    // the whole input again with ANTLR's lexer.
    ParseOptions with_antlr_lexer = options;
    with_antlr_lexer.scan_tokens = false;
    model = parse(file, with_antlr_lexer);
    model.diagnostics.push_back(make_diagnostic(
        "FWM091", Severity::Note, {file.path, 1, 1, 1, 1},
        "internal: the nftables token scanner disagreed with the grammar's lexer; the file was read again with "
        "the lexer (please report this file)"));
    return model;
  }
  // Sets filled from the packet path (add @s / update @s) have run-time contents.
  for (const auto& c : model.chains)
    for (const auto& r : c.rules)
      for (const auto& s : r.stmts)
        if (s.kind == StmtKind::SetUpdate)
          if (SetModel* set = model.set(c.family, c.table, s.rhs.text)) set->dynamic = true;
  return model;
}

}  // namespace fwm::nftables
