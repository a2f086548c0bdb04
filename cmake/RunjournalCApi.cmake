# RunjournalCApi.cmake — the C API (include/runjournal/runjournal.h) as a
# shared library, its C suite, and the bindings built on it.
#
#   librunjournal_c.so.<ABI>   SONAME librunjournal_c.so.<RJ_ABI_VERSION>
#
# Why a name of its own: `-lrunjournal` names the static C++ library
# (librunjournal.a); a librunjournal.so beside it would be picked by the
# linker first and break every C++ consumer. The shared library holds the
# whole C++ library and SQLiteCpp (static, position-independent), links
# SQLite, fmt and libstdc++ dynamically, and exports only rj_* symbols:
# hidden visibility for its own code and a version script for everything
# it pulls in (libstdc++ marks std:: templates visible, so visibility alone
# is not enough).
#
# Included from the top-level CMakeLists.txt after tests/ (so the C suite's
# add_test calls see enable_testing()).

option(RUNJOURNAL_C_API "Build librunjournal_c.so, the C API" ${RUNJOURNAL_TOP_LEVEL})
if(NOT RUNJOURNAL_C_API)
  return()
endif()
enable_language(C)

# The ABI version lives in the header only; the SONAME follows it.
file(STRINGS "${PROJECT_SOURCE_DIR}/include/runjournal/runjournal.h" _rj_abi_line
     REGEX "^#define RJ_ABI_VERSION [0-9]+$")
string(REGEX REPLACE "^#define RJ_ABI_VERSION ([0-9]+)$" "\\1" RUNJOURNAL_C_ABI "${_rj_abi_line}")
if(NOT RUNJOURNAL_C_ABI MATCHES "^[0-9]+$")
  message(FATAL_ERROR "RunjournalCApi: no RJ_ABI_VERSION in include/runjournal/runjournal.h")
endif()

# The implementation once, as objects: the shared library is made of them,
# and capi_codes_test links them to reach the code mapping directly.
add_library(runjournal_capi_objects OBJECT
  src/capi/status.cpp
  src/capi/convert.cpp
  src/capi/values.cpp
  src/capi/journal.cpp
  src/capi/writes.cpp
  src/capi/reads.cpp
  src/capi/inspect.cpp
  src/capi/lifecycle.cpp)
