#pragma once
// The kubectl answers under tests/data/k8s, as text (the test fails when one
// cannot be read, rather than parse an empty answer).

#include <catch2/catch.hpp>

#include <string>

#include "test_support.h"

namespace ddump::test {

inline std::string k8sFixture(const std::string& name) {
  std::string text = readText("k8s/" + name);
  REQUIRE(!text.empty());
  return text;
}

}  // namespace ddump::test
