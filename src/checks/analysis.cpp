#include "checks/analysis.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

namespace fwm {

std::vector<Finding> analyze(const Ruleset& rs, const AnalysisRequest& request, std::vector<std::string>& notes) {
  std::vector<Finding> findings;
  AnalysisContext ctx;
  ctx.ruleset = &rs;
  ctx.pack = request.pack;
  ctx.roles = request.roles;
  ctx.lb_mode = request.lb_mode;
  ctx.ipsec = request.ipsec;
  bool timing = std::getenv("FWM_TIMING") != nullptr;
  auto t0 = std::chrono::steady_clock::now();
  auto lap = [&](const char* what) {
    if (!timing) return;
    auto now = std::chrono::steady_clock::now();
    fmt::print(stderr, "timing: {} {:.3f}s\n", what, std::chrono::duration<double>(now - t0).count());
    t0 = now;
  };
  AnomalyReport anomalies = find_anomalies(rs);
  lap("anomalies");
  ctx.anomalies = &anomalies;
  if (anomalies.cut_short) notes.push_back(fmt::format("{}: rule anomaly analysis cut short: {}", rs.file, anomalies.cut_reason));
  std::vector<RequirementCoverage> coverage;
  if (request.pack) {
    coverage = compute_coverage(rs, request.pack->requirements_for(request.roles, request.lb_mode));
    ctx.coverage = &coverage;
    lap("coverage");
  }
  for (const auto& check : all_checks()) {
    if (check->info().needs_roles && !request.pack) continue;
    check->run(ctx, findings);
  }
  lap("checks");
  if (!rs.variant.empty())
    for (Finding& f : findings) {
      f.message = fmt::format("[{}] {}", rs.variant, f.message);
      f.fingerprint_basis += "|" + rs.variant;
      f.properties["variant"] = rs.variant;
    }
  return findings;
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
