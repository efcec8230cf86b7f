// The nftables parser splits its input with a plain token scanner and reads an item
// whose token shape it has seen before from the tree of the earlier item (laid onto the
// new tokens) instead of parsing it again. These tests check that this gives the same
// model as ANTLR's lexer and parser on every item, over the corpus, the shared dumps and
// a generated ruleset with errors among its repeated shapes.
#include <fmt/format.h>

#include "fwm_catch.hpp"
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "frontends/nftables/nftables_frontend.h"
#include "util/text_input.h"

using namespace fwm;
using namespace fwm::nftables;
namespace fs = std::filesystem;

namespace {

std::string describe(const Expr& e) {
  std::string out = fmt::format("{}{}'{}'", static_cast<int>(e.kind), e.quoted ? "q" : "", e.text);
  if (e.kind == Expr::Kind::Verdict || e.kind == Expr::Kind::MapElem)
    out += fmt::format("v{}:{}", static_cast<int>(e.verdict.kind), e.verdict.chain);
  if (!e.items.empty()) {
    out += "(";
    for (const auto& item : e.items) out += describe(item) + ",";
    out += ")";
  }
  return out;
}

std::string describe(const SourceSpan& s) {
  return fmt::format("{}:{}:{}-{}:{}", s.file, s.line, s.column, s.end_line, s.end_column);
}

// Every field of the model, one line per object.
std::string describe(const Model& m) {
  std::string out = fmt::format("lines {}\n", m.line_count);
  for (const auto& t : m.tables)
    out += fmt::format("table {} {} {} {}\n", t.family, t.name, t.dormant, describe(t.span));
  for (const auto& c : m.chains) {
    out += fmt::format("chain {} {} {} base={} {} {} {} {} policy={} {} {} '{}'\n", c.family, c.table, c.name, c.base,
                       c.type, c.hook, c.device, c.priority, c.policy_accept ? int(*c.policy_accept) : -1,
                       describe(c.span), describe(c.policy_span), c.policy_text);
    for (const auto& r : c.rules) {
      out += fmt::format("  rule {} '{}' [{}]\n", describe(r.span), r.text, fmt::join(r.suppressions, ","));
      for (const auto& s : r.stmts)
        out += fmt::format("    {} [{}] {} '{}' {} v{}:{} '{}' {} {}\n", static_cast<int>(s.kind),
                           fmt::join(s.selectors, ","), s.selector_complex, s.op, describe(s.rhs),
                           static_cast<int>(s.verdict.kind), s.verdict.chain, s.text, s.nat_kind, s.column);
    }
  }
  for (const auto& s : m.sets) {
    out += fmt::format("set {} {} {} map={} '{}' dynamic={} {}\n", s.family, s.table, s.name, s.is_map, s.type,
                       s.dynamic, describe(s.span));
    for (const auto& e : s.elements) out += "  " + describe(e) + "\n";
  }
  for (const auto& d : m.diagnostics)
    out +=
        fmt::format("{} {} {} '{}' '{}'\n", d.id, describe(d.span), static_cast<int>(d.severity), d.message, d.snippet);
  return out;
}

struct BothWays {
  Model reused, parsed;
};

// `reused`: the default (token scanner, trees reused); `parsed`: ANTLR's lexer and
// parser on every item.
BothWays parse_both_ways(const TextFile& file) {
  ParseOptions with_reuse, without_reuse;
  without_reuse.reuse_item_trees = false;
  without_reuse.scan_tokens = false;
  return {parse(file, with_reuse), parse(file, without_reuse)};
}

// A kube-proxy-like ruleset: a few shapes repeated, with errors of every kind among them.
std::string generated_ruleset(int services) {
  std::string text = "flush ruleset\ndefine web = { 80, 443 }\ntable inet fw {\n";
  text += "  set allowed { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.1.1 } }\n";
  text += "  chain input {\n    type filter hook input priority filter; policy drop;\n";
  for (int s = 0; s < services; ++s) {
    text += fmt::format("    ip saddr 10.{}.{}.0/24 tcp dport {} counter accept comment \"svc {}\"\n", s / 250, s % 250,
                        1000 + s, s);
    text += fmt::format("    ip saddr @allowed udp dport {{ {}, {}-{} }} accept # fwmatrix: ignore FWM020 -- ok\n",
                        2000 + s, 3000 + s, 3100 + s);
    text += fmt::format("    tcp dport $web ip daddr 10.9.{}.{} jump svc{}\n", s / 250, s % 250, s);
    if (s % 97 == 0) text += "    # a comment line\n\n";
    if (s % 211 == 0) text += fmt::format("    tcp dport {} accpt\n", s);                  // unknown word
    if (s % 307 == 0) text += fmt::format("    ip saddr 10.0.0.{} tcp dport\n", s % 250);  // missing value
    if (s % 401 == 0) text += fmt::format("    tcp dport {{ {}, accept\n", s);             // unclosed set
    if (s % 503 == 0) text += fmt::format("    tcp dport $undefined{} accept\n", s);       // undefined variable
    if (s % 509 == 0) text += "    ct state established,related accept; tcp dport 22 accept\n";
  }
  text += "  }\n";
  for (int s = 0; s < services; ++s)
    text +=
        fmt::format("  chain svc{} {{\n    meta l4proto tcp dnat ip to 10.244.{}.{}:8080\n  }}\n", s, s / 250, s % 250);
  text += "}\nadd rule inet fw input tcp dport 5061 accept\n";
  return text;
}

std::vector<fs::path> nft_files(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    auto ext = e.path().extension().string();
    if (ext == ".nft" || ext == ".conf" || ext == ".nftables" || ext == ".ruleset" || ext == "")
      out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("nftables item trees: a generated ruleset with errors reads the same either way", "[nftables][item-trees]") {
  TextFile file = decode_text("generated.nft", generated_ruleset(1200));
  REQUIRE(file.ok());
  auto both = parse_both_ways(file);
  CHECK(describe(both.reused) == describe(both.parsed));
  CHECK(both.reused.diagnostics.size() >= 10);
  // The shapes repeat: almost every item comes from an earlier tree.
  CHECK(both.parsed.items_reused == 0);
  CHECK(both.reused.items_parsed < 200);
  CHECK(both.reused.items_reused > 3500);
  CHECK(both.reused.items_parsed + both.reused.items_reused <= both.parsed.items_parsed);
  CHECK(both.reused.tokens_scanned);
  CHECK_FALSE(both.parsed.tokens_scanned);
}

TEST_CASE("nftables item trees: the corpus and the shared dumps read the same either way", "[nftables][item-trees]") {
  std::vector<fs::path> files = nft_files(fs::path(FWM_SOURCE_DIR) / "corpus/nftables");
  auto shared = fs::path(FWM_SHARED_DIR);
  for (const char* dir : {"conformance/nftables/dumps", "corpus/real/nftables"})
    for (auto& f : nft_files(shared / dir)) files.push_back(f);
  if (!fs::is_directory(shared)) WARN("no " << shared.string() << ": only the project corpus is compared");
  REQUIRE(files.size() >= 8);
  std::size_t compared = 0, reused = 0;
  for (const auto& path : files) {
    TextFile file = read_text_file(path.string());
    if (!file.ok() || detect_json(file.text)) continue;
    auto both = parse_both_ways(file);
    INFO(path.string());
    REQUIRE(describe(both.reused) == describe(both.parsed));
    ++compared;
    reused += both.reused.items_reused;
  }
  CHECK(compared >= 8);
  CHECK(reused > 0);
}

TEST_CASE("nftables token chunks: a chunk end anywhere reads the same as one chunk", "[nftables][item-trees]") {
  // Chunks far smaller than the default put a chunk end near every item: items read from
  // their shape, items the parser reads up to the chunk's end (a set written over many
  // lines, a long line of elements) and broken items.
  std::string text = generated_ruleset(300);
  text += "table ip lists {\n  set many {\n    type ipv4_addr\n    elements = {\n";
  for (int i = 0; i < 400; ++i) text += fmt::format("      10.1.{}.{},\n", i / 250, i % 250);
  text += "    }\n  }\n  set wide { type ipv4_addr; elements = { ";
  for (int i = 0; i < 1500; ++i) text += fmt::format("10.2.{}.{}, ", i / 250, i % 250);
  text += "10.3.0.1 } }\n  chain c {\n    ip saddr @many drop\n    ip saddr { 10.4.0.1, 10.4.0.2,\n";
  text += "      10.4.0.3 } accept\n  }\n}\n";
  TextFile file = decode_text("chunks.nft", text);
  REQUIRE(file.ok());
  ParseOptions one_chunk;
  one_chunk.chunk_tokens = std::size_t(1) << 30;
  Model whole = parse(file, one_chunk);
  CHECK(whole.token_chunks == 1);
  CHECK(whole.items_reread == 0);
  const std::string expected = describe(whole);
  ParseOptions parsed_by_antlr;
  parsed_by_antlr.reuse_item_trees = false;
  parsed_by_antlr.scan_tokens = false;
  REQUIRE(describe(parse(file, parsed_by_antlr)) == expected);
  for (std::size_t chunk : {1, 7, 300, 1000, 4096}) {
    INFO("chunk_tokens " << chunk);
    ParseOptions small;
    small.chunk_tokens = chunk;
    Model m = parse(file, small);
    CHECK(describe(m) == expected);
    CHECK(m.tokens_scanned);
    CHECK(m.token_chunks > 1);
    if (chunk < 1000) CHECK(m.items_reread > 0);  // the 400-line set, the line of 1,500 elements
    if (chunk >= 1000) CHECK(m.items_reused > 500);
  }
}

TEST_CASE("nftables item trees: the grammar has no token labels, which a reused tree would not re-point",
          "[nftables][item-trees]") {
  // A reused tree's rule contexts and leaves are laid onto the new item's tokens; a token
  // label (`handle=VALUE`) is a field of its own that would keep the first item's token.
  std::ifstream in(fs::path(FWM_SOURCE_DIR) / "grammars/nftables/NftablesParser.g4");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  std::string grammar = std::regex_replace(text.str(), std::regex("//[^\n]*"), "");  // comments
  std::smatch label;
  bool found = std::regex_search(grammar, label, std::regex("\\b[a-z][A-Za-z0-9_]*\\s*\\+?=\\s*[A-Z][A-Z0-9_]*\\b"));
  INFO("token label: " << (found ? label.str() : ""));
  CHECK_FALSE(found);
}

TEST_CASE("nftables: lowering a model it owns (freeing its rules on the way) gives the same IR", "[nftables]") {
  TextFile file = decode_text("generated.nft", generated_ruleset(200));
  REQUIRE(file.ok());
  Model model = parse(file);
  Ruleset kept = lower(model, file.path, "nftables");
  Model copy = model;
  Ruleset consumed = lower(std::move(copy), file.path, "nftables");
  REQUIRE(kept.chains.size() == consumed.chains.size());
  std::size_t rules = 0;
  for (std::size_t c = 0; c < kept.chains.size(); ++c) {
    INFO(kept.chains[c].name);
    REQUIRE(kept.chains[c].name == consumed.chains[c].name);
    REQUIRE(kept.chains[c].rules.size() == consumed.chains[c].rules.size());
    for (std::size_t r = 0; r < kept.chains[c].rules.size(); ++r) {
      const Rule& a = kept.chains[c].rules[r];
      const Rule& b = consumed.chains[c].rules[r];
      CHECK(a.text == b.text);
      CHECK(a.span.line == b.span.line);
      CHECK(a.action.kind == b.action.kind);
      CHECK(a.action.target_chain == b.action.target_chain);
      CHECK(a.match.unknowns.vec() == b.match.unknowns.vec());
      CHECK(a.match.dport == b.match.dport);
      ++rules;
    }
  }
  CHECK(rules > 600);
  CHECK(kept.diagnostics.size() == consumed.diagnostics.size());
  CHECK(kept.pipelines.size() == consumed.pipelines.size());
  // The model handed over keeps its chains, without their rules; the other is untouched.
  for (const auto& chain : copy.chains) CHECK(chain.rules.empty());  // NOLINT(bugprone-use-after-move)
  CHECK(model.chains.front().rules.size() + model.chains.back().rules.size() > 0);
}
