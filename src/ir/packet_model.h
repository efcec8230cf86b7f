// The packet fwmatrix asks about: the first packet of a required connection. A few
// conditions that depend on more than the ruleset are decided on it (README: "How a
// requirement is decided"); the frontends use these values and say so with these notes.
#pragma once

#include <string>

namespace fwm::packet_model {

// TCP flags of a connection's first packet: SYN alone.
constexpr unsigned kTcpFlags = 0x02;
// Its fragment offset: it is not a later fragment.
constexpr unsigned kFragmentOffset = 0;
// A reverse-path look-up finds a route back for its source.
constexpr bool kReverseRouteFound = true;

// The FWM091 note for a reverse-path filter (`what`: the condition as written).
inline std::string reverse_path_note(const std::string& what) {
  return "'" + what +
         "' is decided on the packet model: the sources of required connections are routed back through the "
         "interface they arrive on (no spoofed or asymmetrically routed sources), so the reverse-path look-up "
         "finds a route";
}

// The FWM091 note for a destination-type test that names broadcast or anycast.
inline std::string destination_type_note(const std::string& what) {
  return "'" + what +
         "' is decided on the packet model: multicast and 255.255.255.255 destinations are known by their address; "
         "the destination of a required connection is taken to be neither a directed broadcast nor an anycast "
         "address of this host's networks";
}

}  // namespace fwm::packet_model
