// What the subcommands share: reading "-" (standard input) and colours.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <iterator>

#include "cli/commands.h"

namespace fwm {

namespace {
bool stdin_read = false;
std::string& stdin_buffer() {
  static std::string text;
  return text;
}
}  // namespace

const std::string& stdin_text() { return stdin_buffer(); }

LoadResult load_input(const std::string& path, const LoadOptions& options) {
  if (path != "-") return load_ruleset(path, options);
  if (stdin_read) {
    LoadResult result;
    result.error = "standard input (-) can be read only once";
    return result;
  }
  stdin_read = true;
  std::string& text = stdin_buffer();
  text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  return load_ruleset_bytes(kStdinName, text, options);
}

bool use_color(int fd) {
  const char* no_color = std::getenv("NO_COLOR");  // https://no-color.org: set and not empty
  return isatty(fd) && !(no_color && *no_color);
}

}  // namespace fwm
