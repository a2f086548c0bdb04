#!/usr/bin/env bash
# The README's test command, and what CI runs (.ci/run): set up, then the
# whole suite twice: a Release build (gcc -O3, what users build, warnings as
# errors), and one under AddressSanitizer and UndefinedBehaviorSanitizer
# (clang, with the fuzzers, a minute each). The C API's C suite is a ctest
# in both; the Rust crate's `cargo test --offline`, its example and the
# Python package's pytest suite are ctests of the Release build (label
# `bindings`; not under the sanitizers). Between the two,
# the install and the Debian package as a user consumes them
# (tools/check_install.sh); after the first, the web view in a real browser
# (tests/browser); last, the concurrency tests under
# ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

# The suites' own code at -O1 (the library and tools at -O3, as users build
# them): test code that runs once is most of the build on CI's two cores.
bash tools/bootstrap.sh build -DCMAKE_BUILD_TYPE=Release -DRUNJOURNAL_TEST_COMPILE_OPTIONS=-O1
ctest --test-dir build --output-on-failure -j 2
# `runjournal serve` in a real browser: Debian's chromium driven by
# playwright-core from npm (package-lock.json). The script starts and stops
# the server and the browser itself, on every way out.
bash tests/browser/run.sh build
# The benchmark as a smoke only (tiny sizes: proves every scenario runs; its
# figures mean nothing). The real run is docs/performance.md.
./build/tools/runjournal-bench --quick --dir build/bench-smoke
# The same for the PostgreSQL backend's benchmark (beside raw libpq): it
# starts a throwaway cluster of its own and destroys it on every way out.
./build/tools/runjournal-bench-pg --quick
# The same for the web view's benchmark (docs/serve.md): a real server,
# wrk and chromium on tiny sizes.
bash tools/bench_serve.sh build --quick >/dev/null
# The same for the bindings' benchmark (Python, Rust, their native baselines).
/usr/bin/python3 tools/bench_bindings.py --quick --build build --dir build/bench-bindings-smoke
# What a user gets: install + find_package, pkg-config, add_subdirectory, the .deb.
bash tools/check_install.sh build

# The whole suite again under clang's AddressSanitizer and
# UndefinedBehaviorSanitizer; the same build holds the libFuzzer targets
# (tests/fuzz), which ctest runs as short smokes (docs/reliability.md).
# -O1 with line tables only: sanitizers need no more, and it compiles much
# faster than -O2 -g on CI's two cores. The suites stay at -O1 too: at -O0
# their copies of header templates (nlohmann_json's recursive parser and
# destructor), which the linker may pick for the library's calls as well,
# overflow the stack on the deepest JSON the suites and fuzzers feed in.
# The examples already ran above.
bash tools/bootstrap.sh build-asan-clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
  -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" "-DCMAKE_C_FLAGS_DEBUG=-O1 -g1" -DRUNJOURNAL_BUILD_EXAMPLES=OFF \
  -DRUNJOURNAL_SANITIZE=address,undefined -DRUNJOURNAL_FUZZ=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan-clang --output-on-failure -j 2

# ThreadSanitizer: the library and writer_test, where threads append, read
# and rebuild one journal at once (group commit, async appends), built alone
# to save CI time. The crash and stress tests share journals between
# single-threaded processes, which TSan cannot see into.
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" \
  -DCMAKE_CXX_COMPILER=clang++ -DRUNJOURNAL_SANITIZE=thread -DRUNJOURNAL_BUILD_TOOLS=OFF -DRUNJOURNAL_C_API=OFF \
  -DRUNJOURNAL_BUILD_EXAMPLES=OFF -DRUNJOURNAL_INSTALL=OFF >/dev/null
cmake --build build-tsan -j 2 --target runjournal_test_child writer_test
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --test-dir build-tsan -R '^writer_test$' --output-on-failure
