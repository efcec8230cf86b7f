#include "ir/sparse.h"

#include <algorithm>
#include "fwm_catch.hpp"
#include <string>
#include <vector>

using fwm::SparseString;
using fwm::SparseVector;

TEST_CASE("sparse vector: one pointer wide, reads like a vector", "[ir]") {
  STATIC_REQUIRE(sizeof(SparseVector<std::string>) == sizeof(void*));
  SparseVector<std::string> v;
  CHECK(v.empty());
  CHECK(v.size() == 0);
  CHECK(v.begin() == v.end());
  CHECK(v.vec().empty());
  v.push_back("a");
  v.emplace_back("b");
  CHECK(v.size() == 2);
  CHECK(v.front() == "a");
  CHECK(v.back() == "b");
  CHECK(std::find(v.begin(), v.end(), "b") != v.end());
  std::vector<std::string> more{"c", "d"};
  v.append(more.begin(), more.end());
  const std::vector<std::string>& as_vector = v;
  CHECK(as_vector == std::vector<std::string>{"a", "b", "c", "d"});
  SparseVector<std::string> copy = v;
  CHECK(copy == v);
  copy[0] = "z";
  CHECK(v[0] == "a");  // a deep copy
  v.pop_back();
  v.pop_back();
  v.pop_back();
  v.pop_back();
  CHECK(v.empty());
  v = {"x"};
  CHECK(v.size() == 1);
  v = std::vector<std::string>{};
  CHECK(v.empty());
  CHECK(v == SparseVector<std::string>{});
}

TEST_CASE("sparse string: empty until set, reads like a string", "[ir]") {
  STATIC_REQUIRE(sizeof(SparseString) == sizeof(void*));
  SparseString s;
  CHECK(s.empty());
  CHECK(s.str().empty());
  s = std::string("pass in on em0");
  CHECK_FALSE(s.empty());
  CHECK(s == "pass in on em0");
  SparseString copy = s;
  const std::string& text = copy;
  CHECK(text == "pass in on em0");
  s = std::string();
  CHECK(s.empty());
}
