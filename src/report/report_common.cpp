#include "report/report.h"

namespace fwm {

ReportCounts count_findings(const Report& r) {
  ReportCounts c;
  for (const auto& f : r.findings) {
    if (f.suppression) {
      ++c.suppressed;
      continue;
    }
    switch (f.level) {
      case Severity::Error:
        ++c.errors;
        break;
      case Severity::Warning:
        ++c.warnings;
        break;
      case Severity::Note:
        ++c.notes;
        break;
    }
  }
  return c;
}

}  // namespace fwm
