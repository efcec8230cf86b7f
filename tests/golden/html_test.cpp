// The HTML report rendered by a real browser: headless Chromium loads the file (no
// network), runs its script, and the test checks the resulting DOM.
#include "fwm_catch.hpp"
#include <filesystem>
#include <fmt/format.h>

#include "test_support.h"

namespace fs = std::filesystem;
using namespace fwm::test;

namespace {
std::string chromium() {
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
    if (file_exists(c)) return c;
  return {};
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("html: the report renders in headless Chromium", "[html]") {
  fs::path dir = fs::temp_directory_path() / fmt::format("fwm-html-{}", getpid());
  fs::create_directories(dir);
  std::string html = (dir / "report.html").string();
  auto r = run_fwmatrix("check corpus/iptables/front-end-partial-media.rules --role front-end --report html -o " +
                        shell_quote(html));
  REQUIRE(r.exit_code == 1);
  std::string page = read_file(html);
  REQUIRE(page.find("http://") == std::string::npos);  // self-contained: nothing to fetch
  REQUIRE(page.find("src=") == std::string::npos);

  std::string browser = chromium();
  if (browser.empty()) {
    WARN("skipped: Chromium is not installed (scripts/test installs Debian's chromium)");
    fs::remove_all(dir);
    return;
  }
  auto dom = run_command(fmt::format(
      "{} --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
      "--disable-component-update --disable-sync --user-data-dir={} --dump-dom file://{} 2>/dev/null",
      shell_quote(browser), shell_quote((dir / "profile").string()), html));
  fs::remove_all(dir);
  REQUIRE(dom.exit_code == 0);
  INFO(dom.out.substr(0, 2000));
  // The script ran and counted what the SVG axes draw: 2 axes (TCP, UDP) for IPv4.
  REQUIRE(dom.out.find("id=\"rendered\"") != std::string::npos);
  REQUIRE(dom.out.find("on 2 axes") != std::string::npos);
  // Denied intervals of the partial media ranges are drawn: TCP 49152-49999 and 60001-65535.
  REQUIRE(dom.out.find("class=\"denied\" x=") != std::string::npos);
  REQUIRE(dom.out.find("data-lo=\"60001\" data-hi=\"65535\"") != std::string::npos);
  // One row per finding, each linked to its config line, which is on the page.
  REQUIRE(count(dom.out, "<tr class=\"finding") >= 5);
  REQUIRE(dom.out.find("href=\"#src-0-L5\"") != std::string::npos);
  REQUIRE(dom.out.find("id=\"src-0-L5\"") != std::string::npos);
}
