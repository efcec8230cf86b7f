#pragma once
#include <string>
namespace fwm {
// docs/rules/ID.md as embedded at build time; empty when there is no page.
std::string embedded_rule_doc(const std::string& id);
}  // namespace fwm
