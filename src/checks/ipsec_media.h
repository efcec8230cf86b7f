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

struct IpsecScopeResult {
  const IpsecMediaScope* scope = nullptr;
  Family family = Family::V4;
  IpsecBox query;
  IpsecEvalResult eval;
};

// Evaluates every media scope of the roles, for both families, over one policy, each
// into at most `max_pieces` pieces (--max-pieces).
std::vector<IpsecScopeResult> evaluate_media_scopes(const IpsecPolicy& policy,
                                                    const std::vector<IpsecMediaScope>& scopes, std::size_t max_pieces);

// Text helpers.
std::string ipsec_entry_text(const IpsecEntry& e);
SourceSpan ipsec_entry_location(const IpsecPolicy& policy, const IpsecEntry* e, std::string& snippet);
std::string ipsec_rows_label(const IpsecMediaScope& s);

}  // namespace fwm
