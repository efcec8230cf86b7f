// The report of `fwmatrix diff OLD NEW`: one renderer per output format.
#pragma once

#include <string>
#include <vector>

#include "eval/semantic_diff.h"
#include "report/report.h"

namespace fwm {

struct RequirementChange {
  std::string requirement;
  std::string role;
  std::string what;    // "TCP 5061 (IPv4)"
  std::string before;  // "open", "denied 5061", "undetermined 49152-57500"
  std::string after;
  bool worse = false;  // the change closes (part of) the requirement
};

struct DiffReport {
  InputSummary old_input, new_input;
  std::vector<std::string> roles;
  std::vector<RequirementChange> requirements;
  std::vector<VerdictChange> changes;
  std::vector<Finding> new_findings;    // in NEW, not in OLD
  std::vector<Finding> fixed_findings;  // in OLD, not in NEW
  std::size_t unchanged_findings = 0;
  std::vector<std::string> notes;
};

std::string render_diff_text(const DiffReport& d, bool color);
std::string render_diff_json(const DiffReport& d);
std::string render_diff_markdown(const DiffReport& d);

// Shared wording of a verdict change: "TCP 444 from any (IPv4 in): accept -> deny".
std::string describe_change(const VerdictChange& c);
std::string describe_decider(const Decider& d);

}  // namespace fwm
