// IPsec policy readers for `fwmatrix check --ipsec FILE`: Windows connection security
// rules (netsh show text, netsh / PowerShell scripts), strongSwan and libreswan
// ipsec.conf, swanctl.conf, setkey SPD files, OpenBSD ipsec.conf flows and
// `ip xfrm policy` output, each read with its ANTLR grammar into the IPsec-policy IR.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/ipsec_policy.h"
#include "util/text_input.h"

namespace fwm::ipsec {

// Format names, in detection order.
std::vector<std::string> ipsec_formats();
// Picks the format from content; empty when it is none of them.
std::string detect_ipsec_format(const TextFile& file);

struct IpsecLoad {
  std::unique_ptr<IpsecPolicy> policy;  // null when the file could not be read or recognised
  std::string error;
};

IpsecLoad load_ipsec_policy(const std::string& path, const std::string& format = "", const ReadLimits& limits = {});
IpsecLoad load_ipsec_policy_bytes(const std::string& display_path, const std::string& bytes,
                                  const std::string& format = "");
IpsecLoad load_ipsec_policy_file(const TextFile& file, const std::string& format = "");

}  // namespace fwm::ipsec
