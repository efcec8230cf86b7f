// The man page, the shell completions (bash, zsh, fish), the README and the pre-commit
// hooks against the CLI's own lists: the parser's subcommands and options, the format
// registry, the check registry, the .fwmatrix.yaml keys and the limits. A flag, format,
// key or result id added to the code and not to these files fails here.
#include <yaml-cpp/yaml.h>

#include "fwm_catch.hpp"
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "checks/check.h"
#include "cli/cli.h"
#include "cli/project_config.h"
#include "frontends/frontend.h"
#include "test_support.h"
#include "util/limits.h"

using namespace fwm;
using fwm::test::read_file;

namespace {

std::string source(const std::string& rel) { return read_file(std::string(FWM_SOURCE_DIR) + "/" + rel); }

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }

// `word` (a flag, a format, an id) in `text` as a whole word.
bool has_word(const std::string& text, const std::string& word) {
  for (auto pos = text.find(word); pos != std::string::npos; pos = text.find(word, pos + 1)) {
    bool start = pos == 0 || !word_char(text[pos - 1]);
    bool end = pos + word.size() >= text.size() || !word_char(text[pos + word.size()]);
    if (start && end) return true;
  }
  return false;
}

std::set<std::string> words_matching(const std::string& text, const std::string& pattern) {
  std::set<std::string> out;
  std::regex re(pattern);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
    out.insert(it->str());
  return out;
}

std::set<std::string> split_words(const std::string& s) {
  std::istringstream in(s);
  std::set<std::string> out;
  for (std::string w; in >> w;) out.insert(w);
  return out;
}

// The text between `from` (first occurrence at or after `start`) and the next `to`.
std::string between(const std::string& text, const std::string& from, const std::string& to, std::size_t start = 0) {
  auto a = text.find(from, start);
  if (a == std::string::npos) return {};
  auto b = text.find(to, a + from.size());
  return text.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

// roff without its escapes: `\-` is `-`, font changes go.
std::string plain_roff(std::string s) {
  s = std::regex_replace(s, std::regex(R"(\\f[BIRP])"), "");
  return std::regex_replace(s, std::regex(R"(\\-)"), "-");
}

std::set<std::string> limit_flags() {
  std::set<std::string> out;
  for (const auto& s : limit_settings()) out.insert(s.flag);
  return out;
}

std::set<std::string> check_ids() {
  std::set<std::string> out;
  for (const auto& c : all_checks()) out.insert(c->info().id);
  return out;
}

std::set<std::string> formats() {
  auto list = known_formats();
  return {list.begin(), list.end()};
}

// The first word of a command name ("matrix show" -> "matrix").
std::string head(const std::string& name) { return name.substr(0, name.find(' ')); }

}  // namespace

TEST_CASE("drift: the CLI's own lists are what the docs test against", "[cli][drift]") {
  auto commands = cli_commands();
  std::set<std::string> names;
  for (const auto& c : commands) names.insert(c.name);
  CHECK(names == std::set<std::string>{"check", "ports", "explain", "matrix show", "diff", "rules", "fix"});
  CHECK(check_ids().size() >= 12);
  CHECK(formats().count("iptables"));
  CHECK(formats().count("windows"));
}

