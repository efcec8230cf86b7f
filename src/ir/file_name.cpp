#include "ir/file_name.h"

#include <mutex>
#include <unordered_set>

namespace fwm {

namespace {

const std::string& no_name() {
  static const std::string empty;
  return empty;
}

const std::string* intern(std::string_view name) {
  if (name.empty()) return &no_name();
  // A frontend names the same file for every rule of it: most calls end here.
  thread_local const std::string* last = nullptr;
  if (last && *last == name) return last;
  static std::mutex mutex;
  static std::unordered_set<std::string>* names = new std::unordered_set<std::string>;  // kept to process exit
  std::lock_guard<std::mutex> lock(mutex);
  last = &*names->emplace(name).first;  // elements of an unordered_set keep their address
  return last;
}

}  // namespace

FileName::FileName() : text_(&no_name()) {}

FileName::FileName(std::string_view name) : text_(intern(name)) {}

}  // namespace fwm
