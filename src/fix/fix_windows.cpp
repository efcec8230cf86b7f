// Windows Firewall scripts (netsh advfirewall, New-NetFirewallRule): a block rule beats
// any allow, so a gap a block rule decides is closed by narrowing that rule (its ports
// without the required ones) or, when none remain, by disabling it; a gap the default
// inbound (outbound) action decides gets a new allow rule in the script's own form after
// its last rule. Exports (netsh show output, .reg, CSV, JSON) are not written yet.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "fix/writer_support.h"

namespace fwm::fix {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string port_list(const PortSet& ports) {
  std::vector<std::string> items;
  for (const auto& iv : ports.intervals())
    items.push_back(iv.lo == iv.hi ? fmt::format("{}", iv.lo) : fmt::format("{}-{}", iv.lo, iv.hi));
  return fmt::format("{}", fmt::join(items, ","));
}

enum class Style { None, Netsh, PowerShell };

bool starts_netsh(const std::string& line) {
  std::string t = lower(trim(line));
  if (!t.empty() && t[0] == '@') t = t.substr(1);
  return t.rfind("netsh ", 0) == 0 && t.find("advfirewall firewall add rule") != std::string::npos;
}

bool starts_powershell(const std::string& line) { return lower(trim(line)).rfind("new-netfirewallrule", 0) == 0; }

// The script's style and the line (1-based) after its last rule, continuation lines
// (PowerShell's backtick, cmd's caret) included.
std::pair<Style, int> script_end(const std::vector<std::string>& lines) {
  Style style = Style::None;
  int after = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    bool netsh = starts_netsh(lines[i]), ps = starts_powershell(lines[i]);
    if (!netsh && !ps) continue;
    if (style == Style::None) style = netsh ? Style::Netsh : Style::PowerShell;
    std::size_t end = i;
    while (end + 1 < lines.size()) {
      std::string t = trim(lines[end]);
      if (t.empty() || (t.back() != '`' && t.back() != '^')) break;
      ++end;
    }
    after = static_cast<int>(end + 2);
    i = end;
  }
  return {style, after};
}

// Replaces the value of `key` (`localport=...` in netsh, `-LocalPort ...` in PowerShell)
// in `line`; false when the line does not have it.
bool replace_value(std::string& line, const std::string& key, const std::string& value, bool netsh) {
  std::string l = lower(line);
  std::size_t at = l.find(lower(key));
  if (at == std::string::npos) return false;
  std::size_t start = at + key.size();
  if (!netsh)
    while (start < line.size() && line[start] == ' ') ++start;
  std::size_t end = start;
  if (end < line.size() && (line[end] == '"' || line[end] == '\'')) {
    std::size_t close = line.find(line[end], end + 1);
    end = close == std::string::npos ? line.size() : close + 1;
  } else {
    while (end < line.size() && line[end] != ' ' && line[end] != '\t' && line[end] != '\r') ++end;
  }
  line.replace(start, end - start, value);
  return true;
}

