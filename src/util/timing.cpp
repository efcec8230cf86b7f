#include "util/timing.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

namespace fwm {

namespace {
const auto kStarted = std::chrono::steady_clock::now();
}  // namespace

bool timing_enabled() {
  static const bool enabled = std::getenv("FWM_TIMING") != nullptr;
  return enabled;
}

void print_timing(const char* what, double seconds) {
  long resident_pages = 0, size_pages = 0;
  std::ifstream statm("/proc/self/statm");
  statm >> size_pages >> resident_pages;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  fmt::print(stderr, "timing: {} {:.3f}s (at {:.3f}s) rss {} MB peak {} MB\n", what, seconds,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - kStarted).count(),
             resident_pages * 4096 / (1024 * 1024), usage.ru_maxrss / 1024);
}

}  // namespace fwm
