#include "cli/cli.h"

int main(int argc, char** argv) { return fwm::run_cli(argc, argv); }
