# public_headers.cmake — each public header compiles alone and pulls in no
# SQLite or SQLiteCpp header (ctest runs it with cmake -P).
#
#   cmake -DCXX=g++ -DINCLUDE_DIR=…/include "-DEXTRA_INCLUDES=dir|dir"
#         "-DIMPLICIT_INCLUDES=dir|dir" (the compiler's own, skipped)
#         -DWORK_DIR=… -P public_headers.cmake
#
# Every header in include/runjournal/ at the time of the run is checked, so a
# new header is covered without editing this file. Each one is the only
# include of its own translation unit, compiled with the project's warnings
# as errors; the compiler's -H list of every file the unit opened must name
# neither sqlite3.h nor SQLiteCpp/. A probe that does include <sqlite3.h>
# must be caught, which proves the check itself can fail.
cmake_minimum_required(VERSION 3.22)
foreach(var CXX INCLUDE_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "public_headers.cmake: -D${var}=… is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

set(flags -std=c++20 -fsyntax-only -H -Wall -Wextra -Wpedantic -Werror -Wshadow -Wconversion
          -Wno-sign-conversion "-I${INCLUDE_DIR}")
# The compiler's own directories stay out: naming /usr/include again would
# break libstdc++'s #include_next.
string(REPLACE "|" ";" EXTRA_INCLUDES "${EXTRA_INCLUDES}")
string(REPLACE "|" ";" IMPLICIT_INCLUDES "${IMPLICIT_INCLUDES}")
foreach(dir IN LISTS EXTRA_INCLUDES)
  if(NOT dir IN_LIST IMPLICIT_INCLUDES)
    list(APPEND flags -isystem "${dir}")
  endif()
endforeach()

# Sets ${out} to "" when `include_line` compiles alone with no SQLite header,
# else to the reason.
function(check_unit name include_line out)
  set(unit "${WORK_DIR}/${name}.cpp")
  file(WRITE "${unit}" "${include_line}\n"
       "// Macros that sqlite3.h and SQLiteCpp.h define, in case -H misses a path.\n"
       "#ifdef SQLITE_VERSION\n#error \"sqlite3.h was included\"\n#endif\n"
       "#ifdef SQLITECPP_VERSION\n#error \"SQLiteCpp.h was included\"\n#endif\n")
  execute_process(COMMAND "${CXX}" ${flags} "${unit}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  # -H prints one line per opened file: dots for the depth, then the path.
  string(REGEX MATCHALL "[^\n]*(sqlite3\\.h|SQLiteCpp/)[^\n]*" leaks "${stderr}")
  # What is left once those lines are gone is the compiler's diagnostics.
  string(REGEX REPLACE "(^|\n)\\.+ [^\n]*" "" diagnostics "${stderr}")
  string(REGEX REPLACE "Multiple include guards[^\n]*(\n[^\n]+)*" "" diagnostics "${diagnostics}")
  set(problem "")
  if(leaks)
    list(JOIN leaks "\n" leaks)
    string(APPEND problem "pulls in SQLite:\n${leaks}\n")
  endif()
  if(NOT rc EQUAL 0)
    string(STRIP "${diagnostics}" diagnostics)
    string(APPEND problem "does not compile alone:\n${diagnostics}\n")
  endif()
  set(${out} "${problem}" PARENT_SCOPE)
endfunction()

check_unit(probe_sqlite "#include <runjournal/error.hpp>\n#include <sqlite3.h>" probe)
if(probe STREQUAL "")
  message(FATAL_ERROR "the check is broken: a unit including <sqlite3.h> passed it")
endif()

file(GLOB headers RELATIVE "${INCLUDE_DIR}" "${INCLUDE_DIR}/runjournal/*.hpp")
list(SORT headers)
list(LENGTH headers count)
if(count LESS 5)
  message(FATAL_ERROR "expected the public headers in ${INCLUDE_DIR}/runjournal, found ${count}")
endif()
set(failed 0)
foreach(header IN LISTS headers)
  string(MAKE_C_IDENTIFIER "${header}" name)
  check_unit("${name}" "#include <${header}>" problem)
  if(problem STREQUAL "")
    message(STATUS "ok: ${header} compiles alone, no SQLite header")
  else()
    message(SEND_ERROR "${header} ${problem}")
    math(EXPR failed "${failed} + 1")
  endif()
endforeach()
if(failed GREATER 0)
  message(FATAL_ERROR "${failed} of ${count} public headers failed")
endif()
