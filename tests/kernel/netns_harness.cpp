#include "kernel/netns_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fwm_catch.hpp"
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "test_support.h"

namespace fwm::test {

Namespaces::Namespaces(const std::string& prefix) {
  server = fmt::format("{}-s-{}", prefix, getpid());
  client = fmt::format("{}-c-{}", prefix, getpid());
  std::string cmd = fmt::format(
      "set -e; ip netns add {s}; ip netns add {c}; "
      "ip link add fwk0 netns {s} type veth peer name fwk1 netns {c}; "
      "ip -n {s} link set lo up; ip -n {c} link set lo up; ip -n {s} link set fwk0 up; ip -n {c} link set fwk1 up; "
      "ip -n {s} addr add 10.99.0.1/24 dev fwk0; ip -n {c} addr add 10.99.0.2/24 dev fwk1; "
      "ip -n {s} addr add fd99::1/64 dev fwk0 nodad; ip -n {c} addr add fd99::2/64 dev fwk1 nodad",
      fmt::arg("s", server), fmt::arg("c", client));
  ok = run_command("(" + cmd + ") >/dev/null 2>&1").exit_code == 0;
}

Namespaces::~Namespaces() {
  run_command(fmt::format("ip netns del {} 2>/dev/null; ip netns del {} 2>/dev/null", server, client));
}

namespace {

bool enter(const std::string& ns) {
  int fd = open(fmt::format("/var/run/netns/{}", ns).c_str(), O_RDONLY);
  if (fd < 0) return false;
  bool ok = setns(fd, CLONE_NEWNET) == 0;
  close(fd);
  return ok;
}

sockaddr_storage address(bool v6, const char* ip, int port, socklen_t& len) {
  sockaddr_storage ss{};
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET6, ip, &a->sin6_addr);
    len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, ip, &a->sin_addr);
    len = sizeof(sockaddr_in);
  }
  return ss;
}

}  // namespace

