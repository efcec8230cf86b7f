// Joint coverage (coverage.cpp, docs/architecture.md "Joint coverage"): the requirements
// of a path evaluated as one query give every requirement the same open, denied and
// undetermined ports, and every packet of its gaps the same verdict, deciding rule and
// first unknown condition, as evaluating each requirement on its own.
#include <fmt/format.h>

#include <random>

#include "frontends/frontend.h"
#include "fwm_catch.hpp"
#include "matrix/coverage.h"
#include "random_rulesets.h"

using namespace fwm;

namespace {

std::vector<RequirementCoverage> coverage_with(const Ruleset& rs, const std::vector<const Requirement*>& reqs,
                                               bool joint) {
  CoverageOptions options;
  options.joint = joint;
  return compute_coverage(rs, reqs, options);
}

}  // namespace

TEST_CASE("joint coverage gives each requirement what its own evaluation gives", "[coverage][eval]") {
  auto loaded = load_pack_file(std::string(FWM_SOURCE_DIR) + "/rules/sfb2015.yaml");
  REQUIRE(loaded.pack);
  const auto reqs = loaded.pack->requirements_for({"front-end", "edge-internal"}, "hardware");
  REQUIRE(reqs.size() > 20);
  std::mt19937 rnd(23);
  std::size_t slices = 0, with_gaps = 0;
  for (int round = 0; round < 30; ++round) {
    std::string text = fwm::test::random_ruleset(rnd, 20 + round * 3);
    // Some rules on the media ports and on the SIP ports, so that gaps fall inside them.
    text.insert(text.rfind("COMMIT"), fmt::format("-A INPUT -p udp -m udp --dport {}:{} -j {}\n", 50000 + round * 100,
                                                  56000 + round * 10, round % 2 ? "DROP" : "ACCEPT"));
    text.insert(text.rfind("COMMIT"),
                "-A INPUT -p tcp -m multiport --dports 5061,5062:5065 -m mac --mac-source "
                "00:11:22:33:44:55 -j ACCEPT\n");
    auto loaded_rs = load_ruleset_bytes("random.rules", text, {"iptables"});
    REQUIRE(loaded_rs.ruleset);
    const Ruleset& rs = *loaded_rs.ruleset;
    const auto alone = coverage_with(rs, reqs, false);
    const auto joint = coverage_with(rs, reqs, true);
    REQUIRE(alone.size() == joint.size());
    INFO(text);
    for (std::size_t i = 0; i < alone.size(); ++i) {
      INFO("requirement " << alone[i].requirement->id);
      REQUIRE(alone[i].slices.size() == joint[i].slices.size());
      for (std::size_t s = 0; s < alone[i].slices.size(); ++s) {
        const CoverageSlice& a = alone[i].slices[s];
        const CoverageSlice& b = joint[i].slices[s];
        INFO(fmt::format("{} {}", family_name(a.family), proto_name(a.protocol)));
        ++slices;
        CHECK(a.open == b.open);
        CHECK(a.denied == b.denied);
        CHECK(a.undetermined == b.undetermined);
        CHECK(a.problems == b.problems);
        if (!a.pieces.empty()) ++with_gaps;
        EvalResult pieces_alone, pieces_joint;
        pieces_alone.pieces = a.pieces;
        pieces_joint.pieces = b.pieces;
        fwm::test::compare_pieces(a.family, pieces_alone, pieces_joint, /*uncertain=*/true);
      }
    }
  }
  INFO(slices << " slices, " << with_gaps << " with gaps");
  CHECK(with_gaps > 300);
}
