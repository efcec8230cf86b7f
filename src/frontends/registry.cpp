#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

#include "frontends/frontend.h"
#include "frontends/iptables/iptables_frontend.h"

namespace fwm {

std::vector<std::string> known_formats() { return {"iptables", "ip6tables"}; }

std::string detect_format(const TextFile& file) {
  if (iptables::detect(file.text)) return "iptables";
  return {};
}

LoadResult load_ruleset(const std::string& path, const LoadOptions& options) {
  return load_ruleset_file(read_text_file(path), options);
}

LoadResult load_ruleset_bytes(const std::string& display_path, const std::string& bytes, const LoadOptions& options) {
  return load_ruleset_file(decode_text(display_path, bytes), options);
}

LoadResult load_ruleset_file(const TextFile& file, const LoadOptions& options) {
  const std::string& path = file.path;
  LoadResult result;
  if (!file.ok()) {
    result.error = file.error;
    return result;
  }
  std::string format = options.format.empty() ? detect_format(file) : options.format;
  if (format.empty()) {
    result.error = fmt::format("{}: cannot tell the format of this file (known: {}); use --format", path,
                               fmt::join(known_formats(), ", "));
    return result;
  }
  if (format == "iptables" || format == "ip6tables") {
    auto t0 = std::chrono::steady_clock::now();
    auto model = iptables::parse(file);
    if (options.format == "ip6tables") model.family = Family::V6;
    if (options.format == "iptables") model.family = Family::V4;
    auto t1 = std::chrono::steady_clock::now();
    result.ruleset = std::make_unique<Ruleset>(iptables::lower(model, path));
    if (std::getenv("FWM_TIMING"))
      fmt::print(stderr, "timing: parse {:.3f}s, lower {:.3f}s\n", std::chrono::duration<double>(t1 - t0).count(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count());
    return result;
  }
  result.error = fmt::format("unknown format '{}' (known: {})", format, fmt::join(known_formats(), ", "));
  return result;
}

}  // namespace fwm
