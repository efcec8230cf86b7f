#include "cli/cli.h"
#include "util/process_exit.h"

int main(int argc, char** argv) {
  fwm::set_process_exits_after_command(true);
  return fwm::run_cli(argc, argv);
}
