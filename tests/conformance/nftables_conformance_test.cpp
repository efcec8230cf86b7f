// nftables conformance over third-party data in ../shared (read in place, never copied):
//  - conformance/nftables/dumps: `nft list ruleset` outputs of nftables' own shell tests:
//    every file must parse without FWM090;
//  - conformance/nftables/py: nftables' per-expression rule tests ("RULE;ok" / "RULE;fail"):
//    each rule is put, as nft-test.py does, into the base chain the file declares (":NAME;type
//    ... hook ...") for the first table line ("*FAMILY;TABLE;NAME,..."), in a table of that
//    family with the sets and maps the file declares; ok lines must parse (rate with a floor
//    at what was reached), fail lines must be rejected with FWM090 (nft's reason) at >= 90%;
//    named objects the file declares ("%cnt1 type counter;ok") are declared in the table;
//  - corpus/real/nftables: real-world rulesets; files with known, correct errors (missing
//    include files, shell-escaped quotes) are listed.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "frontends/frontend.h"
#include "fwm_catch.hpp"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace fwm;

namespace {

const Diagnostic* first_error(const Ruleset& rs) {
  for (const auto& d : rs.diagnostics)
    if (d.id == "FWM090") return &d;
  return nullptr;
}

fs::path shared(const char* sub) { return fs::path(FWM_SHARED_DIR) / sub; }

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// "!set3 type ipv4_addr . inet_service flags interval" -> set declaration in a table.
std::string set_declaration(const std::string& spec) {
  auto space = spec.find(' ');
  std::string name = spec.substr(1, space - 1);
  std::string body = spec.substr(space + 1);
  bool map = body.find(" : ") != std::string::npos;
  for (const char* key : {" flags ", " timeout ", " size ", " counter", " policy "}) {
    auto pos = body.find(key);
    if (pos != std::string::npos) body.replace(pos, 1, "; ");
  }
  return fmt::format("\t{} {} {{ {}; }}\n", map ? "map" : "set", name, body);
}

// "%cnt1 type counter", "%qt1 type quota 25 mbytes", "%cthelp1 type ct helper { type \"ftp\"
// protocol tcp; }" -> the object's block in the table ("quota qt1 { 25 mbytes }").
std::string object_declaration(const std::string& spec) {
  auto space = spec.find(' ');
  std::string name = spec.substr(1, space - 1);
  std::string body = trim(spec.substr(spec.find("type ", space) + 5));
  std::string kind, args;
  if (auto brace = body.find('{'); brace != std::string::npos) {
    kind = trim(body.substr(0, brace));
    args = body.substr(brace + 1, body.rfind('}') - brace - 1);
  } else {
    auto word = body.find(' ');
    if (body.rfind("ct ", 0) == 0) word = body.find(' ', 3);
    kind = body.substr(0, word);
    args = word == std::string::npos ? "" : body.substr(word + 1);
  }
  return fmt::format("\t{} {} {{ {} }}\n", kind, name, args);
}

}  // namespace

TEST_CASE("nftables conformance: every ruleset dump parses", "[nftables][conformance]") {
  fs::path dir = shared("conformance/nftables/dumps");
  auto listed = test::shared_files(dir);
  if (!listed) return;
  std::size_t files = 0, clean = 0;
  for (const fs::path& path : *listed) {
    ++files;
    auto r = load_ruleset(path.string(), {"nftables", ""});
    REQUIRE(r.ruleset);
    if (const Diagnostic* d = first_error(*r.ruleset)) {
      fmt::print(stderr, "{}:{}:{}: {}\n", d->span.file, d->span.line, d->span.column, d->message);
    } else {
      ++clean;
    }
  }
  WARN(fmt::format("{}: {}/{} files parse without FWM090", dir.string(), clean, files));
  REQUIRE(files > 0);
  REQUIRE(clean == files);
}

