#include "checks/analysis.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <map>
#include <set>

#include "checks/check_support.h"
#include "util/timing.h"

namespace fwm {

namespace {
// The role checks that read the requirement coverage, the only ones with a meaning on
// a gateway's forward path; the others (FWM010/011/021/022) are about a host's own ports.
bool network_mode_check(const std::string& id) { return id == "FWM001" || id == "FWM002" || id == "FWM003"; }

// The evaluation problems `check` reports as notes: a limit hit (those name the flag that
// raises the limit) and jump loops. Jumps to missing chains are FWM090 findings already.
void note_evaluation_problems(const Ruleset& rs, const std::vector<std::string>& problems,
                              const std::vector<RequirementCoverage>& coverage, std::vector<std::string>& notes) {
  std::vector<std::string> all = problems;
  for (const auto& cov : coverage)
    for (const auto& slice : cov.slices) all.insert(all.end(), slice.problems.begin(), slice.problems.end());
  std::set<std::string> seen;
  for (const auto& p : all) {
    bool worth = p.find("jump loop") != std::string::npos || p.find(" raises it)") != std::string::npos;
    if (!worth || !seen.insert(p).second) continue;
    notes.push_back(p.rfind(rs.file + ":", 0) == 0 ? p : fmt::format("{}: {}", rs.file, p));
  }
}
}  // namespace

std::vector<Finding> analyze(const Ruleset& rs, const AnalysisRequest& request, std::vector<std::string>& notes) {
  std::vector<Finding> findings;
  AnalysisContext ctx;
  ctx.ruleset = &rs;
  ctx.pack = request.pack;
  ctx.roles = request.roles;
  ctx.lb_mode = request.lb_mode;
  ctx.ipsec = request.ipsec;
  ctx.limits = request.limits;
  std::vector<std::string> evaluation_problems;
  ctx.evaluation_problems = &evaluation_problems;
  // One memo of calls into large chains for the open paths and the anomaly surveys: both
  // walk the same service chains with pieces that differ in fields those never look at.
  auto memo = make_chain_call_memo();
  OpenPathEvaluations open_paths(rs, ctx.limits, memo);
  ctx.open_paths = &open_paths;
  bool timing = timing_enabled();
  auto t0 = std::chrono::steady_clock::now();
  auto lap = [&](const char* what) {
    if (!timing) return;
    auto now = std::chrono::steady_clock::now();
    print_timing(what, std::chrono::duration<double>(now - t0).count());
    t0 = now;
  };
  // Rule anomalies (one evaluation per deciding rule) run on the second core while the
  // requirement coverage and the checks that do not need them run here.
  AnomalyOptions anomaly_options;
  anomaly_options.max_redundancy_checks = request.limits.max_redundancy_checks;
  anomaly_options.max_call_depth = request.limits.max_call_depth;
  anomaly_options.max_pieces = request.limits.max_pieces;
  anomaly_options.memo = memo;
  // The open paths are parts of the paths the survey evaluates: taken from it, not
  // evaluated a second time, where that is exact (OpenPathEvaluations::expect_surveys()).
  if (open_paths.expect_surveys())
    anomaly_options.on_path_surveyed = [&open_paths](const Pipeline& p, const EvalResult& survey) {
      open_paths.offer_survey(p, survey);
    };
  auto anomaly_job = std::async(std::launch::async, [&rs, &open_paths, anomaly_options] {
    struct SurveysDone {
      OpenPathEvaluations& paths;
      ~SurveysDone() { paths.surveys_done(); }
    } done{open_paths};
    return find_anomalies(rs, anomaly_options);
  });
  std::vector<RequirementCoverage> coverage;
  if (request.pack && request.topology) {
    NetworkCoverage net =
        compute_network_coverage(rs, *request.pack, *request.topology, request.lb_mode, request.limits);
    coverage = std::move(net.coverage);
    notes.insert(notes.end(), net.notes.begin(), net.notes.end());
    if (!rs.pipeline(Family::V4, Direction::Forward) && !rs.pipeline(Family::V6, Direction::Forward))
      notes.push_back(fmt::format("{}: the ruleset has no forward path: network mode found nothing to check", rs.file));
    ctx.coverage = &coverage;
    lap("network coverage");
  } else if (request.pack) {
    CoverageOptions coverage_options;
    coverage_options.limits = request.limits;
    coverage = compute_coverage(rs, request.pack->requirements_for(request.roles, request.lb_mode), coverage_options);
    ctx.coverage = &coverage;
    lap("coverage");
  }
  const auto& checks = all_checks();
  std::vector<std::vector<Finding>> per_check(checks.size());
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const CheckInfo& info = checks[i]->info();
    if ((info.needs_roles && !request.pack) || info.needs_anomalies) continue;
    if (info.needs_roles && request.topology && !network_mode_check(info.id)) continue;
    checks[i]->run(ctx, per_check[i]);
    lap(info.id.c_str());
  }
  lap("checks");
  note_evaluation_problems(rs, evaluation_problems, coverage, notes);
  open_paths.release();  // the checks that read them have run
  ctx.open_paths = nullptr;
  AnomalyReport anomalies = anomaly_job.get();
  lap("anomalies (waited for)");
  ctx.anomalies = &anomalies;
  for (const auto& problem : anomalies.survey_problems)
    notes.push_back(fmt::format("{}: rule anomaly analysis: {}; rules no packet reaches are not reported", rs.file,
                                with_eval_limit_hint(problem, request.limits)));
  if (anomalies.cut_short)
    notes.push_back(fmt::format("{}: rule anomaly analysis cut short: {} ({} raises this limit)", rs.file,
                                anomalies.cut_reason, kMaxRedundancyChecksFlag));
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const CheckInfo& info = checks[i]->info();
    if ((info.needs_roles && !request.pack) || !info.needs_anomalies) continue;
    if (info.needs_roles && request.topology && !network_mode_check(info.id)) continue;
    checks[i]->run(ctx, per_check[i]);
  }
  for (auto& found : per_check)
    findings.insert(findings.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  if (!rs.variant.empty())
    for (Finding& f : findings) {
      f.message = fmt::format("[{}] {}", rs.variant, f.message);
      f.fingerprint_basis += "|" + rs.variant;
      f.properties["variant"] = rs.variant;
    }
  return findings;
}

