// Reading pf.conf into the vendor model. pfctl's lexer joins '\'-continued
// lines, drops comments and expands $macros as it reads; we do the same ahead
// of the ANTLR parser, statement by statement, so that a macro defined on line
// 10 applies from line 11 on, and every character keeps its source position.
// The ANTLR lexer/parser objects are reused for all statements; each parse tree
// is dropped after use.
#include "frontends/pf/pf_frontend.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>

#include "PfLexer.h"
#include "PfParser.h"
#include "antlr4-runtime.h"
#include "ir/services.h"
#include "ir/suppressions.h"

namespace fwm::pf {

using fwm_antlr_fwm_grammar_pf::PfLexer;
using fwm_antlr_fwm_grammar_pf::PfParser;

namespace {

namespace fs = std::filesystem;

// Macros naming macros, at most this deep. They also multiply (`b = "$a $a"`, `c = "$b $b"`,
// ...): a value longer than Limits::max_macro_expansion (--max-macro-expansion) is refused
// instead of filling the memory. Real macros are lists of a few thousand items at most.
constexpr int kMaxMacroDepth = 32;
// pfctl's lexer: `char buf[8096]`, one byte for the terminator and one kept free.
constexpr std::size_t kMaxStringLength = 8094;

// ---- source text and positions
// ---------------------------------------------------------

struct Source {
  std::string path;  // as displayed
  std::string dir;   // directory for relative include/table/anchor files
  std::string text;
  std::vector<std::size_t> line_starts;

  void index_lines() {
    line_starts = {0};
    for (std::size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n') line_starts.push_back(i + 1);
  }
  std::pair<int, int> line_col(std::size_t offset) const {
    auto it = std::upper_bound(line_starts.begin(), line_starts.end(), offset);
    std::size_t line = static_cast<std::size_t>(it - line_starts.begin());  // 1-based
    std::size_t col = offset - line_starts[line - 1] + 1;
    return {static_cast<int>(line), static_cast<int>(col)};
  }
};

// Text with, for every byte, the source range it came from (macro expansions
// map to the `$name` that produced them).
struct Mapped {
  std::string text;
  std::vector<std::uint32_t> begin, end;
  void push(char c, std::size_t b, std::size_t e) {
    text.push_back(c);
    begin.push_back(static_cast<std::uint32_t>(b));
    end.push_back(static_cast<std::uint32_t>(e));
  }
};

struct Comment {
  int line;
  std::string text;
  bool own_line = false;  // nothing but blanks before the '#'
};

// Joins continuation lines and removes comments (a comment on a line ending in
// '\' continues on the next line, as in pfctl). Newlines are kept.
Mapped logical_text(const Source& src, std::vector<Comment>& comments) {
  Mapped out;
  const std::string& t = src.text;
  char quote = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == '\\' && i + 1 < t.size() && t[i + 1] == '\n') {
      ++i;
      continue;
    }
    if (c == '\\' && i + 2 < t.size() && t[i + 1] == '\r' && t[i + 2] == '\n') {
      i += 2;  // a CRLF file
      continue;
    }
    if (!quote && c == '\\' && i + 1 < t.size()) {
      // pfctl's lgetc: a backslash not before a newline yields the next character
      // (`10/8, \ # comment` is a blank and a comment).
      ++i;
      c = t[i];
      if (c != '#' && c != '"' && c != '\'') {
        out.push(c, i, i + 1);
        continue;
      }
    }
    if (quote) {
      // A quoted string may span lines (pfctl reads the newline as a blank).
      if (c == quote) quote = 0;
      out.push(c == '\n' ? ' ' : c, i, i + 1);
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      out.push(c, i, i + 1);
      continue;
    }
    if (c == '#') {
      std::size_t start = i;
      std::string body;
      while (i < t.size() && t[i] != '\n') {
        if (t[i] == '\\' && i + 1 < t.size() && t[i + 1] == '\n') {
          i += 2;
          continue;
        }
        body.push_back(t[i]);
        ++i;
      }
      auto [cline, ccol] = src.line_col(start);
      std::size_t line_start = start - static_cast<std::size_t>(ccol - 1);
      bool own_line = t.find_first_not_of(" \t", line_start) == start;
      comments.push_back({cline, body, own_line});
      if (i < t.size()) out.push('\n', i, i + 1);
      continue;
    }
    out.push(c, i, i + 1);
  }
  return out;
}

struct Slice {
  std::size_t b = 0, e = 0;
};

// Top-level statements: a newline ends one unless a '{' is open.
std::vector<Slice> split_statements(const Mapped& m) {
  std::vector<Slice> out;
  int depth = 0;
  char quote = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= m.text.size(); ++i) {
    char c = i < m.text.size() ? m.text[i] : '\n';
    if (quote && i < m.text.size()) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      continue;
    }
    if (c == '{') ++depth;
    if (c == '}' && depth > 0) --depth;
    if (c == '\n' && (depth == 0 || i == m.text.size())) {
      bool blank = true;
      for (std::size_t k = start; k < i; ++k)
        if (!std::isspace(static_cast<unsigned char>(m.text[k]))) blank = false;
      if (!blank) out.push_back({start, i});
      start = i + 1;
    }
  }
  return out;
}

