# SPDX-License-Identifier: Apache-2.0
# Installs the pinned koffi into the Node.js package (bindings/node: npm ci, from its
# package-lock.json) unless it is already there, then runs the package's tests (node:test) and
# the Node.js examples (examples/node) against one libtapegrad.so.
# Usage: cmake -DPACKAGE_DIR=<bindings/node> -DEXAMPLES_DIR=<examples/node>
#              -DLIBRARY=<libtapegrad.so> [-DPRELOAD=<sanitizer runtimes>] -P run_node.cmake
cmake_minimum_required(VERSION 3.25)

function(missing what package)
  if(DEFINED ENV{CI} OR DEFINED ENV{TAPEGRAD_REQUIRE_ALL_TESTS})
    message(FATAL_ERROR "lang_node: ${what} (Debian package ${package}; scripts/install-deps "
                        "installs it)")
  endif()
  message("SKIP: ${what} (install the Debian package ${package}, or run scripts/install-deps)")
endfunction()

if(PRELOAD)
  # why: koffi runs each C call on a stack of its own, which AddressSanitizer cannot follow: an
  # exception thrown and caught inside libtapegrad.so (as every error status is) is reported as
  # a stack-buffer-overflow in ASan's own sigaltstack check. The sanitizer build checks the C
  # ABI from C and from Python instead; the release build runs this test.
  message("SKIP: the Node.js test does not run under sanitizers (koffi switches stacks, "
          "which AddressSanitizer misreports)")
  return()
endif()

find_program(NODE NAMES node nodejs)
find_program(NPM NAMES npm)
if(NOT NODE)
  missing("Node.js is missing" nodejs)
  return()
endif()

# The koffi version pinned in package.json.
file(READ "${PACKAGE_DIR}/package.json" package_json)
string(JSON pinned GET "${package_json}" dependencies koffi)
set(installed "")
set(koffi_json "${PACKAGE_DIR}/node_modules/koffi/package.json")

# why the lock: several build trees may run this test at once on one source tree.
file(LOCK "${PACKAGE_DIR}" DIRECTORY GUARD PROCESS TIMEOUT 600)
if(EXISTS "${koffi_json}")
  file(READ "${koffi_json}" text)
  string(JSON installed GET "${text}" version)
endif()
if(NOT installed STREQUAL pinned)
  if(NOT NPM)
    missing("npm is missing, and koffi ${pinned} is not installed in ${PACKAGE_DIR}" npm)
    return()
  endif()
  message(STATUS "lang_node: npm ci (koffi ${pinned}) in ${PACKAGE_DIR}")
  execute_process(COMMAND "${NPM}" ci --no-audit --no-fund
                  WORKING_DIRECTORY "${PACKAGE_DIR}" RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    if(DEFINED ENV{CI} OR DEFINED ENV{TAPEGRAD_REQUIRE_ALL_TESTS})
      message(FATAL_ERROR "lang_node: npm ci failed (${rc}):\n${out}\n${err}")
    endif()
    message("SKIP: npm ci could not install koffi ${pinned} (no access to the npm registry?):\n${err}")
    return()
  endif()
endif()
file(LOCK "${PACKAGE_DIR}" DIRECTORY RELEASE)

set(env "TAPEGRAD_LIBRARY=${LIBRARY}")
if(PRELOAD)
  list(APPEND env "LD_PRELOAD=${PRELOAD}" "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1"
       "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E env ${env} "${NODE}" --expose-gc --test test/
                WORKING_DIRECTORY "${PACKAGE_DIR}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "lang_node: the package's tests (node --test) failed (${rc})")
endif()
foreach(example seed_train.js fit.js)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E env ${env} "${NODE}" "${EXAMPLES_DIR}/${example}" 2
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "lang_node: examples/node/${example} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "examples/node/${example}:\n${out}")
endforeach()
