# Joins the `serve` page's ES modules into one module script, so that a
# browser fetches, parses and links one file instead of nine (over HTTP/1.1
# a browser opens at most six connections to a host, so nine modules and a
# stylesheet took two rounds). No tool is downloaded: this script is the
# bundler, and it accepts only the forms the page's modules use, failing the
# build on anything else rather than emitting a script that breaks at run
# time. Run as:
#   cmake -DENTRY=dir/app.js -DOUTPUT=…/bundle.js -P BundleModules.cmake
#
# A module may contain, at the start of a line:
#   import { a, b } from './x.js';                    (x.js beside ENTRY)
#   export function|async function|class|const NAME …
# and no other import or export (no default, no `export let`, no renaming,
# no `import(`), no cycle, and every imported name is exported by its module.
#
# Each module becomes a function scope, evaluated once and after every module
# it imports (the order a browser evaluates them in); it returns its exports,
# which become constants of the bundle's own scope. So a module's private
# names stay private and two modules' helpers never clash; two modules that
# export the same name fail the build. The bundle is itself a module script:
# strict, deferred, and its names stay out of the global object.
cmake_minimum_required(VERSION 3.20)

# Text is kept with its semicolons replaced, so that no CMake list operation
# can split it; they are put back when the bundle is written.
set(SEMI "@RJ_SEMICOLON@")
set(IDENT "[A-Za-z_$][A-Za-z0-9_$]*")
get_filename_component(DIR "${ENTRY}" DIRECTORY)
get_filename_component(ENTRY_NAME "${ENTRY}" NAME)
set(bundle "")
set(done "")
set(exported "")  # every exported name so far, to catch clashes

function(fail name message)
  message(FATAL_ERROR "BundleModules: ${name}: ${message}")
endfunction()

# Appends `name` and, before it, every module it imports to the bundle.
function(add_module name stack)
  if(name IN_LIST done)
    return()
  endif()
  if(name IN_LIST stack)
    fail("${name}" "imports form a cycle (${stack})")
  endif()
  if(NOT EXISTS "${DIR}/${name}")
    fail("${name}" "no such module beside ${ENTRY_NAME}")
  endif()
  file(READ "${DIR}/${name}" text)
  if(text MATCHES "@RJ_SEMICOLON@")
    fail("${name}" "contains this bundler's placeholder")
  endif()
  string(REPLACE ";" "${SEMI}" text "${text}")
  set(text "\n${text}")
  if(text MATCHES "import[ \t]*\\(")
    fail("${name}" "dynamic import() is not supported")
  endif()

  # Imports: each one checked, its module added first.
  string(REGEX MATCHALL "\n[ \t]*import[^A-Za-z0-9_$]" any_imports "${text}")
  set(import_re "\nimport \\{ (${IDENT}(, ${IDENT})*) \\} from '\\./([a-z_]+\\.js)'${SEMI}")
  string(REGEX MATCHALL "${import_re}" imports "${text}")
  list(LENGTH any_imports n_any)
  list(LENGTH imports n_valid)
  if(NOT n_any EQUAL n_valid)
    fail("${name}" "an import this bundler does not support (only: import { a, b } from './x.js';)")
  endif()
  set(stack_here ${stack} ${name})
  foreach(line IN LISTS imports)
    string(REGEX MATCH "${import_re}" _ "${line}")
    set(from "${CMAKE_MATCH_3}")
    string(REPLACE ", " ";" names "${CMAKE_MATCH_1}")
    add_module("${from}" "${stack_here}")
    get_property(from_exports GLOBAL PROPERTY "rj_exports_${from}")
    foreach(imported IN LISTS names)
      if(NOT imported IN_LIST from_exports)
        fail("${name}" "imports ${imported}, which ${from} does not export")
      endif()
    endforeach()
  endforeach()
  string(REGEX REPLACE "${import_re}" "" text "${text}")

  # Exports: each one checked and collected; `export ` itself is dropped.
  string(REGEX MATCHALL "\n[ \t]*export[^A-Za-z0-9_$]" any_exports "${text}")
  set(export_re "\nexport (async function|function|class|const) (${IDENT})")
  string(REGEX MATCHALL "${export_re}" exports "${text}")
  list(LENGTH any_exports n_any)
  list(LENGTH exports n_valid)
  if(NOT n_any EQUAL n_valid)
    fail("${name}" "an export this bundler does not support (only: export function|async function|class|const NAME)")
  endif()
  set(names "")
  foreach(line IN LISTS exports)
    string(REGEX MATCH "${export_re}" _ "${line}")
    if(CMAKE_MATCH_2 IN_LIST exported)
      fail("${name}" "exports ${CMAKE_MATCH_2}, which another module exports too")
    endif()
    list(APPEND names "${CMAKE_MATCH_2}")
    list(APPEND exported "${CMAKE_MATCH_2}")
  endforeach()
  string(REGEX REPLACE "\nexport " "\n" text "${text}")
  set_property(GLOBAL PROPERTY "rj_exports_${name}" "${names}")

  string(REPLACE ";" ", " joined "${names}")
  if(names STREQUAL "")
    string(APPEND bundle "\n// ---- ${name}\n(() => {${text}})()${SEMI}\n")
  else()
    string(APPEND bundle "\n// ---- ${name}\nconst { ${joined} } = (() => {${text}\nreturn { ${joined} }${SEMI}\n})()${SEMI}\n")
  endif()
  list(APPEND done "${name}")
  set(bundle "${bundle}" PARENT_SCOPE)
  set(done "${done}" PARENT_SCOPE)
  set(exported "${exported}" PARENT_SCOPE)
endfunction()

add_module("${ENTRY_NAME}" "")
string(REPLACE "${SEMI}" ";" bundle "${bundle}")
string(REPLACE ";" ", " order "${done}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated by cmake/BundleModules.cmake from ${ENTRY_NAME} and the modules it imports\n"
  "// (${order}). Do not edit.\n${bundle}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
