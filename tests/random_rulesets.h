// Random rulesets for the differential tests of the evaluators and of coverage, and the
// comparison of two evaluations packet by packet.
#pragma once

#include <random>
#include <string>

#include "eval/evaluator.h"

namespace fwm::test {

// A random iptables-save file: filter (and sometimes raw and nat) tables, user chains
// reached by jumps and gotos, rules on sources, destinations, ports, interfaces, states
// and conditions the IR cannot decide.
// `source_percent`: the share of rules with a source condition.
std::string random_ruleset(std::mt19937& rnd, int rules, int source_percent = 50);

// Both results give every packet the same verdict and deciding rule (and, with
// `uncertain`, the same first unknown rule): Catch2 checks, with the outcome in the message.
void compare_pieces(Family family, const EvalResult& a_result, const EvalResult& b_result, bool uncertain);

}  // namespace fwm::test
