// Hostile and unusual input: encodings, include depth and loops, macro expansion limits,
// jump cycles and call depth, very long lines, includes that leave the input's directory,
// a bad file among many, and byte-identical output across runs.
#include "fwm_catch.hpp"
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "frontends/frontend.h"
#include "test_support.h"

using namespace fwm;
using fwm::test::run_fwmatrix;
using fwm::test::ScratchDir;
using fwm::test::shell_quote;
using fwm::test::write_file;
namespace fs = std::filesystem;

namespace {

const std::string kIptables =
    "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
    "-A INPUT -p tcp -m tcp --dport 443 -m comment --comment \"web \xC3\xA9t\xC3\xA9\" -j ACCEPT\n"
    "-A INPUT -p tcp -m tcp --dport 5061 -j ACCEPT\nCOMMIT\n";

bool has_diagnostic(const Ruleset& rs, const std::string& id, const std::string& text) {
  for (const auto& d : rs.diagnostics)
    if (d.id == id && d.message.find(text) != std::string::npos) return true;
  return false;
}

std::string all_messages(const Ruleset& rs) {
  std::string out;
  for (const auto& d : rs.diagnostics) out += d.id + " " + d.message + "\n";
  return out;
}

std::string utf16(const std::string& ascii, bool little) {
  std::string out = little ? std::string("\xFF\xFE") : std::string("\xFE\xFF");
  for (unsigned char c : ascii) {
    // The test text is ASCII except for "é" (C3 A9), written as U+00E9.
    out += little ? std::string{static_cast<char>(c), '\0'} : std::string{'\0', static_cast<char>(c)};
  }
  return out;
}

std::string ports_json(const std::string& file, const std::string& extra = "") {
  auto r = run_fwmatrix("ports " + shell_quote(file) + " --json " + extra + " 2>/dev/null");
  return r.out;
}

}  // namespace

TEST_CASE("encodings: UTF-8, BOM, UTF-16 with BOM and CRLF read alike; NUL and bad UTF-16 refused",
          "[hardening]") {
  ScratchDir dir;
  std::string ascii = kIptables;
  // UTF-16 variants carry the same text with the "é" as one code unit.
  std::string plain_ascii = ascii;
  for (std::size_t at; (at = plain_ascii.find("\xC3\xA9")) != std::string::npos;) plain_ascii.replace(at, 2, "\xE9");
  auto baseline = ports_json(dir.file("utf8.rules", ascii));
  REQUIRE(baseline.find("[443,443]") != std::string::npos);
  REQUIRE(baseline.find("[5061,5061]") != std::string::npos);

  std::string crlf;
  for (char c : ascii) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  CHECK(ports_json(dir.file("bom.rules", "\xEF\xBB\xBF" + ascii)) == baseline);
  CHECK(ports_json(dir.file("crlf.rules", crlf)) == baseline);
  // UTF-16: build from the one-byte-per-character form (é = 0xE9 -> U+00E9).
  CHECK(ports_json(dir.file("le.rules", utf16(plain_ascii, true))) == baseline);
  CHECK(ports_json(dir.file("be.rules", utf16(plain_ascii, false))) == baseline);
  // Invalid UTF-8 without a BOM: a legacy 8-bit code page, read as Latin-1.
  CHECK(ports_json(dir.file("latin1.rules", plain_ascii)) == baseline);

  auto decoded = load_ruleset_bytes("crlf.rules", crlf, {"iptables"});
  REQUIRE(decoded.ruleset);
  CHECK(decoded.ruleset->diagnostics.empty());

  auto nul = load_ruleset_bytes("nul.rules", ascii.substr(0, 20) + std::string(1, '\0') + ascii.substr(20),
                                {"iptables"});
  CHECK_FALSE(nul.ruleset);
  CHECK(nul.error.find("NUL byte at offset 20") != std::string::npos);

  auto bad_bom = load_ruleset_bytes("bad.rules", "\xEF\xBB\xBF" + plain_ascii, {"iptables"});
  CHECK_FALSE(bad_bom.ruleset);
  CHECK(bad_bom.error.find("invalid UTF-8") != std::string::npos);

  auto odd = load_ruleset_bytes("odd.rules", utf16(ascii, true) + "x", {"iptables"});
  CHECK_FALSE(odd.ruleset);
  CHECK(odd.error.find("odd number of bytes") != std::string::npos);

  // On the command line: a clear message and exit code 2.
  auto r = fwm::test::run_command("NO_COLOR=1 " + shell_quote(FWM_BINARY) + " check --no-config --format iptables " +
                                  shell_quote(dir.file("nul2.rules", std::string("*filter\n\0\n", 10))) + " 2>&1");
  CHECK(r.exit_code == 2);
  CHECK(r.out.find("contains a NUL byte") != std::string::npos);
}

