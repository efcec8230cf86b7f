// Inline suppressions, read the same way by every frontend (ir/suppressions.h).
#include "ir/suppressions.h"

#include "fwm_catch.hpp"

using namespace fwm;

namespace {
std::vector<std::string> ids_in(std::string_view comment) {
  std::vector<std::string> ids;
  read_suppressions(comment, ids);
  return ids;
}
}  // namespace

TEST_CASE("suppressions: ids after 'fwmatrix: ignore', up to the reason", "[suppressions]") {
  using ids = std::vector<std::string>;
  CHECK(ids_in("# fwmatrix: ignore FWM021 -- the DMZ web farm") == ids{"FWM021"});
  CHECK(ids_in("fwmatrix: ignore FWM001, FWM020 -- reason FWM030") == ids{"FWM001", "FWM020"});
  CHECK(ids_in("fwmatrix:ignore FWM001,FWM002\tFWM003") == ids{"FWM001", "FWM002", "FWM003"});
  CHECK(ids_in("\"fwmatrix: ignore FWM022\"") == ids{"FWM022"});  // a quoted iptables comment
  CHECK(ids_in("rem fwmatrix: ignore FWM010 fwmatrix: ignore FWM011 -- both") == ids{"FWM010", "FWM011"});
  CHECK(ids_in("fwmatrix: ignore FWM0201 FWMX FW001 fwm001") == ids{});  // not result ids
  CHECK(ids_in("fwmatrix: please ignore FWM001").empty());               // not the form
  CHECK(ids_in("ignore FWM001").empty());
  CHECK(ids_in("").empty());
  ids appended{"FWM090"};
  read_suppressions("fwmatrix: ignore FWM091", appended);
  CHECK(appended == ids{"FWM090", "FWM091"});
}
