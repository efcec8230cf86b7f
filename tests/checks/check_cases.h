// Check cases: corpus/checks/ID/ holds the small inputs of check ID, each carrying its
// expected results next to the lines, in the format's own comment syntax
// (corpus/checks/README.md is the reference):
//   # fwmatrix: --role front-end     the case's arguments to `fwmatrix check FILE` (marks
//                                    the file as a case; may be empty); `%s` in them stands
//                                    for the file, which then does not come first
//                                    (`fw.rules --role front-end --ipsec %s`)
//   # expect: FWM030                 the next line that is not a directive has FWM030
//   # expect: FWM001 FWM022          ... several results on that line
//   # expect@1: FWM001               a result at an absolute line (line 1: no line of the
//                                    file decides, e.g. Windows' default inbound action)
// The comment marker is whatever the format reads as a line comment: `#`, `;`, `//`,
// `::` or `rem`. The runner checks that exactly the expected (file, line, id) pairs come
// out for the ids the case compares: the folder's id and every id an expectation names.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace fwm::test {

// (file name relative to the case folder, line, result id)
using Expectation = std::tuple<std::string, int, std::string>;

struct CheckCase {
  std::filesystem::path path;       // corpus/checks/ID/NAME, relative to the source tree
  std::string check_id;             // ID: the folder's name
  std::string args;                 // the text after "fwmatrix:"
  std::vector<std::string> inputs;  // NAME, then the files of the folder that args name
  std::set<Expectation> expected;
  std::set<std::string> compared_ids;  // check_id and every id an expectation names
  std::vector<std::string> errors;     // malformed directives (the case fails)
};

// The text of a line comment (after the marker, leading blanks removed), or nullopt.
std::optional<std::string> line_comment(const std::string& line);

// Reads the expectations a file carries (`file` is the name they are recorded under);
// malformed directives go to `errors` as "FILE:LINE: reason".
void read_expectations(const std::filesystem::path& path, const std::string& file, std::set<Expectation>& out,
                       std::vector<std::string>& errors);

// Whether `path` carries a "fwmatrix:" directive (is a case, not a file a case reads).
bool is_check_case(const std::filesystem::path& path);

// The case in `path` (corpus/checks/ID/NAME, relative to the source tree).
CheckCase read_check_case(const std::filesystem::path& source_dir, const std::filesystem::path& path);

// Every case under corpus/checks, sorted by path.
std::vector<CheckCase> all_check_cases(const std::filesystem::path& source_dir);

// What the case produces: (file, line, id) of each result whose id the case compares
// (suppressed results do not count), or a description of the failure in `error`.
std::set<Expectation> run_check_case(const CheckCase& c, std::string& error);

}  // namespace fwm::test
