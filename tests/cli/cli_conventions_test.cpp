// The command-line conventions of check and diff (issue 24): where the summary goes,
// fatal errors, files that are no firewall config, roles a topology does not place,
// standard input, several outputs, --quiet, diff --fail-on, --new-only, colours.
#include "fwm_catch.hpp"
#include <nlohmann/json.hpp>
#include <string>

#include "frontends/frontend.h"
#include "test_support.h"

using namespace fwm::test;

namespace {

struct Run {
  int exit_code = -1;
  std::string out, err;
};

// fwmatrix ARGS with NO_COLOR set, stdout and stderr apart. `env` and `stdin_from` (a
// shell redirection source) are optional.
Run run(const std::string& args, const std::string& stdin_from = "", const std::string& env = "NO_COLOR=1") {
  ScratchDir dir;
  std::string err_path = (dir.path / "stderr").string();
  auto r = run_command(env + " " + shell_quote(FWM_BINARY) + " " + args + " 2>" + shell_quote(err_path) +
                       (stdin_from.empty() ? " </dev/null" : " <" + shell_quote(stdin_from)));
  return {r.exit_code, r.out, read_file(err_path)};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string last_line(const std::string& text) {
  if (text.empty()) return {};
  auto pos = text.rfind('\n', text.size() - 2);
  return pos == std::string::npos ? text : text.substr(pos + 1);
}

const char* kGaps = "corpus/iptables/front-end-gaps.rules";
const char* kClean = "corpus/iptables/front-end-correct.rules";
const char* kSummaryWord = " errors, ";  // "N errors, N warnings, N notes in ..."

}  // namespace

TEST_CASE("cli: with -o the one-line summary goes to stderr", "[cli]") {
  ScratchDir dir;
  std::string out = (dir.path / "report.txt").string();
  auto r = run(std::string("check ") + kGaps + " --role front-end -o " + shell_quote(out));
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  std::string report = read_file(out);
  REQUIRE(contains(report, kSummaryWord));
  CHECK(r.err == last_line(report));

  // Another format to stdout: the summary on stderr too, stdout stays pure SARIF.
  auto sarif = run(std::string("check ") + kGaps + " --role front-end --report sarif");
  CHECK(sarif.exit_code == 1);
  CHECK(nlohmann::json::parse(sarif.out).contains("runs"));
  CHECK(sarif.err == last_line(report));

  // Text on stdout: the summary ends it, stderr is empty.
  auto text = run(std::string("check ") + kGaps + " --role front-end");
  CHECK(text.out == report);
  CHECK(text.err.empty());
}

TEST_CASE("cli: after a fatal error or a usage error no summary is printed", "[cli]") {
  auto missing = run("check corpus/iptables/no-such-file.rules --role front-end");
  CHECK(missing.exit_code == 2);
  CHECK(missing.out.empty());
  CHECK(contains(missing.err, "no-such-file.rules"));
  CHECK_FALSE(contains(missing.err, kSummaryWord));

  auto format = run(std::string("check ") + kGaps + " --format no-such-format --role front-end");
  CHECK(format.exit_code == 2);
  CHECK(format.out.empty());
  CHECK(contains(format.err, "unknown format 'no-such-format'"));
  CHECK_FALSE(contains(format.err, kSummaryWord));

  auto usage = run(std::string("check ") + kGaps + " --report pdf");
  CHECK(usage.exit_code == 2);
  CHECK(usage.out.empty());
  CHECK_FALSE(contains(usage.err, kSummaryWord));

  auto role = run(std::string("check ") + kGaps + " --role no-such-role");
  CHECK(role.exit_code == 2);
  CHECK(role.out.empty());
  CHECK_FALSE(contains(role.err, kSummaryWord));

  // One unreadable file among others: the others are reported, a note names it.
  auto some = run(std::string("check --no-config ") + kClean + " corpus/iptables/no-such-file.rules");
  CHECK(some.exit_code == 2);
  CHECK(contains(some.out, "note: not checked (could not be read): corpus/iptables/no-such-file.rules"));
  CHECK(contains(some.out, "front-end-correct.rules (iptables"));
}

TEST_CASE("cli: a file that is no firewall config says so and exits 2", "[cli]") {
  auto readme = run("check README.md");
  CHECK(readme.exit_code == 2);
  CHECK(readme.out.empty());
  CHECK(contains(readme.err, "README.md: not a firewall configuration"));
  CHECK_FALSE(contains(readme.err, kSummaryWord));

  // Documents that mention netsh and the cmdlets are no scripts; scripts that run them are.
  auto detect = [](const std::string& name, const std::string& text) {
    return fwm::detect_format(fwm::decode_text(name, text));
  };
  CHECK(detect("notes.md",
               "Export with `netsh advfirewall export C:\\fw\\x.wfw`, or\n"
               "| scripts | `New-NetFirewallRule ...` |\n") == "");
  CHECK(detect("notes.txt", "We used netsh advfirewall to open the ports.\n") == "");
  CHECK(detect("fw.bat",
               "@echo off\nnetsh advfirewall firewall add rule name=x dir=in action=allow protocol=TCP "
               "localport=443\n") == "windows");
  CHECK(
      detect("fw.cmd", "if exist x (\n  %SystemRoot%\\system32\\netsh.exe advfirewall set allprofiles state on\n)\n") ==
      "windows");
  CHECK(detect("fw.ps1", "$r = New-NetFirewallRule -DisplayName x -Direction Inbound -Action Allow\n") == "windows");
  CHECK(detect("fw.ps1", "Set-NetFirewallProfile -Profile Domain -Enabled True\n") == "windows");
  CHECK(detect("console.txt", "C:\\>netsh advfirewall firewall add rule name=x dir=in action=allow\n") == "windows");
}

TEST_CASE("cli: every config of corpus/ is still recognised", "[cli]") {
  // Each corpus input with a golden is a firewall config or an IPsec policy; the goldens
  // hold the format; here: detection finds a format for every firewall one.
  namespace fs = std::filesystem;
  int checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(FWM_SOURCE_DIR) / "corpus")) {
    if (!entry.is_regular_file() || entry.path().extension() == ".expected" || entry.path().extension() == ".yaml")
      continue;
    auto rel = fs::relative(entry.path(), FWM_SOURCE_DIR).string();
    if (rel.rfind("corpus/ipsec/", 0) == 0 || rel.find("/include/") != std::string::npos) continue;
    if (!fs::exists(entry.path().string() + ".expected")) continue;
    INFO(rel);
    CHECK(fwm::detect_format(fwm::read_text_file(entry.path().string())) != "");
    ++checked;
  }
  CHECK(checked > 30);
}

