// The IPsec-policy IR: what an IPsec configuration (Windows connection security rules,
// strongSwan, setkey, OpenBSD flows, Linux XFRM) says about which traffic is protected,
// bypassed (exempt) or discarded. Selectors are written from the host's point of view
// (local / remote), never as packet source / destination, so that one entry can cover
// both directions.
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <vector>

#include "ir/ruleset.h"

namespace fwm {

enum class IpsecAction {
  Protect,  // IPsec required or requested: plain traffic is negotiated / dropped
  Bypass,   // no IPsec processing: exempt
  Discard,  // dropped by the IPsec policy
};
const char* ipsec_action_name(IpsecAction a);

struct IpsecSelector {
  std::bitset<2> families = std::bitset<2>().set();  // bit 0 IPv4, bit 1 IPv6
  std::optional<ProtoSet> proto;
  std::optional<AddrSet> local_addr, remote_addr;
  std::optional<PortSet> local_port, remote_port;
  bool inbound = true, outbound = true;
  std::vector<std::string> unknowns;  // conditions that cannot be decided from the file
};

struct IpsecEntry {
  IpsecSelector selector;
  IpsecAction action = IpsecAction::Protect;
  std::string action_label;  // as written: "type=passthrough", "none", "action=noauthentication"
  std::string name;          // conn / child / rule name, empty when the format has none
  SourceSpan span;
  std::string text;        // the entry's source text on one line
  std::string normalized;  // content for fingerprints (no line numbers)
  // Precedence: entries are tried in ascending (rank, position) order; the first whose
  // selector matches decides.
  std::vector<long long> rank;
  int position = 0;
  bool installed = true;          // false: read but never reaches the SPD (auto=add, ...)
  std::string not_installed_why;  // why not
  std::vector<std::string> suppressions;
};

struct IpsecPolicy {
  std::string format;  // "strongswan-ipsec.conf", "swanctl", "setkey", ...
  std::string file;
  std::vector<IpsecEntry> entries;
  std::vector<Diagnostic> diagnostics;
  std::size_t line_count = 0;
  // Parts of the file that could not be read (their entries are unknown), as opposed to
  // entries the policy tool itself would refuse (known not to exist).
  std::size_t unreadable_parts = 0;
  SourceSpan first_unreadable;  // where the first of them is
  // What applies where no entry matches (all formats here: no IPsec processing).
  IpsecAction default_action = IpsecAction::Bypass;
  std::string default_text = "no IPsec policy matches (default: no IPsec processing)";
  // Windows: endpoint 1 / endpoint 2 rather than local / remote; the host is taken as
  // endpoint 1 and the swapped orientation is only mentioned.
  bool endpoint_pairs = false;

  // Installed entries in evaluation order.
  std::vector<const IpsecEntry*> evaluation_order() const;
};

// A region of traffic as the host sees it.
struct IpsecBox {
  Family family = Family::V4;
  Direction direction = Direction::In;  // In or Out
  ProtoSet proto = proto_all();
  AddrIntervals local_addr, remote_addr;
  PortSet local_port = all_ports(), remote_port = all_ports();

  static IpsecBox everything(Family f, Direction d);
  bool empty() const;
};

enum class IpsecVerdict { Bypass, Protect, Discard, Undetermined };
const char* ipsec_verdict_name(IpsecVerdict v);

struct IpsecPiece {
  IpsecBox box;
  IpsecVerdict verdict = IpsecVerdict::Bypass;
  const IpsecEntry* decider = nullptr;       // null: the policy's default
  const IpsecEntry* uncertain_by = nullptr;  // for Undetermined: the entry whose condition is unknown
};

struct IpsecEvalResult {
  std::vector<IpsecPiece> pieces;
  // The region split into more than max_pieces pieces: what was left to decide is in
  // `pieces` as Undetermined, with neither a decider nor an uncertain_by.
  bool truncated = false;
};

// Partitions `query` by what the policy does with it (interval arithmetic: whole
// ranges, never port by port). The pieces always cover all of `query`.
IpsecEvalResult evaluate_ipsec(const IpsecPolicy& policy, const IpsecBox& query, std::size_t max_pieces = 2'000'000);

// The part of `box` the selector matches (ignoring unknowns), if any.
std::optional<IpsecBox> ipsec_intersect(const IpsecBox& box, const IpsecSelector& sel);
// `box` minus the selector's region, as disjoint boxes.
std::vector<IpsecBox> ipsec_subtract(const IpsecBox& box, const IpsecSelector& sel);

}  // namespace fwm
