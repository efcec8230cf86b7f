// The kernel tests' network: two network namespaces joined by a veth pair, and real
// TCP connects and UDP datagrams from one to the other. Shared by the iptables and the
// nftables kernel tests (netns_*_test.cpp).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace fwm::test {

// "server" (fwk0: 10.99.0.1/24, fd99::1/64) and "client" (fwk1: 10.99.0.2/24,
// fd99::2/64), named PREFIX-s-PID and PREFIX-c-PID, deleted again on destruction.
// `ok` is false when they could not be made (no root, no network namespaces).
struct Namespaces {
  explicit Namespaces(const std::string& prefix);
  ~Namespaces();
  Namespaces(const Namespaces&) = delete;
  Namespaces& operator=(const Namespaces&) = delete;
  std::string server, client;
  bool ok = false;
};

struct Probe {
  bool tcp;
  int port;
};

// Listens on every probed port in the server, connects / sends from the client, and
// returns the (tcp?, port) pairs that reached the server's sockets.
std::set<std::pair<bool, int>> probe(const Namespaces& ns, bool v6, const std::vector<Probe>& probes);

// `fwmatrix ports --json` for packets from the client to the server's fwk0: the accepted
// intervals per protocol (true = TCP). Requires an exit code of 0 and no undetermined
// ports; adds the intervals' endpoints to `endpoints` (ports worth probing).
using PortAnswer = std::map<bool, std::vector<std::pair<int, int>>>;
PortAnswer fwmatrix_accepted(const std::string& file, bool v6, std::set<int>& endpoints);
bool in_answer(const PortAnswer& answer, bool tcp, int port);

// The namespaces for a kernel test, or null (after a WARN saying why) when the test
// cannot run here: not root, `tool` (a command name) not installed, no namespaces.
std::unique_ptr<Namespaces> kernel_test_namespaces(const std::string& prefix, const std::vector<std::string>& tools);

// How far fwmatrix and the kernel agreed on the probes of one or more rulesets.
struct KernelAgreement {
  std::size_t rulesets = 0, probes = 0, agreed = 0, passing = 0;
  void add(const KernelAgreement& other);
};

// For a ruleset already loaded in ns.server from `file`: probes TCP and UDP at every
// endpoint of fwmatrix's answer and of `ports` (and one either side), and at a few fixed
// ports, and CHECKs that the kernel and `fwmatrix ports` agree on each.
KernelAgreement compare_with_kernel(const Namespaces& ns, const std::string& file, bool v6, std::set<int> ports);

// WARNs the totals (`what`: "iptables", "nftables") and REQUIREs that every probe agreed
// and that the kernel both passed and blocked plenty (else the comparison says little).
void require_agreement(const KernelAgreement& total, const std::string& what);

}  // namespace fwm::test
