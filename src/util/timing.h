// FWM_TIMING=1: phase timings and memory on stderr, for profiling (bench/README.md).
#pragma once

namespace fwm {

// Whether FWM_TIMING is set.
bool timing_enabled();

// Prints "timing: WHAT S.SSSs rss N MB peak M MB" to stderr.
void print_timing(const char* what, double seconds);

}  // namespace fwm
