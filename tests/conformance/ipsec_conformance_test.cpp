// Conformance of the IPsec policy readers over real-world files in
// ../shared/corpus/real/ipsec (read in place, never copied): every file is read without
// a crash or hang; files of a supported format must be recognised, and the clean-parse
// rate is reported. A few files are of formats fwmatrix does not read (DPDK ipsec-secgw
// configuration, batch files that only echo legacy commands into another file).
#include <fmt/format.h>

#include "fwm_catch.hpp"
#include <filesystem>
#include <fstream>
#include <sstream>

#include "frontends/ipsec/ipsec_reader.h"
#include "ir/address.h"

namespace fs = std::filesystem;
#include "test_support.h"

using namespace fwm;

namespace {}  // namespace

TEST_CASE("ipsec conformance: real-world IPsec policies are read without crashing", "[ipsec][conformance]") {
  fs::path dir = fs::path(FWM_SHARED_DIR) / "corpus" / "real" / "ipsec";
  auto listed = test::shared_files(dir);
  if (!listed) return;
  const std::vector<fs::path>& files = *listed;
  REQUIRE(!files.empty());
  std::size_t recognised = 0, clean = 0, entries = 0;
  for (const auto& path : files) {
    auto loaded = ipsec::load_ipsec_policy_bytes(path.filename().string(), test::read_file(path.string()));
    if (!loaded.policy) {
      fmt::print(stderr, "ipsec conformance: {}: {}\n", path.filename().string(), loaded.error);
      CHECK_FALSE(loaded.error.empty());
      continue;
    }
    ++recognised;
    entries += loaded.policy->entries.size();
    bool ok = true;
    for (const auto& d : loaded.policy->diagnostics) {
      CHECK(d.span.line >= 1);
      if (d.id == "FWM090") {
        ok = false;
        fmt::print(stderr, "ipsec conformance: {}:{}:{}: {}\n", path.filename().string(), d.span.line, d.span.column,
                   d.message);
      }
    }
    // Evaluating the whole space must terminate and cover it.
    for (Family f : {Family::V4, Family::V6}) {
      auto r = evaluate_ipsec(*loaded.policy, IpsecBox::everything(f, Direction::In));
      CHECK_FALSE(r.truncated);
      CHECK_FALSE(r.pieces.empty());
    }
    if (ok) ++clean;
  }
  // Every reader on every file (wrong formats included) ends with entries or diagnostics,
  // never a crash.
  for (const auto& path : files) {
    std::string bytes = test::read_file(path.string());
    for (const auto& format : ipsec::ipsec_formats()) {
      auto forced = ipsec::load_ipsec_policy_bytes(path.filename().string(), bytes, format);
      REQUIRE(forced.policy);
      for (Family f : {Family::V4, Family::V6})
        CHECK_FALSE(evaluate_ipsec(*forced.policy, IpsecBox::everything(f, Direction::Out)).truncated);
    }
  }
  WARN(fmt::format("{}: {}/{} files recognised, {}/{} parse without FWM090, {} policy entries", dir.string(),
                   recognised, files.size(), clean, files.size(), entries));
  // Of the 19 stored files, 17 are in a format fwmatrix reads; none may fail to parse.
  CHECK(recognised + 2 >= files.size());
  CHECK(clean == recognised);
}

TEST_CASE("ipsec readers survive truncated and garbled input", "[ipsec][conformance]") {
  // Every corpus policy cut at many offsets, and with a byte flipped there: each reader
  // ends with entries or diagnostics, never a crash or a hang.
  fs::path corpus = fs::path(FWM_SOURCE_DIR) / "corpus" / "ipsec";
  std::size_t runs = 0;
  for (const auto& entry : fs::directory_iterator(corpus)) {
    if (entry.path().extension() == ".expected") continue;
    std::string bytes = test::read_file(entry.path().string());
    std::string format = ipsec::load_ipsec_policy_bytes("x", bytes).policy->format;
    for (std::size_t cut = 1; cut < bytes.size(); cut += 23) {
      std::string garbled = bytes;
      garbled[cut] = static_cast<char>(garbled[cut] ^ 0x5a);
      for (const std::string& variant : {bytes.substr(0, cut), garbled}) {
        auto r = ipsec::load_ipsec_policy_bytes(entry.path().filename().string(), variant, format);
        if (!r.policy) {  // undecodable bytes (a cut UTF-16 file): an input error
          CHECK_FALSE(r.error.empty());
          continue;
        }
        for (const auto& d : r.policy->diagnostics) CHECK(d.span.line >= 1);
        CHECK_FALSE(evaluate_ipsec(*r.policy, IpsecBox::everything(Family::V4, Direction::In)).truncated);
        ++runs;
      }
    }
  }
  CHECK(runs > 100);
}
