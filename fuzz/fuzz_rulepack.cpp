// libFuzzer target for the rule pack loader (rules/*.yaml, fwmatrix check --pack FILE):
// a pack that loads is used for the full analysis of a fixed host ruleset with every role
// it defines, so role expansion, requirement tables and coverage see the fuzzed pack.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "checks/analysis.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  auto loaded = fwm::load_pack_file(fwm::fuzz::scratch_file(bytes, ".yaml"));
  if (!loaded.pack) return 0;
  std::vector<std::string> roles;
  for (const auto& r : loaded.pack->roles) roles.push_back(r.id);
  for (const char* lb_mode : {"hardware", "dns"}) {
    fwm::AnalysisRequest request{&*loaded.pack, roles, lb_mode};
    std::vector<std::string> notes;
    fwm::analyze(fwm::fuzz::host_ruleset(), request, notes);
  }
  return 0;
}
