#include "checks/finding.h"

#include <algorithm>
#include <fmt/format.h>
#include <tuple>

namespace fwm {

std::string stable_hash(const std::string& text) {
  std::uint64_t a = 0xcbf29ce484222325ull, b = 0x84222325cbf29ce4ull;
  for (unsigned char c : text) {
    a = (a ^ c) * 0x100000001b3ull;
    b = (b ^ static_cast<unsigned char>(c + 0x5b)) * 0x100000001b3ull;
  }
  return fmt::format("{:016x}{:016x}", a, b);
}

std::string Finding::fingerprint() const { return stable_hash(rule_id + "\n" + fingerprint_basis); }

void sort_findings(std::vector<Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& x, const Finding& y) {
    return std::tie(x.location.file, x.location.line, x.location.column, x.rule_id, x.message) <
           std::tie(y.location.file, y.location.line, y.location.column, y.rule_id, y.message);
  });
}

}  // namespace fwm
