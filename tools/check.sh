#!/usr/bin/env bash
# The README's test command, and what CI runs (.ci/run): set up, then the
# whole suite twice: a normal build, and one under AddressSanitizer and
# UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/bootstrap.sh build
ctest --test-dir build --output-on-failure -j 2

bash tools/bootstrap.sh build-asan -DRUNJOURNAL_SANITIZE=address,undefined
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j 2
