// Shared part of the IPsec exemption checks (FWM010, FWM011): which media traffic of the
// roles must be exempt, and how an IPsec policy treats it.
#pragma once

#include <string>
#include <vector>

#include "checks/check.h"
#include "ir/ipsec_policy.h"

namespace fwm {

// Media traffic of the host in one direction and protocol that the pack's IPsec
// exemption table says must not be subject to IPsec. Ports are the host's own (local)
// ports: destination ports inbound, source ports outbound.
struct IpsecMediaScope {
  Direction direction = Direction::In;
  int protocol = kProtoUdp;
  PortSet local_ports;
  std::vector<const IpsecExemption*> rows;  // the exemption rows that ask for it
  std::vector<std::string> media_names;     // audio, video, ... (for messages)
};

std::vector<IpsecMediaScope> ipsec_media_scopes(const Pack& pack, const std::vector<std::string>& roles,
                                                const std::string& lb_mode);

// The host's own addresses as far as the policy lets us tell without a topology: per
// family, the local-side addresses of its exemptions when every exemption names some,
// else all addresses of the family.
AddrSet assumed_local_addresses(const IpsecPolicy& policy);

// Windows connection security rules name Endpoint1 and Endpoint2, not the host and its
// peer. A piece whose outcome differs between the host as Endpoint1 and the host as
// Endpoint2 is undetermined (see evaluate_media_scopes); this says why.
struct IpsecOrientation {
  bool open = false;  // the outcome depends on the orientation
  IpsecVerdict endpoint2_verdict = IpsecVerdict::Bypass;
  const IpsecEntry* endpoint2_decider = nullptr;  // null: no rule matches with the host as Endpoint2
};

struct IpsecScopeResult {
  const IpsecMediaScope* scope = nullptr;
  Family family = Family::V4;
  IpsecBox query;
  IpsecEvalResult eval;
  std::vector<IpsecOrientation> orientation;  // per piece of `eval`; empty unless endpoint pairs
};

// Evaluates every media scope of the roles, for both families, over one policy, each
// into at most `max_pieces` pieces (--max-pieces). Policies of endpoint pairs (Windows)
// are evaluated with the host as Endpoint1 and, where that is not an exemption, also
// with the host as Endpoint2: where the two differ the piece is undetermined.
std::vector<IpsecScopeResult> evaluate_media_scopes(const IpsecPolicy& policy,
                                                    const std::vector<IpsecMediaScope>& scopes, std::size_t max_pieces);

// The policy with endpoint 1 and endpoint 2 exchanged (Windows rule pairs).
IpsecPolicy swap_endpoints(const IpsecPolicy& p);

// Text helpers.
std::string ipsec_entry_text(const IpsecEntry& e);
SourceSpan ipsec_entry_location(const IpsecPolicy& policy, const IpsecEntry* e, std::string& snippet);
std::string ipsec_rows_label(const IpsecMediaScope& s);

}  // namespace fwm
