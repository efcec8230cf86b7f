// Registry sources: .reg exports (regedit / reg export, "Windows Registry Editor
// Version 5.00" or REGEDIT4) and .wfw hives written by `netsh advfirewall export`
// (read with libhivex). Keys are located by name, not by a fixed root path: rule
// values live under ...\FirewallRules, profile settings under DomainProfile,
// StandardProfile/PrivateProfile and PublicProfile.
#include <fmt/format.h>
#include <hivex.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <unordered_map>

#include "frontends/windows/windows_frontend.h"

namespace fwm::windows {

namespace {

enum class KeyKind { Ignored, Rules, Profile, ConSecRules };

struct KeyClass {
  KeyKind kind = KeyKind::Ignored;
  int profile = -1;
  bool group_policy = false;
};

// What a key path holds. Default rule sets (SharedAccess\Defaults), service hardening
// (RestrictedServices), connection security rules and Hyper-V policies are not the
// rules in force for host traffic.
KeyClass classify_key(const std::string& path) {
  std::string p = lower_ascii(path);
  std::replace(p.begin(), p.end(), '/', '\\');
  KeyClass out;
  if (p.find("\\defaults\\") != std::string::npos || p.find("restrictedservices") != std::string::npos ||
      p.find("hypervfirewallpolicy") != std::string::npos)
    return out;
  if (p.size() >= 11 && p.compare(p.size() - 11, 11, "consecrules") == 0) {
    out.kind = KeyKind::ConSecRules;
    return out;
  }
  out.group_policy = p.find("policies\\microsoft\\windowsfirewall") != std::string::npos;
  auto last = p.substr(p.rfind('\\') == std::string::npos ? 0 : p.rfind('\\') + 1);
  if (last == "firewallrules")
    out.kind = KeyKind::Rules;
  else if (last == "domainprofile")
    out = {KeyKind::Profile, 0, out.group_policy};
  else if (last == "standardprofile" || last == "privateprofile")
    out = {KeyKind::Profile, 1, out.group_policy};
  else if (last == "publicprofile")
    out = {KeyKind::Profile, 2, out.group_policy};
  return out;
}

// Collects values into the model; group policy settings win over local ones.
class RegistryModelBuilder {
 public:
  explicit RegistryModelBuilder(WinModel& model, std::string file) : model_(model), file_(std::move(file)) {}

  void rule_value(const KeyClass& key, const std::string& name, const std::string& data, const SourceSpan& span,
                  const std::string& text) {
    if (key.kind == KeyKind::ConSecRules) {
      if (consec_rules_++ == 0) consec_span_ = span;
      return;
    }
    if (key.kind != KeyKind::Rules) return;
    WinRule rule;
    rule.from_group_policy = key.group_policy;
    rule.from_registry = true;
    rule.id = name;
    rule.span = span;
    rule.text = text;
    // A value written again under the same name replaces the earlier one (as an import
    // of the file, or a second `reg add ... /f`, does); value names are case-insensitive.
    delete_values(key, &name);
    if (!parse_rule_string(data, rule, model_.diagnostics, span)) return;
    if (rule.name.empty()) rule.name = name;
    ++values_by_id_[key.group_policy][lower_ascii(rule.id)];
    model_.rules.push_back(std::move(rule));
  }

  // Deletes the rule value `name` (nullptr: every rule value) of the store `key` is in.
  // Every value of an export is checked this way: the count of each store's value names
  // skips the walk over the rules when no rule has the name (a .reg export of 7,400 rules
  // took 3.2 s with a walk per value, lower-casing every id again).
  void delete_values(const KeyClass& key, const std::string* name) {
    if (key.kind != KeyKind::Rules) return;
    auto& ids = values_by_id_[key.group_policy];
    const std::string wanted = name ? lower_ascii(*name) : std::string();
    if (name) {
      auto it = ids.find(wanted);
      if (it == ids.end()) return;
      ids.erase(it);
    } else {
      ids.clear();
    }
    auto& rules = model_.rules;
    rules.erase(std::remove_if(rules.begin(), rules.end(),
                               [&](const WinRule& r) {
                                 return r.from_registry && r.from_group_policy == key.group_policy &&
                                        (!name || lower_ascii(r.id) == wanted);
                               }),
                rules.end());
  }

