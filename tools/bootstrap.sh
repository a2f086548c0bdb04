#!/usr/bin/env bash
# tools/bootstrap.sh BUILD_DIR [cmake args…]
#
# Everything a fresh Debian 12 machine needs, then a configured and built
# tree in BUILD_DIR. Installs only the Debian packages that are missing
# (apt-get, as root or through sudo), so a second run costs only the build.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake ninja-build pkg-config sqlite3 libsqlite3-dev libsqlitecpp-dev
          nlohmann-json3-dev libfmt-dev doctest-dev libcli11-dev
          libcpp-httplib-dev   # runjournal serve: HTTP (docs/serve.md)
          chromium chromium-driver wrk   # serve's browser test (tests/browser) and benchmark
          dpkg-dev file    # cpack -G DEB: dpkg-shlibdeps, and file to spot ELF binaries
          clang libclang-rt-14-dev)  # the sanitizer and fuzzing builds: ASan, UBSan, TSan, libFuzzer runtimes
# The browser test's driver (playwright-core) runs on Node.js: Debian's,
# unless the machine already has one.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
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
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
# Two jobs: the machines have two cores and nlohmann/json is heavy to compile.
cmake --build "$build_dir" -j 2
