// `fwmatrix fix`: edits of a config, in its own syntax, that close the FWM001 gaps of
// the roles. The gaps come from the requirement coverage (the same as FWM001's); a writer
// per format (fix_iptables.cpp, fix_nftables.cpp, fix_pf.cpp, fix_windows.cpp) turns
// them into lines inserted (or replacing lines) at exact places of the original text;
// fix_config() applies them, checks the result again, and repeats while the gaps move on
// to a later stage (an nftables base chain or iptables table that also denies).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "checks/finding.h"
#include "eval/region.h"
#include "frontends/frontend.h"
#include "ir/services.h"
#include "matrix/coverage.h"
#include "matrix/pack.h"
#include "matrix/topology.h"
#include "util/limits.h"

namespace fwm::fix {

// Whom an edit serves: a FWM001 finding is about requirement ids, a protocol, families
// and (network mode) a source and destination.
struct Target {
  std::string requirement;
  int protocol = 0;
  Family family = Family::V4;
  std::string source_label, destination_label;
  bool operator==(const Target&) const = default;
};

// The packets of one requirement, protocol and family that one rule or policy denies.
struct DeniedPart {
  const Requirement* requirement = nullptr;
  Family family = Family::V4;
  int protocol = kProtoTcp;
  PortSet ports;  // destination ports (source ports for reply slices)
  Decider decider;
  bool network = false, reply = false;
  AddrIntervals sources, destinations;  // network mode: the addresses of the cut region
  std::string source_label, destination_label;

  Target target() const {
    return {requirement ? requirement->id : "", protocol, family, source_label, destination_label};
  }
};

// Lines inserted before `line` (1-based; the line count + 1: at the end of the text), or,
// with `replace`, put in place of that line.
struct Edit {
  int line = 0;
  bool replace = false;
  std::vector<std::string> lines;
  std::vector<Target> serves;
};

// What a writer reads.
struct WriterInput {
  const Ruleset& rs;
  const std::vector<std::string>& lines;  // the text the ruleset was read from, by line (no '\n')
  const std::vector<DeniedPart>& parts;
  const Pack& pack;  // sensitive ports: accepted from the trusted networks only
};

struct WriterOutput {
  std::vector<Edit> edits;            // against WriterInput::lines
  std::vector<std::string> problems;  // gaps it cannot close, and why
  std::vector<std::string> notes;     // what the edits do beyond adding (a block rule narrowed)
};

// One writer per format: a small interface, one file each.
class Writer {
 public:
  virtual ~Writer() = default;
  virtual WriterOutput write(const WriterInput& in) const = 0;
};

// The writer of a format ("iptables", "nftables", "pf", "windows"); null when fwmatrix
// cannot write fixes for that format yet.
const Writer* writer_for(const std::string& format);
const Writer& iptables_writer();
const Writer& nftables_writer();
const Writer& pf_writer();
const Writer& windows_writer();

// The denied parts of the non-optional requirements of `coverage` (what FWM001 reports).
std::vector<DeniedPart> denied_parts(const std::vector<RequirementCoverage>& coverage);

// Edits made in several rounds, kept against the original text.
class Patch {
 public:
  explicit Patch(std::vector<std::string> original, bool final_newline = true);
  // Applies edits made against current(); false (and nothing applied) when one replaces a
  // line that is no longer the original's.
  bool apply(const std::vector<Edit>& edits);
  std::vector<std::string> current() const;
  std::string current_text() const;
  // The edits against the original text, one per place; with `keep`, only the added
  // lines that serve a target it keeps (a replaced line stays whole).
  std::vector<Edit> edits(const std::function<bool(const Target&)>& keep = nullptr) const;
  bool empty() const;
  const std::vector<std::string>& original() const { return original_; }
  bool final_newline() const { return final_newline_; }

 private:
  struct Added {
    std::string text;
    std::vector<Target> serves;
  };
  struct Slot {  // original line i (0-based), or the end (i = size)
    std::vector<Added> before;
    std::optional<std::vector<Added>> replacement;
  };
  std::vector<std::string> original_;
  bool final_newline_;
  std::vector<Slot> slots_;
};

// Splits text into lines (without '\n'; a '\r' stays with its line); `final_newline`
// tells whether the text ended with one.
std::vector<std::string> split_lines(const std::string& text, bool& final_newline);

// A unified diff (`diff -u`, accepted by `patch -p0`) of the patch: `--- path` / `+++ path`.
std::string unified_diff(const Patch& patch, const std::string& path, int context = 3);

// The parts of a network-mode region as address prefixes ("10.0.0.0/8"); nullopt when it
// takes more than `max_items`.
std::optional<std::vector<std::string>> prefixes_of(Family f, const AddrIntervals& set, std::size_t max_items = 8);
// The trusted networks (RFC 1918, ULA) as prefixes of family f.
std::vector<std::string> trusted_prefixes(Family f);
// The ports of `ports` that the pack lists as sensitive for the protocol.
PortSet sensitive_ports(const Pack& pack, int protocol);

struct FixRequest {
  std::string path;   // as given (also the name in reports)
  std::string bytes;  // the file's content
  LoadOptions load;
  const Pack* pack = nullptr;
  std::vector<std::string> roles;
  std::string lb_mode = "hardware";
  const Topology* topology = nullptr;
  Limits limits;
  int max_rounds = 6;
  bool verify = true;  // run every check on the result (no new FWM021/FWM022)
};

struct FixResult {
  bool ok = false;                    // the fixed text has no FWM001 (and, when verified, no new exposure)
  std::optional<Patch> patch;         // null when the input could not be read
  std::string fixed;                  // the fixed text (the original when nothing changed)
  std::vector<std::string> problems;  // why it failed
  std::vector<std::string> notes;
  std::size_t gaps_before = 0, gaps_after = 0;  // FWM001 findings
  int rounds = 0;
  std::string format;
};

FixResult fix_config(const FixRequest& request);

// The edits of `result` that serve finding `f` (a FWM001), against the original text.
std::vector<Edit> edits_for_finding(const FixResult& result, const Finding& f);

}  // namespace fwm::fix
