// What the writers share: the denied parts grouped into the rules to write.
#pragma once

#include <string>
#include <vector>

#include "fix/fix.h"

namespace fwm::fix {

// The packets one new accept rule (or one per family / prefix) lets through: ports of
// one protocol that one rule or policy denies.
struct RuleGroup {
  Decider decider;
  int protocol = kProtoTcp;
  std::vector<Family> families;  // ascending, unique
  bool trusted_only = false;     // sensitive ports: from the trusted networks only
  bool network = false, reply = false;
  Direction direction = Direction::In;  // of the requirements
  // Network mode: the cut region's addresses, as prefixes, per family (index = family).
  std::vector<std::string> sources[2], destinations[2];
  PortSet ports;
  std::vector<Target> serves;
  bool tcp_and_udp = false;  // merged by merge_tcp_and_udp(): `protocol` is TCP
};

// Groups the parts by decider, protocol, sensitivity and (network mode) addresses, in
// the order their deciders appear. A part whose addresses take too many prefixes goes
// into `problems`.
std::vector<RuleGroup> group_parts(const WriterInput& in, std::vector<std::string>& problems);

// Joins the TCP and UDP groups that differ only in protocol (for formats that write both
// in one rule: nftables `meta l4proto { tcp, udp } th dport`, pf `proto { tcp udp }`).
void merge_tcp_and_udp(std::vector<RuleGroup>& groups);

// The ports in chunks of at most `max_slots` (a range takes `range_slots`).
std::vector<PortSet> port_chunks(const PortSet& ports, std::size_t max_slots, std::size_t range_slots);

// The chain a decider belongs to (null for an implicit default).
const Chain* decider_chain(const Ruleset& rs, const Decider& d);

// The leading blanks of a line.
std::string indentation(const std::string& line);
std::string trim(const std::string& s);
// Whitespace-separated words of a line, a quoted string ("...") or a braced set ({ ... })
// kept as one word.
std::vector<std::string> words(const std::string& text);

// The text of a line with a '\r' of its own (CRLF files) for lines inserted next to it.
std::string line_ending(const std::string& line);

}  // namespace fwm::fix
