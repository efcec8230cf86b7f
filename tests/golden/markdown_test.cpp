// The Markdown report is posted as a GitHub job summary, which stops at 1 MiB: a longer
// table is cut with a note that says how many findings are left out and where they are.
#include <fmt/format.h>

#include "fwm_catch.hpp"
#include "test_support.h"

using namespace fwm::test;

TEST_CASE("markdown: a report past 1 MiB is cut with a note", "[markdown]") {
  ScratchDir dir;
  // 4,000 rules, each twice: 4,000 shadowed and 4,000 redundant rules (a row each).
  std::string text = "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  for (int copy = 0; copy < 2; ++copy)
    for (int i = 0; i < 4000; ++i)
      text += fmt::format(
          "-A INPUT -s 10.{}.{}.0/24 -p tcp -m comment --comment \"tenant {} service gateway\" "
          "--dport {} -j ACCEPT\n",
          i / 256, i % 256, i, 1000 + i % 50);
  text += "COMMIT\n";
  auto path = dir.file("duplicates.rules", text);
  auto out = dir.path / "report.md";
  auto r = run_fwmatrix("check " + shell_quote(path) + " --report markdown -o " + shell_quote(out.string()) +
                        " --fail-on none");
  REQUIRE(r.exit_code == 0);
  std::string md = read_file(out.string());
  CHECK(md.size() <= 1024 * 1024);
  CHECK(md.find("more findings not shown: a job summary stops at 1 MiB") != std::string::npos);
  CHECK(md.rfind("no --role given") != std::string::npos);  // the notes are still there
}