std::string collapse_blanks(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::string unquote(const std::string& raw) {
  if (raw.size() >= 2 && (raw.front() == '"' || raw.front() == '\'') && raw.back() == raw.front())
    return raw.substr(1, raw.size() - 2);
  return raw;
}

std::string lower_ascii(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Service names pf users write that the shared IANA table does not carry.
std::optional<std::uint32_t> pf_service_port(const std::string& name) {
  if (auto p = service_port(name)) return p;
  static const std::map<std::string, std::uint32_t> extra = {
      {"auth", 113},
      {"ident", 113},
      {"bgp", 179},
      {"dhcpv6-client", 546},
      {"dhcpv6-server", 547},
      {"ftp-proxy", 8021},
      {"smtps", 465},
      {"urd", 465},
      {"nntp", 119},
      {"whois", 43},
      {"finger", 79},
      {"gopher", 70},
      {"rsync", 873},
      {"kpasswd", 464},
      {"kerberos-adm", 749},
      {"ipp", 631},
      {"printer", 515},
      {"sieve", 4190},
      {"xmpp-client", 5222},
      {"xmpp-server", 5269},
      {"spamd", 8025},
      {"spamd-cfg", 8026},
      {"spamd-sync", 8025},
      {"nfsd", 2049},
      {"echo", 7},
      {"discard", 9},
      {"daytime", 13},
      {"time", 37},
      {"tacacs", 49},
      {"x11", 6000},
      {"domain-s", 853},
      {"ms-wbt-server", 3389},
      {"l2tp", 1701},
      {"pptp", 1723},
      {"mdns", 5353},
      {"ldp", 646},
      {"imap3", 220},
      {"svn", 3690},
      {"git", 9418},
      {"wireguard", 51820},
      {"sftp", 115},
      {"rtsp", 554},
      {"socks", 1080},
      {"squid", 3128},
      {"submissions", 465},
      {"ntske", 4460},
      {"netbios-ns", 137},
  };
  auto it = extra.find(lower_ascii(name));
  if (it != extra.end()) return it->second;
  return std::nullopt;
}

std::optional<int> pf_proto_number(const std::string& name) {
  if (auto p = proto_number(name)) return p;
  static const std::map<std::string, int> extra = {
      {"carp", 112}, {"pfsync", 240}, {"etherip", 97}, {"ip", 0},     {"ipv4", 4},
      {"encap", 98}, {"rsvp", 46},    {"ggp", 3},      {"egp", 8},    {"igp", 9},
      {"idp", 22},   {"eigrp", 88},   {"mobile", 55},  {"wesp", 141}, {"divert", 258},
  };
  auto it = extra.find(lower_ascii(name));
  if (it != extra.end() && it->second <= 255) return it->second;
  return std::nullopt;
}

class Errors : public antlr4::BaseErrorListener {
 public:
  void syntaxError(antlr4::Recognizer*, antlr4::Token* offending, size_t, size_t, const std::string& msg,
                   std::exception_ptr) override {
    if (has_error) return;
    has_error = true;
    message = msg;
    index = offending ? offending->getStartIndex() : static_cast<std::size_t>(-1);
    if (offending && offending->getType() == antlr4::Token::EOF) index = static_cast<std::size_t>(-1);
  }
  void reset() {
    has_error = false;
    message.clear();
    index = 0;
  }
  bool has_error = false;
  std::string message;
  std::size_t index = 0;  // code point index in the statement, or -1: at its end
};

// ANTLR lists every token it would have taken; keep the message readable.
std::string shorten_expecting(const std::string& msg) {
  auto pos = msg.find("expecting {");
  if (pos == std::string::npos) return msg;
  auto close = msg.find('}', pos);
  std::string list = msg.substr(pos + 11, close == std::string::npos ? std::string::npos : close - pos - 11);
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start < list.size()) {
    auto comma = list.find(", ", start);
    items.push_back(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 2;
  }
  if (items.size() <= 8) return msg;
  items.resize(8);
  return msg.substr(0, pos) + fmt::format("expecting one of {}, ...", fmt::join(items, ", "));
}

// ---- the reader
// ------------------------------------------------------------------------

class Reader {
 public:
  Reader(Model& model, std::map<std::string, std::string>& macros, int& unnamed)
      : model_(model), macros_(macros), unnamed_(unnamed), lexer_(&input_), tokens_(&lexer_), parser_(&tokens_) {
    lexer_.removeErrorListeners();
    lexer_.addErrorListener(&errors_);
    parser_.removeErrorListeners();
    parser_.addErrorListener(&errors_);
  }

  void read(const Source& src, std::vector<PfRule>& into, const std::string& anchor_path, int depth) {
    std::vector<Comment> comments;
    Mapped logical = logical_text(src, comments);
    const Source* saved_src = src_;
    std::vector<Comment>* saved_comments = comments_;
    src_ = &src;
    comments_ = &comments;
    for (const Slice& s : split_statements(logical)) read_statement(logical, s, into, anchor_path, depth);
    src_ = saved_src;
    comments_ = saved_comments;
  }

 private:
  // ---- diagnostics
  SourceSpan span_at(std::size_t b, std::size_t e) const {
    auto [l1, c1] = src_->line_col(b);
    auto [l2, c2] = src_->line_col(e > b ? e - 1 : b);
    return {src_->path, l1, c1, l2, c2 + 1};
  }
  std::string line_text(int line) const {
    std::size_t b = src_->line_starts[static_cast<std::size_t>(line - 1)];
    std::size_t e = src_->text.find('\n', b);
    return std::string(src_->text.substr(b, e == std::string::npos ? std::string::npos : e - b));
  }
  void error_at(std::size_t b, std::size_t e, std::string message) {
    add_diagnostic("FWM090", Severity::Error, span_at(b, e), std::move(message));
  }
  void note_unmodelled(std::size_t b, std::size_t e, std::string message) {
    add_diagnostic("FWM091", Severity::Warning, span_at(b, e), std::move(message));
  }
  void add_diagnostic(const char* id, Severity severity, const SourceSpan& span, std::string message) {
    model_.diagnostics.push_back(
        make_diagnostic(id, severity, span, std::move(message), collapse_blanks(line_text(span.line))));
  }

  // ---- macro expansion
  bool expand(const Mapped& logical, Slice s, Mapped& out) {
    char quote = 0;
    for (std::size_t i = s.b; i < s.e; ++i) {
      char c = logical.text[i];
      if (quote) {
        if (c == quote) quote = 0;
        out.push(c, logical.begin[i], logical.end[i]);
        continue;
      }
      if (c == '"' || c == '\'') quote = c;
      if (c != '$') {
        out.push(c, logical.begin[i], logical.end[i]);
        continue;
      }
      std::size_t j = i + 1;
      while (j < s.e && (std::isalnum(static_cast<unsigned char>(logical.text[j])) || logical.text[j] == '_')) ++j;
      std::string name = logical.text.substr(i + 1, j - i - 1);
      std::size_t b = logical.begin[i], e = j > i + 1 ? logical.end[j - 1] : logical.end[i];
      if (name.empty()) {
        error_at(b, e, "'$' must be followed by a macro name");
        return false;
      }
      std::string value;
      expansion_too_large_ = false;
      macro_too_deep_ = false;
      missing_inner_macro_.clear();
      if (!macro_value(name, value, 0)) {
        if (expansion_too_large_)
          error_at(b, e,
                   fmt::format("macro '{}' expands to more than {} bytes (macros naming macros multiply): "
                               "not expanded ({} raises this limit)",
                               name, model_.limits.max_macro_expansion, kMaxMacroExpansionFlag));
        else if (macro_too_deep_)
          error_at(b, e,
                   fmt::format("macro '{}' names macros nested more than {} deep (or leading back to it): "
                               "not expanded",
                               name, kMaxMacroDepth));
        else if (!model_.unavailable_includes.empty())
          note_unmodelled(b, e,
                          fmt::format("macro '{}' is not defined here; it may come from "
                                      "the unavailable "
                                      "include \"{}\": this statement is not read",
                                      missing_inner_macro_.empty() ? name : missing_inner_macro_,
                                      model_.unavailable_includes.front()));
        else if (!missing_inner_macro_.empty())
          error_at(b, e, fmt::format("macro '{}' names macro '{}', which is not defined", name, missing_inner_macro_));
        else
          error_at(b, e,
                   fmt::format("macro '{}' is not defined (macros must be "
                               "defined before use)",
                               name));
        return false;
      }
      for (char v : value) out.push(v, b, e);
      i = j - 1;
    }
    return true;
  }

  // A macro's value with the macros it names (outside quotes) expanded in turn.
  bool macro_value(const std::string& name, std::string& out, int depth) {
    auto it = macros_.find(name);
    if (it == macros_.end()) {
      if (depth > 0) missing_inner_macro_ = name;
      return false;
    }
    if (depth > kMaxMacroDepth) {
      macro_too_deep_ = true;
      return false;
    }
    const std::string& v = it->second;
    char quote = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (out.size() > model_.limits.max_macro_expansion) {
        expansion_too_large_ = true;
        return false;
      }
      char c = v[i];
      if (quote) {
        if (c == quote) quote = 0;
        out.push_back(c);
        continue;
      }
      if (c == '"' || c == '\'') quote = c;
      if (c != '$') {
        out.push_back(c);
        continue;
      }
      std::size_t j = i + 1;
      while (j < v.size() && (std::isalnum(static_cast<unsigned char>(v[j])) || v[j] == '_')) ++j;
      if (!macro_value(v.substr(i + 1, j - i - 1), out, depth + 1)) return false;
      i = j - 1;
    }
    return true;
  }

  // ---- one statement
  void read_statement(const Mapped& logical, Slice s, std::vector<PfRule>& into, const std::string& anchor_path,
                      int depth) {
    Mapped expanded;
    if (!expand(logical, s, expanded)) return;
    ++model_.statements;
    // pfctl's lexer reads a string into an 8096-byte buffer: a longer one is "string too
    // long" (pfail15).
    for (std::size_t i = 0; i < expanded.text.size();) {
      std::size_t j = i;
      if (expanded.text[i] == '"' || expanded.text[i] == '\'') {
        j = expanded.text.find(expanded.text[i], i + 1);
        if (j == std::string::npos) j = expanded.text.size();
      } else {
        while (j < expanded.text.size() && !std::isspace(static_cast<unsigned char>(expanded.text[j]))) ++j;
      }
      if (j - i > kMaxStringLength) {
        error_at(expanded.begin[i], expanded.end[i],
                 fmt::format("pf syntax error: string too long ({} bytes; pfctl reads at most {})", j - i,
                             kMaxStringLength));
        return;
      }
      i = std::max(j + 1, i + 1);
    }
    cur_ = &expanded;
    cp_to_byte_.clear();
    bool ascii = std::all_of(expanded.text.begin(), expanded.text.end(),
                             [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (!ascii) {
      for (std::size_t i = 0; i < expanded.text.size(); ++i)
        if ((static_cast<unsigned char>(expanded.text[i]) & 0xC0) != 0x80) cp_to_byte_.push_back(i);
    }
    input_.load(expanded.text);
    lexer_.setInputStream(&input_);
    tokens_.setTokenSource(&lexer_);
    parser_.setTokenStream(&tokens_);
    errors_.reset();
    PfParser::ChunkContext* tree = parser_.chunk();
    if (errors_.has_error) {
      std::size_t at = errors_.index == static_cast<std::size_t>(-1) ? expanded.text.size() : byte_of(errors_.index);
      std::size_t b, e;
      if (at >= expanded.text.size()) {
        // At the end of the statement: point just after its last character.
        std::size_t last = expanded.text.find_last_not_of(" \t\n");
        b = last == std::string::npos ? s.b : expanded.end[last];
        e = b + 1;
        b = std::min(b, src_->text.size());
        e = std::min(e, src_->text.size() + 1);
        if (b == src_->text.size() && b > 0) --b;
      } else {
        b = expanded.begin[at];
        e = expanded.end[at];
      }
      std::string msg = shorten_expecting(errors_.message);
      if (at >= expanded.text.size()) msg += " at the end of the statement";
      error_at(b, e, fmt::format("pf syntax error: {}", msg));
      return;
    }
    for (auto* st : tree->statement()) statement(st, into, anchor_path, depth);
  }

  std::size_t byte_of(std::size_t cp) const {
    if (cp_to_byte_.empty()) return cp;
    return cp < cp_to_byte_.size() ? cp_to_byte_[cp] : cur_->text.size();
  }
  std::size_t ctx_begin(antlr4::ParserRuleContext* c) const {
    std::size_t i = byte_of(c->getStart()->getStartIndex());
    return i < cur_->begin.size() ? cur_->begin[i] : 0;
  }
  std::size_t ctx_end(antlr4::ParserRuleContext* c) const {
    auto* stop = c->getStop() ? c->getStop() : c->getStart();
    std::size_t i = byte_of(stop->getStopIndex());
    return i < cur_->end.size() ? cur_->end[i] : ctx_begin(c) + 1;
  }
  std::size_t tok_begin(antlr4::Token* t) const {
    std::size_t i = byte_of(t->getStartIndex());
    return i < cur_->begin.size() ? cur_->begin[i] : 0;
  }
  std::size_t tok_end(antlr4::Token* t) const {
    std::size_t i = byte_of(t->getStopIndex());
    return i < cur_->end.size() ? cur_->end[i] : tok_begin(t) + 1;
  }
  void error_ctx(antlr4::ParserRuleContext* c, std::string msg) { error_at(ctx_begin(c), ctx_end(c), std::move(msg)); }
  void unmodelled_ctx(antlr4::ParserRuleContext* c, std::string msg) {
    note_unmodelled(ctx_begin(c), ctx_end(c), std::move(msg));
  }

  // Source text of a statement (comments and continuations removed, blanks
  // collapsed), up to `end` (exclusive source offset).
  std::string source_text(std::size_t b, std::size_t e) const {
    std::string raw = src_->text.substr(b, e - b);
    std::string out;
    char quote = 0;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      char c = raw[i];
      if (c == '\\' && i + 1 < raw.size() && raw[i + 1] == '\n') {
        ++i;
        continue;
      }
      if (!quote && c == '#') {
        while (i < raw.size() && raw[i] != '\n') ++i;
        out.push_back(' ');
        continue;
      }
      if (quote && c == quote)
        quote = 0;
      else if (!quote && (c == '"' || c == '\''))
        quote = c;
      out.push_back(c);
    }
    return collapse_blanks(out);
  }
  std::string expanded_text(antlr4::ParserRuleContext* c, antlr4::Token* stop = nullptr) const {
    std::size_t b = byte_of(c->getStart()->getStartIndex());
    auto* last = stop ? stop : (c->getStop() ? c->getStop() : c->getStart());
    std::size_t e = byte_of(last->getStopIndex()) + 1;
    if (b >= cur_->text.size()) return {};
    return collapse_blanks(std::string_view(cur_->text).substr(b, std::min(e, cur_->text.size()) - b));
  }

  void fill_rule_origin(PfRule& r, antlr4::ParserRuleContext* c, antlr4::Token* stop_before = nullptr) {
    std::size_t b = ctx_begin(c);
    std::size_t e = ctx_end(c);
    antlr4::Token* last = nullptr;
    if (stop_before) {
      // Up to (not including) the anchor's '{': the last token before it.
      auto idx = stop_before->getTokenIndex();
      for (auto k = idx; k > c->getStart()->getTokenIndex();) {
        --k;
        auto* t = tokens_.get(k);
        if (t->getType() != PfLexer::NEWLINE) {
          last = t;
          break;
        }
      }
      if (last) e = tok_end(last);
    }
    r.span = span_at(b, e);
    r.text = source_text(b, e);
    r.normalized = expanded_text(c, last);
    for (const auto& cm : *comments_)
      if ((cm.line >= r.span.line && cm.line <= r.span.end_line) || (cm.own_line && cm.line == r.span.line - 1))
        read_suppressions(cm.text, r.suppressions);
  }

  static std::string wtext(PfParser::WordContext* w) { return unquote(w->getText()); }

  // ---- statements
  // pfctl's `set require-order` (default yes): options, normalisation, queueing,
  // translation, filtering. Only the legacy statements can break it.
  void check_order(PfParser::StatementContext* st, const std::string& anchor_path) {
    if (!anchor_path.empty()) return;
    int section = 0;
    const char* what = "";
    if (st->scrubRule())
      section = 1, what = "scrub";
    else if (st->queueStmt())
      section = 2, what = "queue";
    else if (st->natRule() || st->rdrRule() || st->binatRule())
      section = 3, what = "translation";
    else if (st->filterRule() || st->antispoofRule() || st->anchorRule())
      section = 4, what = "filter";
    if (section == 0) return;
    if (section < order_section_ && require_order_ && (section == 3 || section == 1) && order_section_ == 4) {
      error_ctx(st, fmt::format("{} rule after filter rules (line {}): pfctl requires options, normalisation, "
                                "queueing, translation, filtering in this order (set require-order yes)",
                                what, order_line_));
      return;
    }
    if (section > order_section_) {
      order_section_ = section;
      order_line_ = src_->line_col(ctx_begin(st)).first;
    }
  }

  void statement(PfParser::StatementContext* st, std::vector<PfRule>& into, const std::string& anchor_path, int depth) {
    check_order(st, anchor_path);
    if (auto* m = st->macroDef()) {
      std::vector<std::string> parts;
      for (auto* p : m->macroPart()) parts.push_back(unquote(p->getText()));
      macros_[m->name->getText()] = fmt::format("{}", fmt::join(parts, " "));
    } else if (auto* o = st->optionStmt()) {
      option(o);
    } else if (auto* t = st->tableDef()) {
      table(t);
    } else if (auto* a = st->anchorRule()) {
      anchor(a, into, anchor_path, depth);
    } else if (auto* l = st->loadAnchor()) {
      load_anchor(l, anchor_path, depth);
    } else if (auto* inc = st->includeStmt()) {
      include(inc, into, anchor_path, depth);
    } else if (auto* as = st->antispoofRule()) {
      antispoof(as, into);
    } else if (auto* f = st->filterRule()) {
      filter(f, into);
    } else if (auto* n = st->natRule()) {
      pool_checks(n, true, n->redirHosts(), n->redirPort(), n->poolOpt());
      translation(n, RuleKind::Nat, n->NO() != nullptr, n->PASS() != nullptr, n->onIf(), n->af(), n->protoSpec(),
                  n->hosts(), n->tagOpts(), n->redirHosts(), n->redirPort(), into);
    } else if (auto* r = st->rdrRule()) {
      pool_checks(r, false, r->redirHosts(), r->redirPort(), r->poolOpt());
      translation(r, RuleKind::Rdr, r->NO() != nullptr, r->PASS() != nullptr, r->onIf(), r->af(), r->protoSpec(),
                  r->hosts(), r->tagOpts(), r->redirHosts(), r->redirPort(), into);
    } else if (auto* bn = st->binatRule()) {
      translation(bn, RuleKind::Binat, bn->NO() != nullptr, bn->PASS() != nullptr, bn->onIf(), bn->af(),
                  bn->protoSpec(), bn->hosts(), bn->tagOpts(), bn->redirHosts(), nullptr, into);
    } else if (auto* h = st->hookRule()) {
      // FreeBSD translation/scrub/dummynet anchor hooks: filled at run time
      // (pfSense, OPNsense) and not part of the filter decision except
      // rdr/binat.
      if (h->kind->getType() == PfLexer::RDR_ANCHOR || h->kind->getType() == PfLexer::BINAT_ANCHOR) {
        PfRule r;
        r.kind = RuleKind::Rdr;
        fill_rule_origin(r, h);
        r.anchor_name = h->anchorName() ? unquote(h->anchorName()->getText()) : "";
        r.unknown_verdict =
            fmt::format("{} \"{}\" (translation rules loaded at run time)", h->kind->getText(), r.anchor_name);
        into.push_back(std::move(r));
      }
    } else if (st->scrubRule() || st->queueStmt() || st->limiterDef()) {
      // Normalisation and queueing do not decide whether a packet passes.
      if (auto* q = st->queueStmt(); q && q->QUEUE()) queue_stmt(q);
      if (auto* q = st->queueStmt(); q && !q->QUEUE()) altq_seen_ = true;
    } else if (auto* e = st->etherRule()) {
      unmodelled_ctx(e,
                     "layer-2 'ether' rules are read but not modelled "
                     "(fwmatrix checks the IP filter rules)");
    }
  }

  void option(PfParser::OptionStmtContext* o) {
    if (auto* skip = dynamic_cast<PfParser::SetSkipContext*>(o)) {
      for (auto item : if_items(skip->ifList())) {
        item.span = span_at(ctx_begin(skip), ctx_end(skip));
        item.text = source_text(ctx_begin(skip), ctx_end(skip));
        model_.skip.push_back(item);
      }
      return;
    }
    auto* other = static_cast<PfParser::SetOtherContext*>(o);
    static const std::set<std::string> known = {
        "timeout",       "limit",        "optimization", "ruleset-optimization",
        "loginterface",  "block-policy", "state-policy", "state-defaults",
        "hostid",        "fingerprints", "debug",        "reassemble",
        "require-order", "syncookies",   "keepcounters", "prio",
        "skip",          "queue",        "if-bound",     "fail-policy",
        "tcp",           "delay",        "divert",
    };
    std::string name = wtext(other->name);
    if (!known.count(name)) error_ctx(other->name, fmt::format("unknown option 'set {}'", name));
    if (name == "require-order" && !other->setArg().empty()) require_order_ = other->setArg(0)->getText() != "no";
    // pfctl parse.y: "hostid must be non-zero" (pfail47).
    if (name == "hostid" && !other->setArg().empty()) {
      std::string v = other->setArg(0)->getText();
      if (!v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c == '0'; }))
        error_ctx(other->setArg(0), "hostid must be non-zero");
    }
  }

  // OpenBSD queues (`queue NAME on IF ...` / `queue NAME parent P ...`, pf.conf(5)
  // QUEUEING), for pfctl's checks of the queue tree (pfail54, 58-62). ALTQ's `queue`
  // lines (no `on`, no `parent`) are left alone.
  struct Queue {
    std::string name, parent;
    bool bandwidth = false, flows = false, is_default = false;
    SourceSpan span;
    std::string text;
  };
  void queue_stmt(PfParser::QueueStmtContext* q) {
    std::vector<std::string> w;
    for (auto* item : q->looseItem()) w.push_back(unquote(item->getText()));
    if (w.empty()) return;
    Queue queue;
    queue.name = w[0];
    bool openbsd = false;
    for (std::size_t i = 1; i < w.size(); ++i) {
      if (w[i] == "on") openbsd = true;
      if (w[i] == "parent" && i + 1 < w.size()) {
        openbsd = true;
        queue.parent = w[i + 1];
      }
      if (w[i] == "bandwidth") queue.bandwidth = true;
      if (w[i] == "flows") queue.flows = true;
      if (w[i] == "default") queue.is_default = true;
    }
    if (!openbsd) return;
    if (!queue.bandwidth && !queue.flows) error_ctx(q, "no bandwidth or flow specification");
    queue.span = span_at(ctx_begin(q), ctx_end(q));
    queue.text = collapse_blanks(line_text(queue.span.line));
    model_queues_.push_back(std::move(queue));
  }

 public:
  // The checks pfctl makes of the whole queue tree once the file is read (pfctl_queue.c
  // and parse.y): a default queue, leaf flow and default queues, a bandwidth for every
  // queue below the root, and every queue a rule assigns defined.
  void finish_queues() {
    // ALTQ (FreeBSD, OpenBSD before 5.5) declares its queues otherwise (`altq on ...
    // queue { ... }`, `queue NAME [on IF] ... cbq(default)`): these checks are not its.
    if (model_queues_.empty() || altq_seen_) {
      queue_refs_.clear();
      return;
    }
    std::set<std::string> names, parents;
    for (const auto& q : model_queues_) {
      names.insert(q.name);
      if (!q.parent.empty()) parents.insert(q.parent);
    }
    auto error = [&](const SourceSpan& span, const std::string& text, std::string message) {
      model_.diagnostics.push_back(make_diagnostic("FWM090", Severity::Error, span, std::move(message), text));
    };
    const Queue* def = nullptr;
    for (const auto& q : model_queues_) {
      if (q.is_default && !def) def = &q;
      // One of the two, the default queue's first (pfail61 has both, pfctl names that).
      if (q.is_default && parents.count(q.name))
        error(q.span, q.text, fmt::format("default queue {} is not a leaf queue", q.name));
      else if (q.flows && parents.count(q.name))
        error(q.span, q.text, fmt::format("flow queue {} is not a leaf queue", q.name));
      if (!q.parent.empty() && !q.bandwidth && q.flows)
        error(q.span, q.text, fmt::format("queue {}: no bandwidth was specified", q.name));
    }
    // A lone flow queue (FQ-CoDel on an interface, regress pf105) needs no default.
    if (!def && !parents.empty())
      error(model_queues_.front().span, model_queues_.front().text, "no default queue specified");
    for (const auto& [name, span, text] : queue_refs_)
      if (!names.count(name)) error(span, text, fmt::format("queue {} is not defined", name));
    queue_refs_.clear();
  }

 private:
  std::vector<Queue> model_queues_;
  bool altq_seen_ = false;
  std::vector<std::tuple<std::string, SourceSpan, std::string>> queue_refs_;  // `set queue NAME` of rules

  void queue_ref(antlr4::ParserRuleContext* at, const std::string& name) {
    SourceSpan span = span_at(ctx_begin(at), ctx_end(at));
    queue_refs_.emplace_back(name, span, collapse_blanks(line_text(span.line)));
  }

  std::vector<IfaceItem> if_items(PfParser::IfListContext* l) {
    std::vector<IfaceItem> out;
    for (auto* it : l->ifItem()) {
      IfaceItem item;
      item.name = wtext(it->word());  // `(em0)` (antispoof) names the same interface
      item.negated = it->NOT() != nullptr;
      out.push_back(std::move(item));
    }
    return out;
  }

  // ---- hosts
  HostItem address_host(const std::string& text, const std::string* mask, antlr4::ParserRuleContext* where) {
    HostItem h;
    h.text = mask ? text + "/" + *mask : text;
    // "a - b" inside quotes, or "a-b" as one word.
    if (!mask) {
      if (auto dash = text.find('-'); dash != std::string::npos) {
        auto strip = [](std::string s) {
          s.erase(0, s.find_first_not_of(' '));
          s.erase(s.find_last_not_of(' ') + 1);
          return s;
        };
        std::string a = strip(text.substr(0, dash)), b = strip(text.substr(dash + 1));
        if (parse_ip(a) && parse_ip(b)) {
          auto parsed = parse_address_expr(a + "-" + b);
          if (parsed.ok()) {
            h.kind = HostItem::Kind::Address;
            h.set = parsed.set;
            return h;
          }
        }
      }
    }
    std::string addr = text;
    if (auto pct = addr.find('%'); pct != std::string::npos && addr.find(':') != std::string::npos)
      addr = addr.substr(0, pct);  // scoped IPv6 (fe80::1%em0)
    if (mask && addr.find(':') == std::string::npos && std::all_of(addr.begin(), addr.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
        })) {
      // pf's short forms: 10/8, 172.16/12.
      int dots = static_cast<int>(std::count(addr.begin(), addr.end(), '.'));
      for (int k = dots; k < 3; ++k) addr += ".0";
    }
    auto parsed = parse_address_expr(mask ? addr + "/" + *mask : addr);
    if (parsed.ok()) {
      h.kind = HostItem::Kind::Address;
      h.set = parsed.set;
      return h;
    }
    bool numeric = !addr.empty() && std::all_of(addr.begin(), addr.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
    });
    if (parse_ip(addr) || numeric) {
      error_ctx(where, parsed.error.find(h.text) != std::string::npos
                           ? parsed.error
                           : fmt::format("invalid address '{}': {}", h.text, parsed.error));
      h.kind = HostItem::Kind::Any;
      h.text.clear();
      return h;
    }
    interface_name(text, h, where);
    if (mask && h.kind == HostItem::Kind::InterfaceAddr) h.modifier = "/" + *mask;
    return h;
  }

  void interface_name(const std::string& text, HostItem& h, antlr4::ParserRuleContext* where) {
    std::string name = text, mod;
    if (auto colon = text.find(':'); colon != std::string::npos) {
      name = text.substr(0, colon);
      mod = text.substr(colon + 1);
      // pf.conf(5): `:0` (no aliases) may follow another modifier: (lo0:peer:0).
      if (mod.size() > 2 && mod.ends_with(":0")) mod = mod.substr(0, mod.size() - 2);
      if (mod != "network" && mod != "broadcast" && mod != "peer" && mod != "0") {
        error_ctx(where, fmt::format("unknown interface modifier ':{}' in '{}' "
                                     "(expected :network, :broadcast, "
                                     ":peer or :0)",
                                     mod, text));
      }
    }
    h.name = name;
    h.modifier = mod;
    bool ifname =
        !name.empty() && std::isdigit(static_cast<unsigned char>(name.back())) && name.find('.') == std::string::npos;
    if (ifname || !mod.empty() || name == "lo" || name == "egress") {
      h.kind = HostItem::Kind::InterfaceAddr;
    } else {
      h.kind = HostItem::Kind::HostName;
    }
  }

  HostItem host(PfParser::HostContext* hc, bool negated) {
    HostItem h;
    h.negated = negated;
    h.text = hc->getText();
    if (dynamic_cast<PfParser::AnyHostContext*>(hc)) {
      h.kind = HostItem::Kind::Any;
    } else if (dynamic_cast<PfParser::SelfHostContext*>(hc)) {
      h.kind = HostItem::Kind::Self;
    } else if (dynamic_cast<PfParser::NoRouteHostContext*>(hc)) {
      h.kind = HostItem::Kind::NoRoute;
    } else if (dynamic_cast<PfParser::UrpfHostContext*>(hc)) {
      h.kind = HostItem::Kind::UrpfFailed;
    } else if (auto* rl = dynamic_cast<PfParser::RouteLabelHostContext*>(hc)) {
      h.kind = HostItem::Kind::RouteLabel;
      h.name = wtext(rl->word());
    } else if (auto* t = dynamic_cast<PfParser::TableHostContext*>(hc)) {
      h.kind = HostItem::Kind::Table;
      h.name = wtext(t->word());
      h.text = "<" + h.name + ">";
    } else if (auto* d = dynamic_cast<PfParser::DynamicIfHostContext*>(hc)) {
      interface_name(wtext(d->word(0)), h, d);
      // pfctl parse.y: "invalid interface name": a dynamic address names an interface
      // or group, which begins with a letter (pfail49: `(10.1.2.3)`, a macro typo).
      if (!h.name.empty() && !std::isalpha(static_cast<unsigned char>(h.name[0])))
        error_ctx(d, fmt::format("invalid interface name '{}'", h.name));
      h.kind = HostItem::Kind::InterfaceAddr;
      h.dynamic = true;
    } else if (auto* r = dynamic_cast<PfParser::RangeHostContext*>(hc)) {
      std::string a = wtext(r->word(0)), b = wtext(r->word(1));
      auto parsed = parse_address_expr(a + "-" + b);
      if (!parsed.ok() || !parse_ip(a) || !parse_ip(b)) {
        error_ctx(r, fmt::format("invalid address range '{} - {}'", a, b));
      } else {
        h.kind = HostItem::Kind::Address;
        h.set = parsed.set;
      }
    } else if (auto* a = dynamic_cast<PfParser::AddressHostContext*>(hc)) {
      std::string mask;
      if (a->word().size() > 1) mask = wtext(a->word(1));
      HostItem r = address_host(wtext(a->word(0)), a->word().size() > 1 ? &mask : nullptr, a);
      r.negated = negated;
      return r;
    }
    return h;
  }

  void host_items(PfParser::HostItemContext* hi, std::vector<HostItem>& out) {
    if (auto* single = dynamic_cast<PfParser::SingleHostContext*>(hi)) {
      out.push_back(host(single->host(), single->NOT() != nullptr));
      return;
    }
    auto* nested = static_cast<PfParser::NestedHostsContext*>(hi);
    for (auto* child : nested->hostItem()) host_items(child, out);
  }

  // ---- ports
  std::optional<std::uint32_t> port_number(PfParser::WordContext* w, Endpoint& ep) {
    std::string text = wtext(w);
    if (!text.empty() && std::all_of(text.begin(), text.end(), ::isdigit)) {
      if (text.size() > 5 || std::stoul(text) > kMaxPort) {
        error_ctx(w, fmt::format("port {} is outside 0-65535", text));
        return std::nullopt;
      }
      return static_cast<std::uint32_t>(std::stoul(text));
    }
    if (auto p = pf_service_port(text)) return p;
    ep.unknown_ports.push_back(text);
    unmodelled_ctx(w, fmt::format("service name '{}' is not in fwmatrix's "
                                  "fixed IANA table: the port condition "
                                  "is treated as undetermined",
                                  text));
    return std::nullopt;
  }

  bool port_items(PfParser::PortItemContext* pi, Endpoint& ep, PortSet& into) {
    if (auto* u = dynamic_cast<PfParser::UnaryPortContext*>(pi)) {
      auto p = port_number(u->word(), ep);
      if (!p) return false;
      std::uint32_t a = *p;
      switch (u->op->getType()) {
        case PfLexer::EQ:
          into.add(a, a);
          break;
        case PfLexer::NEQ:
          into = into.unite(PortSet(a, a).complement(kMaxPort));
          break;
        case PfLexer::LT:
          if (a > 0) into.add(0, a - 1);
          break;
        case PfLexer::LE:
          into.add(0, a);
          break;
        case PfLexer::GT:
          if (a < kMaxPort) into.add(a + 1, kMaxPort);
          break;
        case PfLexer::GE:
          into.add(a, kMaxPort);
          break;
      }
      return true;
    }
    if (auto* b = dynamic_cast<PfParser::BinaryPortContext*>(pi)) {
      auto lo = port_number(b->lo, ep), hi = port_number(b->hi, ep);
      if (!lo || !hi) return false;
      if (b->op->getType() == PfLexer::XRANGE) {
        if (*hi > *lo + 1) into.add(*lo + 1, *hi - 1);  // exclusive: a >< b
      } else {
        if (*lo > 0) into.add(0, *lo - 1);  // outside: a <> b (port 0 included)
        if (*hi < kMaxPort) into.add(*hi + 1, kMaxPort);
      }
      return true;
    }
    if (auto* n = dynamic_cast<PfParser::NestedPortsContext*>(pi)) {
      bool ok = true;
      for (auto* child : n->portList()->portItem()) ok = port_items(child, ep, into) && ok;
      return ok;
    }
    auto* plain = static_cast<PfParser::PlainPortContext*>(pi);
    std::string text = wtext(plain->word());
    if (auto colon = text.find(':'); colon != std::string::npos) {
      std::string a = text.substr(0, colon), b = text.substr(colon + 1);
      auto pa = parse_port(a), pb = parse_port(b);
      auto va = pa.ok() ? std::optional<std::uint32_t>(pa.value) : pf_service_port(a);
      auto vb = pb.ok() ? std::optional<std::uint32_t>(pb.value) : pf_service_port(b);
      if (!va || !vb) {
        error_ctx(plain, fmt::format("invalid port range '{}'", text));
        return false;
      }
      if (*va > *vb) {
        error_ctx(plain, fmt::format("invalid port range '{}' (start after end)", text));
        return false;
      }
      into.add(*va, *vb);
      return true;
    }
    auto p = port_number(plain->word(), ep);
    if (!p) return false;
    into.add(*p, *p);
    return true;
  }

  static std::size_t count_port_items(PfParser::PortItemContext* pi) {
    if (auto* n = dynamic_cast<PfParser::NestedPortsContext*>(pi)) {
      std::size_t c = 0;
      for (auto* child : n->portList()->portItem()) c += count_port_items(child);
      return c;
    }
    return 1;
  }

  void endpoint(PfParser::HostPortSpecContext* hp, Endpoint& ep) {
    if (auto* hs = hp->hostSpec()) host_items(hs->hostItem(), ep.hosts);
    if (auto* ps = hp->portSpec()) {
      PortSet set;
      bool ok = true;
      if (ps->portItem())
        ok = port_items(ps->portItem(), ep, set);
      else
        for (auto* item : ps->portList()->portItem()) ok = port_items(item, ep, set) && ok;
      ep.port_text = ps->getText();
      ep.port_items = ps->portItem() ? count_port_items(ps->portItem()) : 0;
      if (!ps->portItem())
        for (auto* item : ps->portList()->portItem()) ep.port_items += count_port_items(item);
      if (ok || !ep.unknown_ports.empty())
        ep.ports = set;
      else
        ep.ports = PortSet();  // invalid port: reported, matches nothing
    }
  }

  // ---- filter rules
  void common(PfRule& r, PfParser::OnIfContext* on, PfParser::AfContext* af, PfParser::ProtoSpecContext* proto,
              PfParser::HostsContext* hosts) {
    if (on) {
      if (on->ifList()) {
        r.ifaces = if_items(on->ifList());
      } else {
        r.unknowns.push_back(fmt::format("on {} {} (routing domain)", wtext(on->word(0)), wtext(on->word(1))));
      }
    }
    if (af) {
      r.inet = af->INET() != nullptr;
      r.inet6 = af->INET6() != nullptr;
    }
    if (proto) {
      for (auto* p : proto->protoItem()) {
        std::string name = wtext(p->word());
        auto num = pf_proto_number(name);
        if (!num) {
          error_ctx(p, fmt::format("unknown protocol '{}'", name));
          r.never = true;
          continue;
        }
        r.protos.push_back(*num);
        // pfctl expand_rule: "proto icmp doesn't match address family inet6", and the
        // reverse, when the rule names its family (pfail2, pfail3, pfail5).
        if (af && *num == kProtoIcmp && r.inet6 && !r.inet)
          error_ctx(p, "proto icmp doesn't match address family inet6");
        if (af && *num == kProtoIcmp6 && r.inet && !r.inet6)
          error_ctx(p, "proto icmp6 doesn't match address family inet");
      }
    }
    if (hosts && !hosts->ALL()) {
      auto specs = hosts->hostPortSpec();
      if (hosts->FROM()) {
        endpoint(specs[0], r.from);
        if (specs.size() > 1) endpoint(specs[1], r.to);
        if (auto* os = hosts->osSpec())
          r.unknowns.push_back(fmt::format("os {} (passive OS fingerprint)", os->getText().substr(2)));
      } else {
        endpoint(specs[0], r.to);
      }
    }
    r.expansions = expansions(r);
    if ((r.from.ports || r.to.ports) && !r.never) {
      bool port_protos = !r.protos.empty() && std::all_of(r.protos.begin(), r.protos.end(), [](int p) {
        return p == kProtoTcp || p == kProtoUdp || p == kProtoSctp;
      });
      if (!port_protos && hosts)
        error_ctx(hosts,
                  "port only applies to tcp/udp/sctp (add 'proto tcp' "
                  "or 'proto udp')");
      if (!port_protos) r.never = true;
    }
  }

  // pfctl's expand_rule: one kernel rule per combination of list items, skipping
  // combinations whose address families cannot meet.
  static std::size_t expansions(const PfRule& r) {
    auto fams = [](const HostItem& h) {
      int f = 3;
      if (h.kind == HostItem::Kind::Address) f = (h.set.v4.empty() ? 0 : 1) | (h.set.v6.empty() ? 0 : 2);
      return f;
    };
    int af = (r.inet ? 1 : 0) | (r.inet6 ? 2 : 0);
    if (af == 3) af = 0;  // no af given: each combination takes its own
    std::vector<int> from_f, to_f;
    for (const auto& h : r.from.hosts) from_f.push_back(fams(h));
    for (const auto& h : r.to.hosts) to_f.push_back(fams(h));
    if (from_f.empty()) from_f.push_back(3);
    if (to_f.empty()) to_f.push_back(3);
    std::size_t hosts = 0;
    for (int a : from_f)
      for (int b : to_f) {
        int m = a & b;
        if (af) m &= af;
        if (m) ++hosts;
      }
    std::size_t n = hosts;
    n *= std::max<std::size_t>(1, r.ifaces.size());
    n *= std::max<std::size_t>(1, r.protos.size());
    n *= std::max<std::size_t>(1, r.from.port_items);
    n *= std::max<std::size_t>(1, r.to.port_items);
    return n;
  }

  // pfctl parse.y: a tag name fits PF_TAG_NAME_SIZE (64) with its NUL (pfail37-39).
  bool tag_length(PfParser::WordContext* w) {
    std::string t = wtext(w);
    if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
    if (t.size() <= 63) return false;
    error_ctx(w, "tag too long, max 63 chars");
    return true;
  }

  // pfctl parse.y's checks of `scrub (...)`: each option once, min-ttl 0-255, max-mss
  // 0-65535 (pfail25).
  void scrub_items(PfParser::ScrubOptContext* sc) {
    std::set<std::string> seen;
    for (auto* item : sc->scrubItem()) {
      std::string key = item->children.empty() ? "" : item->children[0]->getText();
      if (key.empty()) continue;
      // `no-df no-df`: the grammar reads the second flag as the first one's value.
      if ((key == "no-df" || key == "random-id") && item->children.size() > 1 && item->children[1]->getText() == key) {
        error_ctx(item, fmt::format("{} cannot be respecified", key));
        continue;
      }
      if (!seen.insert(key).second) {
        error_ctx(item, fmt::format("{} cannot be respecified", key));
        continue;
      }
      if ((key == "min-ttl" || key == "max-mss") && !item->word().empty()) {
        std::string v = wtext(item->word().back());
        if (v.empty() ||
            !std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
          continue;
        const unsigned long max = key == "min-ttl" ? 255 : 65535;
        if (v.size() > 6 || std::stoul(v) > max) error_ctx(item, fmt::format("illegal {} value {}", key, v));
      }
    }
  }

  // pfctl parse.y's divert checks (pfail55, 56, 63, 66, 67): one divert option per rule,
  // divert-to on inbound rules and divert-reply on outbound ones, and the divert-to
  // address in the family the rule names.
  void divert_checks(const PfRule& r, const std::vector<PfParser::FilterOptContext*>& opts) {
    std::vector<antlr4::ParserRuleContext*> diverts;
    for (auto* o : opts) {
      bool reply = false;
      if (auto* fl = dynamic_cast<PfParser::FlagOptContext*>(o)) reply = fl->DIVERT_REPLY() != nullptr;
      if (!reply && !dynamic_cast<PfParser::DivertToOptContext*>(o) &&
          !dynamic_cast<PfParser::DivertPacketOptContext*>(o))
        continue;
      diverts.push_back(o);
      if (diverts.size() == 2) error_ctx(o, "more than one divert option");
      if (reply && r.direction == 1) error_ctx(o, "divert-reply used with incoming rule");
      if (auto* dt = dynamic_cast<PfParser::DivertToOptContext*>(o)) {
        if (r.direction == 2) error_ctx(o, "divert-to used with outgoing rule");
        std::string a = wtext(dt->word(0));
        const bool v6 = a.find(':') != std::string::npos;
        // FreeBSD's `divert-to PORT` names no address.
        const bool v4 = !v6 && a.find('.') != std::string::npos && std::isdigit(static_cast<unsigned char>(a[0]));
        if ((v6 && r.inet && !r.inet6) || (v4 && r.inet6 && !r.inet)) error_ctx(o, "divert-to address family mismatch");
      }
    }
  }

  void filter_options(PfRule& r, const std::vector<PfParser::FilterOptContext*>& opts) {
    std::size_t user_items = 0, group_items = 0;
    bool binat_to = false;
    divert_checks(r, opts);
    for (auto* o : opts) {
      std::string text = o->getText();
      if (auto* sc = dynamic_cast<PfParser::ScrubOptContext*>(o)) scrub_items(sc);
      if (auto* qo = dynamic_cast<PfParser::QueueOptContext*>(o))
        for (auto* w : qo->word()) queue_ref(w, wtext(w));
      std::vector<PfParser::SetItemContext*> set_items;
      if (auto* so = dynamic_cast<PfParser::SetOptContext*>(o)) set_items.push_back(so->setItem());
      if (auto* sl = dynamic_cast<PfParser::SetListOptContext*>(o)) set_items = sl->setItem();
      for (auto* si : set_items)
        if (si->QUEUE())
          for (auto* w : si->word()) queue_ref(w, wtext(w));
      if (auto* u = dynamic_cast<PfParser::UserOptContext*>(o)) {
        r.unknowns.push_back(fmt::format("{} (socket owner)", collapse_blanks(expanded_text(u))));
        // pfctl expands each user and each group of the lists into its own rule.
        (u->USER() ? user_items : group_items) += u->idList()->idItem().size();
      } else if (auto* f = dynamic_cast<PfParser::FlagsOptContext*>(o)) {
        flags(r, f);
      } else if (dynamic_cast<PfParser::IcmpOptContext*>(o)) {
        bool icmp_only = !r.protos.empty() && std::all_of(r.protos.begin(), r.protos.end(),
                                                          [](int p) { return p == kProtoIcmp || p == kProtoIcmp6; });
        if (!icmp_only) error_ctx(o, "icmp-type only applies to proto icmp / icmp6");
        r.unknowns.push_back(collapse_blanks(expanded_text(o)));
      } else if (auto* tg = dynamic_cast<PfParser::TaggedOptContext*>(o);
                 tg && (number_not_name(tg->word(), "tag") || tag_length(tg->word()))) {
      } else if (dynamic_cast<PfParser::TosOptContext*>(o) || dynamic_cast<PfParser::TaggedOptContext*>(o) ||
                 dynamic_cast<PfParser::PrioOptContext*>(o) || dynamic_cast<PfParser::ReceivedOnOptContext*>(o) ||
                 dynamic_cast<PfParser::FastrouteOptContext*>(o) ||
                 dynamic_cast<PfParser::DivertPacketOptContext*>(o)) {
        r.unknowns.push_back(collapse_blanks(expanded_text(o)));
      } else if (auto* v = dynamic_cast<PfParser::ValueOptContext*>(o)) {
        auto type = v->getStart()->getType();
        if (type == PfLexer::LABEL) number_not_name(v->word(0), "label");
        if (type == PfLexer::TAG && !number_not_name(v->word(0), "tag")) tag_length(v->word(0));
        if (type == PfLexer::PROBABILITY || type == PfLexer::RTABLE || type == PfLexer::MAX_PKT_RATE ||
            type == PfLexer::SCHEDULE)
          r.unknowns.push_back(collapse_blanks(expanded_text(o)));
      } else if (auto* fl = dynamic_cast<PfParser::FlagOptContext*>(o)) {
        if (fl->ONCE()) r.unknowns.push_back("once (rule removed after its first match)");
      } else if (auto* fr = dynamic_cast<PfParser::FragmentOptContext*>(o)) {
        if (r.kind != RuleKind::Match) r.unknowns.push_back("fragment");
        (void)fr;
      } else if (auto* st = dynamic_cast<PfParser::StateOptContext*>(o)) {
        if (auto* so = st->stateOpts()) {
          static const std::set<std::string> limits = {"max",          "max-src-nodes",     "max-src-states",
                                                       "max-src-conn", "max-src-conn-rate", "overload"};
          for (auto* item : so->stateItem()) {
            std::string first = item->children.empty() ? "" : item->children[0]->getText();
            if (limits.count(first))
              r.unknowns.push_back(fmt::format("state limit {}", collapse_blanks(expanded_text(item))));
          }
        }
      } else if (auto* t = dynamic_cast<PfParser::TranslateOptContext*>(o)) {
        pool_checks(t, t->kind->getType() == PfLexer::NAT_TO, t->redirHosts(), t->redirPort(), t->poolOpt());
        if (t->kind->getType() == PfLexer::BINAT_TO) binat_to = true;            // pfctl: a nat-to and an rdr-to rule
        if (t->kind->getType() == PfLexer::NAT_TO) redir_list(t->redirHosts());  // checked, not modelled
        if (t->kind->getType() == PfLexer::RDR_TO || t->kind->getType() == PfLexer::BINAT_TO) {
          Translation tr;
          tr.hosts = redir_list(t->redirHosts());
          if (t->redirPort()) redir_port(t->redirPort(), tr);
          tr.text = collapse_blanks(expanded_text(t));
          tr.binat = t->kind->getType() == PfLexer::BINAT_TO;
          r.rdr_to = std::move(tr);
        }
      } else if (auto* lim = dynamic_cast<PfParser::LimiterOptContext*>(o)) {
        r.unknowns.push_back(fmt::format("{} (a limit on states)", collapse_blanks(expanded_text(lim))));
      } else if (dynamic_cast<PfParser::AfToOptContext*>(o)) {
        r.unknowns.push_back(fmt::format("{} (address family translation)", collapse_blanks(expanded_text(o))));
      } else if (auto* ro = dynamic_cast<PfParser::RouteOpt2Context*>(o)) {
        if (ro->ROUTE_TO()) r.unknowns.push_back("route-to (packet routed elsewhere)");
      }
      (void)text;
    }
    r.expansions *= std::max<std::size_t>(1, user_items) * std::max<std::size_t>(1, group_items) * (binat_to ? 2 : 1);
  }

  std::vector<HostItem> redir_list(PfParser::RedirHostsContext* rh) {
    std::vector<HostItem> out;
    for (auto* h : rh->redirHost()) {
      // pfctl's redirspec takes addresses, tables and interfaces, not no-route or
      // urpf-failed (pfail30: "syntax error").
      if (dynamic_cast<PfParser::NoRouteHostContext*>(h->host()) ||
          dynamic_cast<PfParser::UrpfHostContext*>(h->host())) {
        error_ctx(h, fmt::format("pf syntax error: '{}' is not a translation address", h->getText()));
        continue;
      }
      out.push_back(host(h->host(), false));
    }
    return out;
  }

  // pfctl's lexer returns a NUMBER for an unquoted run of digits, and labels and tags take
  // a STRING (pfail53).
  bool number_not_name(PfParser::WordContext* w, const char* what) {
    std::string t = w->getText();
    if (t.empty() ||
        !std::all_of(t.begin(), t.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
      return false;
    error_ctx(w, fmt::format("pf syntax error: a {} cannot be a number ('{}'; quote it)", what, t));
    return true;
  }

  void redir_port(PfParser::RedirPortContext* rp, Translation& tr) {
    auto words = rp->word();
    std::string first = wtext(words[0]);
    // "8080", "8080:*" (keep the offset), "2000:2010", "2000 - 2010".
    auto number = [&](const std::string& text) -> std::optional<std::uint32_t> {
      auto p = parse_port(text);
      return p.ok() ? std::optional<std::uint32_t>(p.value) : pf_service_port(text);
    };
    std::string a = first.substr(0, first.find(':'));
    auto va = number(a);
    if (!va) {
      error_ctx(rp, fmt::format("invalid translation port '{}'", first));
      return;
    }
    std::uint32_t hi = *va;
    std::string second;
    if (auto colon = first.find(':'); colon != std::string::npos) second = first.substr(colon + 1);
    if (words.size() > 1) second = wtext(words[1]);
    if (second == "*") {
      tr.port_star = true;
    } else if (!second.empty()) {
      auto vb = number(second);
      if (!vb || *vb < *va) {
        error_ctx(rp, fmt::format("invalid port range '{}'", collapse_blanks(expanded_text(rp))));
        return;
      }
      hi = *vb;
    }
    tr.port = PortSet(*va, hi);
  }

  void flags(PfRule& r, PfParser::FlagsOptContext* f) {
    if (f->ANY()) return;
    // pfctl: "flags only apply to tcp" unless the protocol list has tcp (pfail23; pf3
    // has `proto { udp, icmp, tcp } ... flags S/SA`).
    if (!r.protos.empty() && std::none_of(r.protos.begin(), r.protos.end(), [](int p) { return p == kProtoTcp; })) {
      error_ctx(f, "flags only apply to tcp");
      r.never = true;
      return;
    }
    auto words = f->word();
    std::string set, mask = "FSRPAUEW";
    if (f->SLASH()) {
      if (words.size() == 2) {
        set = wtext(words[0]);
        mask = wtext(words[1]);
      } else {
        mask = wtext(words[0]);
      }
    } else if (!words.empty()) {
      set = wtext(words[0]);
    }
    for (char c : set + mask)
      if (std::string("FSRPAUEW").find(c) == std::string::npos) {
        error_ctx(f, fmt::format("invalid TCP flag '{}' (flags are F S R P A U E W)", c));
        return;
      }
    // The first packet of a connection carries SYN only: (packet & mask) ==
    // set.
    bool syn_in_mask = mask.find('S') != std::string::npos;
    std::string expected = syn_in_mask ? "S" : "";
    std::string set_in_mask;
    for (char c : set)
      if (mask.find(c) != std::string::npos) set_in_mask.push_back(c);
    bool matches = set == set_in_mask && set_in_mask == expected;
    if (matches) return;
    // Only TCP packets have flags: other protocols of the rule are unaffected.
    std::vector<int> others;
    for (int p : r.protos)
      if (p != kProtoTcp) others.push_back(p);
    if (others.empty())
      r.never = true;
    else
      r.protos = others;
  }

  // pfctl: route-to, reply-to and dup-to make no sense on block rules (FreeBSD 1067), and
  // a rule of one address family needs a routing address of that family (1074, OpenBSD
  // pfail8: "no routing address with matching address family found").
  void route_checks(const PfRule& r, antlr4::ParserRuleContext* ctx, PfParser::RouteTargetContext* target,
                    PfParser::AfContext* af, bool prefer_v6, bool af_to) {
    if (!ctx->getStart() || ctx->getStart()->getType() == PfLexer::FASTROUTE) return;
    if (r.kind == RuleKind::Block) {
      error_ctx(ctx, "route-to, reply-to and dup-to are not supported on block rules");
      return;
    }
    if (!af || !target || af_to) return;  // af-to: routed in the translated family
    bool v6 = af->INET6() != nullptr, any_match = false, any_address = false;
    std::function<void(PfParser::RouteTargetContext*)> walk = [&](PfParser::RouteTargetContext* t) {
      for (auto* sub : t->routeTarget()) walk(sub);
      if (t->LPAREN() && t->word().size() >= 2) {
        std::string a = wtext(t->word(1));
        if (auto ip = parse_ip(a.substr(0, a.find('/')))) {
          any_address = true;
          bool addr_v6 = a.find(':') != std::string::npos;
          if (addr_v6 == v6 || (prefer_v6 && addr_v6)) any_match = true;  // FreeBSD prefer-ipv6-nexthop
        } else {
          any_match = true;  // a name: resolved by pfctl
        }
      } else if (!t->LPAREN() && t->routeTarget().empty()) {
        any_match = true;
      }
    };
    walk(target);
    if (any_address && !any_match) error_ctx(ctx, "no routing address with matching address family found.");
  }

  void filter(PfParser::FilterRuleContext* f, std::vector<PfRule>& into) {
    PfRule r;
    auto* act = f->action();
    r.kind = act->PASS() ? RuleKind::Pass : act->BLOCK() ? RuleKind::Block : RuleKind::Match;
    r.quick = f->logQuick()->QUICK() != nullptr;
    if (auto* d = f->direction()) r.direction = d->IN() ? 1 : 2;
    fill_rule_origin(r, f);
    common(r, f->onIf(), f->af(), f->protoSpec(), f->hosts());
    const bool prefer_v6 = f->getText().find("prefer-ipv6-nexthop") != std::string::npos;
    const auto filter_opts = f->filterOpt();
    const bool af_to = std::any_of(filter_opts.begin(), filter_opts.end(),
                                   [](auto* o) { return dynamic_cast<PfParser::AfToOptContext*>(o) != nullptr; });
    if (auto* ro = f->routeOpt()) {
      if (ro->ROUTE_TO() || ro->FASTROUTE()) r.unknowns.push_back("route-to (packet routed elsewhere)");
      route_checks(r, ro, ro->routeTarget(), f->af(), prefer_v6, af_to);
    }
    for (auto* o : f->filterOpt())
      if (auto* ro2 = dynamic_cast<PfParser::RouteOpt2Context*>(o))
        route_checks(r, ro2, ro2->routeTarget(), f->af(), prefer_v6, af_to);
    filter_options(r, f->filterOpt());
    if (r.kind == RuleKind::Block && r.rdr_to) r.rdr_to.reset();
    if (r.rdr_to && r.rdr_to->binat && r.direction != 1) {
      // pfctl (regress pf17.ok, pf80.ok): `binat-to ADDR` loads the rule outbound with
      // `nat-to ADDR static-port` and its reverse inbound, from the rule's destination to
      // ADDR, `rdr-to` the rule's source.
      PfRule back = r;
      back.direction = 1;
      back.from = r.to;
      back.to = Endpoint();
      back.to.hosts = r.rdr_to->hosts;
      back.rdr_to->hosts = r.from.hosts;
      back.rdr_to->port.reset();
      back.rdr_to->port_star = false;
      back.rdr_to->binat = false;
      r.direction = 2;
      r.rdr_to.reset();  // the nat-to side: source translation, not modelled
      r.expansions = back.expansions = std::max<std::size_t>(1, r.expansions / 2);
      into.push_back(std::move(r));
      into.push_back(std::move(back));
      return;
    }
    into.push_back(std::move(r));
  }

  void antispoof(PfParser::AntispoofRuleContext* a, std::vector<PfRule>& into) {
    PfRule r;
    r.kind = RuleKind::Antispoof;
    r.quick = a->QUICK() != nullptr;
    r.direction = 1;
    fill_rule_origin(r, a);
    r.ifaces = if_items(a->ifList());
    if (auto* af = a->af()) {
      r.inet = af->INET() != nullptr;
      r.inet6 = af->INET6() != nullptr;
    }
    into.push_back(std::move(r));
  }

  // pfctl's pool checks (FreeBSD pfctl_test_list.inc 1033-1047): static-port and
  // map-e-portset belong to nat, not with a port range or each other; bitmask needs a
  // plain address.
  void pool_checks(antlr4::ParserRuleContext* ctx, bool nat, PfParser::RedirHostsContext* target,
                   PfParser::RedirPortContext* port, const std::vector<PfParser::PoolOptContext*>& opts) {
    bool static_port = false, map_e = false, bitmask = false;
    for (auto* o : opts) {
      static_port = static_port || o->STATIC_PORT();
      map_e = map_e || o->MAP_E_PORTSET();
      bitmask = bitmask || o->BITMASK();
    }
    if (static_port && !nat) error_ctx(ctx, "the 'static-port' option is only valid with nat rules");
    if (map_e && !nat) error_ctx(ctx, "the 'map-e-portset' option is only valid with nat rules");
    if (static_port && nat && port)
      error_ctx(ctx, "the 'static-port' option can't be used when specifying a port range");
    if (map_e && nat && static_port) error_ctx(ctx, "the 'map-e-portset' option can't be used 'static-port'");
    if (map_e && nat && port) error_ctx(ctx, "the 'map-e-portset' option can't be used when specifying a port range");
    if (bitmask && target)
      for (auto* h : target->redirHost()) {
        if (dynamic_cast<PfParser::TableHostContext*>(h->host()))
          error_ctx(h, "tables are not supported by pool type");
        else if (dynamic_cast<PfParser::DynamicIfHostContext*>(h->host()))
          error_ctx(h, fmt::format("interface {} is not supported by pool type", h->getText()));
      }
  }

  void translation(antlr4::ParserRuleContext* ctx, RuleKind kind, bool no, bool pass, PfParser::OnIfContext* on,
                   PfParser::AfContext* af, PfParser::ProtoSpecContext* proto, PfParser::HostsContext* hosts,
                   PfParser::TagOptsContext* tags, PfParser::RedirHostsContext* target,
                   PfParser::RedirPortContext* port, std::vector<PfRule>& into) {
    PfRule r;
    r.kind = kind;
    r.direction = kind == RuleKind::Nat ? 2 : 1;
    r.no_translation = no;
    r.translation_pass = pass;
    fill_rule_origin(r, ctx);
    common(r, on, af, proto, hosts);
    if (tags && tags->TAGGED().size() > 0) r.unknowns.push_back("tagged");
    if (!no && !target) {
      error_ctx(ctx, fmt::format("{} rule needs '-> address' (or 'no {}')",
                                 kind == RuleKind::Nat   ? "nat"
                                 : kind == RuleKind::Rdr ? "rdr"
                                                         : "binat",
                                 kind == RuleKind::Nat   ? "nat"
                                 : kind == RuleKind::Rdr ? "rdr"
                                                         : "binat"));
      return;
    }
    if (no && target) {
      error_ctx(ctx, "a 'no' translation rule takes no '-> address'");
      return;
    }
    if (target) {
      Translation tr;
      tr.hosts = redir_list(target);
      if (port) redir_port(port, tr);
      tr.text = collapse_blanks(expanded_text(target));
      r.rdr_to = std::move(tr);
    }
    into.push_back(std::move(r));
  }

  // ---- tables
  void table(PfParser::TableDefContext* t) {
    Table tab;
    tab.name = wtext(t->name);
    auto [line, col] = src_->line_col(ctx_begin(t));
    tab.span = {src_->path, line, col, line, col};
    bool persist = false, has_list = false, has_file = false;
    for (auto* opt : t->tableOpt()) {
      if (opt->PERSIST()) persist = true;
      if (opt->LBRACE()) {
        has_list = true;
        for (auto* e : opt->tableEntry()) tab.entries.push_back(host(e->host(), e->NOT() != nullptr));
      }
      if (opt->FILE()) {
        has_file = true;
        std::string path = unquote(opt->path->getText());
        std::string contents;
        auto resolved = resolve(path);
        read_error_.clear();
        if (resolved.empty() || !read_file_text(resolved, contents)) {
          // Reported where a rule uses the table (an unused table changes nothing).
          tab.unknown = fmt::format("<{}> (its file \"{}\" is not available{})", tab.name, path, read_failure(path));
          continue;
        }
        table_file(contents, tab, opt);
      }
    }
    if (!has_list && !has_file) {
      tab.unknown = fmt::format("<{}> (a {}table without entries in the file: filled at run time)", tab.name,
                                persist ? "persist " : "");
    }
    if (auto it = model_.tables.find(tab.name); it != model_.tables.end()) {
      unmodelled_ctx(t, fmt::format("table <{}> is defined twice: fwmatrix merges the definitions", tab.name));
      Table& first = it->second;
      first.entries.insert(first.entries.end(), tab.entries.begin(), tab.entries.end());
      if (first.unknown.empty() && !tab.unknown.empty() && !(has_list || has_file)) return;
      if (!tab.unknown.empty() && (has_list || has_file)) first.unknown = tab.unknown;
      if (!first.unknown.empty() && (has_list || has_file) && tab.unknown.empty()) first.unknown.clear();
      return;
    }
    model_.tables[tab.name] = std::move(tab);
  }

  void table_file(const std::string& contents, Table& tab, antlr4::ParserRuleContext* where) {
    std::size_t pos = 0;
    while (pos < contents.size()) {
      auto end = contents.find('\n', pos);
      if (end == std::string::npos) end = contents.size();
      std::string line = contents.substr(pos, end - pos);
      pos = end + 1;
      if (auto hash = line.find('#'); hash != std::string::npos) line = line.substr(0, hash);
      std::string word;
      for (char c : line + " ") {
        if (std::isspace(static_cast<unsigned char>(c))) {
          if (!word.empty()) {
            bool neg = word[0] == '!';
            std::string w = neg ? word.substr(1) : word;
            auto slash = w.find('/');
            std::string mask = slash == std::string::npos ? "" : w.substr(slash + 1);
            HostItem h = address_host(w.substr(0, slash), slash == std::string::npos ? nullptr : &mask, where);
            h.negated = neg;
            tab.entries.push_back(h);
            word.clear();
          }
        } else {
          word.push_back(c);
        }
      }
    }
  }

  std::string resolve(const std::string& path) const {
    fs::path p(path);
    if (p.is_absolute()) return {};  // a path on the firewall, not on this machine
    fs::path resolved = fs::path(src_->dir) / p;
    if (outside_input_tree(resolved)) return {};
    return resolved.string();
  }

  // True when `p` (symbolic links followed) lies outside the directory of the input file
  // and --allow-outside was not given: such files are not read.
  bool outside_input_tree(const fs::path& p) const {
    if (model_.allow_outside || model_.input_root.empty()) return false;
    std::error_code ec;
    auto rel = fs::weakly_canonical(p, ec).lexically_relative(model_.input_root);
    return ec || rel.empty() || *rel.begin() == "..";
  }
  // Why a relative file name was not read, for the diagnostics ("" when it simply is not there).
  std::string refusal(const std::string& path) const {
    fs::path p(path);
    if (p.is_absolute() || !outside_input_tree(fs::path(src_->dir) / p)) return {};
    return fmt::format(" (outside the input's directory {}: refused, --allow-outside reads it)",
                       model_.input_root.string());
  }

  // False when the file is not there or cannot be read; read_error_ then says why when
  // the file exists (e.g. a size limit).
  bool read_file_text(const std::string& path, std::string& out) {
    read_error_.clear();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return false;
    TextFile f = read_text_file(path, read_limits(model_.limits));
    if (!f.ok()) {
      read_error_ = f.error;
      return false;
    }
    out = f.text;
    return true;
  }

  // Why the last read_file_text failed, for the "not available" diagnostics.
  std::string read_failure(const std::string& path) const {
    return read_error_.empty() ? refusal(path) : fmt::format(" ({})", read_error_);
  }

  bool too_deep(int depth) const { return static_cast<std::size_t>(depth) >= model_.limits.max_include_depth; }
  std::string nesting_too_deep() const {
    return fmt::format(" (includes nested deeper than {} levels: include loop? {} raises this limit)",
                       model_.limits.max_include_depth, kMaxIncludeDepthFlag);
  }

  // ---- anchors and includes
  std::string anchor_path(const std::string& parent, const std::string& name) const {
    if (!name.empty() && name[0] == '/') return name.substr(1);
    std::string base = parent;
    std::string rest = name;
    while (rest.rfind("../", 0) == 0) {
      rest = rest.substr(3);
      auto slash = base.rfind('/');
      base = slash == std::string::npos ? "" : base.substr(0, slash);
    }
    return base.empty() ? rest : base + "/" + rest;
  }

  void anchor(PfParser::AnchorRuleContext* a, std::vector<PfRule>& into, const std::string& parent, int depth) {
    PfRule r;
    r.kind = RuleKind::Anchor;
    r.quick = a->QUICK() != nullptr;
    if (auto* d = a->direction()) r.direction = d->IN() ? 1 : 2;
    fill_rule_origin(r, a, a->LBRACE() ? a->LBRACE()->getSymbol() : nullptr);
    common(r, a->onIf(), a->af(), a->protoSpec(), a->hosts());
    filter_options(r, a->filterOpt());
    std::string name = a->anchorName() ? unquote(a->anchorName()->getText()) : "";
    if (a->LBRACE()) {
      r.anchor_inline = true;
      std::string path = name.empty() ? fmt::format("{}_{}", parent.empty() ? "" : parent + "/", ++unnamed_)
                                      : anchor_path(parent, name);
      r.anchor_name = path;
      for (auto* st : a->statement()) statement(st, r.children, path, depth);
      if (!name.empty()) model_.anchors[path] = r.children;
    } else {
      if (name.empty()) {
        error_ctx(a, "anchor without a name needs an inline '{ ... }' block");
        return;
      }
      r.anchor_name = anchor_path(parent, name);
    }
    into.push_back(std::move(r));
  }

  void load_anchor(PfParser::LoadAnchorContext* l, const std::string& parent, int depth) {
    std::string name = anchor_path(parent, unquote(l->anchorName()->getText()));
    std::string path = unquote(l->path->getText());
    std::string resolved = resolve(path);
    std::string contents;
    read_error_.clear();
    if (too_deep(depth) || resolved.empty() || !read_file_text(resolved, contents)) {
      model_.anchor_files_missing[name] = path;
      unmodelled_ctx(l, fmt::format("anchor \"{}\" is loaded from \"{}\", "
                                    "which is not available{}: its rules are "
                                    "unknown",
                                    name, path, too_deep(depth) ? nesting_too_deep() : read_failure(path)));
      return;
    }
    Source sub;
    sub.path = fs::path(resolved).lexically_normal().string();
    sub.dir = fs::path(resolved).parent_path().string();
    sub.text = contents;
    sub.index_lines();
    std::vector<PfRule> rules;
    Reader nested(model_, macros_,
                  unnamed_);  // own ANTLR objects: our parse tree stays valid
    nested.read(sub, rules, name, depth + 1);
    model_.anchors[name] = std::move(rules);
  }

  void include(PfParser::IncludeStmtContext* inc, std::vector<PfRule>& into, const std::string& parent, int depth) {
    std::string path = unquote(inc->path->getText());
    std::string resolved = resolve(path);
    std::string contents;
    read_error_.clear();
    if (too_deep(depth) || resolved.empty() || !read_file_text(resolved, contents)) {
      model_.unavailable_includes.push_back(path);
      PfRule r;
      r.kind = RuleKind::Include;
      fill_rule_origin(r, inc);
      r.unknown_verdict = fmt::format("include \"{}\" (file not available)", path);
      unmodelled_ctx(inc, fmt::format("included file \"{}\" is not available{}: the rules it "
                                      "holds are unknown, "
                                      "so every packet reaching this point is undetermined",
                                      path, too_deep(depth) ? nesting_too_deep() : read_failure(path)));
      into.push_back(std::move(r));
      return;
    }
    Source sub;
    sub.path = fs::path(resolved).lexically_normal().string();
    sub.dir = fs::path(resolved).parent_path().string();
    sub.text = contents;
    sub.index_lines();
    Reader nested(model_, macros_,
                  unnamed_);  // own ANTLR objects: our parse tree stays valid
    nested.read(sub, into, parent, depth + 1);
  }

  Model& model_;
  std::map<std::string, std::string>& macros_;
  int& unnamed_;
  bool expansion_too_large_ = false;
  bool macro_too_deep_ = false;      // the last expansion stopped at kMaxMacroDepth
  std::string missing_inner_macro_;  // the undefined macro the last expansion's value named
  std::string read_error_;
  const Source* src_ = nullptr;
  std::vector<Comment>* comments_ = nullptr;
  const Mapped* cur_ = nullptr;
  std::vector<std::size_t> cp_to_byte_;
  bool require_order_ = true;
  int order_section_ = 0;
  int order_line_ = 0;
  antlr4::ANTLRInputStream input_;
  PfLexer lexer_;
  antlr4::CommonTokenStream tokens_;
  PfParser parser_;
  Errors errors_;
};

}  // namespace

std::size_t expanded_rule_count(const Model& model) {
  std::size_t n = 0;
  std::function<void(const std::vector<PfRule>&)> walk = [&](const std::vector<PfRule>& rules) {
    for (const auto& r : rules) {
      if (r.kind == RuleKind::Pass || r.kind == RuleKind::Block || r.kind == RuleKind::Match) n += r.expansions;
      if (r.kind == RuleKind::Anchor && r.anchor_inline) walk(r.children);
    }
  };
  walk(model.rules);
  return n;
}

namespace {

// The words of a line up to a '#' comment, split at blanks and tabs.
std::vector<std::string_view> line_words(std::string_view line) {
  std::vector<std::string_view> out;
  if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    std::size_t b = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > b) out.push_back(line.substr(b, i - b));
  }
  return out;
}

