#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <set>

#include "checks/analysis.h"
#include "checks/ipsec_media.h"
#include "checks/port_axes.h"
#include "cli/commands.h"
#include "cli/project_config.h"
#include "fix/fix.h"
#include "frontends/frontend.h"
#include "frontends/ipsec/ipsec_reader.h"
#include "matrix/coverage.h"
#include "matrix/topology.h"
#include "report/report.h"
#include "util/process_exit.h"
#include "util/text_input.h"
#include "util/timing.h"

namespace fwm {

bool write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return true;
  }
  std::ofstream out(path, std::ios::binary);
  if (!out) {
    fmt::print(stderr, "fwmatrix: cannot write {}\n", path);
    return false;
  }
  out << text;
  return static_cast<bool>(out);
}

namespace {

// The text report; --quiet leaves out the notes and the summary line.
std::string render_text_output(const Report& report, bool color, bool quiet) {
  if (!quiet) return render_text(report, color);
  Report findings_only = report;
  findings_only.notes.clear();
  std::string text = render_text(findings_only, color);
  std::string summary = render_summary(findings_only);
  if (text.size() >= summary.size() && text.compare(text.size() - summary.size(), summary.size(), summary) == 0)
    text.resize(text.size() - summary.size());
  return text;
}

// A Windows IPsec script runs its commands at the start of a line (a document that
// mentions them in prose or Markdown does not).
bool runs_ipsec_command(const std::string& text) {
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::size_t first = text.find_first_not_of(" \t@", start);
    if (first < end) {
      std::string head = text.substr(first, std::min<std::size_t>(20, end - first));
      std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
      for (const char* command : {"netsh", "new-netipsecrule", "ipsecpol"})
        if (head.rfind(command, 0) == 0) return true;
    }
    start = end + 1;
  }
  return false;
}

int level_rank(Severity s) { return s == Severity::Error ? 3 : s == Severity::Warning ? 2 : 1; }
int fail_rank(const std::string& fail_on) {
  if (fail_on == "error") return 3;
  if (fail_on == "warning") return 2;
  if (fail_on == "note") return 1;
  return 99;
}

// Reads the fwmatrix/v1 fingerprints of an earlier SARIF log.
bool read_baseline(const std::string& path, std::set<std::string>& fingerprints) {
  std::ifstream in(path);
  if (!in) {
    fmt::print(stderr, "fwmatrix: cannot read baseline {}\n", path);
    return false;
  }
  try {
    auto j = nlohmann::json::parse(in);
    for (const auto& run : j.at("runs"))
      for (const auto& res : run.value("results", nlohmann::json::array()))
        if (res.contains("partialFingerprints") && res["partialFingerprints"].contains("fwmatrix/v1"))
          fingerprints.insert(res["partialFingerprints"]["fwmatrix/v1"].get<std::string>());
  } catch (const std::exception& e) {
    fmt::print(stderr, "fwmatrix: baseline {} is not a SARIF log: {}\n", path, e.what());
    return false;
  }
  return true;
}

// Rulesets larger than this get no fixes attached by `check` (a note says so).
constexpr std::size_t kMaxRulesForAttachedFixes = 5'000;

