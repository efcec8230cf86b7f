#include "ir/file_name.h"

#include "fwm_catch.hpp"
#include <string>
#include <thread>
#include <vector>

using fwm::FileName;

TEST_CASE("file names: equal text shares one copy, read like a string", "[ir]") {
  std::string built = std::string("fw/") + "rules.v4";
  FileName a = built;
  FileName b("fw/rules.v4");
  FileName other("fw/rules.v6");
  CHECK(a == b);
  CHECK(&a.str() == &b.str());
  CHECK_FALSE(a == other);
  CHECK(a < other);
  CHECK(a == std::string_view("fw/rules.v4"));
  CHECK(a.str().size() == 11);
  CHECK(a.str() == "fw/rules.v4");
  const std::string& as_string = a;
  CHECK(as_string == "fw/rules.v4");
  CHECK(fmt::format("{}:{}", a, 3) == "fw/rules.v4:3");
  CHECK(FileName().empty());
  CHECK(FileName("") == FileName());
}

TEST_CASE("file names: interned alike from several threads", "[ir]") {
  std::vector<const std::string*> seen(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < seen.size(); ++t)
    threads.emplace_back([&seen, t] {
      for (int i = 0; i < 1000; ++i) {
        FileName mine("thread-" + std::to_string(i % 7));
        FileName shared("shared.rules");
        if (i == 999) seen[t] = &shared.str();
        (void)mine;
      }
    });
  for (auto& th : threads) th.join();
  for (const auto* p : seen) CHECK(p == seen.front());
  CHECK(FileName("thread-3") == FileName(std::string("thread-") + "3"));
}
