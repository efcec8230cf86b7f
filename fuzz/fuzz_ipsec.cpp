// libFuzzer target for the IPsec policy readers (fwmatrix check --ipsec FILE): format
// detected from content as the CLI does, then the FWM010/FWM011 checks run against a fixed
// host ruleset and the bundled rule pack.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "checks/analysis.h"
#include "frontends/ipsec/ipsec_reader.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  auto loaded = fwm::ipsec::load_ipsec_policy_bytes("/nonexistent-fwmatrix-fuzz/policy", bytes);
  if (!loaded.policy) return 0;
  std::vector<const fwm::IpsecPolicy*> policies{loaded.policy.get()};
  fwm::AnalysisRequest request{&fwm::fuzz::pack(), fwm::fuzz::roles(), "hardware"};
  request.ipsec = &policies;
  std::vector<std::string> notes;
  fwm::analyze(fwm::fuzz::host_ruleset(), request, notes);
  return 0;
}