// The edits of `fwmatrix fix` under each FWM001 finding (SARIF fixes, text and Markdown
// suggestions), when fwmatrix writes fixes for the format and the fix closes every gap.
// On a ruleset of more than kMaxRulesForAttachedFixes rules, a note says there are none.
void attach_fixes(const std::string& file, const CheckArgs& a, const Pack& pack, const AnalysisRequest& request,
                  const Ruleset& rs, Report& report, std::size_t from) {
  std::vector<Finding>& findings = report.findings;
  const std::string& format = rs.format;
  if (!fix::writer_for(format) || std::none_of(findings.begin() + static_cast<long>(from), findings.end(),
                                               [](const Finding& f) { return f.rule_id == "FWM001"; }))
    return;
  std::size_t rules = 0;
  for (const auto& chain : rs.chains) rules += chain.rules.size();
  if (rules > kMaxRulesForAttachedFixes) {
    // Working out the fix reads and evaluates the file again, round by round: on 100,000
    // rules that doubled the time of check. `fwmatrix fix` still writes it.
    report.notes.push_back(
        fmt::format("{}: no fixes attached to the FWM001 findings: {} rules (more than {}); `fwmatrix fix` writes them",
                    file, rules, kMaxRulesForAttachedFixes));
    return;
  }
  fix::FixRequest fr;
  fr.path = file;
  if (!read_bytes(file, fr.bytes, read_limits(a.limits)).empty()) return;
  fr.load = {a.format, a.profile, a.allow_outside, a.limits};
  fr.pack = &pack;
  fr.roles = request.roles;
  fr.lb_mode = request.lb_mode;
  fr.topology = request.topology;
  fr.limits = a.limits;
  fr.verify = false;
  fix::FixResult result = fix::fix_config(fr);
  if (!result.ok) return;
  for (std::size_t i = from; i < findings.size(); ++i)
    for (const auto& e : fix::edits_for_finding(result, findings[i]))
      findings[i].fix.push_back({e.line, e.replace, e.lines});
}

// Settings from .fwmatrix.yaml (found upward from the first file) fill what the command
// line leaves open. False (after saying why) when the file cannot be read.
bool apply_project_config(CheckArgs& a, ProjectConfig& config) {
  if (!a.no_config && !a.files.empty()) {
    ConfigLoad found = a.config.empty() ? find_project_config(a.files.front()) : load_project_config(a.config);
    if (!found.error.empty()) {
      fmt::print(stderr, "fwmatrix: {}\n", found.error);
      return false;
    }
    config = found.config;
    if (a.roles.empty()) a.roles = config.roles;
    if (!a.pack_given && !config.pack.empty()) a.pack = config.pack;
    if (a.lb_mode.empty()) a.lb_mode = config.lb_mode;
    if (!a.fail_on_given && !config.fail_on.empty()) a.fail_on = config.fail_on;
    if (a.topology.empty()) a.topology = config.topology;
    for (const auto& s : limit_settings())
      if (auto it = config.limits.find(s.key);
          it != config.limits.end() &&
          std::find(a.limits_given.begin(), a.limits_given.end(), s.key) == a.limits_given.end())
        a.limits.*s.member = it->second;
  }
  return true;
}

// The topology (network mode: it names the roles, and may name the pack and lb_mode) and
// the rule pack, with the roles checked against both. False (after saying why) on an
// error.
bool load_pack_and_topology(CheckArgs& a, std::optional<Pack>& pack, std::optional<Topology>& topology) {
  if (!a.topology.empty()) {
    auto loaded = load_topology_file(a.topology, nullptr);
    if (!loaded.topology) {
      fmt::print(stderr, "fwmatrix: {}\n", loaded.error);
      return false;
    }
    if (!a.pack_given && !loaded.topology->pack.empty()) a.pack = loaded.topology->pack;
  }
  if (!a.roles.empty() || !a.topology.empty()) {
    auto loaded = find_pack(a.pack, a.rules_dir);
    if (!loaded.pack) {
      fmt::print(stderr, "fwmatrix: {}\n", loaded.error);
      return false;
    }
    pack = std::move(loaded.pack);
    for (const auto& role : a.roles) {
      if (!pack->role(role)) {
        std::vector<std::string> ids;
        for (const auto& r : pack->roles) ids.push_back(r.id);
        fmt::print(stderr, "fwmatrix: unknown role '{}' (pack {} has: {})\n", role, pack->name, fmt::join(ids, ", "));
        return false;
      }
    }
  }
  if (!a.topology.empty()) {
    // Read again against the pack: role ids are checked with their line and column.
    auto loaded = load_topology_file(a.topology, &*pack);
    if (!loaded.topology) {
      fmt::print(stderr, "fwmatrix: {}\n", loaded.error);
      return false;
    }
    topology = std::move(loaded.topology);
    // --role with --topology: only those roles of the topology; a role it does not place
    // would be checked against nothing.
    for (const auto& role : a.roles)
      if (std::none_of(topology->roles.begin(), topology->roles.end(),
                       [&](const TopologyRole& r) { return r.id == role; })) {
        std::vector<std::string> placed;
        for (const auto& r : topology->roles) placed.push_back(r.id);
        fmt::print(stderr, "fwmatrix: role '{}' is not placed by the topology {} (it places: {})\n", role, a.topology,
                   placed.empty() ? "no role" : fmt::format("{}", fmt::join(placed, ", ")));
        return false;
      }
    if (!a.roles.empty())
      std::erase_if(topology->roles, [&](const TopologyRole& r) {
        return std::find(a.roles.begin(), a.roles.end(), r.id) == a.roles.end();
      });
    if (a.lb_mode.empty()) a.lb_mode = topology->lb_mode;
    pack = apply_media_overrides(*pack, *topology);
    a.roles.clear();
    for (const auto& r : topology->roles) a.roles.push_back(r.id);
  }
  return true;
}

