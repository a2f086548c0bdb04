# check_sources.cmake — the conformance suite keeps to the public API, so
# that every backend runs it unchanged (docs/testing.md). Run by ctest
# (conformance_sources) as: cmake -DDIR=<tests/conformance> -P check_sources.cmake
#
# In every source of DIR but the backends' own (*_target.cpp):
# - an #include is <runjournal/...>, a standard header, <unistd.h>,
#   <doctest/doctest.h>, <nlohmann/json.hpp>, "test_support.hpp" (the
#   backend-free helpers) or a header of DIR itself: no src/ header, no
#   SQLite or SQLiteCpp header;
# - nothing names SQLite, the library's private namespace (detail::) or the
#   helpers that look beneath the API (raw_exec, raw_int, files_of, Files,
#   wal_size, TempDir);
# - every Journal::open( opens a location: its first argument names one.
cmake_minimum_required(VERSION 3.20)
if(NOT DIR)
  message(FATAL_ERROR "usage: cmake -DDIR=<tests/conformance> -P check_sources.cmake")
endif()

file(GLOB sources "${DIR}/*.cpp" "${DIR}/*.hpp")
file(GLOB own_headers RELATIVE "${DIR}" "${DIR}/*.hpp")
set(failures "")
set(checked 0)
foreach(source IN LISTS sources)
  get_filename_component(base "${source}" NAME)
  if(base MATCHES "_target\\.cpp$")
    continue()
  endif()
  math(EXPR checked "${checked} + 1")
  # Lines as a list: semicolons (CMake's list separator) and brackets kept
  # out of the way first, so every element is one whole line.
  file(READ "${source}" text)
  string(REPLACE ";" "<semicolon>" text "${text}")
  string(REPLACE "[" "<open>" text "${text}")
  string(REPLACE "]" "<close>" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(number 0)
  foreach(line IN LISTS lines)
    math(EXPR number "${number} + 1")
    set(where "${base}:${number}")
    if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*([<\"][^>\"]+[>\"])")
      set(header "${CMAKE_MATCH_1}")
      if(header MATCHES "^<runjournal/[a-z_]+\\.hpp>$" OR header MATCHES "^<[a-z_]+>$"
         OR header STREQUAL "<unistd.h>" OR header STREQUAL "<doctest/doctest.h>"
         OR header STREQUAL "<nlohmann/json.hpp>" OR header STREQUAL "\"test_support.hpp\"")
        # allowed
      elseif(header MATCHES "^\"([^\"/]+)\"$" AND CMAKE_MATCH_1 IN_LIST own_headers)
        # a header of the suite itself
      else()
        string(APPEND failures "${where}: includes ${header}\n")
      endif()
    endif()
    # Code only: a comment may speak of anything.
    string(REGEX REPLACE "//.*$" "" code "${line}")
    if(code MATCHES "(SQLite::|SQLiteCpp|sqlite3_|detail::|raw_exec|raw_int|files_of|wal_size|TempDir|[^A-Za-z_]Files[^A-Za-z_])")
      string(APPEND failures "${where}: names ${CMAKE_MATCH_1}\n")
    endif()
    if(code MATCHES "(^|[^A-Za-z0-9_:])Journal::open\\(([^,)]*)")
      set(first "${CMAKE_MATCH_2}")
      if(NOT first MATCHES "location")
        string(APPEND failures "${where}: Journal::open(${first}: not a target's location\n")
      endif()
    endif()
  endforeach()
endforeach()

if(checked EQUAL 0)
  message(FATAL_ERROR "no conformance sources found in ${DIR}")
endif()
if(failures)
  message(FATAL_ERROR "the conformance suite reaches beneath the public API:\n${failures}")
endif()
message(STATUS "${checked} conformance sources keep to the public API")
