// The check cases of corpus/checks/ID/ (format: tests/checks/check_cases.h and
// corpus/checks/README.md): each case gives exactly the (file, line, id) results its
// expectations name. ctest runs each case alone (tests/CMakeLists.txt sets
// FWM_CHECK_CASE=corpus/checks/ID/NAME); without it, every case runs.
#include "checks/check_cases.h"

#include <fmt/format.h>

#include <cstdlib>

#include "fwm_catch.hpp"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace fwm::test;

namespace {

std::string describe(const std::set<Expectation>& results) {
  std::string out;
  for (const auto& [file, line, id] : results) out += fmt::format("\n  {}:{}: {}", file, line, id);
  return out.empty() ? " none" : out;
}

// Fails (through CHECK) unless the case gives exactly its expectations.
void check_case(const CheckCase& c) {
  INFO("case " << c.path.generic_string() << " (fwmatrix check " << c.inputs.front() << " " << c.args << ")");
  for (const auto& e : c.errors) FAIL_CHECK(e);
  std::string error;
  auto found = run_check_case(c, error);
  INFO(error);
  CHECK(error.empty());
  std::set<Expectation> missing, extra;
  std::set_difference(c.expected.begin(), c.expected.end(), found.begin(), found.end(),
                      std::inserter(missing, missing.end()));
  std::set_difference(found.begin(), found.end(), c.expected.begin(), c.expected.end(),
                      std::inserter(extra, extra.end()));
  INFO("expected but missing:" << describe(missing));
  INFO("produced but not expected:" << describe(extra));
  CHECK(missing.empty());
  CHECK(extra.empty());
}

}  // namespace

TEST_CASE("check cases: each case under corpus/checks gives exactly its expected results", "[corpus][checks]") {
  const char* only = std::getenv("FWM_CHECK_CASE");
  auto cases = all_check_cases(FWM_SOURCE_DIR);
  REQUIRE(!cases.empty());
  int ran = 0;
  for (const auto& c : cases) {
    if (only && c.path.generic_string() != only) continue;
    ++ran;
    check_case(c);
  }
  INFO("FWM_CHECK_CASE=" << (only ? only : "(unset)"));
  if (only) REQUIRE(ran == 1);  // a name that is no case must not pass silently
}

TEST_CASE("check cases: directives in every comment syntax", "[checks]") {
  CHECK(line_comment("# expect: FWM001") == "expect: FWM001");
  CHECK(line_comment("  ; expect: FWM001") == "expect: FWM001");
  CHECK(line_comment("// expect: FWM001") == "expect: FWM001");
  CHECK(line_comment(":: expect: FWM001") == "expect: FWM001");
  CHECK(line_comment("REM expect: FWM001") == "expect: FWM001");
  CHECK(line_comment("rem") == "");
  CHECK_FALSE(line_comment("remark expect: FWM001"));
  CHECK_FALSE(line_comment("-A INPUT -j ACCEPT # expect: FWM020"));  // not a trailing comment

  ScratchDir dir;
  dir.file("FWM030/a.rules",
           "# fwmatrix: --role front-end\n"
           "# expect@1: FWM001\n"
           "*filter\n"
           "# expect: FWM030, FWM031\n"
           "# expect: FWM022\n"
           "-A INPUT -j ACCEPT\n"
           "COMMIT\n");
  CheckCase c = read_check_case("/", dir.path / "FWM030" / "a.rules");
  CHECK(c.errors.empty());
  CHECK(c.check_id == "FWM030");
  CHECK(c.args == "--role front-end");
  CHECK(c.expected ==
        std::set<Expectation>{
            {"a.rules", 1, "FWM001"}, {"a.rules", 6, "FWM030"}, {"a.rules", 6, "FWM031"}, {"a.rules", 6, "FWM022"}});
  CHECK(c.compared_ids == std::set<std::string>{"FWM001", "FWM022", "FWM030", "FWM031"});

  dir.file("FWM030/bad.rules", "# fwmatrix:\n# expect: shadowed\n*filter\n# expect: FWM030\n");
  CheckCase bad = read_check_case("/", dir.path / "FWM030" / "bad.rules");
  REQUIRE(bad.errors.size() == 2);
  CHECK(bad.errors[0] == "bad.rules:2: expected result ids (FWMnnn ...) after the colon");
  CHECK(bad.errors[1] == "bad.rules:4: expect: with no line after it");
}

TEST_CASE("check cases: a missing or an extra result fails the case", "[checks]") {
  // The runner itself: the shadowed rule is line 5, the expectation says line 4.
  ScratchDir dir;
  dir.file("FWM030/shadowed.rules",
           "# fwmatrix:\n*filter\n:INPUT DROP [0:0]\n"
           "# expect: FWM030\n-A INPUT -p tcp -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n");
  CheckCase wrong = read_check_case("/", dir.path / "FWM030" / "shadowed.rules");
  std::string error;
  auto found = run_check_case(wrong, error);
  INFO(error);
  REQUIRE(error.empty());
  CHECK(found == std::set<Expectation>{{"shadowed.rules", 6, "FWM030"}});
  CHECK(wrong.expected == std::set<Expectation>{{"shadowed.rules", 5, "FWM030"}});
  CHECK(found != wrong.expected);
  // An id the case does not compare (FWM021, FWM022 here) is not collected.
  for (const auto& e : found) CHECK(wrong.compared_ids.count(std::get<2>(e)));
}
