// The one place that lists the checks.
#include <fmt/format.h>

#include "checks/check.h"
#include "checks/rule_docs.h"

namespace fwm {

std::unique_ptr<Check> make_required_port_denied_check();
std::unique_ptr<Check> make_required_port_undetermined_check();
std::unique_ptr<Check> make_optional_port_denied_check();
std::unique_ptr<Check> make_media_not_ipsec_exempt_check();
std::unique_ptr<Check> make_narrow_ipsec_exemption_check();
std::unique_ptr<Check> make_accept_all_check();
std::unique_ptr<Check> make_excess_ports_check();
std::unique_ptr<Check> make_sensitive_port_exposed_check();
std::unique_ptr<Check> make_shadowed_rule_check();
std::unique_ptr<Check> make_redundant_rule_check();
std::unique_ptr<Check> make_parse_error_check();
std::unique_ptr<Check> make_unmodelled_construct_check();

const std::vector<std::unique_ptr<Check>>& all_checks() {
  static const std::vector<std::unique_ptr<Check>> checks = [] {
    std::vector<std::unique_ptr<Check>> v;
    v.push_back(make_required_port_denied_check());
    v.push_back(make_required_port_undetermined_check());
    v.push_back(make_optional_port_denied_check());
    v.push_back(make_media_not_ipsec_exempt_check());
    v.push_back(make_narrow_ipsec_exemption_check());
    v.push_back(make_accept_all_check());
    v.push_back(make_excess_ports_check());
    v.push_back(make_sensitive_port_exposed_check());
    v.push_back(make_shadowed_rule_check());
    v.push_back(make_redundant_rule_check());
    v.push_back(make_parse_error_check());
    v.push_back(make_unmodelled_construct_check());
    return v;
  }();
  return checks;
}

const Check* find_check(const std::string& id) {
  for (const auto& c : all_checks())
    if (c->info().id == id) return c.get();
  return nullptr;
}

std::string check_doc(const std::string& id) { return embedded_rule_doc(id); }

std::string check_help_uri(const std::string& id) {
  return fmt::format("https://github.com/fwmatrix/fwmatrix/blob/main/docs/rules/{}.md", id);
}

}  // namespace fwm
