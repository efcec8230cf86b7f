#include "util/process_exit.h"

#include <atomic>
#include <mutex>
#include <vector>

namespace fwm {

namespace {

std::atomic<bool> exits_after_command{false};

// Never destroyed: reached from a static pointer until the process is gone.
struct Kept {
  std::mutex mutex;
  std::vector<std::shared_ptr<void>> objects;
};
Kept* const kept = new Kept;  // NOLINT: deliberately never freed

}  // namespace

void set_process_exits_after_command(bool exits) { exits_after_command = exits; }

bool process_exits_after_command() { return exits_after_command; }

void keep_until_exit(std::shared_ptr<void> object) {
  std::lock_guard<std::mutex> lock(kept->mutex);
  kept->objects.push_back(std::move(object));
}

}  // namespace fwm
