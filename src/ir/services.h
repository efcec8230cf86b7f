// A fixed IANA service-name table (not the host's /etc/services) and port parsing.
#pragma once

#include <optional>
#include <string>

#include "ir/interval_set.h"

namespace fwm {

// Port number of an IANA service name ("https" -> 443), or nullopt when unknown.
std::optional<std::uint32_t> service_port(const std::string& name);

// A single port: number 0..65535 or service name.
struct PortParse {
  std::uint32_t value = 0;
  std::string error;
  bool ok() const { return error.empty(); }
};
PortParse parse_port(const std::string& text);

// Formats a port set as "80, 443, 49152-57500".
std::string format_ports(const PortSet& ports, std::size_t max_items = 12);

}  // namespace fwm