TEST_CASE("drift: the man page lists every command, flag, format, key and result id", "[cli][drift]") {
  std::string man = plain_roff(source("docs/man/fwmatrix.1"));
  std::string synopsis = between(man, ".SH SYNOPSIS", ".SH DESCRIPTION");
  REQUIRE(!synopsis.empty());
  for (const auto& c : cli_commands()) {
    std::string block = between(synopsis, ".B fwmatrix " + c.name, ".br");
    INFO("man page synopsis of " << c.name);
    REQUIRE(!block.empty());
    for (const auto& flag : c.flags) {
      INFO(flag);
      if (limit_flags().count(flag)) {
        CHECK(has_word(block, "LIMITS"));
        CHECK(has_word(between(man, ".SH LIMITS", ".SH "), flag));
      } else {
        CHECK(has_word(block, flag));
        // Described, not only named in the synopsis.
        CHECK(has_word(man.substr(man.find(".SH OPTIONS")), flag));
      }
    }
  }
  CHECK(has_word(synopsis, "--version"));
  std::string formats_section = between(man, ".SH FORMATS", ".SH COMMANDS");
  for (const auto& f : formats()) {
    INFO("format " << f);
    CHECK(has_word(formats_section, f));
  }
  std::string ids_section = between(man, ".SH RESULT IDS", ".SH FILES");
  CHECK(words_matching(ids_section, "FWM[0-9]{3}") == check_ids());
  std::string files_section = between(man, ".SH FILES", ".SH EXIT STATUS");
  for (const auto& key : project_config_keys()) {
    INFO("key " << key);
    CHECK(has_word(files_section, key));
  }
  for (const auto& s : limit_settings()) {
    INFO("limits key " << s.key);
    CHECK(has_word(files_section, s.key));
  }
  for (const auto& r : check_report_formats()) CHECK(has_word(man, r));
  CHECK(words_matching(man, "FWM[0-9]{3}").size() >= check_ids().size());
  for (const auto& id : words_matching(man, "FWM[0-9]{3}")) CHECK(check_ids().count(id));
}

TEST_CASE("drift: the bash completion offers every command, flag, format and result id", "[cli][drift]") {
  std::string bash = source("completions/fwmatrix.bash");
  std::smatch m;
  REQUIRE(std::regex_search(bash, m, std::regex("local formats=\"([^\"]*)\"")));
  CHECK(split_words(m[1]) == formats());
  REQUIRE(std::regex_search(bash, m, std::regex("local ids=\"([^\"]*)\"")));
  CHECK(split_words(m[1]) == check_ids());
  REQUIRE(std::regex_search(bash, m, std::regex("local commands=\"([^\"]*)\"")));
  std::set<std::string> heads;
  for (const auto& c : cli_commands()) heads.insert(head(c.name));
  CHECK(split_words(m[1]) == heads);
  std::string by_command = bash.substr(bash.find("case ${words[1]} in"));
  for (const auto& c : cli_commands()) {
    std::string line = between(by_command, "    " + head(c.name) + ")", "\n");
    INFO("bash completion of " << c.name << ": " << line);
    REQUIRE(!line.empty());
    for (const auto& flag : c.flags) {
      INFO(flag);
      CHECK((has_word(line, flag) || (limit_flags().count(flag) && has_word(line, "$limits"))));
    }
  }
  for (const auto& flag : limit_flags()) CHECK(has_word(bash, flag));
  CHECK(has_word(between(bash, "--report)", ";;"), "html"));
  for (const auto& r : check_report_formats()) CHECK(has_word(between(bash, "--report)", "return ;;"), r));
  for (const auto& f : {"--format", "--role", "--fail-on", "--profile", "--topology", "--ipsec", "--lb-mode"})
    CHECK(has_word(bash.substr(0, bash.find("case ${words[1]} in")), f));  // values completed
}

TEST_CASE("drift: the zsh completion offers every command, flag, format and result id", "[cli][drift]") {
  std::string zsh = source("completions/_fwmatrix");
  std::smatch m;
  REQUIRE(std::regex_search(zsh, m, std::regex(R"(formats=\(([^)]*)\))")));
  CHECK(split_words(m[1]) == formats());
  REQUIRE(std::regex_search(zsh, m, std::regex(R"(ids=\(([^)]*)\))")));
  CHECK(split_words(m[1]) == check_ids());
  std::string cases = zsh.substr(zsh.find("case $words[1] in"));
  for (const auto& c : cli_commands()) {
    std::string block = between(cases, "    " + head(c.name) + ")", ";;");
    INFO("zsh completion of " << c.name);
    REQUIRE(!block.empty());
    for (const auto& flag : c.flags) {
      INFO(flag);
      CHECK((has_word(block, flag) || (limit_flags().count(flag) && has_word(block, "$limits"))));
    }
  }
  for (const auto& flag : limit_flags()) CHECK(has_word(zsh, flag));
  for (const auto& r : check_report_formats()) CHECK(has_word(between(cases, "    check)", ";;"), r));
  for (const auto& r : diff_report_formats()) CHECK(has_word(between(cases, "    diff)", ";;"), r));
}

