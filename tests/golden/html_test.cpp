// The HTML report: its port matrix (one row per requirement of the rule pack, one status
// per checked file and Windows profile), its port axis, and the page rendered by a real
// browser: headless Chromium loads the file (no network), runs its script, and the test
// checks the resulting DOM and takes a screenshot (build/html-test/report.png).
#include <fmt/format.h>

#include "fwm_catch.hpp"
#include <filesystem>
#include <regex>
#include <set>

#include "matrix/pack.h"
#include "report/report.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace fwm::test;

namespace {
std::string chromium() {
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
    if (file_exists(c)) return c;
  return {};
}

std::string chromium_command(const std::string& browser, const fs::path& profile) {
  return fmt::format(
      "{} --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
      "--disable-component-update --disable-sync --user-data-dir={}",
      shell_quote(browser), shell_quote(profile.string()));
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1)) ++n;
  return n;
}

// The requirement ids the pack names for the roles (what the matrix must show a row for).
std::set<std::string> requirement_ids(const std::vector<std::string>& roles) {
  auto loaded = fwm::find_pack("sfb2015", "");
  REQUIRE(loaded.pack);
  std::set<std::string> ids;
  for (const auto* r : loaded.pack->requirements_for(roles, loaded.pack->default_lb_mode)) ids.insert(r->id);
  return ids;
}

// The matrix rows of a page (or of a browser's DOM): data-requirement of each tr.req.
std::vector<std::string> matrix_rows(const std::string& page) {
  static const std::regex row(R"re(<tr class="req"[^>]* data-requirement="([^"]+)")re");
  std::vector<std::string> ids;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), row); it != std::sregex_iterator(); ++it)
    ids.push_back((*it)[1]);
  return ids;
}

// The <tr> of one requirement, up to its end.
std::string matrix_row(const std::string& page, const std::string& id) {
  auto at = page.find(fmt::format("data-requirement=\"{}\"", id));
  if (at == std::string::npos) return {};
  return page.substr(at, page.find("</tr>", at) - at);
}

std::string check_html(const std::string& args, const fs::path& out, int expected_exit = 1) {
  auto r = run_fwmatrix(fmt::format("check {} --report html -o {}", args, shell_quote(out.string())));
  REQUIRE(r.exit_code == expected_exit);
  return read_file(out.string());
}

// The numeric attribute `name` of the element whose text contains `marker`.
double attribute_of(const std::string& page, const std::string& marker, const std::string& name) {
  auto at = page.find(marker);
  REQUIRE(at != std::string::npos);
  auto start = page.rfind('<', at);
  auto end = page.find('>', at);
  std::string element = page.substr(start, end - start);
  auto a = element.find(" " + name + "=\"");
  REQUIRE(a != std::string::npos);
  return std::stod(element.substr(a + name.size() + 3));
}
}  // namespace

TEST_CASE("html: the port matrix has one row per requirement and a status per file", "[html]") {
  ScratchDir dir;
  std::string page =
      check_html("corpus/iptables/front-end-partial-media.rules --role front-end", dir.path / "report.html");
  // Self-contained: nothing to fetch; and no text meant for tests.
  CHECK(page.find("http://") == std::string::npos);
  CHECK(page.find("https://") == std::string::npos);
  CHECK(page.find("src=") == std::string::npos);
  CHECK(page.find("intervals drawn") == std::string::npos);

  auto rows = matrix_rows(page);
  auto expected = requirement_ids({"front-end"});
  CHECK(std::set<std::string>(rows.begin(), rows.end()) == expected);
  CHECK(rows.size() == expected.size());  // each once
  // Rows in the order of Microsoft's table, with the role's name and the service.
  CHECK(rows.front() == "srv.all-servers.1434");
  std::string sip = matrix_row(page, "srv.front-end.5061");
  CHECK(sip.find("Front End Server") != std::string::npos);
  CHECK(sip.find("Skype for Business Server Front-End service") != std::string::npos);
  CHECK(sip.find("TCP (TLS)") != std::string::npos);
  CHECK(count(sip, "<td class=\"cell ") == 1);  // one file, one status
  CHECK(sip.find("<td class=\"cell open\"") != std::string::npos);
  // A range denied in part: the denied ports and the deciding line, linked to the source.
  std::string video = matrix_row(page, "srv.front-end.57501-65535");
  CHECK(video.find("<td class=\"cell denied\"") != std::string::npos);
  CHECK(video.find("60001-65535") != std::string::npos);
  CHECK(video.find("<a href=\"#src-0-L5\">line 5</a>") != std::string::npos);
  CHECK(page.find("id=\"src-0-L5\"") != std::string::npos);
  // The legend and the filter by status.
  CHECK(page.find("id=\"legend\"") != std::string::npos);
  for (const char* s : {"open", "denied", "undetermined", "optional"})
    CHECK(page.find(fmt::format("<input type=\"checkbox\" value=\"{}\"", s)) != std::string::npos);
  // The findings are still there, linked to their lines.
  CHECK(count(page, "<tr class=\"finding") >= 5);
}

TEST_CASE("html: optional and undetermined cells say so, and why", "[html]") {
  ScratchDir dir;
  std::string gaps = check_html("corpus/iptables/front-end-gaps.rules --role front-end", dir.path / "gaps.html");
  std::string optional = matrix_row(gaps, "srv.front-end.5060");
  CHECK(optional.find("<td class=\"cell optional\"") != std::string::npos);
  CHECK(optional.find("optional, not open") != std::string::npos);

  std::string marks = check_html("corpus/iptables/ipset-and-marks.rules --role director", dir.path / "marks.html");
  std::string sip = matrix_row(marks, "srv.director.5061");
  CHECK(sip.find("<td class=\"cell undetermined\"") != std::string::npos);
  CHECK(sip.find("because") != std::string::npos);
  CHECK(sip.find("sip-clients") != std::string::npos);  // the ipset the rule depends on
  CHECK(sip.find("<a href=\"#src-0-L12\">line 12</a>") != std::string::npos);
}

