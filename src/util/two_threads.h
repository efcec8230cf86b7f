// Work shared by two threads: independent tasks taken in turn from one counter.
#pragma once

#include <atomic>
#include <cstddef>
#include <future>
#include <thread>

namespace fwm {

// Calls task(i) for every i in [0, count): on this thread and, when `two_threads` (and
// the machine has two cores or more), on one more at once, each taking the next index in
// turn. Returns when every task is done; an exception from a task is rethrown here.
template <class Task>
void for_each_index_on_two_threads(std::size_t count, bool two_threads, Task&& task) {
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < count; i = next++) task(i);
  };
  if (two_threads && count > 1 && std::thread::hardware_concurrency() >= 2) {
    auto helper = std::async(std::launch::async, work);
    work();
    helper.get();
  } else {
    work();
  }
}

}  // namespace fwm