// nftables statements that begin a line of an nftables file (pf has none of them):
// `table inet filter {`, `flush ruleset`, `define X = ...`, `add rule ...`.
bool nftables_line(const std::vector<std::string_view>& w) {
  static const std::set<std::string_view> commands = {"flush",  "define",   "add",     "insert",  "create",
                                                      "delete", "chain",    "replace", "destroy", "list",
                                                      "reset",  "redefine", "undefine"};
  if (commands.count(w[0])) return true;
  // pf tables are `table <name>`; nftables tables are `table [family] name {`.
  return w[0] == "table" && (w.size() < 2 || w[1].front() != '<');
}

// The first word of a pf statement (pf.conf(5) grammar: options, tables, filter,
// translation, anchors; `pfctl -sr` prints the same words).
bool pf_statement(const std::vector<std::string_view>& w) {
  static const std::set<std::string_view> starts = {
      "pass",         "block",           "match", "antispoof", "anchor", "nat-anchor", "rdr-anchor", "binat-anchor",
      "scrub-anchor", "dummynet-anchor", "scrub", "altq",      "rdr",    "nat",        "binat",
  };
  std::string_view first = w[0];
  if (auto brace = first.find_first_of("{<("); brace != std::string_view::npos && brace > 0)
    first = first.substr(0, brace);  // `anchor"x"{`, `table<x>`
  if (starts.count(first)) return true;
  if (first == "table") return w[0].size() > 5 ? w[0][5] == '<' : w.size() > 1 && w[1].front() == '<';
  if (first == "no" && w.size() > 1) return w[1] == "nat" || w[1] == "rdr" || w[1] == "binat";
  if (first == "load" && w.size() > 1) return w[1] == "anchor";
  if (first == "ether" && w.size() > 1) return w[1] == "pass" || w[1] == "block" || w[1] == "anchor";
  if (first == "set" && w.size() > 1) {
    static const std::set<std::string_view> options = {
        "skip",         "block-policy",         "state-policy", "limit",         "timeout",      "optimization",
        "loginterface", "ruleset-optimization", "reassemble",   "require-order", "fingerprints", "hostid",
        "debug",        "state-defaults",       "syncookies",   "keepcounters",  "fail-policy",
    };
    return options.count(w[1]) > 0;
  }
  return false;
}

}  // namespace