TEST_CASE("nftables conformance: rule lines of the py tests", "[nftables][conformance]") {
  fs::path dir = shared("conformance/nftables/py");
  auto listed = test::shared_files(dir);
  if (!listed) return;
  std::size_t ok_lines = 0, ok_parsed = 0, fail_lines = 0, fail_rejected = 0;
  std::vector<std::string> samples;
  for (const fs::path& path : *listed) {
    if (path.extension() != ".t") continue;
    std::istringstream in(test::read_file(path.string()));
    std::string line, family, sets, chain_name, chain_spec;
    std::map<std::string, std::string> chain_specs;  // ":NAME;type filter hook input priority 0"
    while (std::getline(in, line)) {
      line = trim(line);
      if (!line.empty() && line[0] == ':') {
        auto s = line.find(';');
        if (s != std::string::npos) chain_specs[line.substr(1, s - 1)] = line.substr(s + 1);
        continue;
      }
      if (!line.empty() && line[0] == '%') {  // a named object the rules use
        auto ok_at = line.rfind(";ok");
        if (ok_at != std::string::npos) sets += object_declaration(line.substr(0, ok_at));
        continue;
      }
      // '-' marks a disabled test line
      if (line.empty() || line[0] == '#' || line[0] == '?' || line[0] == '-') continue;
      auto semi = line.rfind(";ok");
      bool ok = semi != std::string::npos;
      auto fail_pos = line.rfind(";fail");
      if (line[0] == '*') {
        if (family.empty()) {
          auto s = line.find(';');
          family = line.substr(1, s - 1);
          auto c = line.find(';', s + 1);
          if (c != std::string::npos) chain_name = line.substr(c + 1, line.find(',', c) - c - 1);
          auto spec = chain_specs.find(chain_name);
          if (spec != chain_specs.end()) chain_spec = fmt::format("\t\t{};\n", spec->second);
        }
        continue;
      }
      if (line[0] == '!') {
        if (ok) sets += set_declaration(line.substr(0, line.find(';')));
        continue;
      }
      if (!ok && fail_pos == std::string::npos) continue;
      std::string rule = line.substr(0, line.find(';'));
      std::string text = fmt::format("table {} test {{\n{}\tchain c {{\n{}\t\t{}\n\t}}\n}}\n",
                                     family.empty() ? "ip" : family, sets, chain_spec, rule);
      auto r = load_ruleset_bytes(path.filename().string(), text, {"nftables", ""});
      REQUIRE(r.ruleset);
      bool error = first_error(*r.ruleset) != nullptr;
      if (ok) {
        ++ok_lines;
        if (!error) {
          ++ok_parsed;
        } else if (samples.size() < 25) {
          samples.push_back(
              fmt::format("{}: {} -> {}", path.filename().string(), rule, first_error(*r.ruleset)->message));
        }
      } else {
        ++fail_lines;
        if (error) {
          ++fail_rejected;
        } else {
          fmt::print(stderr, "fail line accepted: {}: {}\n", path.filename().string(), rule);
        }
      }
    }
  }
  for (const auto& s : samples) fmt::print(stderr, "ok line not read: {}\n", s);
  double ok_rate = ok_lines ? 100.0 * static_cast<double>(ok_parsed) / static_cast<double>(ok_lines) : 0;
  double fail_rate = fail_lines ? 100.0 * static_cast<double>(fail_rejected) / static_cast<double>(fail_lines) : 0;
  WARN(fmt::format("py tests: {}/{} ok lines parse ({:.1f}%); {}/{} fail lines rejected ({:.1f}%)", ok_parsed, ok_lines,
                   ok_rate, fail_rejected, fail_lines, fail_rate));
  REQUIRE(ok_lines > 1000);
  REQUIRE(ok_rate >= 100.0);  // issue 25: every ok line is read (1765/1765)
  REQUIRE(fail_lines > 200);
  REQUIRE(fail_rate >= 90.0);  // issue 25: a rule nft refuses is reported (FWM090)
}

TEST_CASE("nftables conformance: real-world rulesets", "[nftables][conformance]") {
  fs::path dir = shared("corpus/real/nftables");
  auto listed = test::shared_files(dir);
  if (!listed) return;
  // Errors that are right: includes of files that are not in the corpus, a set defined
  // only in such an include, quotes escaped for a shell (\"lo\") left in a .nft file.
  const std::set<std::string> expected_errors = {"nftables-src__all-in-one.nft", "potato-routing__nftables.conf",
                                                 "nftables-src__0043chain_ingress.nft"};
  std::size_t files = 0, clean = 0;
  for (const fs::path& path : *listed) {
    ++files;
    auto r = load_ruleset(path.string(), {"nftables", ""});
    REQUIRE(r.ruleset);
    const Diagnostic* d = first_error(*r.ruleset);
    std::string name = path.filename().string();
    if (!d) {
      ++clean;
      continue;
    }
    fmt::print(stderr, "{}:{}:{}: {}\n", d->span.file, d->span.line, d->span.column, d->message);
    INFO(name);
    CHECK(expected_errors.count(name) == 1);
  }
  WARN(fmt::format("{}: {}/{} files parse without FWM090", dir.string(), clean, files));
  REQUIRE(files > 0);
}
