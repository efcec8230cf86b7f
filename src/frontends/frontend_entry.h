// What a frontend offers the registry: its format names, content detection and loading.
#pragma once

#include <string>
#include <vector>

#include "frontends/frontend.h"

namespace fwm {

struct FrontendEntry {
  // Format names accepted by --format; the first is the one detection reports.
  std::vector<std::string> names;
  // True when the content is this format (cheap: looks at the first lines/bytes).
  bool (*detect)(const TextFile& file) = nullptr;
  // Loads the file into result (ruleset, more_variants, error). `format` is the name
  // that selected this frontend (one of `names`), `options` as given by the user.
  void (*load)(const TextFile& file, const std::string& format, const LoadOptions& options,
               LoadResult& result) = nullptr;
};

}  // namespace fwm
