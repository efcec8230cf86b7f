// Reporters: one file per output format, all fed the same Report.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "checks/finding.h"
#include "ir/interval_set.h"

namespace fwm {

struct InputSummary {
  std::string file;
  std::string format;
  std::size_t rules = 0;
  std::size_t lines = 0;
};

// What decided part of a requirement's ports (HTML port matrix).
struct PortDecision {
  PortSet ports;
  std::size_t line = 0;  // the deciding rule's or policy's line; 0: no line of the file
  std::string text;      // the rule's text, or the policy or default that applied
  std::string because;   // undetermined ports: the condition that cannot be decided
};

// One requirement of the rule pack on one port axis (file, family, protocol), inbound or
// outbound: a cell of the HTML report's port matrix is made of these.
struct RequirementPart {
  std::string id;  // the pack's requirement id
  std::string table;
  int row = 0;
  std::string role;  // role id
  std::string service;
  std::string protocol_label;
  std::string note;
  bool inbound = true;
  bool optional = false;
  std::uint32_t min_open = 0;  // "at least N ports of the range"; 0: every port
  PortSet required, open, denied, undetermined;
  bool no_path = false;  // the ruleset has no path in this direction: nothing filters it
  std::vector<PortDecision> denied_by, undetermined_by;
  std::vector<std::string> problems;
};

// One port axis of the HTML report: a role set's requirements on one protocol of one
// file (Windows: one profile) and family. The sets are about the inbound path.
struct PortAxis {
  std::string file;
  std::string variant;  // "" or the Windows profile(s) ("Domain profile")
  std::string family;
  std::string protocol;  // "tcp" / "udp"
  PortSet required, open, denied, undetermined, accepted, excess;
  std::vector<RequirementPart> requirements;
};

struct Report {
  std::vector<InputSummary> inputs;
  std::vector<Finding> findings;  // sorted
  std::vector<std::string> roles;
  std::string pack;
  std::vector<std::string> notes;              // things the run did not do, and why
  std::string category;                        // SARIF automationDetails.id (code scanning category)
  std::vector<PortAxis> axes;                  // html only
  std::map<std::string, std::string> sources;  // html only: file -> text, for line links
};

std::string render_text(const Report& r, bool color);
// "fix: insert before line 12" / "fix: replace line 12" (text and Markdown reports).
std::string fix_edit_heading(const FixEdit& e);
std::string render_json(const Report& r);
std::string render_sarif(const Report& r);
// The same text, handed to `sink` in parts (a few MB at most each): for large reports
// written to a file.
void write_sarif(const Report& r, const std::function<void(std::string_view)>& sink);
std::string render_markdown(const Report& r);
std::string render_html(const Report& r);

struct ReportCounts {
  std::size_t errors = 0, warnings = 0, notes = 0, suppressed = 0;
};
ReportCounts count_findings(const Report& r);
// The one-line summary that ends the text report ("2 errors, 0 warnings, ... in FILE (...)"),
// with its newline; the CLI prints it on stderr when no text report goes to stdout.
std::string render_summary(const Report& r);

}  // namespace fwm
