# SPDX-License-Identifier: Apache-2.0
# Runs the Python package's pytest suite against one libtapegrad.so.
# Usage: cmake -DPYTHON=/usr/bin/python3 -DTESTS=<python/tests> -DLIBRARY=<libtapegrad.so>
#              [-DPRELOAD=<sanitizer runtimes>] [-DSANITIZE=...] -P run_pytest.cmake
cmake_minimum_required(VERSION 3.25)

function(missing what package)
  if(DEFINED ENV{CI} OR DEFINED ENV{TAPEGRAD_REQUIRE_ALL_TESTS})
    message(FATAL_ERROR "lang_python: ${what} is missing (Debian package ${package}; "
                        "scripts/install-deps installs it)")
  endif()
  message("SKIP: ${what} is missing (install the Debian package ${package}, or run "
          "scripts/install-deps)")
endfunction()

if(NOT EXISTS "${PYTHON}")
  missing("${PYTHON}" python3)
  return()
endif()
foreach(module_package "numpy;python3-numpy" "pytest;python3-pytest")
  list(GET module_package 0 module)
  list(GET module_package 1 package)
  execute_process(COMMAND "${PYTHON}" -c "import ${module}" RESULT_VARIABLE rc
                  OUTPUT_QUIET ERROR_QUIET)
  if(NOT rc EQUAL 0)
    missing("the Python module ${module} for ${PYTHON}" ${package})
    return()
  endif()
endforeach()

set(env "TAPEGRAD_LIBRARY=${LIBRARY}" PYTHONDONTWRITEBYTECODE=1)
if(PRELOAD)
  # why: the instrumented library needs the sanitizer runtimes loaded before everything else;
  # CPython's own allocations are not what this run checks, so leak detection is off.
  list(APPEND env "LD_PRELOAD=${PRELOAD}" "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1"
       "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1" PYTHONMALLOC=malloc)
endif()
execute_process(
  COMMAND "${CMAKE_COMMAND}" -E env ${env}
          "${PYTHON}" -m pytest -q -p no:cacheprovider -rs "${TESTS}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "lang_python: pytest failed (${rc})")
endif()
