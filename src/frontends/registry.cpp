#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <limits>

#include "frontends/frontend.h"
#include "frontends/frontend_entry.h"
#include "frontends/iptables/iptables_frontend.h"
#include "frontends/nftables/nftables_frontend.h"
#include "frontends/pf/pf_frontend.h"
#include "frontends/windows/windows_frontend.h"
#include "util/timing.h"

namespace fwm {

namespace {

// The only list of frontends. Detection tries them in this order.
const std::vector<FrontendEntry>& frontends() {
  static const std::vector<FrontendEntry> all = {
      nftables::frontend_entry(),  // first: `nft -j` JSON is recognised by its "nftables" key
      windows::frontend_entry(),   // before iptables: .reg key lines start with '[' like counters
      iptables::frontend_entry(),
      pf::frontend_entry(),
  };
  return all;
}

// What users type for a format, after the tool that writes it: each names a format
// above (`--format iptables-save` is `--format iptables`).
const std::pair<const char*, const char*> kFormatAliases[] = {
    {"iptables-save", "iptables"},
    {"ip6tables-save", "ip6tables"},
    {"nft", "nftables"},
};

}  // namespace

std::vector<std::string> known_formats() {
  std::vector<std::string> names;
  for (const auto& f : frontends()) names.insert(names.end(), f.names.begin(), f.names.end());
  for (const auto& [alias, format] : kFormatAliases) names.emplace_back(alias);
  return names;
}

std::string canonical_format(const std::string& format) {
  for (const auto& [alias, name] : kFormatAliases)
    if (format == alias) return name;
  return format;
}

std::string detect_format(const TextFile& file) {
  // pf is asked first: a pf file may begin with `table <x>` or `include "x"`, as nftables
  // files do, and pf's detection rules nftables (and iptables) lines out.
  auto is_pf = [](const FrontendEntry& f) { return f.names.front() == "pf"; };
  for (const auto& f : frontends())
    if (is_pf(f) && f.detect(file)) return f.names.front();
  for (const auto& f : frontends())
    if (!is_pf(f) && f.detect(file)) return f.names.front();
  return {};
}

LoadResult load_ruleset(const std::string& path, const LoadOptions& options) {
  ReadLimits limits = read_limits(options.limits);
  limits.max_line_length = std::numeric_limits<std::size_t>::max();  // checked by load_ruleset_file
  return load_ruleset_file(read_text_file(path, limits), options);
}

LoadResult load_ruleset_bytes(const std::string& display_path, const std::string& bytes, const LoadOptions& options) {
  if (bytes.size() > options.limits.max_file_size) {
    LoadResult result;
    result.error = fmt::format("{} is {} bytes, larger than allowed{}", display_path, bytes.size(),
                               limit_hint(options.limits.max_file_size, "bytes", kMaxFileSizeFlag));
    return result;
  }
  return load_ruleset_file(decode_text(display_path, bytes), options);
}

LoadResult load_ruleset_file(const TextFile& file, const LoadOptions& options) {
  const std::string& path = file.path;
  LoadResult result;
  if (!file.ok()) {
    result.error = file.error;
    return result;
  }
  if (auto long_line = line_length_error(file, options.limits.max_line_length); !long_line.empty()) {
    result.error = long_line;
    return result;
  }
  std::string format = options.format.empty() ? detect_format(file) : canonical_format(options.format);
  if (format.empty()) {
    result.error = fmt::format(
        "{}: not a firewall configuration: its content is none of the known formats ({}); if it is one, name "
        "its format with --format",
        path, fmt::join(known_formats(), ", "));
    return result;
  }
  for (const auto& f : frontends()) {
    for (const auto& name : f.names) {
      if (name != format) continue;
      auto t0 = std::chrono::steady_clock::now();
      LoadOptions named = options;  // the frontend sees the format's own name, not an alias
      named.format = options.format.empty() ? std::string() : format;
      f.load(file, format, named, result);
      if (timing_enabled())
        print_timing(fmt::format("load {}", format).c_str(),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      return result;
    }
  }
  result.error = fmt::format("unknown format '{}' (known: {})", format, fmt::join(known_formats(), ", "));
  return result;
}

}  // namespace fwm