TEST_CASE("cli: a role that the topology does not place is an error", "[cli]") {
  const std::string base =
      "check corpus/topology/edge-consolidated.rules --topology corpus/topology/edge-consolidated.yaml";
  auto placed = run(base + " --role edge-external");
  CHECK(placed.exit_code == 0);
  auto missing = run(base + " --role director-lb");
  CHECK(missing.exit_code == 2);
  CHECK(missing.out.empty());
  CHECK(contains(missing.err, "role 'director-lb' is not placed by the topology"));
  CHECK(contains(missing.err, "edge-external"));
  CHECK_FALSE(contains(missing.err, kSummaryWord));
}

TEST_CASE("cli: - reads the config from standard input", "[cli]") {
  auto file = run(std::string("check --no-config --report json ") + kGaps + " --role front-end");
  auto piped = run("check --no-config --report json - --role front-end", kGaps);
  CHECK(piped.exit_code == 1);
  auto a = nlohmann::json::parse(file.out), b = nlohmann::json::parse(piped.out);
  CHECK(b["inputs"][0]["file"] == "stdin");
  CHECK(b["inputs"][0]["format"] == "iptables");
  REQUIRE(a["findings"].size() == b["findings"].size());
  for (std::size_t i = 0; i < a["findings"].size(); ++i) {
    CHECK(b["findings"][i]["file"] == "stdin");
    CHECK(a["findings"][i]["message"] == b["findings"][i]["message"]);
    CHECK(a["findings"][i]["line"] == b["findings"][i]["line"]);
  }
  auto forced = run("check --no-config - --format nftables --role front-end", "corpus/nftables/front-end-gaps.nft");
  CHECK(forced.exit_code == 1);
  CHECK(contains(forced.out, "stdin (nftables"));
  CHECK(run("check --no-config - - --role front-end", kGaps).exit_code == 2);
  auto ports = run("ports - --proto tcp --json", kClean);
  CHECK(ports.exit_code == 0);
  CHECK(contains(ports.out, "\"tcp\""));
  auto diff = run("diff corpus/diff/mediation-before.rules - --role mediation", "corpus/diff/mediation-after.rules");
  CHECK(diff.exit_code == 1);
  CHECK(contains(diff.out, "-> stdin (iptables)"));
}

