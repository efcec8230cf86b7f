// pf conformance over third-party data in ../shared (read in place, never copied):
//  - corpus/real/pf: real-world pf.conf files. Every file must parse without FWM090,
//    except the ones listed below, which pfctl itself would reject (each is checked to
//    still fail, with the reason, so the list cannot go stale);
//  - conformance/pf*/ (pfctl's regress layout, when present): every pfN.in that pfctl
//    accepts parses, every pfailN.in is rejected (FWM090) or reported (FWM091), and
//    where pfN.ok lists the expanded rules, their number matches ours.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "frontends/frontend.h"
#include "frontends/pf/pf_frontend.h"
#include "fwm_catch.hpp"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace fwm;

namespace {

std::vector<const Diagnostic*> with_id(const Ruleset& rs, const char* id) {
  std::vector<const Diagnostic*> out;
  for (const auto& d : rs.diagnostics)
    if (d.id == id) out.push_back(&d);
  return out;
}

// Real files that pfctl would not load either, and why (the text our FWM090 must carry).
const std::map<std::string, std::string> kRejectedRealFiles = {
    {"Openbsd-router__pf.conf", "pf syntax error"},                       // line 1 is prose without '#'
    {"jrockway-openbsd-router-config__pf.conf", "extraneous input ')'"},  // `priq(default,ecn))`
    {"macos-openvpn-server__pf.conf", "macro 'internet_tcp_services' is not defined"},
    {"pf_forward__pf.conf", "macro 'PF_IN' is not defined"},  // regress file: macros come from pfctl -D
};

}  // namespace

TEST_CASE("conformance: real-world pf.conf files parse (or fail exactly where pfctl would)", "[conformance][pf]") {
  fs::path dir = fs::path(FWM_SHARED_DIR) / "corpus/real/pf";
  auto listed = test::shared_files(dir);
  if (!listed) return;
  std::size_t files = 0, clean = 0;
  for (const fs::path& path : *listed) {
    if (path.extension() == ".md") continue;
    ++files;
    std::string name = path.filename().string();
    auto r = load_ruleset(path.string(), {"pf", ""});
    REQUIRE(r.ruleset);
    auto errors = with_id(*r.ruleset, "FWM090");
    auto expected = kRejectedRealFiles.find(name);
    INFO(name);
    if (expected == kRejectedRealFiles.end()) {
      if (!errors.empty())
        FAIL_CHECK(fmt::format("{}:{}:{}: {}", errors[0]->span.file, errors[0]->span.line, errors[0]->span.column,
                               errors[0]->message));
      else
        ++clean;
    } else {
      REQUIRE_FALSE(errors.empty());
      CHECK(errors[0]->message.find(expected->second) != std::string::npos);
    }
    CHECK(!r.ruleset->chains.empty());
  }
  WARN(fmt::format("{}: {}/{} files parse without FWM090 ({} rejected as pfctl would)", dir.string(), clean, files,
                   kRejectedRealFiles.size()));
  REQUIRE(files > 0);
  CHECK(clean + kRejectedRealFiles.size() == files);
}

namespace {

// One input of pfctl's regress data: what pfctl does with it, and where it comes from.
struct RegressCase {
  fs::path input;
  std::string name;       // "openbsd-pfctl/pf12.in"
  bool inferred = false;  // SOURCES-pf.md: second-class (content taken from another path)
  bool must_fail = false;
  bool syntactic = false;  // a rejection the grammar alone makes (SOURCES-pf.md's list)
  std::vector<int> lines;  // for syntactic rejections: the lines pfctl names
  fs::path ok;             // pfctl -nv output to compare rule counts with (empty: none)
};

// The numbers listed in a Makefile variable (`PFTESTS=1 2 3`, `PFTESTS+=4 5`).
std::vector<int> makefile_list(const std::string& makefile, const std::string& var) {
  std::vector<int> out;
  std::istringstream in(makefile);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(var + "=", 0) != 0 && line.rfind(var + "+=", 0) != 0) continue;
    std::istringstream words(line.substr(line.find('=') + 1));
    for (std::string w; words >> w;) out.push_back(std::stoi(w));
  }
  return out;
}

// The file in `dir` or, second-class, in `dir/inferred`.
std::optional<std::pair<fs::path, bool>> regress_file(const fs::path& dir, const std::string& name) {
  if (fs::exists(dir / name)) return std::pair{dir / name, false};
  if (fs::exists(dir / "inferred" / name)) return std::pair{dir / "inferred" / name, true};
  return std::nullopt;
}