class WindowsWriter final : public Writer {
 public:
  WriterOutput write(const WriterInput& in) const override {
    WriterOutput out;
    auto [style, end] = script_end(in.lines);
    if (style == Style::None) {
      out.problems.push_back(
          "fwmatrix cannot write fixes for this Windows Firewall export yet (only netsh advfirewall and "
          "New-NetFirewallRule scripts)");
      return out;
    }
    for (const auto& l : in.lines)
      if (l.find('\0') != std::string::npos) {
        out.problems.push_back("a UTF-16 script: fwmatrix cannot write fixes for it yet");
        return out;
      }
    const bool netsh = style == Style::Netsh;
    std::string ending = in.lines.empty() ? "" : line_ending(in.lines.front());
    for (const RuleGroup& g : group_parts(in, out.problems)) {
      if (g.network || g.reply) {
        out.problems.push_back("network mode: fwmatrix does not write Windows Firewall fixes for forwarded traffic");
        continue;
      }
      const char* proto = g.protocol == kProtoTcp ? "TCP" : g.protocol == kProtoUdp ? "UDP" : nullptr;
      if (!proto) continue;
      const bool in_dir = g.direction != Direction::Out;
      if (g.decider.rule) {
        // A block rule decides: narrow it, or disable it when no port is left.
        const Rule& r = *g.decider.rule;
        const int first = r.span.line, last = std::max(r.span.line, r.span.end_line);
        if (first < 1 || static_cast<std::size_t>(last) > in.lines.size() || r.span.file.str() != in.rs.file) {
          out.problems.push_back(fmt::format("{} {} is denied by a rule without a line of the file ({})", proto,
                                             format_ports(g.ports), r.text));
          continue;
        }
        if (!r.match.proto || r.match.proto->count() != 1) {
          out.problems.push_back(fmt::format(
              "line {}: the block rule that denies {} {} has no single protocol: fwmatrix cannot narrow its ports",
              first, proto, format_ports(g.ports)));
          continue;
        }
        PortSet blocked = r.match.dport ? *r.match.dport : all_ports();
        PortSet left = blocked.subtract(g.ports);
        left = left.subtract(PortSet(0, 0));
        const std::string key =
            netsh ? (in_dir ? "localport=" : "remoteport=") : (in_dir ? "-LocalPort" : "-RemotePort");
        const std::string enable_key = netsh ? "enable=" : "-Enabled";
        bool done = false;
        for (int line = first; line <= last && !done; ++line) {
          std::string text = in.lines[static_cast<std::size_t>(line - 1)];
          if (left.empty()) {
            if (replace_value(text, enable_key, netsh ? "no" : "False", netsh)) {
              done = true;
            } else if (line == first && netsh) {
              std::string e = line_ending(text);
              text = text.substr(0, text.size() - e.size()) + " enable=no" + e;
              done = true;
            }
          } else if (replace_value(text, key, port_list(left), netsh)) {
            done = true;
          }
          if (done) {
            out.edits.push_back({line, true, {text}, g.serves});
            out.notes.push_back(
                left.empty()
                    ? fmt::format("line {}: a block rule beats any allow, so the block rule that denies {} {} is "
                                  "disabled (it blocks nothing else)",
                                  line, proto, format_ports(g.ports))
                    : fmt::format("line {}: a block rule beats any allow, so the block rule that denies {} {} is "
                                  "narrowed to {} {}",
                                  line, proto, format_ports(g.ports), proto, format_ports(left)));
          }
        }
        if (!done)
          out.problems.push_back(fmt::format(
              "line {}: the block rule that denies {} {} names its ports where fwmatrix cannot rewrite them", first,
              proto, format_ports(g.ports)));
        continue;
      }
      // The default action decides: a new allow rule after the script's last rule.
      std::string name = fmt::format("fwmatrix fix {} {}", proto, format_ports(g.ports, 4));
      std::vector<std::string> remote;
      if (g.trusted_only)
        for (Family f : {Family::V4, Family::V6})
          for (const auto& p : trusted_prefixes(f)) remote.push_back(p);
      std::string line;
      if (netsh) {
        line = fmt::format(
            "netsh advfirewall firewall add rule name=\"{}\" dir={} action=allow protocol={} {}={}{} "
            "profile=any enable=yes",
            name, in_dir ? "in" : "out", proto, in_dir ? "localport" : "remoteport", port_list(g.ports),
            remote.empty() ? "" : fmt::format(" remoteip={}", fmt::join(remote, ",")));
      } else {
        line = fmt::format(
            "New-NetFirewallRule -DisplayName '{}' -Direction {} -Action Allow -Protocol {} -{} {}{} "
            "-Profile Any -Enabled True | Out-Null",
            name, in_dir ? "Inbound" : "Outbound", proto, in_dir ? "LocalPort" : "RemotePort", port_list(g.ports),
            remote.empty() ? "" : fmt::format(" -RemoteAddress {}", fmt::join(remote, ",")));
      }
      out.edits.push_back({end, false, {line + ending}, g.serves});  // the same line twice: merged
    }
    return out;
  }
};

}  // namespace

const Writer& windows_writer() {
  static const WindowsWriter writer;
  return writer;
}

}  // namespace fwm::fix