// pf.conf(5) statements at the start of a line (blanks and tabs between words);
// nftables and iptables-save lines rule the file out (`table <x>` and `include "x"` begin
// pf files and nftables files alike: the other lines decide).
bool detect(const std::string& text) {
  std::size_t pos = 0;
  int seen = 0, hits = 0;
  while (pos < text.size() && seen < 200) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    auto b = line.find_first_not_of(" \t\r\f");
    if (b == std::string_view::npos) continue;
    line = line.substr(b);
    if (line[0] == '#') {
      if (line.rfind("#!", 0) == 0 && line.find("nft") != std::string_view::npos) return false;
      continue;
    }
    if (line[0] == '@') {  // pfctl -vvsr rule numbers
      auto sp = line.find_first_of(" \t");
      line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
      if (line.empty()) continue;
    }
    if (line[0] == '[') continue;  // pfctl -vvsr counter lines
    auto words = line_words(line);
    if (words.empty()) continue;
    ++seen;
    if (line.rfind("-A ", 0) == 0 || line[0] == '*' || line.rfind(":INPUT", 0) == 0) return false;
    if (nftables_line(words)) return false;
    if (pf_statement(words)) ++hits;
  }
  return hits >= 1;
}

Model parse(const TextFile& file, bool allow_outside, const Limits& limits) {
  Model model;
  model.limits = limits;
  Source src;
  src.path = file.path;
  src.dir = fs::path(file.path).parent_path().string();
  if (src.dir.empty()) src.dir = ".";
  model.allow_outside = allow_outside;
  std::error_code ec;
  model.input_root = fs::weakly_canonical(src.dir, ec);
  if (ec) model.input_root.clear();
  src.text = file.text;
  src.index_lines();
  model.line_count = src.line_starts.size() - (src.text.empty() || src.text.back() == '\n' ? 1 : 0);
  std::map<std::string, std::string> macros;
  int unnamed = 0;
  Reader reader(model, macros, unnamed);
  reader.read(src, model.rules, "", 0);
  reader.finish_queues();
  return model;
}

}  // namespace fwm::pf
