# backend_headers.cmake — no file outside the SQLite backend's folder
# (src/sqlite/) includes a SQLite or SQLiteCpp header, directly or through
# the project's own headers (ctest runs it with cmake -P).
#
#   cmake -DSOURCE_DIR=… -DWORK_DIR=… -P backend_headers.cmake
#
# Every .cpp and .hpp under src/ and include/ at the time of the run is
# checked, so a new file is covered without editing this one. Includes are
# followed through the project's headers ("core/x.hpp" from src/,
# <runjournal/x.hpp> from include/); a system header is a leaf. The project
# has no conditional includes, so following every #include line is exact.
# A probe that reaches <sqlite3.h> through a header of src/sqlite must be
# caught, which proves the check itself can fail.
cmake_minimum_required(VERSION 3.22)
foreach(var SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "backend_headers.cmake: -D${var}=… is required")
  endif()
endforeach()

# Sets ${out} to the list of files `file` names in #include lines,
# resolved: project files as absolute paths, others as "<name>".
function(includes_of file out)
  file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
  set(found "")
  foreach(line IN LISTS lines)
    if(line MATCHES "#[ \t]*include[ \t]*\"([^\"]+)\"")
      set(name "${CMAKE_MATCH_1}")
      if(EXISTS "${SOURCE_DIR}/src/${name}")
        list(APPEND found "${SOURCE_DIR}/src/${name}")
      else()
        get_filename_component(dir "${file}" DIRECTORY)
        if(EXISTS "${dir}/${name}")
          list(APPEND found "${dir}/${name}")
        else()
          list(APPEND found "<${name}>")
        endif()
      endif()
    elseif(line MATCHES "#[ \t]*include[ \t]*<([^>]+)>")
      set(name "${CMAKE_MATCH_1}")
      if(EXISTS "${SOURCE_DIR}/include/${name}")
        list(APPEND found "${SOURCE_DIR}/include/${name}")
      else()
        list(APPEND found "<${name}>")
      endif()
    endif()
  endforeach()
  set(${out} "${found}" PARENT_SCOPE)
endfunction()

# Sets ${out} to "" when nothing `file` includes, however indirectly, is a
# SQLite header; else to the chain that reaches one.
function(sqlite_chain file out)
  set(queue "${file}")
  set(seen "")
  set(parent_of_${file} "")
  while(queue)
    list(POP_FRONT queue current)
    includes_of("${current}" children)
    foreach(child IN LISTS children)
      if(child IN_LIST seen)
        continue()
      endif()
      list(APPEND seen "${child}")
      set(parent_of_${child} "${current}")
      if(child MATCHES "^<(sqlite3\\.h|sqlite3ext\\.h|SQLiteCpp/.*)>$")
        set(chain "${child}")
        set(at "${current}")
        while(at)
          file(RELATIVE_PATH rel "${SOURCE_DIR}" "${at}")
          set(chain "${rel} -> ${chain}")
          set(at "${parent_of_${at}}")
        endwhile()
        set(${out} "${chain}" PARENT_SCOPE)
        return()
      endif()
      if(NOT child MATCHES "^<")
        list(APPEND queue "${child}")
      endif()
    endforeach()
  endwhile()
  set(${out} "" PARENT_SCOPE)
endfunction()

# The probe: a core-looking file that reaches sqlite3.h through a backend
# header must be caught.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(probe "${WORK_DIR}/probe.cpp")
file(WRITE "${probe}" "#include \"sqlite/sqlite_util.hpp\"\n")
sqlite_chain("${probe}" probe_chain)
if(probe_chain STREQUAL "")
  message(FATAL_ERROR "backend_headers: the probe that includes sqlite/sqlite_util.hpp was not caught; "
                      "the check cannot fail")
endif()

file(GLOB_RECURSE files "${SOURCE_DIR}/src/*.cpp" "${SOURCE_DIR}/src/*.hpp" "${SOURCE_DIR}/include/*.hpp"
     "${SOURCE_DIR}/include/*.h")
set(failures "")
set(checked 0)
foreach(file IN LISTS files)
  if(file MATCHES "^${SOURCE_DIR}/src/sqlite/")
    continue()
  endif()
  math(EXPR checked "${checked} + 1")
  sqlite_chain("${file}" chain)
  if(NOT chain STREQUAL "")
    list(APPEND failures "${chain}")
  endif()
endforeach()
if(failures)
  list(JOIN failures "\n  " text)
  message(FATAL_ERROR "backend_headers: SQLite reached outside src/sqlite/:\n  ${text}")
endif()
message(STATUS "backend_headers: ${checked} files outside src/sqlite/ reach no SQLite header "
               "(the probe was caught: ${probe_chain})")