  void dword_value(const KeyClass& key, const std::string& name, std::uint32_t value, const SourceSpan& span,
                   const std::string& text) {
    if (key.kind != KeyKind::Profile) return;
    ProfileSettings& ps = model_.profiles[static_cast<std::size_t>(key.profile)];
    bool& from_gpo = gpo_[static_cast<std::size_t>(key.profile)][setting_index(name)];
    auto set = [&](std::optional<bool>& field, bool v, SourceSpan& fspan, std::string& ftext) {
      if (field && from_gpo && !key.group_policy) return;  // GPO value stands
      field = v;
      fspan = span;
      ftext = text;
      from_gpo = key.group_policy;
    };
    std::string n = lower_ascii(name);
    if (n == "enablefirewall")
      set(ps.enabled, value != 0, ps.enabled_span, ps.enabled_text);
    else if (n == "defaultinboundaction")
      set(ps.inbound_block, value != 0, ps.inbound_span, ps.inbound_text);
    else if (n == "defaultoutboundaction")
      set(ps.outbound_block, value != 0, ps.outbound_span, ps.outbound_text);
    else if (n == "donotallowexceptions")
      set(ps.shields_up, value != 0, ps.shields_span, ps.shields_text);
    else if (n == "allowlocalpolicymerge" && key.group_policy) {
      ps.local_rules_ignored = value == 0;
      ps.merge_span = span;
    }
  }

  // Store precedence, then connection security rules. A rule id names one rule: the
  // registry value name is the rule's wszRuleId (MS-GPFAS 2.2.2.19: "the wszRuleId field
  // of the FW_RULE structure ... is instead represented by the name of the registry
  // value"), and when group policy and the local store are merged, rules with the same
  // name "overwrite one another so that only one exists", the GPO copy overriding the
  // local version (Enable-NetFirewallRule / Get-NetFirewallRule, parameter -Name). So a
  // local rule whose id is also a group policy rule's id is not in force, whatever the
  // order of the keys in the file. Connection security (IPsec) rules are not firewall
  // rules: said once, not analysed.
  void finish() {
    std::set<std::string> gpo_ids;
    for (const auto& r : model_.rules)
      if (r.from_registry && r.from_group_policy) gpo_ids.insert(lower_ascii(r.id));
    if (!gpo_ids.empty()) {
      auto& rules = model_.rules;
      rules.erase(std::remove_if(rules.begin(), rules.end(),
                                 [&](const WinRule& r) {
                                   return r.from_registry && !r.from_group_policy && gpo_ids.count(lower_ascii(r.id));
                                 }),
                  rules.end());
    }
    if (consec_rules_ == 0) return;
    model_.diagnostics.push_back(
        make_diagnostic("FWM091", Severity::Note, consec_span_,
                        fmt::format("{} connection security (IPsec) rule{} under ConSecRules {} read but not analysed "
                                    "by the firewall frontend (they never allow traffic by themselves)",
                                    consec_rules_, consec_rules_ == 1 ? "" : "s", consec_rules_ == 1 ? "is" : "are")));
  }

