// The pieces of `fwmatrix fix`: the patch kept against the original text, its unified
// diff (checked with patch(1) when installed), prefixes, port chunks, and the writers on
// small rulesets (where each rule goes).
#include "fix/fix.h"

#include <fmt/format.h>

#include "fix/writer_support.h"
#include "fwm_catch.hpp"
#include "test_support.h"

using namespace fwm;
using namespace fwm::fix;
using namespace fwm::test;

namespace {

Patch patch_of(const std::string& text) {
  bool nl = true;
  auto lines = split_lines(text, nl);
  return Patch(lines, nl);
}

FixResult fix_text(const std::string& name, const std::string& text, const std::vector<std::string>& roles) {
  static const Pack pack = *find_pack("sfb2015", "").pack;
  FixRequest r;
  r.path = name;
  r.bytes = text;
  r.pack = &pack;
  r.roles = roles;
  return fix_config(r);
}

}  // namespace

TEST_CASE("fix: a patch keeps its edits against the original lines over rounds", "[fix]") {
  Patch p = patch_of("a\nb\nc\n");
  REQUIRE(p.apply({{2, false, {"x"}, {}}}));
  CHECK(p.current_text() == "a\nx\nb\nc\n");
  // Round two, against the current text: before the inserted line, and at the end.
  REQUIRE(p.apply({{2, false, {"w"}, {}}, {5, false, {"z"}, {}}}));
  CHECK(p.current_text() == "a\nw\nx\nb\nc\nz\n");
  // Before an original line that already has insertions: right before it.
  REQUIRE(p.apply({{4, false, {"y"}, {}}}));
  CHECK(p.current_text() == "a\nw\nx\ny\nb\nc\nz\n");
  auto edits = p.edits();
  REQUIRE(edits.size() == 2);
  CHECK(edits[0].line == 2);
  CHECK(edits[0].lines == std::vector<std::string>{"w", "x", "y"});
  CHECK(edits[1].line == 4);
  CHECK(edits[1].lines == std::vector<std::string>{"z"});
  // A line replaced; an inserted line cannot be replaced.
  REQUIRE(p.apply({{6, true, {"C"}, {}}}));
  CHECK(p.current_text() == "a\nw\nx\ny\nb\nC\nz\n");
  CHECK_FALSE(p.apply({{2, true, {"no"}, {}}}));
  CHECK_FALSE(p.apply({{99, false, {"no"}, {}}}));
}

TEST_CASE("fix: several edits of one round at one place stay in their order", "[fix]") {
  Patch p = patch_of("a\nb\n");
  REQUIRE(p.apply({{2, false, {"1"}, {}}, {2, false, {"2", "3"}, {}}, {1, false, {"0"}, {}}}));
  CHECK(p.current_text() == "0\na\n1\n2\n3\nb\n");
}

TEST_CASE("fix: edits for one finding keep only the lines that serve it", "[fix]") {
  Patch p = patch_of("a\nb\n");
  Target t1{"req.1", 6, Family::V4, "", ""}, t2{"req.2", 17, Family::V4, "", ""};
  REQUIRE(p.apply({{2, false, {"one"}, {t1}}, {2, false, {"two"}, {t2}}, {2, false, {"both"}, {t1, t2}}}));
  auto only = p.edits([&](const Target& t) { return t == t2; });
  REQUIRE(only.size() == 1);
  CHECK(only[0].lines == std::vector<std::string>{"two", "both"});
}

