// The subcommands. Each returns the process exit code (0 ok, 1 findings, 2 usage/input).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "eval/region.h"
#include "frontends/frontend.h"
#include "ir/ruleset.h"
#include "report/report.h"
#include "util/limits.h"

namespace fwm {

// One report of a run: a format and where it goes (empty path or "-": stdout).
struct OutputSpec {
  std::string format;
  std::string path;
  bool to_stdout() const { return path.empty() || path == "-"; }
};

struct CheckArgs {
  std::vector<std::string> files;
  std::string format;
  std::string profile;  // formats with variants (Windows profiles): only this one
  std::string pack = "sfb2015";
  std::string rules_dir;
  std::vector<std::string> roles;
  std::string topology;
  std::vector<std::string> ipsec;
  std::vector<OutputSpec> outputs;  // --report FORMAT[=FILE] / -o FILE; empty: text to stdout
  std::string fail_on = "error";
  std::string baseline;
  bool new_only = false;  // --new-only: only the findings that are new against --baseline
  bool quiet = false;     // --quiet: no notes, no summary line, nothing on stderr but errors
  std::string lb_mode;
  std::string category;
  std::string config;  // explicit .fwmatrix.yaml
  bool no_config = false;
  bool allow_outside = false;  // includes may leave the input's directory tree
  bool pack_given = false, fail_on_given = false;
  Limits limits;                          // --max-... flags (defaults elsewhere)
  std::vector<std::string> limits_given;  // LimitSetting::key of each flag given: .fwmatrix.yaml fills the rest
};
int cmd_check(const CheckArgs& a);
InputSummary input_summary(const Ruleset& rs);

struct PathArgs {
  std::string file;
  std::string format;
  std::string profile;  // Windows: Domain, Private or Public
  std::string proto;
  std::string src, dst, sport, iface;
  std::string direction = "in";
  bool json = false;
  std::string dport;  // explain only
  bool allow_outside = false;
  Limits limits;  // --max-... flags
};
int cmd_ports(const PathArgs& a);
int cmd_explain(const PathArgs& a);

struct MatrixArgs {
  std::string pack = "sfb2015";
  std::string rules_dir;
  std::vector<std::string> roles;
  std::string lb_mode;
  bool json = false;
};
int cmd_matrix_show(const MatrixArgs& a);
int cmd_rules(const std::string& id);

struct DiffArgs {
  std::string old_file, new_file;
  std::string format_old, format_new;
  std::string pack = "sfb2015";
  std::string rules_dir;
  std::vector<std::string> roles;
  std::string lb_mode;
  std::vector<OutputSpec> outputs;  // as check's
  std::string fail_on;              // empty: the default rule (a requirement worse, a new exposure or gap)
  bool quiet = false;
  Limits limits;  // --max-... flags
};
int cmd_diff(const DiffArgs& a);

struct FixArgs {
  std::vector<std::string> files;
  std::string format;
  std::string pack = "sfb2015";
  std::string rules_dir;
  std::vector<std::string> roles;
  std::string topology;
  std::string lb_mode;
  std::vector<std::string> ipsec;  // --ipsec: IPsec policies (FWM010 exemptions): not written yet
  std::string output;              // -o: the fixed config (or the diff) goes there
  bool in_place = false;
  bool diff = false;
  bool allow_outside = false;
  bool quiet = false;
  Limits limits;  // --max-... flags
};
int cmd_fix(const FixArgs& a);

// Writes text to `path` (or stdout when empty); false with a message on failure.
bool write_output(const std::string& path, const std::string& text);

// Loads a ruleset from `path`, or from standard input when `path` is "-" (read once per
// process: a second "-" is an error).
LoadResult load_input(const std::string& path, const LoadOptions& options);
// The text read from standard input by load_input ("" before).
const std::string& stdin_text();
// The name a ruleset read from standard input carries in reports.
inline constexpr const char* kStdinName = "stdin";

// Colours for text written to this stream: a terminal and NO_COLOR unset or empty.
bool use_color(int fd);

// Builds the query box of `ports`/`explain` from the optional field filters; returns an
// error message for bad values.
std::string build_path_query(const Ruleset& rs, const PathArgs& a, Family f, Box& box, bool& family_matches);

}  // namespace fwm
