// libFuzzer target for the .fwmatrix.yaml project settings loader.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/project_config.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  auto loaded = fwm::load_project_config(fwm::fuzz::scratch_file(bytes, ".fwmatrix.yaml"));
  fwm::fuzz::consume(loaded.error);
  return 0;
}
