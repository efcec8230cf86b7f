#include "checks/check_cases.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "test_support.h"

namespace fs = std::filesystem;

namespace fwm::test {

namespace {

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::vector<std::string> lines_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

enum class DirectiveKind { None, Args, Expect, ExpectAt };

struct Directive {
  DirectiveKind kind = DirectiveKind::None;
  std::string text;  // after the colon
  int line = 0;      // ExpectAt: the line named
};

Directive directive(const std::string& line) {
  static const std::regex at(R"(^expect@([0-9]+):(.*)$)");
  Directive d;
  auto comment = line_comment(line);
  if (!comment) return d;
  const std::string& c = *comment;
  std::smatch m;
  // "fwmatrix: ignore FWM030 -- reason" is an inline suppression (src/ir/suppressions.h),
  // read by fwmatrix, not a case directive.
  if (c.rfind("fwmatrix:", 0) == 0 && trim(c.substr(9)).rfind("ignore", 0) != 0) {
    d.kind = DirectiveKind::Args;
    d.text = trim(c.substr(9));
  } else if (c.rfind("expect:", 0) == 0) {
    d.kind = DirectiveKind::Expect;
    d.text = c.substr(7);
  } else if (std::regex_match(c, m, at)) {
    d.kind = DirectiveKind::ExpectAt;
    d.line = std::stoi(m[1].str());
    d.text = m[2].str();
  }
  return d;
}

// The ids of an expectation ("FWM001 FWM022", "FWM001, FWM022"); false on anything else.
bool parse_ids(const std::string& text, std::vector<std::string>& ids) {
  static const std::regex id(R"(FWM[0-9]{3})");
  std::string spaced = text;
  std::replace(spaced.begin(), spaced.end(), ',', ' ');
  std::istringstream in(spaced);
  std::string word;
  while (in >> word) {
    if (!std::regex_match(word, id)) return false;
    ids.push_back(word);
  }
  return !ids.empty();
}

}  // namespace

std::optional<std::string> line_comment(const std::string& line) {
  std::string t = trim(line);
  for (const char* marker : {"//", "::", "#", ";"}) {
    std::string m(marker);
    if (t.rfind(m, 0) == 0) return trim(t.substr(m.size()));
  }
  if (t.size() >= 3 && std::tolower(static_cast<unsigned char>(t[0])) == 'r' &&
      std::tolower(static_cast<unsigned char>(t[1])) == 'e' && std::tolower(static_cast<unsigned char>(t[2])) == 'm' &&
      (t.size() == 3 || std::isspace(static_cast<unsigned char>(t[3]))))
    return trim(t.substr(3));
  return std::nullopt;
}

void read_expectations(const fs::path& path, const std::string& file, std::set<Expectation>& out,
                       std::vector<std::string>& errors) {
  auto lines = lines_of(path);
  std::vector<std::string> pending;  // ids of "expect:" lines waiting for their line
  int pending_from = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const int number = static_cast<int>(i) + 1;
    Directive d = directive(lines[i]);
    if (d.kind == DirectiveKind::Args) continue;
    if (d.kind == DirectiveKind::Expect || d.kind == DirectiveKind::ExpectAt) {
      std::vector<std::string> ids;
      if (!parse_ids(d.text, ids)) {
        errors.push_back(file + ":" + std::to_string(number) + ": expected result ids (FWMnnn ...) after the colon");
        continue;
      }
      if (d.kind == DirectiveKind::ExpectAt) {
        if (d.line < 1 || d.line > static_cast<int>(lines.size()))
          errors.push_back(file + ":" + std::to_string(number) + ": expect@" + std::to_string(d.line) +
                           " is outside the file");
        for (const auto& id : ids) out.emplace(file, d.line, id);
      } else {
        if (pending.empty()) pending_from = number;
        pending.insert(pending.end(), ids.begin(), ids.end());
      }
      continue;
    }
    for (const auto& id : pending) out.emplace(file, number, id);
    pending.clear();
  }
  if (!pending.empty()) errors.push_back(file + ":" + std::to_string(pending_from) + ": expect: with no line after it");
}