// Writes every report --report/-o asks for. Whether a text report went to standard
// output (the summary line is then its end); nullopt when a file cannot be written.
std::optional<bool> write_reports(const CheckArgs& a, const Report& report) {
  bool text_on_stdout = false;
  for (const auto& out : a.outputs) {
    std::string text;
    if (out.format == "sarif" && !out.to_stdout()) {
      // Written as it is laid out: the SARIF of a large ruleset is tens of MB.
      std::ofstream file(out.path, std::ios::binary);
      if (file)
        write_sarif(report, [&file](std::string_view part) {
          file.write(part.data(), static_cast<std::streamsize>(part.size()));
        });
      if (!file) {
        fmt::print(stderr, "fwmatrix: cannot write {}\n", out.path);
        return std::nullopt;
      }
      continue;
    }
    if (out.format == "sarif")
      text = render_sarif(report);
    else if (out.format == "json")
      text = render_json(report);
    else if (out.format == "markdown")
      text = render_markdown(report);
    else if (out.format == "html")
      text = render_html(report);
    else
      text = render_text_output(report, out.to_stdout() && use_color(STDOUT_FILENO), a.quiet);
    text_on_stdout |= out.format == "text" && out.to_stdout();
    if (!write_output(out.path, text)) return std::nullopt;
  }
  return text_on_stdout;
}

// The IPsec policies (--ipsec): read once, checked once (FWM010, FWM011) whatever the
// firewall files; their inputs and diagnostics go into the report. False (after saying
// why) when one cannot be read.
bool load_ipsec_policies(const CheckArgs& a, bool wants_html, Report& report,
                         std::vector<std::unique_ptr<IpsecPolicy>>& ipsec_policies,
                         std::vector<const IpsecPolicy*>& ipsec_views) {
  for (const auto& path : a.ipsec) {
    auto loaded = ipsec::load_ipsec_policy(path, "", read_limits(a.limits));
    if (!loaded.policy) {
      fmt::print(stderr, "fwmatrix: {}\n", loaded.error);
      return false;
    }
    const IpsecPolicy& p = *loaded.policy;
    report.inputs.push_back({p.file, p.format, p.entries.size(), p.line_count});
    for (const auto& d : p.diagnostics) {
      Finding f;
      f.rule_id = d.id;
      f.level = d.severity;
      f.message = d.message;
      f.location = d.span;
      f.snippet = d.snippet;
      f.fingerprint_basis = d.message + "|" + d.snippet;
      report.findings.push_back(std::move(f));
    }
    if (wants_html) report.sources[p.file] = read_text_file(p.file).text;
    ipsec_views.push_back(loaded.policy.get());
    ipsec_policies.push_back(std::move(loaded.policy));
  }
  return true;
}

}  // namespace

