// Resource limits (util/limits.h): for each limit, an input just over a lowered limit
// stops with a diagnostic that names the limit's value and the flag that raises it, and
// the same input passes with the limit raised. The defaults are the evaluator's.
#include "util/limits.h"

#include <fmt/format.h>

#include "fwm_catch.hpp"
#include <filesystem>
#include <random>
#include <string>

#include "checks/analysis.h"
#include "eval/anomalies.h"
#include "eval/evaluator.h"
#include "frontends/frontend.h"
#include "matrix/coverage.h"
#include "test_support.h"
#include "util/text_input.h"

using namespace fwm;
using fwm::test::run_command;
using fwm::test::ScratchDir;
using fwm::test::shell_quote;
using fwm::test::write_file;
namespace fs = std::filesystem;

namespace {

// stdout and stderr of fwmatrix ARGS, with the exit code.
fwm::test::CommandResult fwmatrix(const std::string& args) {
  return run_command("NO_COLOR=1 " + shell_quote(FWM_BINARY) + " " + args + " 2>&1");
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const Diagnostic* find_diagnostic(const Ruleset& rs, const std::string& id, const std::string& text) {
  for (const auto& d : rs.diagnostics)
    if (d.id == id && contains(d.message, text)) return &d;
  return nullptr;
}

std::string all_messages(const Ruleset& rs) {
  std::string out;
  for (const auto& d : rs.diagnostics) out += d.id + " " + d.message + "\n";
  return out;
}

LoadOptions with_format(const std::string& format, const Limits& limits = {}) {
  LoadOptions o;
  o.format = format;
  o.limits = limits;
  return o;
}

const std::string kSmallIptables =
    "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
    "-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\nCOMMIT\n";

// INPUT -> C0 -> C1 -> ... -> C{n-1}, which accepts TCP 443.
std::string nested_chains(int n) {
  std::string text = "*filter\n:INPUT DROP [0:0]\n";
  for (int i = 0; i < n; ++i) text += ":C" + std::to_string(i) + " - [0:0]\n";
  text += "-A INPUT -j C0\n";
  for (int i = 0; i + 1 < n; ++i) text += "-A C" + std::to_string(i) + " -j C" + std::to_string(i + 1) + "\n";
  text += "-A C" + std::to_string(n - 1) + " -p tcp --dport 443 -j ACCEPT\nCOMMIT\n";
  return text;
}

// Rules that each cut a source address and a port out of the region: the rest of the
// region splits into more pieces with every rule.
std::string fragmenting_rules(int n) {
  std::string text = "*filter\n:INPUT DROP [0:0]\n";
  for (int i = 0; i < n; ++i)
    text +=
        "-A INPUT -s 10.0.0." + std::to_string(i + 1) + " -p tcp --dport " + std::to_string(1000 + i) + " -j ACCEPT\n";
  return text + "COMMIT\n";
}

EvalResult evaluate_tcp_in(const Ruleset& rs, const Limits& limits) {
  Box q = Box::everything(Family::V4, rs.ifaces.size());
  q.proto = proto_only(kProtoTcp);
  const Pipeline* p = rs.pipeline(Family::V4, Direction::In);
  REQUIRE(p);
  return evaluate_within(rs, *p, q, limits);
}

bool any_contains(const std::vector<std::string>& lines, const std::string& part) {
  for (const auto& l : lines)
    if (contains(l, part)) return true;
  return false;
}

}  // namespace

TEST_CASE("limits: the defaults are the ones the code had, the evaluator's and the anomaly analysis'", "[limits]") {
  Limits d;
  CHECK(d.max_call_depth == EvalOptions{}.max_call_depth);
  CHECK(d.max_pieces == EvalOptions{}.max_pieces);
  CHECK(d.max_redundancy_checks == AnomalyOptions{}.max_redundancy_checks);
  CHECK(d.max_file_size == std::size_t(1) << 30);
  CHECK(d.max_include_depth == 16);
  CHECK(d.max_macro_expansion == std::size_t(1) << 20);
  CHECK(d.max_set_combinations == 4096);
  CHECK(d.max_line_length == std::size_t(16) << 20);
  // Every limit has a flag and a .fwmatrix.yaml key.
  CHECK(limit_settings().size() == 8);
}

TEST_CASE("limits: values with units", "[limits]") {
  std::size_t v = 0;
  CHECK(parse_limit_value("300", false, v).empty());
  CHECK(v == 300);
  CHECK(parse_limit_value("2K", true, v).empty());
  CHECK(v == 2048);
  CHECK(parse_limit_value("16MiB", true, v).empty());
  CHECK(v == std::size_t(16) << 20);
  CHECK(parse_limit_value("2g", true, v).empty());
  CHECK(v == std::size_t(2) << 30);
  CHECK_FALSE(parse_limit_value("2K", false, v).empty());  // counts take no unit
  CHECK_FALSE(parse_limit_value("0", false, v).empty());
  CHECK_FALSE(parse_limit_value("-1", false, v).empty());
  CHECK_FALSE(parse_limit_value("12T", true, v).empty());
  CHECK_FALSE(parse_limit_value("99999999999999999999999", false, v).empty());
}

TEST_CASE("limits: file size", "[limits]") {
  Limits low;
  low.max_file_size = kSmallIptables.size() - 1;
  auto refused = load_ruleset_bytes("small.rules", kSmallIptables, with_format("iptables", low));
  CHECK_FALSE(refused.ruleset);
  CHECK(contains(refused.error, "small.rules is " + std::to_string(kSmallIptables.size()) + " bytes"));
  CHECK(contains(refused.error, "the limit is " + std::to_string(low.max_file_size) + " bytes"));
  CHECK(contains(refused.error, "--max-file-size"));
  Limits exact;
  exact.max_file_size = kSmallIptables.size();
  CHECK(load_ruleset_bytes("small.rules", kSmallIptables, with_format("iptables", exact)).ruleset);

  // Read from disk, and through the command line (exit 2, as for any unreadable input).
  ScratchDir dir;
  auto path = dir.file("small.rules", kSmallIptables);
  auto from_disk = load_ruleset(path, with_format("iptables", low));
  CHECK_FALSE(from_disk.ruleset);
  CHECK(contains(from_disk.error, "--max-file-size"));
  auto cli = fwmatrix("ports " + shell_quote(path) + " --max-file-size 100");
  CHECK(cli.exit_code == 2);
  CHECK(contains(cli.out, "the limit is 100 bytes; --max-file-size raises it"));
  auto raised = fwmatrix("ports " + shell_quote(path) + " --max-file-size 1K --json");
  CHECK(raised.exit_code == 0);
  CHECK(contains(raised.out, "[443,443]"));

  // IPsec policies given with --ipsec are held to the same limit.
  auto policy =
      dir.file("ipsec.conf", "conn media\n  left=10.0.0.1\n  right=10.0.0.2\n# " + std::string(300, 'x') + "\n");
  auto ipsec = fwmatrix("check " + shell_quote(path) + " --no-config --role front-end --ipsec " + shell_quote(policy) +
                        " --max-file-size 200");
  CHECK(ipsec.exit_code == 2);
  CHECK(contains(ipsec.out, "ipsec.conf is"));
  CHECK(contains(ipsec.out, "the limit is 200 bytes; --max-file-size raises it"));
}

TEST_CASE("files are read whole, large ones in two halves at once", "[limits]") {
  ScratchDir dir;
  for (std::size_t size : {std::size_t(0), std::size_t(1), std::size_t(4099), (std::size_t(4) << 20) - 1,
                           (std::size_t(4) << 20) + 12345}) {
    INFO("size " << size);
    std::string content(size, 'x');
    for (std::size_t i = 0; i < size; ++i) content[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
    for (std::size_t i = 80; i < size; i += 81) content[i] = '\n';
    auto path = dir.file("read-" + std::to_string(size) + ".txt", content);
    std::string bytes;
    REQUIRE(read_bytes(path, bytes).empty());
    CHECK(bytes.size() == size);
    CHECK(bytes == content);  // every byte in place, whichever half read it
  }
  std::string bytes;
  CHECK(contains(read_bytes((dir.path / "missing.txt").string(), bytes), "cannot read"));
}

TEST_CASE("limits: line length", "[limits]") {
  std::string comment(200, 'c');
  std::string text = "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 443 -m comment --comment \"" + comment +
                     "\" -j ACCEPT\nCOMMIT\n";
  std::size_t long_line = text.find("\nCOMMIT") - text.find("-A INPUT");
  Limits low;
  low.max_line_length = long_line - 1;
  auto refused = load_ruleset_bytes("long.rules", text, with_format("iptables", low));
  CHECK_FALSE(refused.ruleset);
  CHECK(contains(refused.error, "long.rules:3: line is " + std::to_string(long_line) + " bytes long"));
  CHECK(
      contains(refused.error, "the limit is " + std::to_string(long_line - 1) + " bytes; --max-line-length raises it"));
  Limits exact;
  exact.max_line_length = long_line;
  auto read = load_ruleset_bytes("long.rules", text, with_format("iptables", exact));
  REQUIRE(read.ruleset);
  CHECK(read.ruleset->diagnostics.empty());

  // `nft -j` writes the whole ruleset on one line: JSON is not line-oriented.
  std::string json =
      R"({"nftables": [{"metainfo": {"json_schema_version": 1}}, {"table": {"family": "inet", "name": "f"}}, )"
      R"({"chain": {"family": "inet", "table": "f", "name": "in", "type": "filter", "hook": "input", "prio": 0, )"
      R"("policy": "drop"}}]})";
  Limits tiny;
  tiny.max_line_length = 20;
  auto json_read = load_ruleset_bytes("ruleset.json", json, with_format("nft-json", tiny));
  CHECK(json_read.ruleset);

  // Included files are held to the same limit.
  ScratchDir dir;
  dir.file("inc.nft",
           "table inet f {\n\tchain in {\n\t\ttype filter hook input priority 0; policy drop;\n"
           "\t\ttcp dport 443 accept comment \"" +
               comment + "\"\n\t}\n}\n");
  auto main_nft = dir.file("main.nft", "include \"inc.nft\"\n");
  Limits include_low;
  include_low.max_line_length = 100;
  auto with_include = load_ruleset(main_nft, with_format("nftables", include_low));
  REQUIRE(with_include.ruleset);
  INFO(all_messages(*with_include.ruleset));
  CHECK(find_diagnostic(*with_include.ruleset, "FWM090", "--max-line-length raises it"));
  auto raised = load_ruleset(main_nft, with_format("nftables"));
  REQUIRE(raised.ruleset);
  CHECK(raised.ruleset->diagnostics.empty());

  auto path = dir.file("long.rules", text);
  auto cli = fwmatrix("check " + shell_quote(path) + " --no-config --max-line-length 100");
  CHECK(cli.exit_code == 2);
  CHECK(contains(cli.out, "long.rules:3: line is"));
  CHECK(contains(cli.out, "--max-line-length raises it"));
  CHECK(fwmatrix("check " + shell_quote(path) + " --no-config --max-line-length 1K").exit_code == 0);
}

TEST_CASE("limits: the first line longer than the limit, whatever the lengths around it", "[limits]") {
  // line_length_error searches once per window of the limit's size: against a line-by-line
  // reading, on random lengths (empty lines, a last line with and without its newline).
  std::mt19937 random(20261130);
  for (int round = 0; round < 300; ++round) {
    TextFile file;
    file.path = "t.rules";
    file.encoding = "utf-8";
    std::vector<std::size_t> lengths(1 + random() % 12);
    for (auto& length : lengths) {
      length = random() % 4 == 0 ? 0 : random() % 40;
      file.text += std::string(length, 'x') + "\n";
    }
    if (random() % 2) file.text.pop_back();  // no newline after the last line
    const std::size_t limit = random() % 45;
    std::string expected;
    for (std::size_t i = 0; i < lengths.size() && expected.empty(); ++i)
      if (lengths[i] > limit) expected = fmt::format("t.rules:{}: line is {} bytes long", i + 1, lengths[i]);
    INFO(file.text << " limit " << limit);
    std::string error = line_length_error(file, limit);
    if (expected.empty()) {
      CHECK(error.empty());
    } else {
      CHECK(error.rfind(expected, 0) == 0);
    }
  }
}

TEST_CASE("limits: include depth (pf and nftables)", "[limits]") {
  ScratchDir dir;
  // pf: main includes a.conf, which includes b.conf (nesting 2).
  dir.file("b.conf", "pass in proto tcp to port 443\n");
  dir.file("a.conf", "include \"b.conf\"\n");
  auto pf_main = dir.file("pf.conf", "block in all\ninclude \"a.conf\"\n");
  Limits one;
  one.max_include_depth = 1;
  auto shallow = load_ruleset(pf_main, with_format("pf", one));
  REQUIRE(shallow.ruleset);
  INFO(all_messages(*shallow.ruleset));
  const Diagnostic* d = find_diagnostic(*shallow.ruleset, "FWM091", "nested deeper than 1 levels");
  REQUIRE(d);
  CHECK(contains(d->message, "--max-include-depth raises this limit"));
  Limits two;
  two.max_include_depth = 2;
  auto deep_enough = load_ruleset(pf_main, with_format("pf", two));
  REQUIRE(deep_enough.ruleset);
  CHECK(deep_enough.ruleset->diagnostics.empty());

  // nftables: the same shape.
  dir.file("b.nft",
           "table inet f {\n\tchain in {\n\t\ttype filter hook input priority 0; policy drop;\n"
           "\t\ttcp dport 443 accept\n\t}\n}\n");
  dir.file("a.nft", "include \"b.nft\"\n");
  auto nft_main = dir.file("main.nft", "include \"a.nft\"\n");
  auto nft_shallow = load_ruleset(nft_main, with_format("nftables", one));
  REQUIRE(nft_shallow.ruleset);
  const Diagnostic* nd = find_diagnostic(*nft_shallow.ruleset, "FWM090", "deeper than 1 levels");
  REQUIRE(nd);
  CHECK(contains(nd->message, "--max-include-depth raises this limit"));
  auto nft_ok = load_ruleset(nft_main, with_format("nftables", two));
  REQUIRE(nft_ok.ruleset);
  CHECK(nft_ok.ruleset->diagnostics.empty());

  // The flag on the command line.
  auto cli = fwmatrix("check " + shell_quote(nft_main) + " --no-config --max-include-depth 1");
  CHECK(cli.exit_code == 1);
  CHECK(contains(cli.out, "--max-include-depth raises this limit"));
  auto cli_ok = fwmatrix("check " + shell_quote(nft_main) + " --no-config --max-include-depth 2");
  CHECK_FALSE(contains(cli_ok.out, "FWM090"));
}

TEST_CASE("limits: pf macro expansion", "[limits]") {
  // m2 = four copies of the 20-byte list: 83 bytes.
  std::string text =
      "m0 = \"{ 443 8443 10443 }\"\nm1 = \"$m0 $m0\"\nm2 = \"$m1 $m1\"\n"
      "block in all\npass in proto tcp to port { $m2 }\n";
  Limits low;
  low.max_macro_expansion = 64;
  auto refused = load_ruleset_bytes("pf.conf", text, with_format("pf", low));
  REQUIRE(refused.ruleset);
  INFO(all_messages(*refused.ruleset));
  const Diagnostic* d = find_diagnostic(*refused.ruleset, "FWM090", "expands to more than 64 bytes");
  REQUIRE(d);
  CHECK(contains(d->message, "--max-macro-expansion raises this limit"));
  CHECK(d->span.line == 5);
  Limits raised;
  raised.max_macro_expansion = 128;
  auto read = load_ruleset_bytes("pf.conf", text, with_format("pf", raised));
  REQUIRE(read.ruleset);
  CHECK(read.ruleset->diagnostics.empty());
}

TEST_CASE("limits: nftables set element combinations", "[limits]") {
  std::string text =
      "table ip filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n"
      "\t\tip saddr . tcp dport { 10.0.0.1 . 22, 10.0.0.2 . 443, 10.0.0.3 . 80 } accept\n\t}\n}\n";
  Limits low;
  low.max_set_combinations = 2;
  auto cut = load_ruleset_bytes("set.nft", text, with_format("nftables", low));
  REQUIRE(cut.ruleset);
  INFO(all_messages(*cut.ruleset));
  const Diagnostic* d = find_diagnostic(*cut.ruleset, "FWM091", "more than 2 set element combinations");
  REQUIRE(d);
  CHECK(contains(d->message, "--max-set-combinations raises this limit"));
  Limits enough;
  enough.max_set_combinations = 3;
  auto read = load_ruleset_bytes("set.nft", text, with_format("nftables", enough));
  REQUIRE(read.ruleset);
  CHECK(read.ruleset->diagnostics.empty());
}

TEST_CASE("limits: chain call depth", "[limits]") {
  auto loaded = load_ruleset_bytes("deep.rules", nested_chains(5), with_format("iptables"));
  REQUIRE(loaded.ruleset);
  // The evaluator counts the chains on its stack, the base chain INPUT included: the
  // five calls INPUT -> C0 -> ... -> C4 need a depth of 6.
  Limits low;
  low.max_call_depth = 5;
  auto cut = evaluate_tcp_in(*loaded.ruleset, low);
  CHECK(any_contains(cut.problems, "nested deeper than 5 (the limit is 5 calls; --max-call-depth raises it)"));
  Limits enough;
  enough.max_call_depth = 6;
  auto full = evaluate_tcp_in(*loaded.ruleset, enough);
  CHECK(full.problems.empty());
  CHECK(port_verdicts(full.pieces, all_ports()).accepted == PortSet(443, 443));

  ScratchDir dir;
  auto path = dir.file("deep.rules", nested_chains(5));
  auto cli = fwmatrix("ports " + shell_quote(path) + " --proto tcp --max-call-depth 5");
  CHECK(contains(cli.out, "--max-call-depth raises it"));
  auto cli_ok = fwmatrix("ports " + shell_quote(path) + " --proto tcp --max-call-depth 6 --json");
  CHECK_FALSE(contains(cli_ok.out, "nested deeper"));
  CHECK(contains(cli_ok.out, "[443,443]"));
  auto explain = fwmatrix("explain " + shell_quote(path) + " --proto tcp --dport 443 --max-call-depth 5");
  CHECK(contains(explain.out, "problem: "));
  CHECK(contains(explain.out, "--max-call-depth raises it"));

  // `check` reports it as a note, with and without roles.
  auto check = fwmatrix("check " + shell_quote(path) + " --no-config --max-call-depth 5");
  CHECK(contains(check.out, "note: " + path +
                                ":12: chain calls nested deeper than 5 (the limit is 5 calls; "
                                "--max-call-depth raises it)"));
  CHECK_FALSE(
      contains(fwmatrix("check " + shell_quote(path) + " --no-config --max-call-depth 6").out, "nested deeper"));
  auto with_role = fwmatrix("check " + shell_quote(path) + " --no-config --role front-end --max-call-depth 5");
  CHECK(contains(with_role.out, "note: " + path + ":12: chain calls nested deeper than 5"));
}

TEST_CASE("limits: jump loops are a note of check whatever the limits", "[limits]") {
  ScratchDir dir;
  auto path = dir.file("cycle.rules",
                       "*filter\n:INPUT DROP [0:0]\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n"
                       "-A B -j A\n-A INPUT -p tcp --dport 443 -j ACCEPT\nCOMMIT\n");
  auto check = fwmatrix("check " + shell_quote(path) + " --no-config --max-call-depth 1000");
  CHECK(contains(check.out, "note: " + path + ":7: jump loop: chain filter A is already being evaluated"));
}

TEST_CASE("limits: pieces of a region", "[limits]") {
  auto loaded = load_ruleset_bytes("split.rules", fragmenting_rules(12), with_format("iptables"));
  REQUIRE(loaded.ruleset);
  auto unlimited = evaluate_tcp_in(*loaded.ruleset, Limits{});
  REQUIRE(unlimited.problems.empty());
  // The evaluator holds at least a dozen pieces along the way; 4 is too few.
  Limits low;
  low.max_pieces = 4;
  auto cut = evaluate_tcp_in(*loaded.ruleset, low);
  CHECK(cut.truncated);
  CHECK(any_contains(cut.problems, "more than 4 pieces"));
  CHECK(any_contains(cut.problems, "(the limit is 4 pieces; --max-pieces raises it)"));
  Limits enough;
  enough.max_pieces = 100;
  auto full = evaluate_tcp_in(*loaded.ruleset, enough);
  CHECK_FALSE(full.truncated);
  CHECK(full.problems.empty());

  ScratchDir dir;
  auto path = dir.file("split.rules", fragmenting_rules(12));
  CHECK(contains(fwmatrix("ports " + shell_quote(path) + " --proto tcp --max-pieces 4").out, "--max-pieces raises it"));
  CHECK(contains(fwmatrix("check " + shell_quote(path) + " --no-config --max-pieces 4").out,
                 "the limit is 4 pieces; --max-pieces raises it"));
  CHECK_FALSE(contains(fwmatrix("ports " + shell_quote(path) + " --proto tcp --max-pieces 100").out, "pieces"));
}

TEST_CASE("limits: redundancy checks of the anomaly analysis", "[limits]") {
  auto loaded = load_ruleset_bytes("split.rules", fragmenting_rules(6), with_format("iptables"));
  REQUIRE(loaded.ruleset);
  AnalysisRequest low;
  low.limits.max_redundancy_checks = 2;
  std::vector<std::string> notes;
  analyze(*loaded.ruleset, low, notes);
  CHECK(any_contains(notes, "cut short: redundancy was checked for the first 2 deciding rules only"));
  CHECK(any_contains(notes, "--max-redundancy-checks raises this limit"));
  AnalysisRequest enough;
  enough.limits.max_redundancy_checks = 100;
  notes.clear();
  analyze(*loaded.ruleset, enough, notes);
  CHECK_FALSE(any_contains(notes, "cut short"));
}

TEST_CASE("limits: the evaluation limits reach the anomaly analysis", "[limits]") {
  // INPUT calls SUB, SUB calls LEAF: with calls nested at most one deep the rule in LEAF
  // is never reached, so the analysis (which only sees what it can follow) calls it
  // shadowed; with the default depth it is reached.
  const char* rules =
      "*filter\n:INPUT DROP [0:0]\n:SUB - [0:0]\n:LEAF - [0:0]\n"
      "-A INPUT -p tcp -j SUB\n-A SUB -p tcp -j LEAF\n-A LEAF -p tcp --dport 80 -j ACCEPT\nCOMMIT\n";
  auto loaded = load_ruleset_bytes("calls.rules", rules, with_format("iptables"));
  REQUIRE(loaded.ruleset);
  auto shadows_leaf = [](const AnomalyReport& report) {
    return std::any_of(report.shadowed.begin(), report.shadowed.end(),
                       [](const auto& s) { return s.rule->text.find("--dport 80") != std::string::npos; });
  };
  AnomalyOptions shallow;
  shallow.max_call_depth = 2;
  CHECK(shadows_leaf(find_anomalies(*loaded.ruleset, shallow)));
  CHECK_FALSE(shadows_leaf(find_anomalies(*loaded.ruleset, AnomalyOptions())));
  AnalysisRequest request;
  request.limits.max_call_depth = 2;
  std::vector<std::string> notes;
  auto findings = analyze(*loaded.ruleset, request, notes);
  CHECK(std::any_of(findings.begin(), findings.end(), [](const Finding& f) { return f.rule_id == "FWM030"; }));
}

TEST_CASE("limits: flags are checked, .fwmatrix.yaml sets limits, a flag wins", "[limits]") {
  ScratchDir dir;
  auto path = dir.file("small.rules", kSmallIptables);
  auto bad = fwmatrix("ports " + shell_quote(path) + " --max-pieces 2K");
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.out, "--max-pieces"));
  CHECK(fwmatrix("ports " + shell_quote(path) + " --max-file-size 0").exit_code == 2);
  auto help = fwmatrix("diff --help");
  for (const auto& s : limit_settings()) CHECK(contains(help.out, s.flag));
  auto diff = fwmatrix("diff " + shell_quote(path) + " " + shell_quote(path) + " --max-file-size 100");
  CHECK(diff.exit_code == 2);
  CHECK(contains(diff.out, "--max-file-size raises it"));
  CHECK(fwmatrix("diff " + shell_quote(path) + " " + shell_quote(path) + " --max-file-size 1K").exit_code == 0);

