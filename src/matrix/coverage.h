// Requirement coverage: for each requirement of a rule pack, which of its ports the
// ruleset accepts, denies, or leaves undetermined, and what decided each part.
#pragma once

#include <string>
#include <vector>

#include "eval/evaluator.h"
#include "matrix/pack.h"
#include "util/limits.h"

namespace fwm {

// An evaluation within the user's limits (--max-call-depth, --max-pieces): the problems
// a limit causes name the flag that raises it.
// `join_rewritten`: EvalOptions::join_rewritten (for results that never name an unknown
// rule as the reason a piece is undetermined); `slice_threads`: EvalOptions::slice_threads.
EvalResult evaluate_within(const Ruleset& rs, const Pipeline& pipeline, const Box& query, const Limits& limits,
                           bool join_rewritten = false, std::shared_ptr<ChainCallMemo> memo = nullptr,
                           std::size_t slice_threads = 1);

struct CoverageOptions {
  std::size_t threads = 2;  // 1 or 2 (two_threads.h)
  Limits limits;
  // The requirements of a path evaluated as one query (docs/architecture.md, "Joint
  // coverage"); false: each requirement and protocol on its own (the differential test).
  bool joint = true;
};

// One requirement on one (family, protocol) path.
struct CoverageSlice {
  Family family = Family::V4;
  int protocol = kProtoTcp;
  PortSet required;
  PortSet open;          // some packet from a non-loopback peer reaches it and is accepted
  PortSet undetermined;  // not open, but some packet depends on an unknown condition
  PortSet denied;        // every packet to these ports is denied
  // The pieces of the evaluator's partition of the query that are not accepted (what
  // gap findings name the deciders of); the accepted ones are summed up in `open`.
  std::vector<Piece> pieces;
  std::vector<std::string> problems;
  bool no_path = false;  // the ruleset has no pipeline for this family/direction
  // Network mode (--topology): the slice is a region source -> destination on the
  // forward path; `reply` slices check the answers (established, ports as source ports).
  bool network = false;
  bool reply = false;
  std::string source_label;
  std::string destination_label;
};

// Keeps only the pieces gap findings read (those not accepted), once a slice is
// classified: a requirement's accepted pieces can be thousands (one per kube-proxy
// service rule the query crosses), kept for the whole analysis.
void keep_unaccepted_pieces(CoverageSlice& slice);

struct RequirementCoverage {
  const Requirement* requirement = nullptr;
  std::vector<CoverageSlice> slices;
};

// A port counts as open when some packet to it from a non-loopback peer (any source
// address, source port, interface and destination address of the host) is accepted:
// without a topology fwmatrix cannot know which peers matter, so it reports only ports
// that no peer can reach.
std::vector<RequirementCoverage> compute_coverage(const Ruleset& rs,
                                                  const std::vector<const Requirement*>& requirements,
                                                  const CoverageOptions& options = {});

// The query box used for a requirement on one family/protocol path.
Box requirement_query(const Ruleset& rs, const Requirement& req, Family family, int protocol);

}  // namespace fwm