TEST_CASE("fix: the unified diff has diff -u's hunks and counts", "[fix]") {
  std::string text;
  for (int i = 1; i <= 20; ++i) text += fmt::format("line {}\n", i);
  Patch p = patch_of(text);
  REQUIRE(p.apply({{3, false, {"new A"}, {}}, {5, false, {"new B"}, {}}, {18, false, {"new C", "new D"}, {}}}));
  std::string d = unified_diff(p, "f.rules");
  CHECK(d ==
        "--- f.rules\n+++ f.rules\n"
        "@@ -1,7 +1,9 @@\n line 1\n line 2\n+new A\n line 3\n line 4\n+new B\n line 5\n line 6\n line 7\n"
        "@@ -15,6 +17,8 @@\n line 15\n line 16\n line 17\n+new C\n+new D\n line 18\n line 19\n line 20\n");
  CHECK(unified_diff(patch_of(text), "f.rules").empty());
  // patch(1) applies it and gives the fixed text.
  if (run_command("command -v patch >/dev/null").exit_code != 0) return;
  ScratchDir dir;
  std::string file = dir.file("f.rules", text);
  std::string diff_file = dir.file("fix.diff", d);
  auto applied = run_command(fmt::format("cd {} && patch -p0 --quiet < fix.diff", shell_quote(dir.path.string())));
  CHECK(applied.exit_code == 0);
  CHECK(read_file(file) == p.current_text());
  (void)diff_file;
}

TEST_CASE("fix: a file without a final newline keeps it in the fix and in the diff", "[fix]") {
  Patch p = patch_of("a\nb");
  CHECK_FALSE(p.final_newline());
  REQUIRE(p.apply({{3, false, {"c"}, {}}}));
  CHECK(p.current_text() == "a\nb\nc");
  CHECK(unified_diff(p, "f") ==
        "--- f\n+++ f\n@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n\\ No newline at end of file\n");
  Patch q = patch_of("a\nb");
  REQUIRE(q.apply({{2, false, {"x"}, {}}}));
  CHECK(unified_diff(q, "f") == "--- f\n+++ f\n@@ -1,2 +1,3 @@\n a\n+x\n b\n\\ No newline at end of file\n");
  if (run_command("command -v patch >/dev/null").exit_code != 0) return;
  for (Patch* one : {&p, &q}) {
    ScratchDir dir;
    std::string file = dir.file("f", "a\nb");
    dir.file("fix.diff", unified_diff(*one, "f"));
    CHECK(run_command(fmt::format("cd {} && patch -p0 --quiet < fix.diff", shell_quote(dir.path.string()))).exit_code ==
          0);
    CHECK(read_file(file) == one->current_text());
  }
}

TEST_CASE("fix: address intervals as prefixes, port chunks for multiport", "[fix]") {
  AddrIntervals v4;
  v4.add(0x0a000000, 0x0affffff);  // 10.0.0.0/8
  v4.add(0xc0a80001, 0xc0a80001);  // 192.168.0.1
  v4.add(0xc0a80104, 0xc0a80107);  // 192.168.1.4/30
  auto p = prefixes_of(Family::V4, v4);
  REQUIRE(p);
  CHECK(*p == std::vector<std::string>{"10.0.0.0/8", "192.168.0.1", "192.168.1.4/30"});
  CHECK(*prefixes_of(Family::V4, AddrIntervals(0, kMaxV4)) == std::vector<std::string>{"0.0.0.0/0"});
  CHECK(*prefixes_of(Family::V6, AddrIntervals(0, kMaxV6)) == std::vector<std::string>{"::/0"});
  CHECK_FALSE(prefixes_of(Family::V4, AddrIntervals(1, 1000), 4));
  PortSet ports;
  for (int i = 0; i < 10; ++i)
    ports.add(static_cast<std::uint16_t>(100 + 10 * i), static_cast<std::uint16_t>(101 + 10 * i));
  auto chunks = port_chunks(ports, 15, 2);  // 10 ranges of 2 slots: 7 and 3
  REQUIRE(chunks.size() == 2);
  CHECK(chunks[0].size() == 7);
  CHECK(chunks[1].size() == 3);
}

