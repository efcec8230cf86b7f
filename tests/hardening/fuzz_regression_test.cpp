// Inputs the fuzz targets (fuzz/) found crashing, run through the same path: load with the
// format, analyse, render SARIF and JSON. Both crashes were bytes that the UTF-8 check let
// through (surrogates, overlong forms) and that the ANTLR runtime or the JSON writer threw on.
#include "fwm_catch.hpp"
#include <string>

#include "checks/analysis.h"
#include "frontends/frontend.h"
#include "frontends/ipsec/ipsec_reader.h"
#include "report/report.h"
#include "test_support.h"

using namespace fwm;

namespace {
std::string crash_input(const std::string& name) {
  return fwm::test::read_file(std::string(FWM_SOURCE_DIR) + "/tests/hardening/crashes/" + name);
}
}  // namespace

TEST_CASE("fuzz regressions: firewall inputs with bytes outside strict UTF-8", "[hardening]") {
  for (const auto& [name, format] : {std::pair<std::string, std::string>{"nft-json-invalid-utf8.json", "nft-json"},
                                     {"windows-invalid-utf8.txt", "windows"}}) {
    INFO(name);
    std::string bytes = crash_input(name);
    REQUIRE(bytes.size() > 100);
    auto loaded = load_ruleset_bytes(name, bytes, {format});
    Report report;
    for (const Ruleset* rs : loaded.all()) {
      std::vector<std::string> notes;
      auto findings = analyze(*rs, AnalysisRequest{}, notes);
      report.findings.insert(report.findings.end(), findings.begin(), findings.end());
    }
    CHECK((loaded.ruleset || !loaded.error.empty()));
    CHECK_NOTHROW(render_json(report));
    CHECK_NOTHROW(render_sarif(report));
  }
}

TEST_CASE("fuzz regressions: ipsec.conf with bytes outside strict UTF-8", "[hardening]") {
  std::string bytes = crash_input("ipsec-conf-invalid-utf8.conf");
  REQUIRE(bytes.size() > 100);
  ipsec::IpsecLoad loaded;
  REQUIRE_NOTHROW(loaded = ipsec::load_ipsec_policy_bytes("ipsec.conf", bytes));
  CHECK((loaded.policy || !loaded.error.empty()));
  // A surrogate (U+D800 as ED A0 80) is not UTF-8: such text is read as Latin-1.
  auto decoded = decode_text("s.txt", "a\xED\xA0\x80z");
  CHECK(decoded.encoding == "latin-1");
  CHECK(decode_text("o.txt", "\xC0\xAF").encoding == "latin-1");  // overlong '/'
  CHECK(decode_text("u.txt", "caf\xC3\xA9").encoding == "utf-8");
  // The same after runs of ASCII of every length (the check reads eight ASCII bytes at a time).
  for (std::size_t run = 0; run < 20; ++run) {
    std::string ascii(run, 'a');
    INFO(run << " ASCII bytes first");
    CHECK(decode_text("s.txt", ascii + "\xED\xA0\x80" + ascii).encoding == "latin-1");
    CHECK(decode_text("u.txt", ascii + "caf\xC3\xA9" + ascii).encoding == "utf-8");
    CHECK(decode_text("t.txt", ascii + "\xC3").encoding == "latin-1");  // cut short at the end
    CHECK(decode_text("a.txt", ascii + "\x7F").encoding == "utf-8");
  }
}

TEST_CASE("fuzz regressions: a line of blanks after a continuation in a Windows IPsec script", "[hardening]") {
  // fuzz_ipsec found logical_lines() taking back() of a line that trims to nothing.
  std::string bytes = crash_input("ipsec-blank-line-after-continuation.txt");
  REQUIRE(bytes.size() > 100);
  ipsec::IpsecLoad loaded;
  REQUIRE_NOTHROW(loaded = ipsec::load_ipsec_policy_bytes("policy", bytes));
  CHECK((loaded.policy || !loaded.error.empty()));
  std::string script =
      "New-NetIPsecRule -DisplayName \"media\" `\n   \n  -Protocol UDP -LocalPort 49152-57500 -InboundSecurity None "
      "-OutboundSecurity None\n";
  REQUIRE_NOTHROW(loaded = ipsec::load_ipsec_policy_bytes("rules.ps1", script));
  CHECK((loaded.policy || !loaded.error.empty()));
}
