// `diff OLD NEW`: what a change to a ruleset does, before it is applied.
#include <fmt/format.h>
#include <unistd.h>

#include <map>
#include <set>

#include "checks/analysis.h"
#include "cli/commands.h"
#include "frontends/frontend.h"
#include "ir/services.h"
#include "report/diff_report.h"

namespace fwm {

namespace {

std::string slice_status(const CoverageSlice& s) {
  if (s.no_path) return "open (not filtered)";
  std::vector<std::string> parts;
  if (!s.denied.empty()) parts.push_back("denied " + format_ports(s.denied));
  if (!s.undetermined.empty()) parts.push_back("undetermined " + format_ports(s.undetermined));
  return parts.empty() ? "open" : fmt::format("{}", fmt::join(parts, ", "));
}

std::vector<RequirementChange> requirement_changes(const Ruleset& old_rs, const Ruleset& new_rs, const Pack& pack,
                                                   const std::vector<std::string>& roles, const std::string& lb_mode,
                                                   const Limits& limits) {
  auto reqs = pack.requirements_for(roles, lb_mode);
  CoverageOptions options;
  options.limits = limits;
  auto before = compute_coverage(old_rs, reqs, options);
  auto after = compute_coverage(new_rs, reqs, options);
  std::vector<RequirementChange> out;
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    for (const auto& a : after[i].slices) {
      for (const auto& b : before[i].slices) {
        if (a.family != b.family || a.protocol != b.protocol) continue;
        std::string was = slice_status(b), now = slice_status(a);
        if (was == now) continue;
        RequirementChange c;
        c.requirement = reqs[i]->id;
        c.role = reqs[i]->role;
        c.what = fmt::format("{} {} ({})", a.protocol == kProtoTcp ? "TCP" : "UDP", format_ports(a.required),
                             family_name(a.family));
        c.before = was;
        c.after = now;
        c.worse = a.denied.count() + a.undetermined.count() > b.denied.count() + b.undetermined.count() ||
                  !a.denied.subtract(b.denied).empty();
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

bool is_exposure_or_gap(const Finding& f) {
  return f.level == Severity::Error || f.rule_id == "FWM021" || f.rule_id == "FWM002";
}

}  // namespace

int cmd_diff(const DiffArgs& a) {
  LoadOptions old_options, new_options;
  old_options.format = a.format_old;
  old_options.limits = a.limits;
  new_options.format = a.format_new;
  new_options.limits = a.limits;
  auto old_load = load_input(a.old_file, old_options);
  auto new_load = load_input(a.new_file, new_options);
  for (const auto* l : {&old_load, &new_load})
    if (!l->ruleset) {
      fmt::print(stderr, "fwmatrix: {}\n", l->error);
      return 2;
    }
  Ruleset& old_rs = *old_load.ruleset;
  Ruleset& new_rs = *new_load.ruleset;
  align_interfaces(old_rs, new_rs);

  std::optional<Pack> pack;
  if (!a.roles.empty()) {
    auto loaded = find_pack(a.pack, a.rules_dir);
    if (!loaded.pack) {
      fmt::print(stderr, "fwmatrix: {}\n", loaded.error);
      return 2;
    }
    pack = std::move(loaded.pack);
    for (const auto& role : a.roles)
      if (!pack->role(role)) {
        fmt::print(stderr, "fwmatrix: unknown role '{}'\n", role);
        return 2;
      }
  }
  std::string lb_mode = !a.lb_mode.empty() ? a.lb_mode : pack ? pack->default_lb_mode : "hardware";

  DiffReport d;
  d.old_input = input_summary(old_rs);
  d.new_input = input_summary(new_rs);
  d.roles = a.roles;
  d.changes = semantic_diff(old_rs, new_rs);
  if (pack) d.requirements = requirement_changes(old_rs, new_rs, *pack, a.roles, lb_mode, a.limits);
  if (!old_rs.covers(Family::V4) || !new_rs.covers(Family::V4) || !old_rs.covers(Family::V6) ||
      !new_rs.covers(Family::V6)) {
    for (Family f : {Family::V4, Family::V6})
      if (old_rs.covers(f) != new_rs.covers(f))
        d.notes.push_back(fmt::format("only {} covers {}: that family was not compared",
                                      old_rs.covers(f) ? a.old_file : a.new_file, family_name(f)));
  }

  AnalysisRequest request{pack ? &*pack : nullptr, a.roles, lb_mode};
  request.limits = a.limits;
  std::vector<std::string> notes;
  auto old_findings = analyze(old_rs, request, notes);
  auto new_findings = analyze(new_rs, request, notes);
  std::multiset<std::string> old_keys, new_keys;
  for (const auto& f : old_findings) old_keys.insert(semantic_key(f));
  for (const auto& f : new_findings) new_keys.insert(semantic_key(f));
  Report sarif;
  sarif.inputs = {d.old_input, d.new_input};
  sarif.roles = a.roles;
  for (auto& f : new_findings) {
    bool existed = old_keys.count(semantic_key(f)) > 0;
    f.baseline_state = existed ? "unchanged" : "new";
    if (existed) {
      ++d.unchanged_findings;
    } else {
      d.new_findings.push_back(f);
    }
    sarif.findings.push_back(f);
  }
  for (auto& f : old_findings) {
    if (new_keys.count(semantic_key(f))) continue;
    f.baseline_state = "absent";
    d.fixed_findings.push_back(f);
    sarif.findings.push_back(f);
  }
  sort_findings(d.new_findings);
  sort_findings(d.fixed_findings);
  sort_findings(sarif.findings);

  bool text_on_stdout = false;
  for (const auto& out : a.outputs) {
    std::string text;
    if (out.format == "json")
      text = render_diff_json(d);
    else if (out.format == "markdown")
      text = render_diff_markdown(d);
    else if (out.format == "sarif")
      text = render_sarif(sarif);
    else {
      DiffReport shown = d;
      if (a.quiet) shown.notes.clear();
      text = render_diff_text(shown, out.to_stdout() && use_color(STDOUT_FILENO));
      // --quiet: without the last line (the counts).
      if (a.quiet && !text.empty()) {
        auto last = text.rfind('\n', text.size() - 2);
        text.resize(last == std::string::npos ? 0 : last + 1);
      }
    }
    text_on_stdout |= out.format == "text" && out.to_stdout();
    if (!write_output(out.path, text)) return 2;
  }
  if (!text_on_stdout && !a.quiet) {
    std::string text = render_diff_text(d, false);
    auto last = text.rfind('\n', text.size() - 2);
    fmt::print(stderr, "{}", last == std::string::npos ? text : text.substr(last + 1));
  }

  // Exit 1: see --fail-on (DiffArgs::fail_on).
  if (a.fail_on == "none") return 0;
  bool requirement_worse =
      std::any_of(d.requirements.begin(), d.requirements.end(), [](const auto& r) { return r.worse; });
  bool worse = false;
  if (a.fail_on.empty()) {
    worse = std::any_of(d.new_findings.begin(), d.new_findings.end(), is_exposure_or_gap);
  } else {
    int threshold = a.fail_on == "error" ? 3 : a.fail_on == "warning" ? 2 : 1;
    worse = std::any_of(d.new_findings.begin(), d.new_findings.end(), [threshold](const Finding& f) {
      int rank = f.level == Severity::Error ? 3 : f.level == Severity::Warning ? 2 : 1;
      return !f.suppression && rank >= threshold;
    });
  }
  worse |= requirement_worse;
  return worse ? 1 : 0;
}

}  // namespace fwm
