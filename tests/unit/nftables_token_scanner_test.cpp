// The nftables token scanner must split text exactly as ANTLR's NftablesLexer does:
// compared token by token (type, characters, line, column) over the corpus, the shared
// rulesets and random text made of the grammar's troublesome pieces.
#include "frontends/nftables/nftables_token_scanner.h"

#include <fmt/format.h>

#include <filesystem>
#include <random>

#include "NftablesLexer.h"
#include "antlr4-runtime.h"
#include "frontends/nftables/nftables_frontend.h"
#include "fwm_catch.hpp"
#include "util/text_input.h"

using namespace fwm;
using namespace fwm::nftables;
namespace fs = std::filesystem;

namespace {

std::vector<ScannedToken> antlr_tokens(const std::string& text) {
  antlr4::ANTLRInputStream input(text);
  fwm_antlr_fwm_grammar_nftables::NftablesLexer lexer(&input);
  lexer.removeErrorListeners();
  std::vector<ScannedToken> out;
  while (true) {
    auto t = lexer.nextToken();
    out.push_back({t->getType(), t->getStartIndex(), t->getStopIndex(), t->getLine(), t->getCharPositionInLine()});
    if (t->getType() == antlr4::Token::EOF) break;
  }
  return out;
}

// Empty when they agree; otherwise where they part.
std::string difference(const std::string& text) {
  std::vector<ScannedToken> scanned;
  if (!scan_tokens(text, scanned)) return "the scanner refused the text";
  auto expected = antlr_tokens(text);
  for (std::size_t i = 0; i < std::max(scanned.size(), expected.size()); ++i) {
    if (i >= scanned.size() || i >= expected.size()) return fmt::format("token counts differ at {}", i);
    const auto& a = scanned[i];
    const auto& b = expected[i];
    if (a.type != b.type || a.start != b.start || a.stop != b.stop || a.line != b.line || a.column != b.column)
      return fmt::format("token {}: scanner type {} [{}, {}] {}:{}, lexer type {} [{}, {}] {}:{} near '{}'", i, a.type,
                         a.start, a.stop, a.line, a.column, b.type, b.start, b.stop, b.line, b.column,
                         text.substr(std::min(a.start, b.start), 30));
  }
  return "";
}

std::vector<fs::path> files_under(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.file_size() < (4u << 20)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("nftables token scanner: the grammar's corner cases", "[nftables][scanner]") {
  for (const char* text : {
           "",
           "table inet filter {\n\tchain input {\n\t\ttcp dport { 22, 80 } accept\n\t}\n}\n",
           "ip6 saddr fe80::1/64 ip6 daddr ::1 ether saddr 00:11:22:33:44:55 accept",
           "tcp dport vmap { 22:accept, 5061 : jump sip, 80-81 : drop }",
           "dnat to 10.0.0.1:8080 ; dnat ip6 to [2001:db8::1]:443",
           "ip saddr 10.0.0.1-10.0.0.9 ct state established,related accept # comment \"x\n",
           "define x = $y\n$ @s @a-b.c/d\\e @ $1 $_v",
           "comment \"a \\\" b\" comment \"unterminated\n\"\" '' 'sq' 'open\n",
           "a-b a- -a a.b. a/ a* eth* 10/second 1.2.3.4/24 _x x_ 0x10 1e3",
           "!= == <= >= << >> < > ! & | ^ ( ) [ ] , : ; . = + - / * ~ ? % `",
           "tcp \\\n  dport 22 \\ x \\",
           "\r\n\r \n\t\t  \\\r\nlast",
           "::: :a: a:b a:b:c.d/ a:b:/12 1:2 ::/0 accept:",
           "tcpx tcp ip6x ip6 ACCEPT accept accepted policy drop;",
           // never three colons in a row, no single colon at the end (nft's scanner.l)
           "1234:1234:1234:1234:1234:1234:aaaa:::accept ::dddd: drop a::/64 a:b::: a:b: ::1:: a:b:c:::d",
           "ip protocol ne tcp ct mark set 1 or ct mark and 2 xor 3 lshift 1 rshift 2 eq lt gt le ge nex",
           "tcp option @255,8,8 255 @ @1 @a",
       }) {
    INFO(text);
    CHECK(difference(text).empty());
  }
}

TEST_CASE("nftables token scanner: a byte outside ASCII is left to ANTLR, which reads it the same",
          "[nftables][scanner]") {
  std::vector<ScannedToken> tokens;
  CHECK_FALSE(scan_tokens("comment \"caf\xc3\xa9\" accept", tokens));
  std::string text =
      "table inet f {\n chain c {\n  type filter hook input priority 0; policy drop;\n"
      "  tcp dport 5061 accept comment \"Lync \xc3\xa9t\xc3\xa9\"\n }\n}\n";
  Model m = parse(decode_text("utf8.nft", text));
  CHECK_FALSE(m.tokens_scanned);
  REQUIRE(m.chains.size() == 1);
  CHECK(m.chains[0].rules.size() == 1);
  CHECK(m.diagnostics.empty());
}

TEST_CASE("nftables token scanner: random text splits as the lexer splits it", "[nftables][scanner]") {
  static const std::vector<std::string> pieces = {
      "tcp", "dport", "22",   "5060-5061", "fe80", "::",     ":",     "1",  "a",   "-",    ".", "/",  "*",
      "\\",  "\\\n",  "\"",   "\"s\"",     "'",    "'q'",    "#c",    "\n", "\r",  "\r\n", " ", "\t", "$",
      "$v",  "@",     "@s",   "!=",        "=",    "<",      ">",     "!",  "{",   "}",    ",", ";",  "ip6",
      "ip",  "0x1f",  "eth*", "10.0.0.1",  "_",    "accept", "dead:", "b:", "/24", "%",    "[", "]",  "\\\"",
  };
  std::mt19937 random(20261130);
  std::size_t compared = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    int length = 1 + static_cast<int>(random() % 12);
    for (int k = 0; k < length; ++k) text += pieces[random() % pieces.size()];
    INFO(fmt::format("{:?}", text));
    REQUIRE(difference(text).empty());
    ++compared;
  }
  CHECK(compared == 20000);
}

TEST_CASE("nftables token scanner: the corpus and the shared rulesets split as the lexer splits them",
          "[nftables][scanner]") {
  std::vector<fs::path> files = files_under(fs::path(FWM_SOURCE_DIR) / "corpus/nftables");
  auto shared = fs::path(FWM_SHARED_DIR);
  if (!fs::is_directory(shared)) WARN("no " << shared.string() << ": only the project corpus is compared");
  for (const char* dir : {"conformance/nftables", "corpus/real/nftables"})
    for (auto& f : files_under(shared / dir)) files.push_back(f);
  std::size_t compared = 0;
  for (const auto& path : files) {
    TextFile file = read_text_file(path.string());
    if (!file.ok()) continue;
    std::vector<ScannedToken> tokens;
    if (!scan_tokens(file.text, tokens)) continue;  // not ASCII: ANTLR reads it
    INFO(path.string());
    REQUIRE(difference(file.text).empty());
    ++compared;
  }
  CHECK(compared >= 10);
}