TEST_CASE("pf: include loops and deep includes stop with a diagnostic", "[hardening]") {
  ScratchDir dir;
  auto self = dir.file("loop.conf", "include \"loop.conf\"\npass in proto tcp to port 443\n");
  auto loaded = load_ruleset(self, {"pf"});
  REQUIRE(loaded.ruleset);
  INFO(all_messages(*loaded.ruleset));
  CHECK(has_diagnostic(*loaded.ruleset, "FWM091", "include loop?"));

  // Two files including each other.
  dir.file("b.conf", "include \"a.conf\"\n");
  auto a = dir.file("a.conf", "include \"b.conf\"\nblock in all\n");
  auto ab = load_ruleset(a, {"pf"});
  REQUIRE(ab.ruleset);
  CHECK(has_diagnostic(*ab.ruleset, "FWM091", "nested deeper than"));
}

TEST_CASE("nftables: include loops stop with a diagnostic", "[hardening]") {
  ScratchDir dir;
  auto self = dir.file("loop.nft", "include \"loop.nft\"\ntable inet f { chain in { type filter hook input priority 0; } }\n");
  auto loaded = load_ruleset(self, {"nftables"});
  REQUIRE(loaded.ruleset);
  INFO(all_messages(*loaded.ruleset));
  CHECK(has_diagnostic(*loaded.ruleset, "FWM090", "include loop?"));
}

TEST_CASE("pf: macros that multiply are refused, list cross products stay cheap", "[hardening]") {
  // Billion laughs: each macro doubles the previous one; m30 would be 4 GiB.
  std::string text = "m0 = \"443\"\n";
  for (int i = 1; i <= 30; ++i) text += "m" + std::to_string(i) + " = \"$m" + std::to_string(i - 1) + " $m" +
                                        std::to_string(i - 1) + "\"\n";
  text += "block in all\npass in proto tcp to port { $m30 }\npass in proto tcp to port 5061\n";
  auto start = std::chrono::steady_clock::now();
  auto loaded = load_ruleset_bytes("laughs.conf", text, {"pf"});
  REQUIRE(loaded.ruleset);
  INFO(all_messages(*loaded.ruleset));
  CHECK(has_diagnostic(*loaded.ruleset, "FWM090", "expands to more than"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));

  // {300 sources} x {300 destinations} x {50 ports}: 4.5 million pfctl rules, one IR rule.
  std::string src, dst, ports;
  for (int i = 0; i < 300; ++i) {
    src += " 10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    dst += " 10.2." + std::to_string(i / 250) + "." + std::to_string(i % 250);
  }
  for (int i = 0; i < 50; ++i) ports += " " + std::to_string(6000 + i);
  std::string cross = "srcs = \"{" + src + " }\"\ndsts = \"{" + dst + " }\"\nblock in all\n"
                      "pass in proto { tcp udp } from $srcs to $dsts port {" + ports + " }\n";
  start = std::chrono::steady_clock::now();
  auto big = load_ruleset_bytes("cross.conf", cross, {"pf"});
  REQUIRE(big.ruleset);
  CHECK(big.ruleset->diagnostics.empty());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
}

TEST_CASE("jump cycles and deep chain calls are evaluator problems, not crashes", "[hardening]") {
  ScratchDir dir;
  auto cycle = dir.file("cycle.rules",
                        "*filter\n:INPUT DROP [0:0]\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n-A B -j A\n"
                        "-A INPUT -p tcp --dport 443 -j ACCEPT\nCOMMIT\n");
  auto r = fwm::test::run_command("NO_COLOR=1 " + shell_quote(FWM_BINARY) + " ports " + shell_quote(cycle) +
                                  " --proto tcp 2>&1");
  CHECK(r.out.find("jump loop") != std::string::npos);

  std::string deep = "*filter\n:INPUT DROP [0:0]\n";
  const int chains = 400;
  for (int i = 0; i < chains; ++i) deep += ":C" + std::to_string(i) + " - [0:0]\n";
  deep += "-A INPUT -j C0\n";
  for (int i = 0; i + 1 < chains; ++i) deep += "-A C" + std::to_string(i) + " -j C" + std::to_string(i + 1) + "\n";
  deep += "-A C" + std::to_string(chains - 1) + " -p tcp --dport 443 -j ACCEPT\nCOMMIT\n";
  auto d = fwm::test::run_command("NO_COLOR=1 " + shell_quote(FWM_BINARY) + " ports " +
                                  shell_quote(dir.file("deep.rules", deep)) + " --proto tcp 2>&1");
  CHECK(d.out.find("nested deeper than 256") != std::string::npos);
}

