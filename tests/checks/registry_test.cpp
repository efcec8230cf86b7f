// The registry (src/checks/registry.cpp) is the only list of checks; every check in it has
// its doc page (docs/rules/ID.md) and its test folder (corpus/checks/ID/) with at least one
// case where it fires, and nothing exists for a check that is not registered.
#include <fmt/format.h>

#include <regex>

#include "checks/check.h"
#include "checks/check_cases.h"
#include "fwm_catch.hpp"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace fwm::test;

namespace {

const fs::path kSource = FWM_SOURCE_DIR;

std::set<std::string> registered_ids() {
  std::set<std::string> ids;
  for (const auto& c : fwm::all_checks()) ids.insert(c->info().id);
  return ids;
}

}  // namespace

TEST_CASE("registry: every check has a doc page and a test folder with a positive case", "[checks][registry]") {
  std::set<std::string> names;
  auto cases = all_check_cases(kSource);
  for (const auto& check : fwm::all_checks()) {
    const auto& info = check->info();
    INFO(info.id << " (" << info.name << ")");
    CHECK(std::regex_match(info.id, std::regex("FWM[0-9]{3}")));
    CHECK(std::regex_match(info.name, std::regex("[A-Z][A-Za-z0-9]+")));
    CHECK(names.insert(info.name).second);
    CHECK(!info.short_description.empty());
    CHECK(fwm::find_check(info.id) == check.get());
    CHECK(fs::is_regular_file(kSource / "docs" / "rules" / (info.id + ".md")));
    CHECK(!fwm::check_doc(info.id).empty());
    CHECK(fs::is_directory(kSource / "corpus" / "checks" / info.id));
    int positive = 0;
    for (const auto& c : cases) {
      if (c.check_id != info.id) continue;
      for (const auto& e : c.expected)
        if (std::get<2>(e) == info.id) {
          ++positive;
          break;
        }
    }
    CHECK(positive >= 1);
  }
  CHECK(fwm::all_checks().size() == registered_ids().size());  // no id twice
}

TEST_CASE("registry: every test folder and doc page belongs to a registered check", "[checks][registry]") {
  const auto ids = registered_ids();
  for (const auto& entry : fs::directory_iterator(kSource / "corpus" / "checks")) {
    if (!entry.is_directory()) continue;
    const std::string id = entry.path().filename().string();
    INFO("corpus/checks/" << id);
    CHECK(ids.count(id));
    // Every file of the folder is a case, or an input a case names (--ipsec FILE ...).
    std::set<std::string> used;
    for (const auto& f : fs::directory_iterator(entry.path())) {
      if (!f.is_regular_file() || !is_check_case(f.path())) continue;
      CheckCase c = read_check_case(kSource, fs::relative(f.path(), kSource));
      used.insert(c.inputs.begin(), c.inputs.end());
    }
    for (const auto& f : fs::directory_iterator(entry.path())) {
      INFO(f.path().filename().string());
      CHECK(used.count(f.path().filename().string()));
    }
  }
  for (const auto& page : fs::directory_iterator(kSource / "docs" / "rules")) {
    INFO(page.path().string());
    CHECK(ids.count(page.path().stem().string()));
  }
}
