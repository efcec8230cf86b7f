#include "ir/services.h"

#include <algorithm>
#include <fmt/format.h>

namespace fwm {

namespace {
struct Service {
  const char* name;
  std::uint32_t port;
};
// IANA names (and the /etc/services aliases Debian and Windows tools print).
constexpr Service kServices[] = {
    {"ftp-data", 20},     {"ftp", 21},          {"ssh", 22},          {"telnet", 23},
    {"smtp", 25},         {"domain", 53},       {"dns", 53},          {"bootps", 67},
    {"bootpc", 68},       {"tftp", 69},         {"http", 80},         {"www", 80},
    {"www-http", 80},     {"kerberos", 88},     {"kerberos5", 88},    {"pop3", 110},
    {"sunrpc", 111},      {"ntp", 123},         {"epmap", 135},       {"loc-srv", 135},
    {"netbios-ns", 137},  {"netbios-dgm", 138}, {"netbios-ssn", 139}, {"imap", 143},
    {"imap2", 143},       {"snmp", 161},        {"snmp-trap", 162},   {"ldap", 389},
    {"https", 443},       {"microsoft-ds", 445}, {"isakmp", 500},     {"syslog", 514},
    {"submission", 587},  {"ldaps", 636},       {"imaps", 993},       {"pop3s", 995},
    {"ms-sql-s", 1433},   {"ms-sql-m", 1434},   {"openvpn", 1194},    {"radius", 1812},
    {"nfs", 2049},        {"mysql", 3306},      {"ms-wbt-server", 3389}, {"stun", 3478},
    {"ipsec-nat-t", 4500}, {"sip", 5060},       {"sips", 5061},       {"sip-tls", 5061},
    {"postgresql", 5432}, {"wsman", 5985},      {"wsmans", 5986},     {"http-alt", 8080},
    {"webcache", 8080},   {"https-alt", 8443},
};
}  // namespace

std::optional<std::uint32_t> service_port(const std::string& raw) {
  std::string name = raw;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& s : kServices)
    if (name == s.name) return s.port;
  return std::nullopt;
}

PortParse parse_port(const std::string& text) {
  PortParse p;
  if (text.empty()) {
    p.error = "empty port";
    return p;
  }
  if (std::all_of(text.begin(), text.end(), ::isdigit)) {
    if (text.size() > 5 || std::stoul(text) > kMaxPort) {
      p.error = fmt::format("port {} is outside 0-65535", text);
      return p;
    }
    p.value = static_cast<std::uint32_t>(std::stoul(text));
    return p;
  }
  if (auto port = service_port(text)) {
    p.value = *port;
    return p;
  }
  p.error = fmt::format("unknown service name '{}' (fwmatrix resolves a fixed IANA table, not /etc/services)", text);
  return p;
}

std::string format_ports(const PortSet& ports, std::size_t max_items) {
  if (ports.empty()) return "none";
  std::string out;
  std::size_t n = 0;
  for (const auto& iv : ports.intervals()) {
    if (n == max_items) {
      out += fmt::format(" (+{} more)", ports.size() - max_items);
      break;
    }
    if (n++) out += ", ";
    out += iv.lo == iv.hi ? std::to_string(iv.lo) : fmt::format("{}-{}", iv.lo, iv.hi);
  }
  return out;
}

}  // namespace fwm