void merge_variant_findings(std::vector<Finding>& findings) {
  std::vector<Finding> merged;
  std::map<std::string, std::size_t> index;
  for (Finding& f : findings) {
    auto variant = f.properties.find("variant");
    if (variant == f.properties.end()) {
      merged.push_back(std::move(f));
      continue;
    }
    const std::string label = "[" + variant->second + "] ";
    const std::string suffix = "|" + variant->second;
    std::string message = f.message.rfind(label, 0) == 0 ? f.message.substr(label.size()) : f.message;
    std::string basis =
        f.fingerprint_basis.size() >= suffix.size() &&
                f.fingerprint_basis.compare(f.fingerprint_basis.size() - suffix.size(), suffix.size(), suffix) == 0
            ? f.fingerprint_basis.substr(0, f.fingerprint_basis.size() - suffix.size())
            : f.fingerprint_basis;
    std::string key = fmt::format("{}\n{}\n{}\n{}\n{}\n{}\n{}", f.rule_id, f.location.file.str(), f.location.line,
                                  f.location.column, message, basis, f.suppression.value_or(""));
    auto [it, added] = index.try_emplace(key, merged.size());
    if (added) {
      merged.push_back(std::move(f));
      continue;
    }
    Finding& first = merged[it->second];
    const std::string first_variants = first.properties["variant"];
    const std::string first_label = "[" + first_variants + "] ";
    const std::string variants = first_variants + ", " + variant->second;
    first.message = "[" + variants + "] " + first.message.substr(first_label.size());
    first.fingerprint_basis = basis + "|" + variants;
    first.properties["variant"] = variants;
  }
  findings = std::move(merged);
}

std::string semantic_key(const Finding& f) {
  auto prop = [&](const char* k) {
    auto it = f.properties.find(k);
    return it == f.properties.end() ? std::string() : it->second;
  };
  if (f.properties.empty()) return f.rule_id + "|" + f.fingerprint();
  return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}", f.rule_id, f.requirement_id, prop("protocol"), prop("family"),
                     prop("direction"), prop("ports"), prop("excess_ports"), prop("port"));
}

}  // namespace fwm