bool is_check_case(const fs::path& path) {
  for (const auto& line : lines_of(path))
    if (directive(line).kind == DirectiveKind::Args) return true;
  return false;
}

CheckCase read_check_case(const fs::path& source_dir, const fs::path& path) {
  CheckCase c;
  c.path = path;
  c.check_id = path.parent_path().filename().string();
  const fs::path folder = source_dir / path.parent_path();
  const std::string name = path.filename().string();
  int headers = 0;
  for (const auto& line : lines_of(source_dir / path)) {
    Directive d = directive(line);
    if (d.kind != DirectiveKind::Args) continue;
    c.args = d.text;
    ++headers;
  }
  if (headers != 1) c.errors.push_back(name + ": " + std::to_string(headers) + " fwmatrix: lines (one needed)");
  c.inputs.push_back(name);
  std::istringstream words(c.args);
  std::string word;
  while (words >> word)
    if (word != name && fs::is_regular_file(folder / word) &&
        std::find(c.inputs.begin(), c.inputs.end(), word) == c.inputs.end())
      c.inputs.push_back(word);
  for (const auto& input : c.inputs) read_expectations(folder / input, input, c.expected, c.errors);
  c.compared_ids.insert(c.check_id);
  for (const auto& e : c.expected) c.compared_ids.insert(std::get<2>(e));
  return c;
}

std::vector<CheckCase> all_check_cases(const fs::path& source_dir) {
  std::vector<fs::path> paths;
  const fs::path root = source_dir / "corpus" / "checks";
  if (!fs::is_directory(root)) return {};
  for (const auto& folder : fs::directory_iterator(root)) {
    if (!folder.is_directory()) continue;
    for (const auto& entry : fs::directory_iterator(folder.path()))
      if (entry.is_regular_file() && is_check_case(entry.path()))
        paths.push_back(fs::relative(entry.path(), source_dir));
  }
  std::sort(paths.begin(), paths.end());
  std::vector<CheckCase> cases;
  cases.reserve(paths.size());
  for (const auto& p : paths) cases.push_back(read_check_case(source_dir, p));
  return cases;
}

std::set<Expectation> run_check_case(const CheckCase& c, std::string& error) {
  // From the case's folder, so that results name the files as the expectations do.
  std::string args = c.args;
  if (args.find("--config") == std::string::npos) args += " --no-config";
  ScratchDir scratch;
  const std::string err = (scratch.path / "stderr").string();
  // "%s" in the arguments stands for the case's file (an IPsec policy given with --ipsec
  // after the firewall config it goes with); otherwise the file comes first.
  std::string command = args;
  const std::string self = shell_quote(c.inputs.front());
  if (command.find("%s") == std::string::npos) command = self + " " + command;
  for (std::size_t at; (at = command.find("%s")) != std::string::npos;) command.replace(at, 2, self);
  auto result =
      run_command("cd " + shell_quote(c.path.parent_path().string()) + " && NO_COLOR=1 " + shell_quote(FWM_BINARY) +
                  " check " + command + " --report json --fail-on none 2>" + shell_quote(err));
  std::set<Expectation> found;
  nlohmann::json report;
  try {
    report = nlohmann::json::parse(result.out);
  } catch (const std::exception& e) {
    error = "`fwmatrix check " + command + "` gave no JSON report (exit " + std::to_string(result.exit_code) +
            "): " + read_file(err).substr(0, 2000);
    return found;
  }
  for (const auto& f : report["findings"]) {
    std::string id = f["id"].get<std::string>();
    if (!c.compared_ids.count(id) || f.contains("suppressed")) continue;
    found.emplace(f["file"].get<std::string>(), f["line"].get<int>(), id);
  }
  return found;
}

}  // namespace fwm::test
