# SPDX-License-Identifier: Apache-2.0
# Runs the Python package's pytest suite against one libtapegrad.so.
# Usage: cmake -DPYTHON=/usr/bin/python3 -DTESTS=<python/tests> -DLIBRARY=<libtapegrad.so>
#              -DWORK_DIR=<scratch> [-DPRELOAD=<sanitizer runtimes>] [-DSANITIZE=...]
#              -P run_pytest.cmake
cmake_minimum_required(VERSION 3.25)

include(${CMAKE_CURRENT_LIST_DIR}/python_modules.cmake)
require_python_modules(lang_python "numpy:python3-numpy" "pytest:python3-pytest")
if(PYTHON_MODULES_MISSING)
  return()
endif()

# why --basetemp: pytest sessions that share /tmp/pytest-of-<user> (this test, the same suite
# in python_pip_install, another build's run) clean up each other's old folders while running.
file(MAKE_DIRECTORY "${WORK_DIR}")  # pytest makes --basetemp, not its parents
set(env "TAPEGRAD_LIBRARY=${LIBRARY}" PYTHONDONTWRITEBYTECODE=1)
if(PRELOAD)
  # why: the instrumented library needs the sanitizer runtimes loaded before everything else;
  # CPython's own allocations are not what this run checks, so leak detection is off.
  list(APPEND env "LD_PRELOAD=${PRELOAD}" "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1"
       "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1" PYTHONMALLOC=malloc
       TAPEGRAD_TEST_SANITIZED=1)
endif()
execute_process(
  COMMAND "${CMAKE_COMMAND}" -E env ${env}
          "${PYTHON}" -m pytest -q -p no:cacheprovider -rs --basetemp "${WORK_DIR}/tmp" "${TESTS}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "lang_python: pytest failed (${rc})")
endif()
