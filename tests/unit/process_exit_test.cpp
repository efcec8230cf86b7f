// Objects left to the end of the process: freed at once unless main() said the process
// exits after the command.
#include "util/process_exit.h"

#include "fwm_catch.hpp"

using namespace fwm;

namespace {

struct Counted {
  int* destroyed;
  explicit Counted(int* d) : destroyed(d) {}
  Counted(Counted&& other) noexcept : destroyed(other.destroyed) { other.destroyed = nullptr; }
  ~Counted() {
    if (destroyed) ++*destroyed;
  }
};

}  // namespace

TEST_CASE("process exit: objects are freed at once unless the process exits after the command", "[util]") {
  int destroyed = 0;
  REQUIRE_FALSE(process_exits_after_command());  // the tests run commands in process
  free_or_leave_until_exit(Counted(&destroyed));
  CHECK(destroyed == 1);

  set_process_exits_after_command(true);
  free_or_leave_until_exit(Counted(&destroyed));
  set_process_exits_after_command(false);
  CHECK(destroyed == 1);  // kept until the end of the process
}
