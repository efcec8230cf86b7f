// JSON: the findings and inputs as data, stable key order, no timestamps.
#include <nlohmann/json.hpp>

#include "report/report.h"

namespace fwm {

std::string render_json(const Report& r) {
  nlohmann::ordered_json j;
  j["tool"] = {{"name", "fwmatrix"}, {"version", FWM_VERSION}};
  j["pack"] = r.pack;
  j["roles"] = r.roles;
  j["inputs"] = nlohmann::ordered_json::array();
  for (const auto& in : r.inputs)
    j["inputs"].push_back({{"file", in.file}, {"format", in.format}, {"rules", in.rules}, {"lines", in.lines}});
  j["findings"] = nlohmann::ordered_json::array();
  for (const auto& f : r.findings) {
    nlohmann::ordered_json o;
    o["id"] = f.rule_id;
    o["level"] = severity_name(f.level);
    o["message"] = f.message;
    o["file"] = f.location.file;
    o["line"] = f.location.line;
    o["column"] = f.location.column;
    o["snippet"] = f.snippet;
    if (!f.requirement_id.empty()) o["requirement"] = f.requirement_id;
    o["fingerprint"] = f.fingerprint();
    if (!f.related.empty()) {
      o["related"] = nlohmann::ordered_json::array();
      for (const auto& rel : f.related)
        o["related"].push_back({{"file", rel.location.file}, {"line", rel.location.line}, {"message", rel.message}});
      if (f.related_left_out) o["related_left_out"] = f.related_left_out;
    }
    if (!f.properties.empty()) o["properties"] = f.properties;
    if (f.suppression) o["suppressed"] = *f.suppression;
    if (!f.baseline_state.empty()) o["baseline_state"] = f.baseline_state;
    j["findings"].push_back(std::move(o));
  }
  auto c = count_findings(r);
  j["summary"] = {{"errors", c.errors}, {"warnings", c.warnings}, {"notes", c.notes}, {"suppressed", c.suppressed}};
  j["notes"] = r.notes;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";  // never throw on a bad byte
}

}  // namespace fwm
