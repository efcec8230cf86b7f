// Memory left for the operating system to take back when the process ends.
//
// Freeing a large ruleset object by object takes time (15 ms for 100k iptables rules)
// that buys nothing when the process is about to exit: the OS takes the whole address
// space back at once. main() says that the command it runs is the last thing the
// process does; the command then hands what it no longer needs to leave_until_exit().
// In-process callers (the tests) do not, so every object is freed and the sanitizers see
// every free.
#pragma once

#include <memory>
#include <utility>

namespace fwm {

// Called by main() before it runs a command.
void set_process_exits_after_command(bool exits);
bool process_exits_after_command();

// Keeps a type-erased object alive until the process ends (still reachable, so leak
// checkers do not report it).
void keep_until_exit(std::shared_ptr<void> object);

// Destroys `object` now, or, when the process exits after the command, leaves it to the
// end of the process.
template <class T>
void free_or_leave_until_exit(T&& object) {
  if (!process_exits_after_command()) {
    [[maybe_unused]] auto destroyed_here = std::forward<T>(object);
    return;
  }
  keep_until_exit(std::make_shared<std::decay_t<T>>(std::forward<T>(object)));
}

}  // namespace fwm
