// What iptables itself checks in the options of its match and target extensions, so that
// a line iptables-restore refuses is reported (FWM090 with the tool's reason) rather than
// read. Built from the extensions' option tables and final checks (netfilter iptables
// extensions/libxt_*.c, libipt_*.c, libip6t_*.c, as iptables 1.8.9 runs them, and the
// kernel's checkentry where iptables-restore reports it) and tested against their
// extensions/*.t files (tests/conformance/iptables_conformance_test.cpp).
//
// Only extensions described here are checked; options of any other match or target are
// left to the lowering, which records them as unmodelled (FWM091), as before. A refused
// match that fwmatrix does not model (-m mac, -m string...) does not drop its rule: the
// lowering reports it (FWM090) and keeps the rule with the match as an unknown condition.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "frontends/iptables/iptables_frontend.h"

namespace fwm::iptables {

// One match (-m NAME) or the target (-j NAME) of a rule, with the options given to it.
struct ExtensionUse {
  std::string name;
  bool target = false;
  const Option* at = nullptr;  // the -m or -j option (where "must be specified" points)
  std::vector<const Option*> options;
  // Per option: the option's full name without "--" (abbreviations resolved), a view of the
  // extension table's own name, or of the option's when the extension has no such option.
  std::vector<std::string_view> option_names;
};

// What the rule says around an extension, as iptables' and the kernel's checks need it.
struct RuleContext {
  Family family = Family::V4;
  std::string_view table;
  std::string_view chain;  // a built-in chain's name, or a user chain (its hooks are not known)
  bool builtin_chain = false;
  int protocol = -1;     // -p, when given and not negated
  bool tcp_syn = false;  // a tcp match that only matches SYN packets (TCPMSS needs one)
};

// Whether the extension is described here (its options are then checked).
bool described_extension(std::string_view name, bool target);

// The name of the described extension's option that `given` names: itself, or the only
// option of the extension it abbreviates (getopt_long takes unambiguous prefixes). Empty
// when the extension has no such option.
std::string_view extension_option(std::string_view name, bool target, std::string_view given);

// The match iptables loads by itself for an option no loaded match knows, when the rule
// names this protocol (-p tcp --dport 22): "tcp", "udp", ...; empty for other protocols.
std::string_view protocol_match(int protocol);

struct ExtensionProblem {
  const Option* at = nullptr;  // where (null: the extension's -m/-j option)
  std::string message;
  bool ok() const { return message.empty(); }
};

// What iptables says of the extension's options (value syntax and ranges, options given
// twice, negated or missing, combinations it refuses); an empty message when it accepts.
ExtensionProblem check_extension(const ExtensionUse& use, const RuleContext& rule);

}  // namespace fwm::iptables