std::set<std::pair<bool, int>> probe(const Namespaces& ns, bool v6, const std::vector<Probe>& probes) {
  int ready[2], results[2];
  REQUIRE(pipe(ready) == 0);
  REQUIRE(pipe(results) == 0);
  pid_t server = fork();
  if (server == 0) {
    // Server: listen on every probed port, report UDP datagrams that arrive.
    close(ready[0]);
    close(results[0]);
    if (!enter(ns.server)) _exit(3);
    std::vector<pollfd> udp;
    std::vector<int> udp_ports, tcp_fds;
    for (const auto& p : probes) {
      int fd = socket(v6 ? AF_INET6 : AF_INET, p.tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
      int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      socklen_t len;
      auto addr = address(v6, v6 ? "::" : "0.0.0.0", p.port, len);
      if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) _exit(4);
      if (p.tcp) {
        listen(fd, 64);
        tcp_fds.push_back(fd);
      } else {
        udp.push_back({fd, POLLIN, 0});
        udp_ports.push_back(p.port);
      }
    }
    char go = 1;
    if (write(ready[1], &go, 1) != 1) _exit(5);
    std::set<int> got;
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(700);
    // The listening TCP sockets stay open for the whole window too (the client's connects
    // take up to 500 ms), also when no UDP datagram is awaited.
    while (std::chrono::steady_clock::now() < until) {
      if (udp.empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      if (poll(udp.data(), udp.size(), 50) <= 0) continue;
      for (std::size_t i = 0; i < udp.size(); ++i)
        if (udp[i].revents & POLLIN) {
          char buf[64];
          if (recv(udp[i].fd, buf, sizeof buf, 0) >= 0) got.insert(udp_ports[i]);
        }
    }
    std::string out;
    for (int p : got) out += std::to_string(p) + "\n";
    if (write(results[1], out.data(), out.size()) < 0) _exit(6);
    _exit(0);
  }
  close(ready[1]);
  close(results[1]);
  char go = 0;
  REQUIRE(read(ready[0], &go, 1) == 1);

  int tcp_pipe[2];
  REQUIRE(pipe(tcp_pipe) == 0);
  pid_t client = fork();
  if (client == 0) {
    // Client: all TCP connects at once, then every UDP datagram (twice).
    close(tcp_pipe[0]);
    if (!enter(ns.client)) _exit(3);
    const char* server_ip = v6 ? "fd99::1" : "10.99.0.1";
    std::vector<pollfd> tcp;
    std::vector<int> tcp_ports;
    for (const auto& p : probes) {
      socklen_t len;
      auto addr = address(v6, server_ip, p.port, len);
      int fd = socket(v6 ? AF_INET6 : AF_INET, (p.tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK, 0);
      if (p.tcp) {
        connect(fd, reinterpret_cast<sockaddr*>(&addr), len);
        tcp.push_back({fd, POLLOUT, 0});
        tcp_ports.push_back(p.port);
      } else {
        for (int k = 0; k < 2; ++k) sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&addr), len);
      }
    }
    std::set<int> connected;
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    std::vector<bool> done(tcp.size(), false);
    while (std::chrono::steady_clock::now() < until) {
      if (poll(tcp.data(), tcp.size(), 50) <= 0) continue;
      for (std::size_t i = 0; i < tcp.size(); ++i) {
        if (done[i] || !tcp[i].revents) continue;
        int err = 0;
        socklen_t elen = sizeof err;
        getsockopt(tcp[i].fd, SOL_SOCKET, SO_ERROR, &err, &elen);
        if (err == 0) connected.insert(tcp_ports[i]);
        done[i] = true;
        tcp[i].events = 0;
      }
    }
    std::string out;
    for (int p : connected) out += std::to_string(p) + "\n";
    if (write(tcp_pipe[1], out.data(), out.size()) < 0) _exit(6);
    _exit(0);
  }
  close(tcp_pipe[1]);
  auto read_ports = [](int fd) {
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
    close(fd);
    std::set<int> ports;
    std::istringstream in(text);
    int p;
    while (in >> p) ports.insert(p);
    return ports;
  };
  auto tcp_ok = read_ports(tcp_pipe[0]);
  int status = 0;
  waitpid(client, &status, 0);
  auto udp_ok = read_ports(results[0]);
  waitpid(server, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  close(ready[0]);
  std::set<std::pair<bool, int>> passed;
  for (int p : tcp_ok) passed.insert({true, p});
  for (int p : udp_ok) passed.insert({false, p});
  return passed;
}

PortAnswer fwmatrix_accepted(const std::string& file, bool v6, std::set<int>& endpoints) {
  auto r = run_fwmatrix(
      fmt::format("ports {} --json --src {} --iface fwk0", shell_quote(file), v6 ? "fd99::2" : "10.99.0.2"));
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  REQUIRE_FALSE(j.contains("undetermined_tcp"));
  REQUIRE_FALSE(j.contains("undetermined_udp"));
  PortAnswer accepted;
  for (bool tcp : {true, false})
    for (const auto& iv : j[tcp ? "tcp" : "udp"]) {
      int lo = iv[0].get<int>(), hi = iv[1].get<int>();
      endpoints.insert(lo);
      endpoints.insert(hi);
      accepted[tcp].push_back({lo, hi});
    }
  return accepted;
}

bool in_answer(const PortAnswer& answer, bool tcp, int port) {
  auto it = answer.find(tcp);
  if (it == answer.end()) return false;
  for (const auto& [lo, hi] : it->second)
    if (port >= lo && port <= hi) return true;
  return false;
}

std::unique_ptr<Namespaces> kernel_test_namespaces(const std::string& prefix, const std::vector<std::string>& tools) {
  if (geteuid() != 0) {
    WARN("skipped: needs root for network namespaces");
    return nullptr;
  }
  for (const auto& tool : tools)
    if (run_command(fmt::format("command -v {} >/dev/null", tool)).exit_code != 0) {
      WARN("skipped: " << tool << " is not installed");
      return nullptr;
    }
  auto ns = std::make_unique<Namespaces>(prefix);
  if (!ns->ok) {
    WARN("skipped: cannot create network namespaces here");
    return nullptr;
  }
  return ns;
}

void KernelAgreement::add(const KernelAgreement& other) {
  rulesets += other.rulesets;
  probes += other.probes;
  agreed += other.agreed;
  passing += other.passing;
}

KernelAgreement compare_with_kernel(const Namespaces& ns, const std::string& file, bool v6, std::set<int> ports) {
  auto answer = fwmatrix_accepted(file, v6, ports);
  std::set<int> sample;
  for (int p : ports)
    for (int d : {-1, 0, 1})
      if (p + d >= 1 && p + d <= 65535) sample.insert(p + d);
  for (int p : {1, 2, 1024, 32768, 65535}) sample.insert(p);
  std::vector<Probe> probes;
  for (int p : sample) {
    probes.push_back({true, p});
    probes.push_back({false, p});
  }
  auto passed = probe(ns, v6, probes);
  KernelAgreement result;
  result.rulesets = 1;
  for (const auto& pr : probes) {
    bool kernel = passed.count({pr.tcp, pr.port}) > 0;
    bool ours = in_answer(answer, pr.tcp, pr.port);
    INFO(fmt::format("{} {} port {}: kernel {}, fwmatrix {}", v6 ? "IPv6" : "IPv4", pr.tcp ? "TCP" : "UDP", pr.port,
                     kernel ? "passes" : "blocks", ours ? "accepts" : "does not accept"));
    CHECK(kernel == ours);
    if (kernel == ours) ++result.agreed;
    if (kernel) ++result.passing;
    ++result.probes;
  }
  return result;
}

void require_agreement(const KernelAgreement& total, const std::string& what) {
  WARN(fmt::format("{} kernel comparison: {} rulesets, {} probes ({} pass the kernel, {} blocked), {} agree", what,
                   total.rulesets, total.probes, total.passing, total.probes - total.passing, total.agreed));
  REQUIRE(total.agreed == total.probes);
  REQUIRE(total.passing > total.probes / 10);
  REQUIRE(total.probes - total.passing > total.probes / 10);
}

}  // namespace fwm::test
