# exported_symbols.cmake — librunjournal_c.so exports exactly the C API.
#
#   cmake -DNM=nm -DLIBRARY=…/librunjournal_c.so -DHEADER=…/runjournal.h
#         -DSUITE_DIR=tests/capi -P exported_symbols.cmake
#
# Fails on any defined dynamic symbol that is not rj_* (a C++ symbol or a
# dependency's leaking out), on any function the header declares that the
# library does not export, on any exported rj_* the header does not
# declare, and on any declared function that no C test in SUITE_DIR calls
# (the suite calls every function).
cmake_minimum_required(VERSION 3.22)
foreach(var NM LIBRARY HEADER SUITE_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "exported_symbols.cmake: -D${var}=… is required")
  endif()
endforeach()

execute_process(COMMAND "${NM}" -D --defined-only "${LIBRARY}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE listing ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} -D --defined-only ${LIBRARY} failed: ${err}")
endif()
string(REPLACE "\n" ";" lines "${listing}")
set(exported "")
set(strangers "")
foreach(line IN LISTS lines)
  # "ADDRESS TYPE NAME[@VERSION]"
  if(line MATCHES "^[0-9a-fA-F]* *[A-Za-z] ([^ @]+)")
    set(name "${CMAKE_MATCH_1}")
    if(name MATCHES "^rj_")
      list(APPEND exported "${name}")
    else()
      list(APPEND strangers "${line}")
    endif()
  endif()
endforeach()

file(READ "${HEADER}" header)
string(REGEX MATCHALL "RJ_API[^;(]*[ *](rj_[a-z0-9_]+)\\(" declarations "${header}")
set(declared "")
foreach(d IN LISTS declarations)
  string(REGEX REPLACE ".*[ *](rj_[a-z0-9_]+)\\($" "\\1" name "${d}")
  list(APPEND declared "${name}")
endforeach()
list(LENGTH declared declared_count)
if(declared_count LESS 100)
  message(FATAL_ERROR "found only ${declared_count} RJ_API functions in ${HEADER}: the check is broken")
endif()

set(problems "")
foreach(line IN LISTS strangers)
  string(APPEND problems "  exported but not the C API: ${line}\n")
endforeach()
foreach(name IN LISTS declared)
  if(NOT name IN_LIST exported)
    string(APPEND problems "  declared but not exported: ${name}\n")
  endif()
endforeach()
foreach(name IN LISTS exported)
  if(NOT name IN_LIST declared)
    string(APPEND problems "  exported but not declared in the header: ${name}\n")
  endif()
endforeach()

file(GLOB suite "${SUITE_DIR}/*_test.c")
set(calls "")
foreach(source IN LISTS suite)
  file(READ "${source}" text)
  string(APPEND calls "${text}")
endforeach()
foreach(name IN LISTS declared)
  string(FIND "${calls}" "${name}(" at)
  if(at EQUAL -1)
    string(APPEND problems "  no C test calls ${name}\n")
  endif()
endforeach()

if(NOT problems STREQUAL "")
  message(FATAL_ERROR "librunjournal_c.so and runjournal.h disagree:\n${problems}")
endif()
list(LENGTH exported exported_count)
message(STATUS "ok: ${exported_count} symbols exported, all rj_*, each declared and called by the C suite")