TEST_CASE("drift: the fish completion offers every command, flag, format and result id", "[cli][drift]") {
  std::string fish = source("completions/fwmatrix.fish");
  std::smatch m;
  REQUIRE(std::regex_search(fish, m, std::regex("set -l formats ([^\n]*)")));
  CHECK(split_words(m[1]) == formats());
  REQUIRE(std::regex_search(fish, m, std::regex("set -l ids ([^\n]*)")));
  CHECK(split_words(m[1]) == check_ids());
  // Conditions: `set -l VAR "__fish_seen_subcommand_from a b"` or written in the line.
  std::map<std::string, std::set<std::string>> vars;
  std::regex var_re("set -l (\\w+) \"__fish_seen_subcommand_from ([^\";]*)\"");
  for (auto it = std::sregex_iterator(fish.begin(), fish.end(), var_re); it != std::sregex_iterator(); ++it)
    vars["$" + (*it)[1].str()] = split_words((*it)[2]);
  std::map<std::string, std::set<std::string>> offered;  // command -> flags
  std::istringstream lines(fish);
  std::regex line_re("^complete -c fwmatrix -n (\\$\\w+|\"[^\"]*\")(.*)$");
  for (std::string line; std::getline(lines, line);) {
    if (!std::regex_match(line, m, line_re)) continue;
    std::string cond = m[1], rest = m[2];
    std::set<std::string> cmds;
    if (cond[0] == '$') {
      cmds = vars[cond];
    } else if (std::smatch c; std::regex_search(cond, c, std::regex("__fish_seen_subcommand_from ([^\";]*)"))) {
      if (cond.find("not __fish_seen_subcommand_from") == std::string::npos) cmds = split_words(c[1]);
    }
    static const std::regex long_re(" -l ([\\w-]+)"), short_re(" -s (\\w)");
    for (const auto& cmd : cmds) {
      for (auto it = std::sregex_iterator(rest.begin(), rest.end(), long_re); it != std::sregex_iterator(); ++it)
        offered[cmd].insert("--" + (*it)[1].str());
      for (auto it = std::sregex_iterator(rest.begin(), rest.end(), short_re); it != std::sregex_iterator(); ++it)
        offered[cmd].insert("-" + (*it)[1].str());
    }
  }
  for (const auto& c : cli_commands()) {
    INFO("fish completion of " << c.name);
    for (const auto& flag : c.flags) {
      INFO(flag);
      CHECK(offered[head(c.name)].count(flag));
    }
    // And nothing the command does not have.
    for (const auto& flag : offered[head(c.name)])
      CHECK(std::find(c.flags.begin(), c.flags.end(), flag) != c.flags.end());
  }
}

TEST_CASE("drift: the README lists every command, flag, format, key and result id", "[cli][drift]") {
  std::string readme = source("README.md");
  std::string block = between(readme, "## Commands\n\n```", "```\n", 0);
  REQUIRE(!block.empty());
  std::string commands = between(readme, "## Commands", "## How a requirement is decided");
  for (const auto& c : cli_commands()) {
    std::string usage = between(block, "fwmatrix " + c.name, "\nfwmatrix ");
    INFO("README usage of " << c.name);
    REQUIRE(!usage.empty());
    for (const auto& flag : c.flags) {
      INFO(flag);
      if (limit_flags().count(flag))
        CHECK((has_word(usage, "LIMITS") && has_word(commands, flag)));
      else
        CHECK(has_word(usage, flag));
    }
  }
  for (const auto& f : formats()) {
    INFO("format " << f);
    CHECK(commands.find("`" + f + "`") != std::string::npos);
  }
  std::string config = between(readme, "### `.fwmatrix.yaml`", "### Result ids");
  for (const auto& key : project_config_keys()) {
    INFO("key " << key);
    CHECK(config.find(key + ":") != std::string::npos);
  }
  for (const auto& s : limit_settings()) {
    INFO("limits key " << s.key);
    CHECK(config.find(std::string(s.key) + ":") != std::string::npos);
  }
  std::string ids = between(readme, "### Result ids", "### pre-commit");
  CHECK(words_matching(ids, "FWM[0-9]{3}") == check_ids());
}