 private:
  static std::size_t setting_index(const std::string& name) {
    std::string n = lower_ascii(name);
    return n == "enablefirewall" ? 0 : n == "defaultinboundaction" ? 1 : n == "defaultoutboundaction" ? 2 : 3;
  }
  WinModel& model_;
  std::string file_;
  bool gpo_[3][4] = {};
  // Per store (local, group policy): rules read from its values, by lower-cased name.
  std::unordered_map<std::string, std::size_t> values_by_id_[2];
  std::size_t consec_rules_ = 0;
  SourceSpan consec_span_;
};

// Reads a quoted .reg string starting at s[pos] == '"'; pos ends after the closing quote.
bool read_reg_string(const std::string& s, std::size_t& pos, std::string& out) {
  if (pos >= s.size() || s[pos] != '"') return false;
  ++pos;
  out.clear();
  while (pos < s.size()) {
    char c = s[pos++];
    if (c == '\\' && pos < s.size()) {
      out += s[pos++];
    } else if (c == '"') {
      return true;
    } else {
      out += c;
    }
  }
  return false;
}

}  // namespace

bool looks_like_reg(const TextFile& file) {
  std::string_view t(file.text);
  while (!t.empty() && (t.front() == '\n' || t.front() == ' ')) t.remove_prefix(1);
  return t.rfind("Windows Registry Editor Version 5.00", 0) == 0 || t.rfind("REGEDIT4", 0) == 0;
}

bool looks_like_hive(const TextFile& file) { return file.text.size() >= 4096 && file.text.compare(0, 4, "regf") == 0; }

WinModel read_reg(const TextFile& file) {
  WinModel model;
  model.source = "reg";
  RegistryModelBuilder builder(model, file.path);
  auto lines = split_lines(file.text);
  model.line_count = lines.size();
  KeyClass key;
  bool header_seen = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    int line_no = static_cast<int>(i) + 1;
    std::string line(lines[i]);
    // A value continues on the next line after a trailing backslash (hex data).
    while (!line.empty() && line.back() == '\\' && line.find("=hex") != std::string::npos && i + 1 < lines.size())
      line = line.substr(0, line.size() - 1) + trim_blank(lines[++i]);
    std::string text = trim_blank(line);
    if (text.empty() || text[0] == ';') continue;
    if (!header_seen) {
      header_seen = true;
      if (text == "Windows Registry Editor Version 5.00" || text == "REGEDIT4") continue;
      model.diagnostics.push_back(parse_error(file.path, line_no, 1,
                                              "expected the header 'Windows Registry Editor Version 5.00' or "
                                              "'REGEDIT4'",
                                              text));
      return model;
    }
    if (text[0] == '[') {
      if (text.back() != ']') {
        model.diagnostics.push_back(
            parse_error(file.path, line_no, static_cast<int>(text.size()) + 1, "key line without closing ']'", text));
        key = {};
        continue;
      }
      std::string path = text.substr(1, text.size() - 2);
      if (path.rfind('-', 0) == 0) {  // [-KEY] deletes the key and its values
        builder.delete_values(classify_key(path.substr(1)), nullptr);
        key = {};
      } else {
        key = classify_key(path);
      }
      continue;
    }
    std::string name;
    std::size_t pos = 0;
    if (text[0] == '@') {
      pos = 1;
    } else if (!read_reg_string(text, pos, name)) {
      model.diagnostics.push_back(parse_error(
          file.path, line_no, 1, "expected a value line \"NAME\"=DATA, a key line [KEY] or a ';' comment", text));
      continue;
    }
    if (pos >= text.size() || text[pos] != '=') {
      model.diagnostics.push_back(
          parse_error(file.path, line_no, static_cast<int>(pos) + 1, "expected '=' after the value name", text));
      continue;
    }
    ++pos;
    SourceSpan span{file.path, line_no, 1, line_no, static_cast<int>(text.size()) + 1};
    if (pos < text.size() && text[pos] == '"') {
      std::size_t value_start = pos + 1;
      std::string data;
      if (!read_reg_string(text, pos, data)) {
        model.diagnostics.push_back(
            parse_error(file.path, line_no, static_cast<int>(value_start), "string value without closing '\"'", text));
        continue;
      }
      SourceSpan value_span = span;
      value_span.column = static_cast<int>(value_start) + 1;
      builder.rule_value(key, name, data, value_span, text);
    } else if (key.kind == KeyKind::Rules) {
      if (text.compare(pos, 1, "-") == 0 && pos + 1 == text.size())  // "NAME"=- deletes the value
        builder.delete_values(key, &name);
      else
        model.diagnostics.push_back(parse_error(file.path, line_no, static_cast<int>(pos) + 1,
                                                "a firewall rule value must be a string (REG_SZ)", text));
    } else if (text.compare(pos, 6, "dword:") == 0) {
      std::string hex = text.substr(pos + 6);
      char* end = nullptr;
      unsigned long v = std::strtoul(hex.c_str(), &end, 16);
      if (hex.empty() || hex.size() > 8 || (end && *end)) {
        model.diagnostics.push_back(
            parse_error(file.path, line_no, static_cast<int>(pos) + 7, "dword value needs 1-8 hex digits", text));
        continue;
      }
      builder.dword_value(key, name, static_cast<std::uint32_t>(v), span, text);
    }
  }
  builder.finish();
  return model;
}

