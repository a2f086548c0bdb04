#!/usr/bin/env bash
# tools/check_install.sh [BUILD_DIR]   (default: build, already built)
#
# What a user of the library gets, checked from the outside (tools/check.sh
# runs it after the tests):
#   1. `cmake --install` into a scratch prefix; a consumer project finds it
#      with find_package(runjournal) and runs DESIGN.md's embedding example;
#   2. the same example compiled by hand with `pkg-config --static runjournal`;
#   3. a consumer that add_subdirectory()s the source tree;
#   4. `cpack -G DEB`: the packages unpacked into a scratch root (dpkg -x),
#      `runjournal --version` run from there, and the find_package consumer
#      built against the unpacked development package;
#   5. the C API: a C consumer compiled with `pkg-config runjournal-c` against
#      the install prefix and against the unpacked packages, and the
#      exported-symbols check on the installed library;
#   6. the Rust bindings: a consumer crate (tests/consumer/rust) that finds
#      the installed library through pkg-config, prefix then packages;
#   7. the Python package: a consumer script (tests/consumer/python) run by
#      Debian's python3 against the installed package, prefix then packages.
# Everything goes to a temporary directory that is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
build=$(cd "${1:-build}" && pwd)
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
[ -n "$version" ] || { echo "check_install: no project version in $build/CMakeCache.txt" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/runjournal-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
step() { echo "check_install: $*"; }

step "1. cmake --install into a scratch prefix, find_package consumer"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -x "$work/prefix/bin/runjournal"
cmake -S tests/consumer/find_package -B "$work/find_package" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/find_package" >/dev/null
"$work/find_package/runjournal-consumer" "$work/find_package.journal"

step "2. pkg-config --static consumer"
pc_path=$(dirname "$(find "$work/prefix" -name runjournal.pc)")
pc_flags=$(PKG_CONFIG_PATH="$pc_path" pkg-config --cflags --libs --static runjournal)
c++ -std=c++20 -o "$work/pkg_config_consumer" tests/consumer/embedding_example.cpp $pc_flags
"$work/pkg_config_consumer" "$work/pkg_config.journal"

step "3. add_subdirectory consumer (builds the library from source)"
cmake -S tests/consumer/add_subdirectory -B "$work/add_subdirectory" -G Ninja \
  -DRUNJOURNAL_SOURCE_DIR="$src" >/dev/null
cmake --build "$work/add_subdirectory" -j 2 >/dev/null
"$work/add_subdirectory/runjournal-consumer" "$work/add_subdirectory.journal"

step "4. cpack -G DEB, unpacked into a scratch root"
(cd "$build" && cpack -G DEB -B "$work/packages" >/dev/null)
for deb in "$work"/packages/*.deb; do
  dpkg-deb --field "$deb" Package Version Depends | sed 's/^/  /'
  dpkg -x "$deb" "$work/root"
done
out=$("$work/root/usr/bin/runjournal" --version)
[ "$out" = "runjournal $version" ] || { echo "check_install: --version printed '$out'" >&2; exit 1; }
echo "  $out (from the unpacked package)"
cmake -S tests/consumer/find_package -B "$work/deb_consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/root/usr" -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF >/dev/null
grep -q "runjournal_DIR:PATH=$work/root/usr" "$work/deb_consumer/CMakeCache.txt" \
  || { echo "check_install: the consumer did not find the packaged config" >&2; exit 1; }
cmake --build "$work/deb_consumer" >/dev/null
"$work/deb_consumer/runjournal-consumer" "$work/deb_consumer.journal"
step "5. C consumer with pkg-config runjournal-c (install prefix, then the packages)"
c_consumer() {  # c_consumer ROOT_PREFIX NAME
  local pc libdir
  pc=$(dirname "$(find "$1" -name runjournal-c.pc | head -1)")
  libdir=$(PKG_CONFIG_PATH="$pc" pkg-config --variable=libdir runjournal-c)
  # shellcheck disable=SC2046  # pkg-config's flags are words
  cc -std=c11 -Wall -Wextra -Wpedantic -Werror -o "$work/$2" tests/consumer/c/consumer.c \
    $(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs runjournal-c)
  LD_LIBRARY_PATH="$libdir" "$work/$2" "$work/$2.journal"
  readelf -d "$libdir/librunjournal_c.so" | grep -q "SONAME.*librunjournal_c\.so\.[0-9]" \
    || { echo "check_install: $libdir/librunjournal_c.so has no versioned SONAME" >&2; exit 1; }
  cmake "-DNM=nm" "-DLIBRARY=$libdir/librunjournal_c.so" "-DHEADER=$1/include/runjournal/runjournal.h" \
    "-DSUITE_DIR=$src/tests/capi" -P tests/capi/exported_symbols.cmake
}
c_consumer "$work/prefix" c_consumer_prefix
c_consumer "$work/root/usr" c_consumer_deb
step "6. Rust consumer crate, librunjournal_c found by pkg-config (install prefix, then the packages)"
cargo_bin=$(command -v cargo || echo "${HOME:-/root}/.cargo/bin/cargo")
rust_consumer() {  # rust_consumer ROOT_PREFIX NAME
  local pc
  pc=$(dirname "$(find "$1" -name runjournal-c.pc | head -1)")
  env -u RUNJOURNAL_C_LIB_DIR PKG_CONFIG_PATH="$pc" CARGO_TARGET_DIR="$work/cargo" \
    "$cargo_bin" run --offline --quiet --manifest-path tests/consumer/rust/Cargo.toml -- "$work/$2.journal"
}
rust_consumer "$work/prefix" rust_consumer_prefix
rust_consumer "$work/root/usr" rust_consumer_deb
step "7. Python consumer script against the installed package (install prefix, then the packages)"
python_consumer() {  # python_consumer ROOT_PREFIX NAME
  local site out
  site=$(dirname "$(find "$1" -path '*dist-packages/runjournal/__init__.py' | head -1)")
  site=$(dirname "$site")
  out=$(PYTHONPATH="$site" /usr/bin/python3 tests/consumer/python/consumer.py "$work/$2.journal")
  echo "$out"
  case "$out" in
    *"from $site/runjournal/__init__.py"*": ok") ;;
    *) echo "check_install: the consumer did not use the package under $site" >&2; exit 1 ;;
  esac
}
python_consumer "$work/prefix" python_consumer_prefix
python_consumer "$work/root/usr" python_consumer_deb
step "all passed"