TEST_CASE("html: a Windows file has a column per profile, each named once", "[html]") {
  ScratchDir dir;
  std::string page = check_html("corpus/windows/profile-differences.cmd --role front-end", dir.path / "win.html");
  static const std::regex profile(R"re(<th class="profile">([^<]+)<)re");
  std::vector<std::string> profiles;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), profile); it != std::sregex_iterator(); ++it)
    profiles.push_back((*it)[1]);
  REQUIRE(profiles.size() >= 2);  // the domain profile opens the media ranges, the others do not
  CHECK(std::set<std::string>(profiles.begin(), profiles.end()).size() == profiles.size());
  // Every row has one status per profile.
  std::string media = matrix_row(page, "srv.front-end.49152-65535");
  CHECK(count(media, "<td class=\"cell ") == profiles.size());
  CHECK(media.find("<td class=\"cell open\"") != std::string::npos);
  CHECK(media.find("<td class=\"cell denied\"") != std::string::npos);
  // The port pictures: one heading per file and profile.
  static const std::regex heading(R"re(<h3>([^<]+)</h3>)re");
  std::vector<std::string> headings;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), heading); it != std::sregex_iterator(); ++it)
    headings.push_back((*it)[1]);
  CHECK(headings.size() == profiles.size());
  CHECK(std::set<std::string>(headings.begin(), headings.end()).size() == headings.size());
}

TEST_CASE("html: a single port is visible on the port axis", "[html]") {
  fwm::Report r;
  r.roles = {"front-end"};
  fwm::PortAxis a;
  a.file = "fw.rules";
  a.family = "IPv4";
  a.protocol = "tcp";
  a.required = fwm::PortSet{{5061, 5061}, {49152, 65535}};
  a.open = fwm::PortSet{{5061, 5061}, {49152, 60000}};
  a.denied = fwm::PortSet(60001, 65535);
  a.accepted = fwm::PortSet{{22, 22}, {5061, 5061}, {49152, 60000}};
  a.excess = fwm::PortSet(22, 22);
  r.axes.push_back(a);
  std::string page = fwm::render_html(r);
  // Both single ports get a block at least 12 pixels wide; so does the denied range.
  CHECK(attribute_of(page, "data-lo=\"5061\" data-hi=\"5061\"", "width") >= 10);
  CHECK(attribute_of(page, "data-lo=\"22\" data-hi=\"22\"", "width") >= 10);
  CHECK(attribute_of(page, "data-lo=\"60001\" data-hi=\"65535\"", "width") >= 10);
  CHECK(page.find("<rect class=\"excess\"") != std::string::npos);
  CHECK(page.find("<rect class=\"denied\"") != std::string::npos);
  // The ports between them are compressed: the whole axis fits a page.
  CHECK(attribute_of(page, "<svg class=\"axis\"", "width") < 900);
}

TEST_CASE("html: the report renders in headless Chromium", "[html]") {
  ScratchDir dir;
  fs::path html = dir.path / "report.html";
  check_html("corpus/iptables/front-end-partial-media.rules --role front-end", html);
  auto expected = requirement_ids({"front-end"});

  std::string browser = chromium();
  if (browser.empty()) {
    WARN("skipped: Chromium is not installed (scripts/test installs Debian's chromium)");
    return;
  }
  auto dom = run_command(
      fmt::format("{} --dump-dom file://{} 2>/dev/null", chromium_command(browser, dir.path / "p1"), html.string()));
  REQUIRE(dom.exit_code == 0);
  INFO(dom.out.substr(0, 2000));
  // Every requirement row is in the rendered page, and the filter's script ran (it counts
  // the rows it shows).
  auto rows = matrix_rows(dom.out);
  CHECK(std::set<std::string>(rows.begin(), rows.end()) == expected);
  CHECK(dom.out.find(fmt::format("{0} of {0} requirements shown", expected.size())) != std::string::npos);
  // The denied media ranges are drawn on the axis.
  CHECK(dom.out.find("<rect class=\"denied\"") != std::string::npos);
  CHECK(dom.out.find("data-lo=\"60001\" data-hi=\"65535\"") != std::string::npos);

  // A screenshot of the page, kept next to the build (FWM_BINARY is build/src/fwmatrix).
  fs::path shots = fs::path(FWM_BINARY).parent_path().parent_path() / "html-test";
  fs::create_directories(shots);
  fs::path png = shots / "report.png";
  fs::remove(png);
  auto shot =
      run_command(fmt::format("{} --hide-scrollbars --window-size=1400,2000 --screenshot={} file://{} 2>/dev/null",
                              chromium_command(browser, dir.path / "p2"), shell_quote(png.string()), html.string()));
  REQUIRE(shot.exit_code == 0);
  std::string image = read_file(png.string());
  REQUIRE(image.size() > 24);
  CHECK(image.substr(1, 3) == "PNG");
  auto be32 = [&](std::size_t at) {
    return (static_cast<unsigned char>(image[at]) << 24) | (static_cast<unsigned char>(image[at + 1]) << 16) |
           (static_cast<unsigned char>(image[at + 2]) << 8) | static_cast<unsigned char>(image[at + 3]);
  };
  CHECK(be32(16) == 1400);  // IHDR width and height
  CHECK(be32(20) == 2000);
  CHECK(image.size() > 20000);  // not a blank page
}
