// FWM_TIMING=1: phase timings and memory on stderr, for profiling (bench/README.md).
#pragma once

namespace fwm {

// Whether FWM_TIMING is set.
bool timing_enabled();

// Prints "timing: WHAT S.SSSs (at T.TTTs) rss N MB peak M MB" to stderr: the phase's
// time, the time since the process started, resident and peak memory.
void print_timing(const char* what, double seconds);

}  // namespace fwm
