// Catch2 v2 only: with v3, tests/CMakeLists.txt links Catch2::Catch2WithMain instead.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
