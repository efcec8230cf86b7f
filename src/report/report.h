// Reporters: one file per output format, all fed the same Report.
#pragma once

#include <map>
#include <string>
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

// One port axis of the HTML report: a role set's inbound requirements on one protocol.
struct PortAxis {
  std::string file;
  std::string family;
  std::string protocol;  // "tcp" / "udp"
  PortSet required, open, denied, undetermined, accepted, excess;
};

struct Report {
  std::vector<InputSummary> inputs;
  std::vector<Finding> findings;  // sorted
  std::vector<std::string> roles;
  std::string pack;
  std::vector<std::string> notes;  // things the run did not do, and why
  std::string category;                        // SARIF automationDetails.id (code scanning category)
  std::vector<PortAxis> axes;                  // html only
  std::map<std::string, std::string> sources;  // html only: file -> text, for line links
};

std::string render_text(const Report& r, bool color);
std::string render_json(const Report& r);
std::string render_sarif(const Report& r);
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