WinModel read_hive(const TextFile& file) {
  WinModel model;
  model.source = "wfw";
  model.line_count = 1;
  RegistryModelBuilder builder(model, file.path);
  // hivex reads files: give it the bytes through a private temporary file.
  std::string tmpl =
      (std::getenv("TMPDIR") ? std::string(std::getenv("TMPDIR")) : std::string("/tmp")) + "/fwmatrix-hive-XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = mkstemp(name.data());
  if (fd < 0) {
    model.diagnostics.push_back(parse_error(file.path, 1, 1,
                                            fmt::format("cannot create a temporary file for the "
                                                        "hive: {}",
                                                        std::strerror(errno)),
                                            ""));
    return model;
  }
  std::string tmp_path(name.data());
  bool written = ::write(fd, file.text.data(), file.text.size()) == static_cast<ssize_t>(file.text.size());
  ::close(fd);
  hive_h* h = written ? hivex_open(tmp_path.c_str(), 0) : nullptr;
  int open_errno = errno;
  ::unlink(tmp_path.c_str());
  if (!h) {
    model.diagnostics.push_back(
        parse_error(file.path, 1, 1, fmt::format("not a readable registry hive: {}", std::strerror(open_errno)), ""));
    return model;
  }
  std::size_t values_seen = 0;
  std::function<void(hive_node_h, const std::string&, int)> walk = [&](hive_node_h node, const std::string& path,
                                                                       int depth) {
    if (depth > 32) return;
    KeyClass key = classify_key(path);
    if (key.kind != KeyKind::Ignored) {
      hive_value_h* values = hivex_node_values(h, node);
      for (hive_value_h* v = values; v && *v; ++v) {
        ++values_seen;
        char* vname = hivex_value_key(h, *v);
        std::string value_name = vname ? vname : "";
        std::free(vname);
        hive_type type;
        size_t len = 0;
        if (hivex_value_type(h, *v, &type, &len) != 0) continue;
        SourceSpan span{file.path, 1, 1, 1, 1};
        if (type == hive_t_REG_SZ || type == hive_t_REG_EXPAND_SZ) {
          char* s = hivex_value_string(h, *v);
          if (!s) {
            model.diagnostics.push_back(parse_error(
                file.path, 1, 1, fmt::format("value {}\\{} is not a readable string", path, value_name), ""));
            continue;
          }
          std::string data = s;
          std::free(s);
          builder.rule_value(key, value_name, data, span, fmt::format("{}={}", value_name, data));
        } else if (type == hive_t_REG_DWORD) {
          std::int32_t d = hivex_value_dword(h, *v);
          builder.dword_value(key, value_name, static_cast<std::uint32_t>(d), span,
                              fmt::format("{}\\{}=dword:{:08x}", path.substr(path.rfind('\\') + 1), value_name,
                                          static_cast<std::uint32_t>(d)));
        }
      }
      std::free(values);
    }
    hive_node_h* children = hivex_node_children(h, node);
    for (hive_node_h* c = children; c && *c; ++c) {
      char* cname = hivex_node_name(h, *c);
      std::string child = path + "\\" + (cname ? cname : "");
      std::free(cname);
      walk(*c, child, depth + 1);
    }
    std::free(children);
  };
  char* root_name = hivex_node_name(h, hivex_root(h));
  walk(hivex_root(h), root_name ? root_name : "", 0);
  std::free(root_name);
  hivex_close(h);
  builder.finish();
  if (model.rules.empty() && values_seen == 0)
    model.notes.push_back("the hive holds no FirewallRules or profile keys: nothing to analyse");
  return model;
}

