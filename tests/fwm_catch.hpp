#pragma once
// Catch2 v3 (Ubuntu 24.04, Debian 13) or v2 (Debian 12, Ubuntu 22.04): tests/CMakeLists.txt
// finds either and defines FWM_CATCH2_V3 for v3. Tests include this, never Catch2 itself.
#ifdef FWM_CATCH2_V3
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