TEST_CASE("drift: the pre-commit hook selects every format's files, and IPsec policies", "[cli][drift]") {
  YAML::Node hooks = YAML::LoadFile(std::string(FWM_SOURCE_DIR) + "/.pre-commit-hooks.yaml");
  std::map<std::string, YAML::Node> by_id;
  for (std::size_t i = 0; i < hooks.size(); ++i) by_id[hooks[i]["id"].as<std::string>()] = hooks[i];
  REQUIRE(by_id.count("fwmatrix"));
  REQUIRE(by_id.count("fwmatrix-ipsec"));
  // pre-commit's patterns are Python regular expressions; these ones are ECMAScript too
  // once their leading (?i) becomes the icase flag.
  auto python_re = [](const YAML::Node& node) {
    std::string pattern = node.as<std::string>();
    bool icase = pattern.rfind("(?i)", 0) == 0;
    return std::regex(icase ? pattern.substr(4) : pattern, icase ? std::regex::icase : std::regex::ECMAScript);
  };
  std::regex files = python_re(by_id["fwmatrix"]["files"]);
  std::regex exclude = python_re(by_id["fwmatrix"]["exclude"]);
  std::regex ipsec = python_re(by_id["fwmatrix-ipsec"]["files"]);
  auto selected = [&](const std::string& path) {
    return std::regex_search(path, files) && !std::regex_search(path, exclude);
  };
  // Typical file names of each format (every format of the registry needs one).
  const std::map<std::string, std::vector<std::string>> examples = {
      {"iptables", {"fw/rules.v4", "iptables-save", "etc/iptables/iptables.rules", "front-end.rules"}},
      {"ip6tables", {"fw/rules.v6", "ip6tables-save.txt"}},
      {"nftables", {"etc/nftables.conf", "fw/ruleset.nft", "nftables-gateway.conf"}},
      {"nft-json", {"fw/nftables.json", "ruleset.json"}},
      {"pf", {"etc/pf.conf", "pf-gateway.conf"}},
      {"windows",
       {"server.wfw", "policy.reg", "firewall.ps1", "open-ports.bat", "fw.cmd", "firewall-rules.txt", "firewall.json",
        "firewall.csv"}},
      {"wfw", {"exports/server.wfw"}},
      {"windows-reg", {"exports/FirewallPolicy.reg"}},
      {"netsh", {"netsh-show-rules.txt", "scripts/add-rules.cmd", "setup.bat"}},
      {"powershell", {"Get-NetFirewallRule.json", "rules.csv", "Server-Firewall.ps1"}},
      {"iptables-save", {"iptables-save", "fw/rules.v4"}},  // aliases of iptables, ip6tables, nftables
      {"ip6tables-save", {"ip6tables-save.txt"}},
      {"nft", {"fw/ruleset.nft"}},
  };
  for (const auto& f : formats()) {
    INFO("format " << f);
    REQUIRE(examples.count(f));
    for (const auto& name : examples.at(f)) {
      INFO(name);
      CHECK(selected(name));
    }
  }
  for (const std::string name :
       {"README.md", "package.json", "notes.txt", "CMakeLists.txt", ".fwmatrix.yaml", "src/main.cpp", "report.sarif"}) {
    INFO(name);
    CHECK_FALSE(selected(name));
  }
  for (const std::string name : {"ipsec/ipsec.conf", "swanctl.conf", "setkey.conf", "xfrm-policy.txt",
                                 "windows-consec.bat", "New-IPsecRules.ps1", "get-netipsecrule.json"}) {
    INFO(name);
    CHECK(std::regex_search(name, ipsec));
    CHECK_FALSE(selected(name));
  }
}