InputSummary input_summary(const Ruleset& rs) {
  std::size_t rule_count = 0;
  for (const auto& ch : rs.chains)
    if (!ch.restates) rule_count += ch.rules.size();  // repetitions are not rules of the file
  return {rs.variant.empty() ? rs.file : fmt::format("{} [{}]", rs.file, rs.variant), rs.format, rule_count,
          rs.line_count};
}

int cmd_check(const CheckArgs& args) {
  CheckArgs a = args;
  ProjectConfig config;
  if (!apply_project_config(a, config)) return 2;
  // The first file is loaded while the topology, the rule pack and the IPsec policies are
  // read (a large ruleset takes far longer than they do).
  auto load_options = [&a]() -> LoadOptions { return {a.format, a.profile, a.allow_outside, a.limits}; };
  std::future<LoadResult> first_file;
  if (!a.files.empty())
    first_file = std::async(std::launch::async,
                            [path = a.files.front(), options = load_options()] { return load_input(path, options); });
  std::optional<Topology> topology;
  std::optional<Pack> pack;
  if (!load_pack_and_topology(a, pack, topology)) return 2;
  std::set<std::string> baseline;
  if (!a.baseline.empty() && !read_baseline(a.baseline, baseline)) return 2;

  auto wants = [&a](const char* format) {
    return std::any_of(a.outputs.begin(), a.outputs.end(), [&](const OutputSpec& o) { return o.format == format; });
  };
  const bool wants_html = wants("html");
  Report report;
  report.roles = a.roles;
  report.category = a.category;
  if (pack) report.pack = pack->name;
  bool input_error = false;
  std::string lb_mode = !a.lb_mode.empty() ? a.lb_mode : pack ? pack->default_lb_mode : "hardware";
  std::vector<std::unique_ptr<IpsecPolicy>> ipsec_policies;
  std::vector<const IpsecPolicy*> ipsec_views;
  if (!load_ipsec_policies(a, wants_html, report, ipsec_policies, ipsec_views)) return 2;
  bool ipsec_checked = false;
  if (!ipsec_views.empty() && !pack)
    report.notes.push_back("--ipsec given without --role: the IPsec exemption checks (FWM010, FWM011) did not run");
  if (!ipsec_views.empty() && pack && ipsec_media_scopes(*pack, a.roles, lb_mode).empty())
    report.notes.push_back(
        fmt::format("the pack's IPsec exemption table names no media traffic for role {}: "
                    "FWM010 and FWM011 had nothing to check",
                    fmt::join(a.roles, ",")));
  // Progress on a terminal for runs over several files (stderr; silent when redirected).
  bool progress = a.files.size() > 1 && !a.quiet && isatty(STDERR_FILENO);
  std::vector<std::string> unread;  // files that could not be read or recognised
  std::size_t done = 0;
  for (const auto& file : a.files) {
    if (progress) fmt::print(stderr, "\r\x1b[K[{}/{}] {}", ++done, a.files.size(), file);
    auto loaded = &file == &a.files.front() ? first_file.get() : load_input(file, load_options());
    if (!loaded.ruleset) {
      // An IPsec policy given as a firewall file: say how to give it, when it reads as
      // one (a document that only mentions the commands has no entries).
      if (a.format.empty()) {
        TextFile text = file == "-" ? decode_text(kStdinName, stdin_text()) : read_text_file(file);
        if (auto ipsec_format = ipsec::detect_ipsec_format(text); !ipsec_format.empty())
          if (auto policy = ipsec::load_ipsec_policy_file(text, ipsec_format);
              policy.policy && !policy.policy->entries.empty() &&
              (ipsec_format != "windows-script" || runs_ipsec_command(text.text)))
            loaded.error += fmt::format(" (it looks like an IPsec policy, {}: give it with --ipsec)", ipsec_format);
      }
      if (progress) fmt::print(stderr, "\r\x1b[K");
      fmt::print(stderr, "fwmatrix: {}\n", loaded.error);
      input_error = true;
      unread.push_back(file == "-" ? kStdinName : file);
      continue;
    }
    const std::size_t file_findings = report.findings.size();
    for (const Ruleset* variant : loaded.all()) {
      const Ruleset& rs = *variant;
      report.inputs.push_back(input_summary(rs));
      AnalysisRequest request{pack ? &*pack : nullptr, a.roles, lb_mode};
      request.limits = a.limits;
      if (topology) request.topology = &*topology;
      // The IPsec checks do not depend on the firewall file: run them once.
      if (!ipsec_views.empty() && !ipsec_checked) {
        request.ipsec = &ipsec_views;
        ipsec_checked = true;
      }
      auto findings = analyze(rs, request, report.notes);
      if (wants_html) {
        report.sources[file == "-" ? kStdinName : file] =
            file == "-" ? stdin_text() : read_text_file(file, read_limits(a.limits)).text;
        if (pack && !topology) {
          CoverageOptions coverage_options;
          coverage_options.limits = a.limits;
          auto coverage = compute_coverage(rs, pack->requirements_for(a.roles, lb_mode), coverage_options);
          auto axes = port_axes(rs, coverage, a.limits);
          report.axes.insert(report.axes.end(), axes.begin(), axes.end());
        }
      }
      report.findings.insert(report.findings.end(), std::make_move_iterator(findings.begin()),
                             std::make_move_iterator(findings.end()));
    }
    if (pack && file != "-") {
      AnalysisRequest request{&*pack, a.roles, lb_mode};
      if (topology) request.topology = &*topology;
      attach_fixes(file, a, *pack, request, *loaded.ruleset, report, file_findings);
    }
    // Findings keep no reference into the ruleset: the last one is left to the end of the
    // process (the others are freed at the end of their turn).
    if (&file == &a.files.back()) free_or_leave_until_exit(std::move(loaded));
  }
  if (progress) fmt::print(stderr, "\r\x1b[K");
  // A fatal error (no input could be read): the error said so, there is nothing to report.
  if (report.inputs.empty() && !unread.empty()) return 2;
  if (!unread.empty())
    report.notes.push_back(fmt::format("not checked (could not be read): {}", fmt::join(unread, ", ")));
  merge_variant_findings(report.findings);
  if (!config.path.empty()) {
    std::erase_if(report.findings, [&](const Finding& f) { return config.disabled.count(f.rule_id) > 0; });
    for (auto& f : report.findings)
      if (auto it = config.severity.find(f.rule_id); it != config.severity.end()) f.level = it->second;
  }
  if (!pack) report.notes.push_back("no --role given: the port-matrix checks (FWM001-FWM003) did not run");
  sort_findings(report.findings);
  if (!a.baseline.empty())
    for (auto& f : report.findings) f.baseline_state = baseline.count(f.fingerprint()) ? "unchanged" : "new";

  if (a.new_only) {
    auto unchanged = std::erase_if(report.findings, [](const Finding& f) { return f.baseline_state == "unchanged"; });
    if (unchanged)
      report.notes.push_back(fmt::format("{} finding{} already in the baseline not shown (--new-only)", unchanged,
                                         unchanged == 1 ? "" : "s"));
  }

  const std::optional<bool> text_on_stdout = write_reports(a, report);
  if (!text_on_stdout) return 2;
  if (timing_enabled()) print_timing("report written", 0);
  // The one-line summary: the end of a text report on stdout, else on stderr.
  if (!*text_on_stdout && !a.quiet) fmt::print(stderr, "{}", render_summary(report));

  if (input_error) return 2;
  int threshold = fail_rank(a.fail_on);
  for (const auto& f : report.findings) {
    if (f.suppression || f.baseline_state == "unchanged") continue;
    if (level_rank(f.level) >= threshold) return 1;
  }
  return 0;
}

}  // namespace fwm
