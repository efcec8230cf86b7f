#pragma once

namespace fwm {
// Runs the fwmatrix command line; returns the process exit code.
int run_cli(int argc, char** argv);
}  // namespace fwm
