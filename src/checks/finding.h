// Findings: what checks report, independent of the output format.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/ruleset.h"

namespace fwm {

// Another place that has a part in a finding (SARIF relatedLocations): the other rules
// that decide part of a gap, the rules that cover a redundant rule.
struct RelatedLocation {
  SourceSpan location;
  std::string message;
};

// Lines that close a gap in the file's own syntax (FWM001, from `fwmatrix fix`): inserted
// before `line` of the finding's file, or, with `replace`, in place of that line.
struct FixEdit {
  int line = 0;
  bool replace = false;
  std::vector<std::string> lines;
};

struct Finding {
  std::string rule_id;  // FWM001 ...
  Severity level = Severity::Error;
  std::string message;
  SourceSpan location;  // always set: rule, policy line, or line 1 of the file
  std::string snippet;
  // Stable identity: normalized rule content + requirement id, never line numbers.
  std::string fingerprint_basis;
  std::string requirement_id;
  std::map<std::string, std::string> properties;
  std::optional<std::string> suppression;  // reason of an inline suppression
  std::string baseline_state;              // "", "new", "unchanged"
  std::vector<RelatedLocation> related;    // at most kMaxRelatedLocations
  std::size_t related_left_out = 0;        // further related places, counted only
  std::vector<FixEdit> fix;                // the suggested fix (FWM001), against the finding's file

  std::string fingerprint() const;
};

// Related locations kept per finding; the rest are counted (Finding::related_left_out).
constexpr std::size_t kMaxRelatedLocations = 10;

// 128-bit non-cryptographic hash (two FNV-1a-64 lanes) as 32 hex digits.
std::string stable_hash(const std::string& text);

// Sorts findings into a deterministic order (file, line, column, rule id, message).
void sort_findings(std::vector<Finding>& findings);

}  // namespace fwm
