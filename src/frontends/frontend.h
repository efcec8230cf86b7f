// The frontend registry: format detection and loading into the rule IR.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/ruleset.h"
#include "util/limits.h"
#include "util/text_input.h"

namespace fwm {

struct LoadOptions {
  std::string format;   // empty: detect from content
  std::string profile;  // formats with variants (Windows profiles): only this one; empty: all
  bool allow_outside = false;  // includes may leave the input's directory tree (--allow-outside)
  Limits limits;               // file size, line length, include depth, expansion sizes
};

struct LoadResult {
  std::unique_ptr<Ruleset> ruleset;  // null when the input could not be read at all
  // Further variants of the same file (e.g. one ruleset per Windows profile); each has
  // Ruleset::variant set. Empty for single-policy formats.
  std::vector<std::unique_ptr<Ruleset>> more_variants;
  std::string error;  // unreadable input, unknown format (exit code 2)

  std::vector<const Ruleset*> all() const {
    std::vector<const Ruleset*> out;
    if (ruleset) out.push_back(ruleset.get());
    for (const auto& r : more_variants) out.push_back(r.get());
    return out;
  }
};

// Names of the formats that have a frontend ("iptables", ...).
std::vector<std::string> known_formats();
// The format an alias names ("iptables-save" -> "iptables", "nft" -> "nftables"); any
// other name as given.
std::string canonical_format(const std::string& format);

// Picks the format from content (and the file name as a hint). Empty when unknown.
std::string detect_format(const TextFile& file);

LoadResult load_ruleset(const std::string& path, const LoadOptions& options);
// The same for content already in memory (tests, stdin): bytes are decoded as a file is.
LoadResult load_ruleset_bytes(const std::string& display_path, const std::string& bytes, const LoadOptions& options);
LoadResult load_ruleset_file(const TextFile& file, const LoadOptions& options);

}  // namespace fwm