// OpenBSD regress/sbin/pfctl (Makefile rev 1.237; SOURCES-pf.md "How the OpenBSD harness
// runs them"): PFTESTS inputs (or, where the .in is not stored, the .ok, which selfpf
// feeds back) and every .ok (selfpf) are accepted; PFFAIL inputs are rejected except
// pfail14, whose .ok is its printed rule; PFSIMPLE, PFOPT (2 and 6: their flags add no
// macro) and the anchor-loading tests are accepted.
std::vector<RegressCase> openbsd_cases(const fs::path& dir) {
  std::vector<RegressCase> out;
  std::string makefile = test::read_file((dir / "Makefile").string());
  auto add = [&](const std::string& file, bool must_fail, const std::string& ok = "") {
    auto found = regress_file(dir, file);
    if (!found) return false;
    RegressCase c;
    c.input = found->first;
    c.inferred = found->second;
    c.name = "openbsd-pfctl/" + fs::relative(c.input, dir).string();
    c.must_fail = must_fail;
    if (!ok.empty())
      if (auto o = regress_file(dir, ok)) c.ok = o->first;
    out.push_back(std::move(c));
    return true;
  };
  for (int n : makefile_list(makefile, "PFTESTS")) {
    std::string stem = fmt::format("pf{}", n);
    if (!add(stem + ".in", false, stem + ".ok")) add(stem + ".ok", false);
    add(stem + ".ok", false, stem + ".ok");  // selfpf
  }
  // SOURCES-pf.md, "pfail: syntactic versus semantic", with the lines pfctl names.
  const std::map<int, std::vector<int>> syntactic = {
      {4, {3}},        {11, {2, 4}},   {13, {1, 2}}, {15, {3}},    {17, {3, 4}},
      {30, {7, 8, 9}}, {50, {18, 19}}, {51, {5, 6}}, {52, {1, 2}}, {53, {11, 12, 13}},
  };
  for (int n : makefile_list(makefile, "PFFAIL")) {
    bool accepted = n == 14;  // pfail14 does not fail: its .ok is the printed rule
    if (!add(fmt::format("pfail{}.in", n), !accepted)) continue;
    if (auto it = syntactic.find(n); it != syntactic.end()) {
      out.back().syntactic = true;
      out.back().lines = it->second;
    }
  }
  for (int n : makefile_list(makefile, "PFSIMPLE")) add(fmt::format("pfsimple{}.in", n), false);
  for (int n : makefile_list(makefile, "PFOPT"))
    if (n != 1) add(fmt::format("pfopt{}.in", n), false);  // pfopt1 needs -Dextif=lo0
  for (int n : makefile_list(makefile, "PFLOADANCHORS")) add(fmt::format("pf{}.in", n), false);
  for (int n : makefile_list(makefile, "PFCMD")) add(fmt::format("pfcmd{}.in", n), false);
  return out;
}

// FreeBSD sbin/pfctl/tests (pfctl_test_list.inc, pfctl_test.c): PFCTL_TEST(n) and
// PFCTL_TEST_IFACE(n) inputs are accepted, and every pfn.ok too (selfpf);
// PFCTL_TEST_FAIL(n) inputs must be rejected.
std::vector<RegressCase> freebsd_cases(const fs::path& dir) {
  std::vector<RegressCase> out;
  std::istringstream list(test::read_file((dir / "pfctl_test_list.inc").string()));
  for (std::string line; std::getline(list, line);) {
    bool fail = line.rfind("PFCTL_TEST_FAIL(", 0) == 0;
    if (line.rfind("PFCTL_TEST(", 0) != 0 && line.rfind("PFCTL_TEST_IFACE(", 0) != 0 && !fail) continue;
    std::string number = line.substr(line.find('(') + 1, 4);
    std::string stem = "pf" + number;
    for (const std::string& file : {stem + ".in", stem + ".ok"}) {
      if (fail && file.ends_with(".ok")) continue;
      auto found = regress_file(dir, file);
      if (!found) continue;
      RegressCase c;
      c.input = found->first;
      c.inferred = found->second;
      c.name = "freebsd-pfctl/" + fs::relative(c.input, dir).string();
      c.must_fail = fail;
      // FreeBSD's failures: pool options, route-to on block rules, an include's syntax
      // error, an invalid port range, a routing address family (pfctl_test_list.inc).
      c.syntactic = fail && (number == "1070" || number == "1072");
      if (!fail)
        if (auto ok = regress_file(dir, stem + ".ok")) c.ok = ok->first;
      out.push_back(std::move(c));
    }
  }
  return out;
}

// Rules pfctl -nv prints: pass, block and match lines, inline anchors' ones indented.
std::size_t printed_rules(const fs::path& ok) {
  std::size_t n = 0;
  std::istringstream in(test::read_file(ok.string()));
  for (std::string line; std::getline(in, line);) {
    auto b = line.find_first_not_of(" \t");
    if (b == std::string::npos) continue;
    line = line.substr(b);
    if (line.rfind("pass", 0) == 0 || line.rfind("block", 0) == 0 || line.rfind("match", 0) == 0) ++n;
  }
  return n;
}

