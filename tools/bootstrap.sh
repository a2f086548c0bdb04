#!/usr/bin/env bash
# tools/bootstrap.sh [--demo] BUILD_DIR [cmake args…]
#
# Everything a fresh Debian 12 machine needs, then a configured and built
# tree in BUILD_DIR. Installs only the Debian packages that are missing
# (apt-get, as root or through sudo), so a second run costs only the build.
#
# --demo: only what the demo needs (the library, the demo program and the
# stock sqlite3 shell it asks at the end), and only the demo is built, at
# -O2 without debug info: the README's first command stays quick on a fresh
# machine. Without it: every package the tests need, and every target.
set -euo pipefail
cd "$(dirname "$0")/.."

demo=0
if [ "${1:-}" = "--demo" ]; then
  demo=1
  shift
fi

# The library and the demo.
packages=(g++ cmake ninja-build pkg-config sqlite3 libsqlite3-dev libsqlitecpp-dev
          nlohmann-json3-dev libfmt-dev libcli11-dev
          libcpp-httplib-dev)  # runjournal serve: HTTP (docs/serve.md)
if [ "$demo" -eq 0 ]; then
  packages+=(doctest-dev
             dpkg-dev file    # cpack -G DEB: dpkg-shlibdeps, and file to spot ELF binaries
             clang libclang-rt-14-dev   # the sanitizer and fuzzing builds: ASan, UBSan, TSan, libFuzzer runtimes
             python3-dev python3-pytest   # the Python package (bindings/python) and its suite
             chromium chromium-driver wrk   # serve's browser test (tests/browser) and benchmark
             postgresql-15 libpq-dev)   # the PostgreSQL layer (src/postgres), its tests' throwaway server (tools/pg_cluster.sh)
  # The Rust bindings (bindings/rust) need cargo: Debian's, unless one is
  # already there (a rustup toolchain on PATH or in ~/.cargo/bin serves too).
  if ! command -v cargo >/dev/null 2>&1 && [ ! -x "${HOME:-/root}/.cargo/bin/cargo" ]; then
    packages+=(cargo)
  fi
  # The browser test's driver (playwright-core) runs on Node.js: Debian's,
  # unless the machine already has one.
  command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build_dir=$1
shift
if [ "$demo" -eq 1 ]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
    -DRUNJOURNAL_BUILD_TESTS=OFF -DRUNJOURNAL_BUILD_EXAMPLES=OFF -DRUNJOURNAL_INSTALL=OFF \
    -DRUNJOURNAL_C_API=OFF -DRUNJOURNAL_PYTHON=OFF "$@" >/dev/null
  cmake --build "$build_dir" -j 2 --target runjournal_demo
  exit 0
fi
# -Werror in our own targets: the project's CI asks for it, a user's build
# never gets it forced (cmake/RunjournalWarnings.cmake).
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRUNJOURNAL_WERROR=ON "$@" >/dev/null
# Two jobs: the machines have two cores and nlohmann/json is heavy to compile.
cmake --build "$build_dir" -j 2