TEST_CASE("fix: iptables accepts go before the deciding REJECT and at the end of the chain", "[fix]") {
  const std::string text =
      "*filter\n:INPUT DROP [5:300]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
      "-A INPUT -i lo -j ACCEPT\n"
      "-A INPUT -i eth0 -p tcp -m tcp --dport 5061 -j REJECT --reject-with tcp-reset\n"
      "-A INPUT -p tcp -m multiport --dports 80,443,444,5060,5062:5065,5067:5068 -j ACCEPT\n"
      "-A INPUT -p udp -m udp --dport 1434 -j ACCEPT\n"
      "COMMIT\n";
  auto r = fix_text("director.rules", text, {"director"});
  INFO(fmt::format("{}", fmt::join(r.problems, "\n")));
  REQUIRE(r.ok);
  CHECK(r.gaps_after == 0);
  auto lines = r.patch->current();
  // The REJECT is on eth0 only: the accept before it is on eth0 too; the other gaps
  // (decided by the DROP policy) after the last rule of INPUT, before COMMIT.
  CHECK(lines[5] == "-A INPUT -i eth0 -p tcp -m tcp --dport 5061 -j ACCEPT");
  CHECK(lines[6] == "-A INPUT -i eth0 -p tcp -m tcp --dport 5061 -j REJECT --reject-with tcp-reset");
  CHECK(lines[1] == ":INPUT DROP [5:300]");  // counters untouched
  // One part of a gap is enough (the port is then open): 5061 on eth0 (the REJECT ties with
  // the policy and comes first), not also on the other interfaces.
  CHECK(std::find(lines.begin(), lines.end(), "-A INPUT -p tcp -m tcp --dport 49152:57500 -j ACCEPT") != lines.end());
  CHECK(lines.back() == "COMMIT");
  // Every original line is still there, in order.
  bool nl = true;
  auto original = split_lines(text, nl);
  std::size_t k = 0;
  for (const auto& l : lines)
    if (k < original.size() && l == original[k]) ++k;
  CHECK(k == original.size());
}

TEST_CASE("fix: sensitive ports are accepted from the trusted networks only", "[fix]") {
  const std::string text =
      "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
      "-A INPUT -p tcp -m multiport --dports 80,443,448,4443,5061,5063:5065,5071:5073,5075:5076,5080,5086:5087 "
      "-j ACCEPT\n"
      "-A INPUT -p tcp -m multiport --dports 8057:8058,8060:8061,8080,8404,49152:65535 -j ACCEPT\n"
      "-A INPUT -p udp -m udp --dport 1434 -j ACCEPT\n"
      "-A INPUT -p udp -m udp --dport 49152:65535 -j ACCEPT\n"
      "COMMIT\n";
  auto r = fix_text("fe.rules", text, {"front-end"});
  INFO(fmt::format("{}", fmt::join(r.problems, "\n")));
  REQUIRE(r.ok);
  auto edits = r.patch->edits();
  REQUIRE(edits.size() == 1);
  CHECK(edits[0].lines ==
        std::vector<std::string>{"-A INPUT -s 10.0.0.0/8 -p tcp -m multiport --dports 135,444:445,5062 -j ACCEPT",
                                 "-A INPUT -s 172.16.0.0/12 -p tcp -m multiport --dports 135,444:445,5062 -j ACCEPT",
                                 "-A INPUT -s 192.168.0.0/16 -p tcp -m multiport --dports 135,444:445,5062 -j ACCEPT"});
}

TEST_CASE("fix: nftables fixes every base chain of the hook that drops, in rounds", "[fix]") {
  const std::string text =
      "table inet filter {\n"
      "\tchain input {\n"
      "\t\ttype filter hook input priority filter; policy drop;\n"
      "\t\ttcp dport { 80, 443, 444, 5060, 5062-5065, 5067-5068 } accept\n"
      "\t\tudp dport 1434 accept\n"
      "\t}\n"
      "}\n"
      "table ip late {\n"
      "\tchain input {\n"
      "\t\ttype filter hook input priority filter + 10; policy accept;\n"
      "\t\ttcp dport 5061 drop\n"
      "\t}\n"
      "}\n";
  auto r = fix_text("director.nft", text, {"director"});
  INFO(fmt::format("{}", fmt::join(r.problems, "\n")));
  REQUIRE(r.ok);
  CHECK(r.rounds == 2);
  auto lines = r.patch->current();
  // The ip table: before its drop, for IPv4 (the table's own family: no qualifier).
  auto drop = std::find(lines.begin(), lines.end(), "\t\ttcp dport 5061 drop");
  REQUIRE(drop != lines.begin());
  CHECK(*(drop - 1) == "\t\ttcp dport 5061 accept");
}