TEST_CASE("cli: several outputs in one run", "[cli]") {
  ScratchDir dir;
  auto path = [&](const char* name) { return (dir.path / name).string(); };
  auto r = run(std::string("check ") + kGaps + " --role front-end --report sarif=" + shell_quote(path("a.sarif")) +
               " --report text --report json -o " + shell_quote(path("a.json")) +
               " --report markdown=" + shell_quote(path("a.md")));
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "error FWM001"));
  CHECK(contains(last_line(r.out), kSummaryWord));
  CHECK(r.err.empty());
  CHECK(nlohmann::json::parse(read_file(path("a.sarif"))).contains("runs"));
  CHECK(nlohmann::json::parse(read_file(path("a.json"))).contains("findings"));
  CHECK(contains(read_file(path("a.md")), "FWM001"));

  // The form of before: --report X -o FILE, and -o before --report.
  CHECK(run(std::string("check ") + kGaps + " --role front-end --report json -o " + shell_quote(path("b.json")))
            .out.empty());
  CHECK(nlohmann::json::parse(read_file(path("b.json"))).contains("findings"));
  run(std::string("check ") + kGaps + " --role front-end -o " + shell_quote(path("c.sarif")) + " --report sarif");
  CHECK(nlohmann::json::parse(read_file(path("c.sarif"))).contains("runs"));

  // Usage errors: two reports to stdout, two to one file, -o twice for one report.
  CHECK(run(std::string("check ") + kGaps + " --report sarif --report text").exit_code == 2);
  CHECK(run(std::string("check ") + kGaps + " --report sarif=" + path("d") + " --report json=" + path("d")).exit_code ==
        2);
  CHECK(run(std::string("check ") + kGaps + " --report sarif=" + path("e") + " -o " + path("f")).exit_code == 2);

  auto diff =
      run("diff corpus/diff/mediation-before.rules corpus/diff/mediation-after.rules --role mediation "
          "--report json=" +
          shell_quote(path("diff.json")) + " --report text");
  CHECK(diff.exit_code == 1);
  CHECK(contains(diff.out, "fwmatrix diff"));
  CHECK(nlohmann::json::parse(read_file(path("diff.json"))).is_object());
}

TEST_CASE("cli: --quiet prints only findings and errors", "[cli]") {
  auto loud = run(std::string("check ") + kGaps + " --role front-end");
  auto quiet = run(std::string("check ") + kGaps + " --role front-end --quiet");
  CHECK(quiet.exit_code == 1);
  CHECK(contains(quiet.out, "error FWM001"));
  CHECK_FALSE(contains(quiet.out, kSummaryWord));
  CHECK_FALSE(contains(quiet.out, "\nnote: "));
  CHECK(quiet.err.empty());
  // The findings are the same lines.
  CHECK(loud.out.rfind(quiet.out, 0) == 0);

  auto clean = run("check --no-config corpus/iptables/front-end-correct.rules -q");
  CHECK(clean.exit_code == 0);
  CHECK(clean.out.empty());
  CHECK(clean.err.empty());

  ScratchDir dir;
  auto to_file =
      run(std::string("check ") + kGaps + " --role front-end -q -o " + shell_quote((dir.path / "r").string()));
  CHECK(to_file.out.empty());
  CHECK(to_file.err.empty());
  // Errors still go to stderr.
  CHECK_FALSE(run("check -q corpus/iptables/no-such-file.rules").err.empty());

  auto diff = run("diff corpus/diff/mediation-before.rules corpus/diff/mediation-after.rules --role mediation -q");
  CHECK(diff.exit_code == 1);
  CHECK_FALSE(contains(diff.out, "verdict change"));
  CHECK(contains(diff.out, "worse"));
}