target_link_libraries(runjournal_capi_objects PUBLIC runjournal::runjournal PRIVATE fmt::fmt)
set_target_properties(runjournal_capi_objects PROPERTIES
  POSITION_INDEPENDENT_CODE ON CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
runjournal_warnings(runjournal_capi_objects)

add_library(runjournal_c SHARED $<TARGET_OBJECTS:runjournal_capi_objects>)
add_library(runjournal::runjournal_c ALIAS runjournal_c)
target_include_directories(runjournal_c PUBLIC
  "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>" "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
target_link_libraries(runjournal_c PRIVATE runjournal::runjournal fmt::fmt SQLiteCpp SQLite::SQLite3 Threads::Threads)
set(_rj_map "${PROJECT_SOURCE_DIR}/cmake/runjournal_c.map")
target_link_options(runjournal_c PRIVATE "LINKER:--version-script=${_rj_map}" "LINKER:--exclude-libs,ALL")
# Every symbol resolved at link time, so a missing one fails the build, not a
# user's dlopen. Sanitizer builds leave the runtime's symbols to the
# executable, so they cannot ask for it.
if(NOT RUNJOURNAL_SANITIZE)
  target_link_options(runjournal_c PRIVATE "LINKER:--no-undefined")
endif()
set_target_properties(runjournal_c PROPERTIES
  OUTPUT_NAME runjournal_c
  VERSION "${RUNJOURNAL_C_ABI}.${PROJECT_VERSION_MINOR}.${PROJECT_VERSION_PATCH}"
  SOVERSION "${RUNJOURNAL_C_ABI}"
  LINK_DEPENDS "${_rj_map}")

if(RUNJOURNAL_BUILD_TESTS)
  add_subdirectory(tests/capi)
endif()

# ---- the bindings' suites, run by ctest against this build's library ----
# Off under the sanitizers: the library is instrumented there, and cargo's
# and Python's programs do not carry the sanitizer runtime.
if(RUNJOURNAL_BUILD_TESTS AND NOT RUNJOURNAL_SANITIZE)
  set(_rj_bindings_tests ON)
else()
  set(_rj_bindings_tests OFF)
endif()
option(RUNJOURNAL_RUST_TESTS "Run cargo test on bindings/rust (and its example and consumer) in ctest" ${_rj_bindings_tests})

if(RUNJOURNAL_RUST_TESTS)
  find_program(RUNJOURNAL_CARGO cargo HINTS "$ENV{HOME}/.cargo/bin")
  if(NOT RUNJOURNAL_CARGO)
    message(FATAL_ERROR "RUNJOURNAL_RUST_TESTS is ON but no cargo was found: run tools/bootstrap.sh "
                        "(it installs Debian's cargo) or configure with -DRUNJOURNAL_RUST_TESTS=OFF")
  endif()
  file(MAKE_DIRECTORY "${PROJECT_BINARY_DIR}/tests/tmp")
  # One target directory for every crate: the bindings compile once.
  set(_rj_cargo_env "RUNJOURNAL_C_LIB_DIR=$<TARGET_FILE_DIR:runjournal_c>"
      "CARGO_TARGET_DIR=${PROJECT_BINARY_DIR}/cargo" "RUNJOURNAL_TEST_TMP=${PROJECT_BINARY_DIR}/tests/tmp")
  add_test(NAME rust_tests
    COMMAND "${CMAKE_COMMAND}" -E env ${_rj_cargo_env}
            "${RUNJOURNAL_CARGO}" test --offline --manifest-path "${PROJECT_SOURCE_DIR}/bindings/rust/Cargo.toml")
  add_test(NAME rust_example
    COMMAND "${CMAKE_COMMAND}" -E env ${_rj_cargo_env}
            "${RUNJOURNAL_CARGO}" run --offline --quiet --manifest-path "${PROJECT_SOURCE_DIR}/bindings/rust/example/Cargo.toml"
            -- "${PROJECT_BINARY_DIR}/tests/tmp/rust-example")
  add_test(NAME rust_consumer
    COMMAND "${CMAKE_COMMAND}" -E env ${_rj_cargo_env}
            "${RUNJOURNAL_CARGO}" run --offline --quiet --manifest-path "${PROJECT_SOURCE_DIR}/tests/consumer/rust/Cargo.toml"
            -- "${PROJECT_BINARY_DIR}/tests/tmp/rust-consumer.journal")
  set_tests_properties(rust_tests rust_example rust_consumer PROPERTIES LABELS bindings)
  # cargo locks its target directory; the three would only queue on it.
  set_tests_properties(rust_tests rust_example rust_consumer PROPERTIES RESOURCE_LOCK cargo)
endif()

# ---- Python: bindings/python, its pytest suite a ctest ----
option(RUNJOURNAL_PYTHON_TESTS "Run the Python package's pytest suite in ctest" ${_rj_bindings_tests})
option(RUNJOURNAL_PYTHON "Build the Python package (bindings/python)" ${RUNJOURNAL_TOP_LEVEL})
if(RUNJOURNAL_PYTHON_TESTS AND NOT RUNJOURNAL_PYTHON)
  message(FATAL_ERROR "RUNJOURNAL_PYTHON_TESTS needs RUNJOURNAL_PYTHON")
endif()
if(RUNJOURNAL_PYTHON)
  add_subdirectory(bindings/python)
endif()

# ---- the bindings' benchmark: its native baselines ----
# tools/bench_bindings.py runs this beside the Python and Rust bindings
# (docs/performance.md, "Bindings").
if(RUNJOURNAL_BUILD_TOOLS)
  add_executable(runjournal_bench_native tools/bench_native.cpp tools/bench_raw.cpp)
  set_target_properties(runjournal_bench_native PROPERTIES OUTPUT_NAME runjournal-bench-native
    RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/tools")
  target_link_libraries(runjournal_bench_native PRIVATE runjournal::runjournal SQLite::SQLite3)
  runjournal_warnings(runjournal_bench_native)
endif()
