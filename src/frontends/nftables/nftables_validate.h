// What nft itself refuses in a rule that the grammar reads: values out of a field's range,
// symbols a datatype does not know, options that exclude each other, statements after a
// terminal statement, protocols that contradict each other. A file nft refuses does not
// load at all, so each of these is an FWM090 with nft's reason.
//
// The checks follow nftables' own parser and evaluator (src/parser_bison.y, evaluate.c,
// ct.c, meta.c, proto.c, payload.c, tcpopt.c) and the fail lines of its tests/py suite;
// each check is narrow: it fires only where nft's reason is certain, and anything it does
// not know is left to the rest of the frontend.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace fwm::nftables {

struct RuleToken {
  std::string text;  // as written ("\"eth0\"" keeps its quotes)
  int line = 0;
  int column = 0;  // 1-based
};

struct RuleContext {
  std::string family;      // the table's family: ip, ip6, inet, arp, bridge, netdev
  std::string chain_type;  // filter, nat, route; empty for a chain without a hook
  std::string hook;        // input, prerouting, ...; empty for a chain without a hook
  // The declared type of a named set or map of the table ("ipv4_addr", "ipv6_addr . inet_service",
  // "typeof ip saddr"); nullopt when the table has no set of that name (yet).
  std::function<std::optional<std::string>(const std::string&)> set_type;
};

struct RuleProblem {
  std::size_t token = 0;  // the token nft points at
  std::string message;    // nft's reason
};

// The first problem nft reports for the rule made of `tokens` (newlines left out), or nullopt.
std::optional<RuleProblem> validate_rule(const std::vector<RuleToken>& tokens, const RuleContext& context);

}  // namespace fwm::nftables
