// libFuzzer target for one firewall frontend: the bytes go through load_ruleset_bytes with
// an explicit format (as `fwmatrix check --format F` does), then every ruleset is analysed
// against the bundled rule pack (evaluator, coverage, all checks) and rendered as SARIF and
// JSON, so the evaluator and the reporters are fuzzed with what the frontend produced.
// FWM_FUZZ_FORMAT is set per target by fuzz/CMakeLists.txt.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "checks/analysis.h"
#include "frontends/frontend.h"
#include "fuzz_support.h"
#include "report/report.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  fwm::LoadOptions options;
  options.format = FWM_FUZZ_FORMAT;
  // Includes are resolved relative to a directory that does not exist: the frontends
  // must report them as unreadable, not read the fuzzing machine's files.
  auto loaded = fwm::load_ruleset_bytes("/nonexistent-fwmatrix-fuzz/input", bytes, options);
  fwm::Report report;
  report.roles = fwm::fuzz::roles();
  for (const fwm::Ruleset* rs : loaded.all()) {
    fwm::AnalysisRequest request{&fwm::fuzz::pack(), report.roles, "hardware"};
    auto findings = fwm::analyze(*rs, request, report.notes);
    report.findings.insert(report.findings.end(), findings.begin(), findings.end());
  }
  fwm::sort_findings(report.findings);
  fwm::fuzz::consume(fwm::render_sarif(report));
  fwm::fuzz::consume(fwm::render_json(report));
  return 0;
}
