// `diff` as JSON.
#include <nlohmann/json.hpp>

#include "ir/services.h"
#include "report/diff_report.h"

namespace fwm {

namespace {
nlohmann::ordered_json finding_json(const Finding& f) {
  return {{"id", f.rule_id},         {"level", severity_name(f.level)}, {"message", f.message},
          {"file", f.location.file}, {"line", f.location.line},         {"fingerprint", f.fingerprint()}};
}
nlohmann::ordered_json decider_json(const Decider& d) {
  nlohmann::ordered_json j;
  if (d.rule) {
    j = {{"file", d.rule->span.file}, {"line", d.rule->span.line}, {"rule", d.rule->text}};
  } else if (d.policy) {
    j = {{"file", d.policy->policy_span.file}, {"line", d.policy->policy_span.line}, {"policy", d.policy->name}};
  } else {
    j = {{"implicit", std::string(d.implicit)}};
  }
  return j;
}
}  // namespace

std::string render_diff_json(const DiffReport& d) {
  nlohmann::ordered_json j;
  j["old"] = {{"file", d.old_input.file}, {"format", d.old_input.format}};
  j["new"] = {{"file", d.new_input.file}, {"format", d.new_input.format}};
  j["roles"] = d.roles;
  j["requirements"] = nlohmann::ordered_json::array();
  for (const auto& r : d.requirements)
    j["requirements"].push_back({{"requirement", r.requirement},
                                 {"role", r.role},
                                 {"traffic", r.what},
                                 {"before", r.before},
                                 {"after", r.after},
                                 {"worse", r.worse}});
  j["changes"] = nlohmann::ordered_json::array();
  for (const auto& c : d.changes) {
    auto ports = nlohmann::ordered_json::array();
    for (const auto& iv : c.ports.intervals()) ports.push_back({iv.lo, iv.hi});
    j["changes"].push_back({{"family", family_name(c.family)},
                            {"direction", direction_name(c.direction)},
                            {"protocol", proto_name(c.protocol)},
                            {"ports", ports},
                            {"sources", format_addr_intervals(c.family, c.sources, 1000)},
                            {"before", verdict_name(c.before)},
                            {"after", verdict_name(c.after)},
                            {"new_decider", decider_json(c.new_decider)},
                            {"old_decider", decider_json(c.old_decider)}});
  }
  j["new_findings"] = nlohmann::ordered_json::array();
  for (const auto& f : d.new_findings) j["new_findings"].push_back(finding_json(f));
  j["fixed_findings"] = nlohmann::ordered_json::array();
  for (const auto& f : d.fixed_findings) j["fixed_findings"].push_back(finding_json(f));
  j["unchanged_findings"] = d.unchanged_findings;
  j["notes"] = d.notes;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";  // never throw on a bad byte
}

}  // namespace fwm