// ---- reg.exe command lines ------------------------------------------------------

struct RegistryCommands::Impl {
  Impl(WinModel& model, std::string file) : model(model), file(file), builder(model, std::move(file)) {}
  WinModel& model;
  std::string file;
  RegistryModelBuilder builder;
};

RegistryCommands::RegistryCommands(WinModel& model, std::string file)
    : impl_(std::make_unique<Impl>(model, std::move(file))) {}
RegistryCommands::~RegistryCommands() = default;

// `REG ADD KeyName [/v ValueName | /ve] [/t Type] [/s Separator] [/d Data] [/f] [/reg:32|64]`
// and `REG DELETE KeyName [/v ValueName | /ve | /va] [/f]` (reg.exe, Windows Commands
// reference "reg add" / "reg delete"): /t defaults to REG_SZ; REG_DWORD data is decimal
// or 0x-hexadecimal.
bool RegistryCommands::run(const std::vector<std::string>& args, const SourceSpan& span, const std::string& text) {
  if (args.size() < 2) return false;
  std::string op = lower_ascii(args[0]);
  KeyClass key = classify_key(args[1]);
  if (key.kind == KeyKind::Ignored || (op != "add" && op != "delete")) return false;
  std::optional<std::string> value_name, data;
  std::string type = "reg_sz";
  bool all_values = false;
  for (std::size_t i = 2; i < args.size(); ++i) {
    std::string a = lower_ascii(args[i]);
    if (a == "/v" && i + 1 < args.size())
      value_name = args[++i];
    else if (a == "/ve")
      value_name = "";
    else if (a == "/va")
      all_values = true;
    else if (a == "/t" && i + 1 < args.size())
      type = lower_ascii(args[++i]);
    else if (a == "/d" && i + 1 < args.size())
      data = args[++i];
    else if (a == "/s" && i + 1 < args.size())
      ++i;
    else if (a == "/f" || a.rfind("/reg:", 0) == 0)
      continue;
    else {
      impl_->model.diagnostics.push_back(parse_error(
          span.file, span.line, span.column,
          fmt::format("reg {}: '{}' is not a switch of reg.exe (/v, /ve, /t, /s, /d, /f, /reg:32|64)", op, args[i]),
          text));
      return true;
    }
  }
  if (op == "delete") {
    impl_->builder.delete_values(key, value_name && !all_values ? &*value_name : nullptr);
    return true;
  }
  if (!value_name) return true;  // creates the key only
  if (key.kind == KeyKind::Rules || key.kind == KeyKind::ConSecRules) {
    if (type != "reg_sz" && type != "reg_expand_sz") {
      impl_->model.diagnostics.push_back(parse_error(span.file, span.line, span.column,
                                                     fmt::format("reg add: a firewall rule value must be REG_SZ, "
                                                                 "not {}",
                                                                 type),
                                                     text));
      return true;
    }
    impl_->builder.rule_value(key, *value_name, data.value_or(""), span, text);
  } else if (type == "reg_dword") {
    std::string d = data.value_or("0");
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(d.c_str(), &end, lower_ascii(d).rfind("0x", 0) == 0 ? 16 : 10);
    if (d.empty() || (end && *end) || errno || v > 0xFFFFFFFFull) {
      impl_->model.diagnostics.push_back(parse_error(
          span.file, span.line, span.column,
          fmt::format("reg add /t REG_DWORD /d {}: expected a decimal or 0x-hexadecimal 32-bit number", d), text));
      return true;
    }
    impl_->builder.dword_value(key, *value_name, static_cast<std::uint32_t>(v), span, text);
  }
  return true;
}

void RegistryCommands::finish() { impl_->builder.finish(); }

}  // namespace fwm::windows
