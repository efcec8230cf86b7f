// Windows Defender Firewall frontend: .wfw hives (netsh advfirewall export), .reg
// exports of the FirewallPolicy keys, `netsh advfirewall firewall show rule` text
// (English, Traditional Chinese, German), PowerShell exports (ConvertTo-Json,
// Export-Csv, Format-List) and scripts of `netsh advfirewall firewall add rule` /
// `New-NetFirewallRule` lines. Every source is read into one vendor model (WinModel);
// the lowering turns it into one ruleset per profile.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frontends/frontend_entry.h"
#include "ir/ruleset.h"
#include "ir/suppressions.h"
#include "util/text_input.h"

namespace fwm::windows {

enum class WinAction { Allow, Block, Bypass };
enum Profile : unsigned { kDomain = 1, kPrivate = 2, kPublic = 4, kAllProfiles = 7 };
const char* profile_name(int index);  // 0 Domain, 1 Private, 2 Public

// A value the source did not carry (a script variable, "System.Object[]" in a CSV):
// the condition it stood for is unknown.
struct LostValue {
  std::string field;
  std::string reason;
};

// One firewall rule as the source states it. Lists are OR-ed; an empty list is Any.
// Port and address tokens keep the source's spelling ("5062-5076", "RPC",
// "10.0.0.0/255.0.0.0", "LocalSubnet"); the lowering gives them meaning.
struct WinRule {
  std::string id;     // registry value name / PowerShell Name
  std::string name;   // display name
  std::string group;  // EmbedCtxt / Grouping / Group
  WinAction action = WinAction::Allow;
  bool action_unknown = false;  // a script variable: the verdict of matching traffic is not known
  bool enabled = true;
  Direction direction = Direction::In;
  bool direction_unknown = false;  // a script variable: the rule is placed in both directions
  unsigned profiles = kAllProfiles;
  std::optional<int> protocol;    // nullopt: any protocol
  bool protocol_unknown = false;  // a script variable: read as TCP or UDP, undetermined
  std::vector<std::string> local_ports, remote_ports;
  std::vector<std::string> local_addrs, remote_addrs;
  std::vector<std::string> icmp_types;  // "8:*", "128"
  std::string program;                  // empty: any program
  std::string service;                  // empty: any service
  // Further narrowing conditions the analysis cannot decide (interface, IPsec
  // security, users, package, unknown registry keys ...), human readable.
  std::vector<std::string> conditions;
  std::vector<LostValue> lost;
  SourceSpan span;
  std::string text;
  std::vector<std::string> suppressions;
  bool from_group_policy = false;  // registry sources: under Policies\Microsoft\WindowsFirewall
  bool from_registry = false;      // a registry value (.reg, .wfw, reg.exe): `id` is its value name
  std::string description;         // netsh description= / -Description (scripts: for -Description queries)
  std::string policy_store;        // scripts: -PolicyStore of New-NetFirewallRule (empty: PersistentStore)
};

// Profile settings: unset fields keep the Windows defaults (firewall on, inbound
// blocked, outbound allowed, rules honoured).
struct ProfileSettings {
  std::optional<bool> enabled;
  std::optional<bool> inbound_block;
  std::optional<bool> outbound_block;
  std::optional<bool> shields_up;           // DoNotAllowExceptions: inbound allow rules ignored
  std::optional<bool> local_rules_ignored;  // group policy AllowLocalPolicyMerge=0
  SourceSpan merge_span;
  SourceSpan enabled_span, inbound_span, outbound_span, shields_span;
  std::string enabled_text, inbound_text, outbound_text, shields_text;
};

struct WinModel {
  std::string source;  // "wfw", "reg", "netsh-show", "netsh-script", "powershell-script", "powershell-json", ...
  std::vector<WinRule> rules;
  std::array<ProfileSettings, 3> profiles;  // Domain, Private, Public
  std::vector<Diagnostic> diagnostics;
  std::vector<std::string> notes;  // FWM091 notes raised once per file (e.g. no port data)
  std::size_t line_count = 0;
};

// ---- shared helpers of the readers ----------------------------------------------
std::string lower_ascii(std::string s);
std::string trim_blank(std::string_view s);
std::vector<std::string> split_list(const std::string& s, char sep);  // trimmed, empty items dropped
Diagnostic parse_error(const std::string& file, int line, int column, std::string message, std::string snippet);
// Protocol names/numbers as all Windows sources spell them ("TCP", "6", "ICMPv4", "Any").
// Returns false for an unknown name; any = nullopt.
bool parse_protocol(const std::string& text, std::optional<int>& out);
std::optional<unsigned> parse_profiles(const std::string& text);  // "Domain,Private", "Any", "All"

// ---- readers --------------------------------------------------------------------
// Parses one registry rule string into `rule`; false (with a FWM090 diagnostic at
// line/column_base + offset) when it is malformed.
bool parse_rule_string(const std::string& value, WinRule& rule, std::vector<Diagnostic>& diagnostics,
                       const SourceSpan& where);

bool looks_like_reg(const TextFile& file);
bool looks_like_hive(const TextFile& file);
bool looks_like_netsh_show(const TextFile& file);
bool looks_like_script(const TextFile& file);
bool looks_like_powershell_export(const TextFile& file);

WinModel read_reg(const TextFile& file);
WinModel read_hive(const TextFile& file);
WinModel read_netsh_show(const TextFile& file);
WinModel read_script(const TextFile& file);
WinModel read_powershell_export(const TextFile& file);

// reg.exe command lines of a script (`reg add KEY /v NAME /t REG_SZ /d DATA /f`, `reg
// delete KEY [/v NAME] /f`) on the firewall keys: applied to the model in order, as the
// registry reader applies a .reg file. Commands on other keys are not firewall
// configuration. `finish()` applies the store precedence (MS-GPFAS 2.2.2.19).
class RegistryCommands {
 public:
  RegistryCommands(WinModel& model, std::string file);
  ~RegistryCommands();
  RegistryCommands(const RegistryCommands&) = delete;
  RegistryCommands& operator=(const RegistryCommands&) = delete;
  // args: the words after `reg` (`add`, key, switches), unquoted. False when the key is
  // no firewall key (nothing applied).
  bool run(const std::vector<std::string>& args, const SourceSpan& span, const std::string& text);
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- lowering -------------------------------------------------------------------
// One ruleset per profile; profiles whose rulesets come out identical are merged into
// one variant. `only_profile` ("Domain", "Private", "Public") keeps just that one.
void lower(const WinModel& model, const std::string& file, const std::string& format, const std::string& only_profile,
           LoadResult& result);

// Registry entry: "windows" (detects every form), plus names that force one reader.
FrontendEntry frontend_entry();

}  // namespace fwm::windows