// Expanded rule counts that differ from the .ok for a reason outside the file.
const std::map<std::string, std::string> kHostDependentCounts = {
    // SOURCES-pf.md "Host-dependent expansion": antispoof and lo0's addresses.
    {"openbsd-pfctl/pf25.in", "antispoof for the regress host's interfaces"},
    {"openbsd-pfctl/inferred/pf65.in", "antispoof for the regress host's interfaces"},
    {"freebsd-pfctl/inferred/pf0025.in", "antispoof for the regress host's interfaces"},
    {"freebsd-pfctl/pf0065.in", "antispoof for the regress host's interfaces"},
    {"openbsd-pfctl/pf47.in", "lo0 expands to the host's three addresses"},
    {"openbsd-pfctl/pf49.in", "lo0 expands to the host's three addresses"},
    {"freebsd-pfctl/inferred/pf0047.in", "lo0 expands to the host's three addresses"},
    {"freebsd-pfctl/inferred/pf0049.in", "lo0 expands to the host's three addresses"},
    // The included file is stored in inferred/, the including one at the top level.
    {"openbsd-pfctl/pf95.in", "pf95.include is only in inferred/"},
    // pfctl -nv prints the rules of `load anchor ... from` files; fwmatrix counts the
    // main ruleset and inline anchors.
    {"openbsd-pfctl/pf103.in", "the rule comes from a loaded anchor file"},
};

}  // namespace

TEST_CASE("conformance: pfctl regress inputs (pf*.in accepted, pfail*.in rejected, .ok rule counts)",
          "[conformance][pf]") {
  fs::path root = fs::path(FWM_SHARED_DIR) / "conformance";
  fs::path obsd = root / "openbsd-pfctl", fbsd = root / "freebsd-pfctl";
  if (!fs::exists(obsd / "Makefile") || !fs::exists(fbsd / "pfctl_test_list.inc")) {
    WARN("skipped: no " << obsd.string() << " / " << fbsd.string() << " (pfctl regress data absent)");
    return;
  }
  std::vector<RegressCase> cases = openbsd_cases(obsd);
  auto more = freebsd_cases(fbsd);
  cases.insert(cases.end(), more.begin(), more.end());

  struct Tally {
    std::size_t accepted = 0, parsed = 0, rejected = 0, caught = 0, syntactic = 0, syntactic_caught = 0, counted = 0,
                count_match = 0;
  } top, inferred;
  std::vector<std::string> failures;
  for (const auto& c : cases) {
    Tally& t = c.inferred ? inferred : top;
    auto r = load_ruleset(c.input.string(), {"pf", ""});
    REQUIRE(r.ruleset);
    auto errors = with_id(*r.ruleset, "FWM090");
    bool reported = !errors.empty() || !with_id(*r.ruleset, "FWM091").empty();
    if (c.must_fail) {
      ++t.rejected;
      if (reported) ++t.caught;
      if (!c.syntactic) continue;
      ++t.syntactic;
      bool lines_found = !errors.empty();
      for (int line : c.lines)
        lines_found = lines_found && std::any_of(errors.begin(), errors.end(),
                                                 [&](const Diagnostic* d) { return d->span.line == line; });
      if (lines_found)
        ++t.syntactic_caught;
      else
        failures.push_back(fmt::format("{}: pfctl rejects it (syntax) but no FWM090 on each of its bad lines", c.name));
      continue;
    }
    ++t.accepted;
    if (!errors.empty()) {
      failures.push_back(
          fmt::format("{}:{}:{}: {}", c.name, errors[0]->span.line, errors[0]->span.column, errors[0]->message));
      continue;
    }
    ++t.parsed;
    if (c.ok.empty()) continue;
    std::size_t expected = printed_rules(c.ok);
    if (expected == 0) continue;
    ++t.counted;
    auto model = pf::parse(read_text_file(c.input.string()));
    std::size_t ours = pf::expanded_rule_count(model);
    if (ours == expected || kHostDependentCounts.count(c.name))
      ++t.count_match;
    else
      failures.push_back(
          fmt::format("{}: {} expanded rules, {} prints {}", c.name, ours, c.ok.filename().string(), expected));
  }
  for (const auto& f : failures) fmt::print(stderr, "pf regress: {}\n", f);
  auto figures = [](const Tally& t) {
    return fmt::format(
        "{}/{} accepted inputs parse ({:.1f}%), {}/{} rejected inputs reported ({}/{} syntactic rejections), "
        "{}/{} expanded rule counts match",
        t.parsed, t.accepted,
        t.accepted ? 100.0 * static_cast<double>(t.parsed) / static_cast<double>(t.accepted) : 0.0, t.caught,
        t.rejected, t.syntactic_caught, t.syntactic, t.count_match, t.counted);
  };
  WARN("pf regress (own paths): " << figures(top));
  WARN("pf regress (inferred/, second-class): " << figures(inferred));
  // Issue 25's goals, on the first-class files; inferred/ ones are held to the same
  // acceptance rate but reported apart.
  CHECK(top.accepted > 200);
  CHECK(top.parsed * 100 >= top.accepted * 98);
  CHECK(inferred.parsed * 100 >= inferred.accepted * 98);
  CHECK(top.syntactic_caught == top.syntactic);
  CHECK(top.count_match == top.counted);
  // Semantic rejections (pfctl's checks after parsing) too: 58/59, all but pfail20
  // (dynamic interface expansion against the rule's address family).
  CHECK(top.caught * 100 >= top.rejected * 95);
}