  // `check` reads the limits of .fwmatrix.yaml; the command line overrides them.
  ScratchDir project;
  auto file = project.file("fw/small.rules", kSmallIptables);
  project.file(".git/HEAD", "ref: refs/heads/main\n");
  project.file(".fwmatrix.yaml", "limits:\n  max_file_size: 100\n");
  auto from_config = fwmatrix("check " + shell_quote(file));
  CHECK(from_config.exit_code == 2);
  CHECK(contains(from_config.out, "the limit is 100 bytes"));
  CHECK(fwmatrix("check " + shell_quote(file) + " --max-file-size 1M").exit_code == 0);
  project.file(".fwmatrix.yaml", "limits:\n  max_files: 100\n");
  auto unknown = fwmatrix("check " + shell_quote(file));
  CHECK(unknown.exit_code == 2);
  CHECK(contains(unknown.out, "unknown limit 'max_files'"));
  project.file(".fwmatrix.yaml", "limits:\n  max_line_length: 1X\n");
  CHECK(fwmatrix("check " + shell_quote(file)).exit_code == 2);
}

TEST_CASE("limits: a survey cut short by a limit says so and reports no unreached rule", "[limits]") {
  // Rules each on their own source and ports: with room for 4 pieces (16 diagram nodes) the
  // survey of the path stops; the rules after the point where it stopped must not be
  // called shadowed (they were never walked), and a note names the flag.
  std::string rules = "*filter\n:INPUT DROP [0:0]\n";
  for (int i = 0; i < 40; ++i)
    rules += fmt::format("-A INPUT -s 10.{}.0.0/24 -p tcp --dport {}:{} -j {}\n", i, 1000 + i * 7, 1100 + i * 7,
                         i % 2 ? "ACCEPT" : "DROP");
  rules += "-A INPUT -s 10.3.0.0/24 -p tcp --dport 1021 -j ACCEPT\nCOMMIT\n";  // shadowed by rule 4
  auto loaded = load_ruleset_bytes("sources.rules", rules, with_format("iptables"));
  REQUIRE(loaded.ruleset);
  AnomalyReport whole = find_anomalies(*loaded.ruleset, AnomalyOptions());
  CHECK(whole.survey_problems.empty());
  REQUIRE(whole.shadowed.size() == 1);
  CHECK(whole.shadowed[0].rule->text.find("--dport 1021") != std::string::npos);
  AnomalyOptions tiny;
  tiny.max_pieces = 4;
  AnomalyReport cut = find_anomalies(*loaded.ruleset, tiny);
  CHECK(cut.shadowed.empty());
  REQUIRE_FALSE(cut.survey_problems.empty());
  CHECK(cut.survey_problems[0].find("the survey of the IPv4 in path") != std::string::npos);
  AnalysisRequest request;
  request.limits.max_pieces = 4;
  std::vector<std::string> notes;
  auto findings = analyze(*loaded.ruleset, request, notes);
  CHECK(any_contains(notes, "rules no packet reaches are not reported"));
  CHECK(any_contains(notes, "--max-pieces raises it"));
  CHECK_FALSE(std::any_of(findings.begin(), findings.end(), [](const Finding& f) { return f.rule_id == "FWM030"; }));
}
