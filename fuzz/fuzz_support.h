// Shared pieces of the fuzz targets: the bundled rule pack, a fixed host ruleset, scratch files.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "frontends/frontend.h"
#include "matrix/pack.h"

namespace fwm::fuzz {

// The rule pack of the source tree (rules/sfb2015.yaml); aborts when it cannot be read,
// since every input would then be fuzzed without the checks.
inline const Pack& pack() {
  static const Pack loaded = [] {
    auto res = load_pack_file(std::string(FWM_FUZZ_RULES_DIR) + "/sfb2015.yaml");
    if (!res.pack) {
      std::fprintf(stderr, "fuzz: cannot load the rule pack: %s\n", res.error.c_str());
      std::abort();
    }
    return *res.pack;
  }();
  return loaded;
}

inline const std::vector<std::string>& roles() {
  static const std::vector<std::string> r = {"front-end", "mediation"};
  return r;
}

// A small iptables host ruleset for the targets whose input is not a firewall file.
inline const Ruleset& host_ruleset() {
  static const LoadResult loaded = [] {
    LoadOptions options;
    options.format = "iptables";
    return load_ruleset_bytes("fuzz-host.rules",
                              "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                              "-A INPUT -p tcp --dport 443 -j ACCEPT\n"
                              "-A INPUT -p udp --dport 50000:59999 -j ACCEPT\nCOMMIT\n",
                              options);
  }();
  if (!loaded.ruleset) std::abort();
  return *loaded.ruleset;
}

// Writes bytes to a per-process scratch file (for loaders that only take a path).
inline std::string scratch_file(const std::string& bytes, const char* suffix) {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    return std::string(tmp && *tmp ? tmp : "/tmp");
  }();
  std::string path = dir + "/fwmatrix-fuzz-" + std::to_string(getpid()) + suffix;
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

// Keeps the optimiser from dropping the rendering.
inline void consume(const std::string& s) {
  static volatile std::size_t sink = 0;
  sink = sink + s.size();
}

}  // namespace fwm::fuzz
