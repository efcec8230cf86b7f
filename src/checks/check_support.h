// Shared reporting of requirement gaps (used by FWM001, FWM002, FWM003).
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>

#include "checks/check.h"

namespace fwm {

enum class GapKind { Denied, Undetermined };

// Adds `deciders` (at most kMaxRelatedLocations, the rest counted) to f.related, each with
// `what` after its text ("decides these packets").
void add_related_deciders(const Ruleset& rs, const std::vector<Decider>& deciders, const std::string& what, Finding& f);

// Reports, for every requirement selected by `want_optional`, the ports of kind `kind`,
// one finding per deciding rule or policy.
void report_requirement_gaps(const AnalysisContext& ctx, const CheckInfo& info, GapKind kind, bool want_optional,
                             std::vector<Finding>& out);

// The region of new connections to the host (inbound path) from non-loopback peers in
// `sources` (all non-loopback addresses when null) for one family and protocol.
Box inbound_region(const Ruleset& rs, Family f, int proto, const AddrSet* sources = nullptr);

// The region of new connections from any non-loopback peer on one path of one family,
// every protocol (inbound_region() is its part for one protocol).
Box open_region(const Ruleset& rs, Family f, Direction d);

// Evaluations of open_region() per (family, direction), computed on first use and kept
// for the other checks of the same analysis: the whole-path evaluation of a large
// ruleset is the most expensive step of FWM020 and FWM021, and its result does not
// depend on the check. Neither reads Piece::uncertain_by, so the evaluations join
// rewritten pieces (EvalOptions::join_rewritten). Safe to call from several threads.
//
// The anomaly survey evaluates every packet of each path on the other core: with
// expect_surveys(), get() waits for that path's survey (offer_survey()) and keeps its part
// in open_region() instead of evaluating the path a second time, unless a rule changes
// the conntrack state (a piece's state is then the changed one, not the packet's) or a
// limit cut the survey short. surveys_done() ends the wait (get() then evaluates itself).
class OpenPathEvaluations {
 public:
  OpenPathEvaluations(const Ruleset& rs, const Limits& limits, std::shared_ptr<ChainCallMemo> memo = nullptr)
      : rs_(rs), limits_(limits), memo_(std::move(memo)) {}
  // The accepted pieces of the path's open region (all its readers, FWM020 and FWM021,
  // look at), with the evaluation's problems. Null when the ruleset has no such path.
  const EvalResult* get(Family f, Direction d);
  // Frees the evaluations once no check needs them (they are large for large rulesets).
  void release();
  // Whether get() is to wait for the surveys (false where their pieces cannot give the
  // open paths): the caller then hands them to offer_survey().
  bool expect_surveys();
  void offer_survey(const Pipeline& p, const EvalResult& survey);
  void surveys_done();

 private:
  const Ruleset& rs_;
  Limits limits_;
  std::shared_ptr<ChainCallMemo> memo_;
  std::mutex mutex_;
  std::condition_variable surveyed_;
  bool waiting_for_surveys_ = false;
  std::map<std::pair<Family, Direction>, std::unique_ptr<EvalResult>> results_;
};

// The evaluation of open_region(rs, f, d): from ctx.open_paths when the analysis keeps
// one, computed here otherwise (into `storage`). Null when the ruleset has no such path.
const EvalResult* open_path_evaluation(const AnalysisContext& ctx, Family f, Direction d, EvalResult& storage);

// Accepted pieces of that region, grouped by what accepted them.
struct AcceptGroup {
  Decider decider;
  PortSet ports;
  AddrIntervals sources;
};
std::vector<AcceptGroup> accepted_by_decider(const Ruleset& rs, const Box& query, Direction d = Direction::In,
                                             const Limits& limits = {});
// The same over pieces already evaluated, for the packets of protocol `proto` only.
std::vector<AcceptGroup> accepted_by_decider(const std::vector<Piece>& pieces, int proto);

// Default trusted networks of design.md: RFC 1918, ULA, loopback.
const AddrSet& default_trusted_networks();

// Turns the ruleset's diagnostics with this check's id into findings (FWM090, FWM091).
void report_diagnostics(const AnalysisContext& ctx, const CheckInfo& info, std::vector<Finding>& out);

}  // namespace fwm
