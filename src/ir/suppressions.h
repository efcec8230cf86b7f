// Inline suppressions: a comment (or rule description) saying
// `fwmatrix: ignore FWM001, FWM020 -- reason` keeps those results of the rule out of
// the failing set (SARIF `suppressions`, see docs/github-actions.md). Every frontend
// reads them with this one function.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ir/sparse.h"

namespace fwm {

// Appends the result ids named after each "fwmatrix: ignore" in `comment` (up to its
// "--", which starts the reason): words of the form FWM and three more characters,
// separated by commas or blanks.
void read_suppressions(std::string_view comment, std::vector<std::string>& out);
// The same for a rule's suppressions, which most rules do not have.
inline void read_suppressions(std::string_view comment, SparseVector<std::string>& out) {
  std::vector<std::string> ids;
  read_suppressions(comment, ids);
  out.append(ids.begin(), ids.end());
}

}  // namespace fwm
