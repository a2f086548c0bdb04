# bundle_modules.cmake — cmake/BundleModules.cmake, the bundler of the
# `serve` page's modules, on modules written here (ctest runs it with cmake -P).
#
#   cmake -DBUNDLER=…/BundleModules.cmake -DWORK_DIR=… [-DNODE=/usr/bin/node] -P bundle_modules.cmake
#
# A set of modules in the forms the bundler accepts becomes one script with
# each module once, after what it imports, with no import or export left;
# with NODE, the bundle runs and prints what the modules would have printed
# (exports reach their importers, two modules' private helpers of the same
# name stay apart, a class and an async function survive). Every form it
# refuses fails the bundling with a message that names the module and the
# form, and writes no bundle.
cmake_minimum_required(VERSION 3.22)
foreach(var BUNDLER WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "bundle_modules.cmake: -D${var}=… is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK_DIR}")
set(failures "")

# Writes the modules named in `files` (name, text, name, text, …) into a
# fresh directory and bundles from its entry.js; sets rc, out and bundle
# (the bundle's text, or "" when none was written) in the caller.
function(bundle case)
  set(dir "${WORK_DIR}/${case}")
  file(MAKE_DIRECTORY "${dir}")
  set(files ${ARGN})
  list(LENGTH files n)
  math(EXPR last "${n} - 1")
  foreach(i RANGE 0 ${last} 2)
    math(EXPR j "${i} + 1")
    list(GET files ${i} name)
    list(GET files ${j} text)
    string(REPLACE "SEMI" ";" text "${text}")  # CMake lists cannot hold a ';'
    file(WRITE "${dir}/${name}" "${text}")
  endforeach()
  execute_process(COMMAND "${CMAKE_COMMAND}" "-DENTRY=${dir}/entry.js" "-DOUTPUT=${dir}/out/bundle.mjs"
                          -P "${BUNDLER}"
                  RESULT_VARIABLE result OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  set(rc "${result}" PARENT_SCOPE)
  set(out "${stdout}${stderr}" PARENT_SCOPE)
  if(EXISTS "${dir}/out/bundle.mjs")
    file(READ "${dir}/out/bundle.mjs" text)
    set(bundle "${text}" PARENT_SCOPE)
  else()
    set(bundle "" PARENT_SCOPE)
  endif()
endfunction()

macro(failed case message)
  list(APPEND failures "${case}: ${message}")
endmacro()

# ---- modules it accepts
bundle(good
  "shared.js" "// shared.js\nexport const GREETING = 'hello'SEMI\nexport function shout(text) {\n  return text.toUpperCase()SEMI\n}\nfunction helper() {\n  return 'shared'SEMI\n}\nexport class Box {\n  constructor(v) { this.v = v + ':' + helper()SEMI }\n}\n"
  "middle.js" "import { GREETING, shout } from './shared.js'SEMI\nfunction helper() {\n  return 'middle'SEMI\n}\nexport async function greet(name) {\n  return shout(GREETING) + ' ' + name + ' ' + helper()SEMI\n}\n"
  "entry.js" "import { greet } from './middle.js'SEMI\nimport { Box } from './shared.js'SEMI\n// an import in a comment: import { x } from './nowhere.js'\nconst box = new Box(1)SEMI\ngreet('you').then((text) => console.log(text + ' ' + box.v))SEMI\n")
if(NOT rc EQUAL 0)
  failed(good "bundling failed: ${out}")
endif()
string(FIND "${bundle}" "\n// ---- shared.js\n" at_shared)
string(FIND "${bundle}" "\n// ---- middle.js\n" at_middle)
string(FIND "${bundle}" "\n// ---- entry.js\n" at_entry)
string(FIND "${bundle}" "\n// ---- shared.js\n" at_shared_last REVERSE)
if(at_shared EQUAL -1 OR NOT at_shared LESS at_middle OR NOT at_middle LESS at_entry)
  failed(good "modules out of order: shared ${at_shared}, middle ${at_middle}, entry ${at_entry}")
endif()
if(NOT at_shared EQUAL at_shared_last)
  failed(good "shared.js is in the bundle twice")
endif()
if(bundle MATCHES "\n(import|export) ")
  failed(good "an import or export is left")
endif()
if(DEFINED NODE AND NOT NODE STREQUAL "")
  execute_process(COMMAND "${NODE}" "${WORK_DIR}/good/out/bundle.mjs"
                  RESULT_VARIABLE node_rc OUTPUT_VARIABLE node_out ERROR_VARIABLE node_err)
  if(NOT node_rc EQUAL 0 OR NOT node_out STREQUAL "HELLO you middle 1:shared\n")
    failed(good "the bundle ran with ${node_rc}, printed '${node_out}' ${node_err}")
  endif()
endif()

# ---- forms it refuses: the module and the form named, no bundle written
set(refused
  "default_export|export this bundler does not support|entry.js" "entry.js" "export default function f() {}\n"
  "export_let|export this bundler does not support|entry.js" "entry.js" "export let n = 1SEMI\n"
  "export_list|export this bundler does not support|entry.js" "entry.js" "const a = 1SEMI\nexport { a }SEMI\n"
  "renamed_import|import this bundler does not support|entry.js" "entry.js" "import { a as b } from './a.js'SEMI\n"
  "star_import|import this bundler does not support|entry.js" "entry.js" "import * as a from './a.js'SEMI\n"
  "bare_import|import this bundler does not support|entry.js" "entry.js" "import { a } from 'a'SEMI\n"
  "dynamic_import|dynamic import|entry.js" "entry.js" "import('./a.js').then(() => 0)SEMI\n"
  "missing_module|no such module|nowhere.js" "entry.js" "import { a } from './nowhere.js'SEMI\n"
  "missing_name|imports b, which a.js does not export|entry.js" "entry.js" "import { b } from './a.js'SEMI\n")
list(LENGTH refused n)
math(EXPR last "${n} - 1")
foreach(i RANGE 0 ${last} 3)
  math(EXPR j "${i} + 1")
  math(EXPR k "${i} + 2")
  list(GET refused ${i} spec)
  list(GET refused ${j} name)
  list(GET refused ${k} text)
  string(REPLACE "|" ";" spec "${spec}")
  list(GET spec 0 case)
  list(GET spec 1 says)
  list(GET spec 2 names)
  bundle(${case} "a.js" "export const a = 1SEMI\n" "${name}" "${text}")
  string(FIND "${out}" "${says}" said)
  string(FIND "${out}" "${names}:" named)
  if(rc EQUAL 0 OR NOT bundle STREQUAL "")
    failed(${case} "bundled what it must refuse")
  elseif(said EQUAL -1 OR named EQUAL -1)
    failed(${case} "the message does not say '${says}' about ${names}: ${out}")
  endif()
endforeach()
bundle(cycle "a.js" "import { b } from './b.js'SEMI\nexport const a = 1SEMI\n"
             "b.js" "import { a } from './a.js'SEMI\nexport const b = 2SEMI\n"
             "entry.js" "import { a } from './a.js'SEMI\n")
if(rc EQUAL 0 OR NOT out MATCHES "imports form a cycle")
  failed(cycle "bundled a cycle, or said: ${out}")
endif()
bundle(clash "a.js" "export const same = 1SEMI\n" "b.js" "export function same() {}\n"
             "entry.js" "import { same } from './a.js'SEMI\nimport { same } from './b.js'SEMI\n")
if(rc EQUAL 0 OR NOT out MATCHES "b.js: exports same, which another module exports too")
  failed(clash "bundled two exports of one name, or said: ${out}")
endif()

if(failures)
  string(REPLACE ";" "\n  " failures "${failures}")
  message(FATAL_ERROR "bundle_modules: failed:\n  ${failures}")
endif()
message(STATUS "bundle_modules: the good set bundled in order; every refused form refused")
