#include "ir/suppressions.h"

#include <cctype>

namespace fwm {

void read_suppressions(std::string_view comment, std::vector<std::string>& out) {
  for (auto at = comment.find("fwmatrix:"); at != std::string_view::npos; at = comment.find("fwmatrix:", at + 1)) {
    std::string_view rest = comment.substr(at + 9);
    while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front()))) rest.remove_prefix(1);
    if (rest.substr(0, 6) != "ignore") continue;
    rest.remove_prefix(6);
    rest = rest.substr(0, rest.find("--"));
    rest = rest.substr(0, rest.find("fwmatrix:"));  // the next one is read on its own
    std::string id;
    for (std::size_t i = 0; i <= rest.size(); ++i) {
      if (i < rest.size() && std::isalnum(static_cast<unsigned char>(rest[i]))) {
        id.push_back(rest[i]);
        continue;
      }
      if (id.size() == 6 && id.rfind("FWM", 0) == 0) out.push_back(id);
      id.clear();
    }
  }
}

}  // namespace fwm