TEST_CASE("cli: diff --fail-on", "[cli]") {
  const std::string narrowed =
      "diff corpus/diff/mediation-before.rules corpus/diff/mediation-after.rules --role mediation";
  CHECK(run(narrowed).exit_code == 1);  // a requirement got worse
  CHECK(run(narrowed + " --fail-on none").exit_code == 0);
  CHECK(run(narrowed + " --fail-on error").exit_code == 1);
  CHECK(run(narrowed + " --fail-on bogus").exit_code == 2);
  const std::string same =
      "diff corpus/diff/mediation-before.rules corpus/diff/mediation-before.rules --role mediation";
  CHECK(run(same).exit_code == 0);
  CHECK(run(same + " --fail-on note").exit_code == 0);  // nothing new

  // A new note-level finding (FWM031: a redundant rule) fails only at --fail-on note.
  ScratchDir dir;
  std::string base =
      "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
      "-A INPUT -p tcp --dport 22 -s 10.0.0.0/8 -j ACCEPT\n";
  auto old_file = dir.file("old.rules", base + "COMMIT\n");
  auto new_file = dir.file("new.rules", base + "-A INPUT -p tcp --dport 22 -s 10.0.0.0/8 -j ACCEPT\nCOMMIT\n");
  auto added = "diff --report json " + shell_quote(old_file) + " " + shell_quote(new_file);
  auto json = nlohmann::json::parse(run(added).out);
  INFO(json.dump());
  bool note_only = !json["new_findings"].empty();
  for (const auto& f : json["new_findings"]) note_only &= f["level"] != "error" && f["level"] != "warning";
  if (note_only) {
    CHECK(run(added + " --fail-on warning").exit_code == 0);
    CHECK(run(added + " --fail-on note").exit_code == 1);
  } else {
    CHECK(run(added + " --fail-on note").exit_code == 1);
  }
}

TEST_CASE("cli: --new-only shows only the findings new against --baseline", "[cli]") {
  ScratchDir dir;
  std::string baseline = (dir.path / "base.sarif").string();
  CHECK(run(std::string("check ") + kGaps + " --role front-end --report sarif -o " + shell_quote(baseline)).exit_code ==
        1);
  auto same =
      run(std::string("check ") + kGaps + " --role front-end --baseline " + shell_quote(baseline) + " --new-only");
  CHECK(same.exit_code == 0);
  CHECK_FALSE(contains(same.out, "FWM001"));
  CHECK(contains(same.out, "already in the baseline not shown (--new-only)"));
  CHECK(contains(same.out, "0 errors, 0 warnings, 0 notes"));

  // A new rule that opens SSH to all: only its findings are listed, marked new.
  std::string text = read_file(std::string(FWM_SOURCE_DIR) + "/" + kGaps);
  auto pos = text.find("\nCOMMIT");
  REQUIRE(pos != std::string::npos);
  text.insert(pos, "\n-I INPUT 1 -p tcp -m tcp --dport 22 -j ACCEPT");
  auto changed = dir.file("corpus/iptables/front-end-gaps.rules", text);
  auto out = run_command("cd " + shell_quote(dir.path.string()) + " && NO_COLOR=1 " + shell_quote(FWM_BINARY) +
                         " check --no-config corpus/iptables/front-end-gaps.rules --role front-end --baseline " +
                         shell_quote(baseline) + " --new-only");
  CHECK(contains(out.out, "[new]"));
  CHECK_FALSE(contains(out.out, "[unchanged]"));

  CHECK(run(std::string("check ") + kGaps + " --new-only").exit_code == 2);  // needs --baseline
}

TEST_CASE("cli: colours on a terminal, NO_COLOR respected", "[cli]") {
  if (run_command("command -v script >/dev/null").exit_code != 0) {
    WARN("skipped: script(1) is not installed");
    return;
  }
  // script(1) runs the command on a pseudo-terminal.
  auto on_tty = [](const std::string& env) {
    std::string cmd = env + " " + shell_quote(FWM_BINARY) + " check " + kGaps + " --role front-end";
    return run_command("script -qec " + shell_quote(cmd) + " /dev/null").out;
  };
  CHECK(contains(on_tty("env -u NO_COLOR"), "\x1b[1;31merror"));
  CHECK(contains(on_tty("NO_COLOR="), "\x1b["));  // empty: not set
  CHECK_FALSE(contains(on_tty("NO_COLOR=1"), "\x1b["));
  // Not a terminal: no colours.
  CHECK_FALSE(contains(run(std::string("check ") + kGaps + " --role front-end", "", "env -u NO_COLOR").out, "\x1b["));
}