TEST_CASE("fix: pf passes quick before a quick block, last after a plain block", "[fix]") {
  const std::string text =
      "lan = \"{ 10.0.0.0/8, fd00::/8 }\"\n"
      "block in all\n"
      "pass in proto tcp to any port { 80, 443, 444, 5060:5065, 5067:5068 }\n"
      "block in quick proto tcp to port 5061\n"
      "pass in proto udp to any port 1434\n"
      "# end\n";
  auto r = fix_text("director.conf", text, {"director"});
  INFO(fmt::format("{}", fmt::join(r.problems, "\n")));
  REQUIRE(r.ok);
  auto lines = r.patch->current();
  CHECK(lines[3] == "pass in quick proto tcp to any port 5061");
  CHECK(lines[4] == "block in quick proto tcp to port 5061");
  CHECK(lines.back() == "# end");
}

TEST_CASE("fix: formats without a writer fail with the reason", "[fix]") {
  const std::string text = read_file(std::string(FWM_SOURCE_DIR) + "/corpus/windows/front-end-gaps.txt");
  auto r = fix_text("fw.txt", text, {"front-end"});
  CHECK_FALSE(r.ok);
  REQUIRE_FALSE(r.problems.empty());
  CHECK(r.problems.front().find("cannot write fixes for this Windows Firewall export yet") != std::string::npos);
  const std::string json = read_file(std::string(FWM_SOURCE_DIR) + "/corpus/nftables/front-end-json.json");
  auto j = fix_text("fw.json", json, {"front-end"});
  CHECK_FALSE(j.ok);
  REQUIRE_FALSE(j.problems.empty());
  CHECK(j.problems.front().find("cannot write fixes for nft-json files yet") != std::string::npos);
}

TEST_CASE("fix: Windows scripts: a deciding block rule is narrowed or disabled, the default gets an allow", "[fix]") {
  const std::string text =
      "@echo off\r\n"
      "netsh advfirewall firewall add rule name=\"SIP\" dir=in action=allow protocol=TCP "
      "localport=80,443,444,5060-5065,5067-5068 remoteip=10.0.0.0/8 profile=any enable=yes\r\n"
      "netsh advfirewall firewall add rule name=\"SQL\" dir=in action=allow protocol=UDP localport=1434 "
      "remoteip=10.0.0.0/8 profile=any enable=yes\r\n"
      "netsh advfirewall firewall add rule name=\"No legacy\" dir=in action=block protocol=TCP "
      "localport=5000-5100 profile=any enable=yes\r\n"
      "pause\r\n";
  auto r = fix_text("director.cmd", text, {"director"});
  INFO(fmt::format("{}", fmt::join(r.problems, "\n")));
  REQUIRE(r.ok);
  auto lines = r.patch->current();
  // The block rule keeps what it blocks beyond the requirements; CRLF kept.
  CHECK(lines[3] ==
        "netsh advfirewall firewall add rule name=\"No legacy\" dir=in action=block protocol=TCP "
        "localport=5000-5060,5062-5100 profile=any enable=yes\r");
  REQUIRE_FALSE(r.notes.empty());
  CHECK(r.notes.front().find("narrowed to TCP 5000-5060, 5062-5100") != std::string::npos);
  // Round two: 5061 falls to the default action; it and the other gaps (the media ranges,
  // IPv6) get allow rules after the last rule, before `pause`.
  CHECK(r.rounds == 2);
  CHECK(std::find(lines.begin(), lines.end(),
                  "netsh advfirewall firewall add rule name=\"fwmatrix fix TCP 5061\" dir=in action=allow "
                  "protocol=TCP localport=5061 profile=any enable=yes\r") != lines.end());
  CHECK(std::find(lines.begin(), lines.end(),
                  "netsh advfirewall firewall add rule name=\"fwmatrix fix TCP 444\" dir=in action=allow "
                  "protocol=TCP localport=444 remoteip=10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7 profile=any "
                  "enable=yes\r") != lines.end());
  CHECK(lines.back() == "pause\r");
}