TEST_CASE("very long lines: a long comment is read, a long garbage line is an FWM090", "[hardening]") {
  std::string comment(1 << 20, 'c');
  std::string text = "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 443 -m comment --comment \"" + comment +
                     "\" -j ACCEPT\nCOMMIT\n";
  auto loaded = load_ruleset_bytes("long.rules", text, {"iptables"});
  REQUIRE(loaded.ruleset);
  CHECK(loaded.ruleset->diagnostics.empty());
  std::string garbage = "*filter\n:INPUT DROP [0:0]\n-A INPUT " + std::string(1 << 20, 'x') + "\nCOMMIT\n";
  auto bad = load_ruleset_bytes("garbage.rules", garbage, {"iptables"});
  REQUIRE(bad.ruleset);
  bool parse_error = false;
  for (const auto& d : bad.ruleset->diagnostics) parse_error |= d.id == "FWM090" && d.span.line == 3;
  CHECK(parse_error);
}

TEST_CASE("a malformed file among many: the others are analysed, the bad one gets FWM090", "[hardening]") {
  ScratchDir dir;
  auto good1 = dir.file("good1.rules", kIptables);
  auto bad = dir.file("bad.rules", "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 443 -j\nCOMMIT\n");
  auto good2 = dir.file("good2.rules", kIptables);
  auto r = run_fwmatrix("check --no-config --format iptables --report json " + shell_quote(good1) + " " +
                        shell_quote(bad) + " " + shell_quote(good2));
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("good1.rules") != std::string::npos);
  CHECK(r.out.find("good2.rules") != std::string::npos);
  CHECK(r.out.find("\"FWM090\"") != std::string::npos);
  auto ok = run_fwmatrix("check --no-config --format iptables " + shell_quote(good1) + " " + shell_quote(good2));
  CHECK(ok.exit_code == 0);

  // An unreadable file (NUL byte): the others are still reported, the exit code is 2.
  auto nul = dir.file("nul.rules", std::string("*filter\n\0\n", 10));
  auto n = fwm::test::run_command("NO_COLOR=1 " + shell_quote(FWM_BINARY) +
                                  " check --no-config --format iptables --report json " + shell_quote(good1) + " " +
                                  shell_quote(nul) + " " + shell_quote(good2) + " 2>/dev/null");
  CHECK(n.exit_code == 2);
  CHECK(n.out.find("good2.rules") != std::string::npos);
}

TEST_CASE("includes outside the input's directory are refused unless --allow-outside", "[hardening]") {
  ScratchDir dir;
  dir.file("outside.conf", "pass in proto tcp to port 5061\n");
  dir.file("outside.nft", "add rule inet f in tcp dport 5061 accept\n");
  auto pf = dir.file("tree/pf.conf", "block in all\ninclude \"../outside.conf\"\n");
  auto nft = dir.file("tree/main.nft",
                      "table inet f {\n  chain in {\n    type filter hook input priority 0; policy drop;\n  }\n}\n"
                      "include \"../outside.nft\"\n");
  // Symbolic links inside the tree that point out of it.
  fs::create_symlink(dir.path / "outside.conf", dir.path / "tree" / "link.conf");
  fs::create_symlink(dir.path / "outside.nft", dir.path / "tree" / "link.nft");
  auto pf_link = dir.file("tree/pf-link.conf", "block in all\ninclude \"link.conf\"\n");
  auto nft_link = dir.file("tree/link-main.nft",
                           "table inet f {\n  chain in {\n    type filter hook input priority 0; policy drop;\n  }\n}\n"
                           "include \"link.nft\"\n");

  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {pf, "pf", "FWM091"}, {pf_link, "pf", "FWM091"}, {nft, "nftables", "FWM090"}, {nft_link, "nftables", "FWM090"}};
  for (const auto& [file, format, id] : cases) {
    INFO(file);
    auto refused = load_ruleset(file, {format});
    REQUIRE(refused.ruleset);
    INFO(all_messages(*refused.ruleset));
    CHECK((has_diagnostic(*refused.ruleset, id, "outside the input's directory") ||
           has_diagnostic(*refused.ruleset, id, "refused")));
    CHECK(ports_json(file, "--proto tcp").find("5061") == std::string::npos);

    LoadOptions allow{format};
    allow.allow_outside = true;
    auto allowed = load_ruleset(file, allow);
    REQUIRE(allowed.ruleset);
    CHECK_FALSE(has_diagnostic(*allowed.ruleset, id, "refused"));
    CHECK(ports_json(file, "--proto tcp --allow-outside").find("[5061,5061]") != std::string::npos);
  }
}

TEST_CASE("output is deterministic: the same input twice gives byte-identical SARIF and JSON", "[hardening]") {
  for (const char* file : {"corpus/iptables/front-end-gaps.rules", "corpus/pf/front-end-gaps.conf",
                           "corpus/nftables/front-end-gaps.nft"}) {
    for (const char* report : {"sarif", "json"}) {
      std::string args = std::string("check --no-config --role front-end --report ") + report + " " + file;
      auto first = run_fwmatrix(args);
      auto second = run_fwmatrix(args);
      INFO(args);
      REQUIRE(first.out.size() > 100);
      CHECK(first.out == second.out);
      CHECK(first.exit_code == second.exit_code);
    }
  }
}
