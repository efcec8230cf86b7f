// The check interface. Every check is a small class in its own file with its own doc
// page (docs/rules/ID.md); src/checks/registry.cpp is the only place that lists them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "checks/finding.h"
#include "eval/anomalies.h"
#include "matrix/coverage.h"
#include "matrix/pack.h"

namespace fwm {

struct IpsecPolicy;         // ir/ipsec_policy.h
class OpenPathEvaluations;  // checks/check_support.h

struct CheckInfo {
  std::string id;    // FWM001
  std::string name;  // RequiredPortDenied (SARIF rule name)
  std::string short_description;
  Severity default_level = Severity::Error;
  bool needs_roles = false;      // runs only when --role/--topology name roles
  bool needs_anomalies = false;  // reads AnalysisContext::anomalies (computed concurrently)
  // SARIF rule properties GitHub code scanning ranks and filters alerts by: a CVSS-like
  // score (9.0+ critical, 7.0-8.9 high, 4.0-6.9 medium, below low), how often a result is
  // right (very-high: exact interval arithmetic), and tags ("security" makes the score count).
  std::string security_severity;
  std::string precision;
  std::vector<std::string> tags;
};

struct AnalysisContext {
  const Ruleset* ruleset = nullptr;
  const Pack* pack = nullptr;
  std::vector<std::string> roles;  // as given (not expanded)
  std::string lb_mode = "hardware";
  const std::vector<RequirementCoverage>* coverage = nullptr;  // when roles are given
  const AnomalyReport* anomalies = nullptr;                    // shadowed / redundant rules
  const std::vector<const IpsecPolicy*>* ipsec = nullptr;      // --ipsec files (FWM010, FWM011)
  Limits limits;                                               // evaluation limits (--max-call-depth ...)
  // Problems of the checks' evaluations (limits hit, jump loops), reported as notes.
  std::vector<std::string>* evaluation_problems = nullptr;
  // Whole-path evaluations several checks read (FWM020, FWM021): each computed once.
  OpenPathEvaluations* open_paths = nullptr;
};

class Check {
 public:
  virtual ~Check() = default;
  virtual const CheckInfo& info() const = 0;
  virtual void run(const AnalysisContext& ctx, std::vector<Finding>& out) const = 0;
};

const std::vector<std::unique_ptr<Check>>& all_checks();
const Check* find_check(const std::string& id);
// The doc page of a result id (docs/rules/ID.md, embedded at build time).
std::string check_doc(const std::string& id);
std::string check_help_uri(const std::string& id);

// Helpers shared by checks.
SourceSpan decider_location(const Ruleset& rs, const Decider& d, std::string& snippet);
std::string decider_text(const Decider& d);
std::string decider_basis(const Ruleset& rs, const Decider& d);
bool suppressed_by(const Decider& d, const std::string& id, std::string& reason);

}  // namespace fwm
