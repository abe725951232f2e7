#!/usr/bin/env bash
# README's test command: installs what is needed, builds Release with gcc and
# runs the unit tests there, builds with AddressSanitizer and
# UndefinedBehaviorSanitizer (clang, so the libFuzzer target builds too), and
# runs every test: unit, end-to-end (network namespaces: needs root) and a
# bounded fuzzing run. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/install-deps.sh
if [ "$(id -u)" -ne 0 ]; then
  echo "tests/run.sh: the end-to-end tests create network namespaces: run it as root (sudo)" >&2
  exit 2
fi

jobs=$(nproc)
# Warnings are errors for both compilers: gcc in the Release build users and
# the .deb get (-O3 sees more), tests included, and clang below.
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DDDUMP_WERROR=ON -DDDUMP_BUILD_TESTS=ON
cmake --build build-release -j"$jobs"
# The pure parts once more as optimised gcc code.
ctest --test-dir build-release -L unit --output-on-failure -j"$jobs"

cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
  -DDDUMP_SANITIZE=ON -DDDUMP_FUZZ=ON -DDDUMP_WERROR=ON
cmake --build build-test -j"$jobs"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir build-test --output-on-failure --timeout 600 -j"$jobs"
