// Conformance of the Windows Firewall frontend over third-party data in ../shared (read
// in place, never copied): corpus/real/windows holds real exports and deployment scripts
// (.reg, netsh show rule text, PowerShell Format-List and CSV exports, .bat/.cmd/.ps1
// scripts). Every file must be recognised as Windows input and either be read or get
// precise diagnostics: a located FWM090/FWM091, never a crash, an unreadable-file error
// or a silently empty result.
#include <fmt/format.h>

#include "fwm_catch.hpp"
#include <filesystem>

#include "frontends/frontend.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace fwm;

namespace {

void read_or_diagnose_every_file(const fs::path& dir) {
  auto listed = test::shared_files(dir);
  if (!listed) return;
  const std::vector<fs::path>& files = *listed;
  REQUIRE_FALSE(files.empty());
  std::size_t passed = 0, clean = 0, rules_total = 0;
  for (const auto& path : files) {
    INFO(path.filename().string());
    TextFile file = read_text_file(path.string());
    bool detected = file.ok() && detect_format(file) == "windows";
    auto r = load_ruleset(path.string(), {});
    bool loaded = r.error.empty() && r.ruleset;
    std::size_t rules = 0, parse_errors = 0, located = 0, diagnostics = 0;
    if (loaded) {
      for (const Ruleset* rs : r.all()) {
        std::size_t n = 0;
        for (const auto& c : rs->chains) n += c.rules.size();
        rules = std::max(rules, n);
      }
      for (const auto& d : r.ruleset->diagnostics) {
        ++diagnostics;
        if (d.id == "FWM090") ++parse_errors;
        if (d.span.line >= 1 && !d.message.empty()) ++located;
      }
    }
    bool precise = loaded && located == diagnostics;
    bool said_something = rules > 0 || diagnostics > 0 || (loaded && !r.ruleset->chains.empty());
    bool ok = detected && precise && said_something;
    if (ok) ++passed;
    if (ok && parse_errors == 0) ++clean;
    rules_total += rules;
    fmt::print(stderr, "windows conformance: {:<70} {} detected={} rules={} FWM090={} diagnostics={}\n",
               path.filename().string(), ok ? "ok  " : "FAIL", detected, rules, parse_errors, diagnostics);
    CHECK(detected);
    CHECK(precise);
  }
  WARN(fmt::format("{}: {}/{} files read or precisely diagnosed, {}/{} without FWM090, {} rules in force", dir.string(),
                   passed, files.size(), clean, files.size(), rules_total));
  CHECK(passed == files.size());
}

}  // namespace

TEST_CASE("windows conformance: real exports and scripts are read or precisely diagnosed", "[windows][conformance]") {
  read_or_diagnose_every_file(fs::path(FWM_SHARED_DIR) / "corpus" / "real" / "windows");
}

TEST_CASE("windows conformance: shared conformance data is read or precisely diagnosed", "[windows][conformance]") {
  read_or_diagnose_every_file(fs::path(FWM_SHARED_DIR) / "conformance" / "windows");
}
