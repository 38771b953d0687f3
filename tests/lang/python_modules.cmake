# SPDX-License-Identifier: Apache-2.0
# Included by the Python test scripts: checks that ${PYTHON} can import every module of
# `module;debian-package` pairs. Sets PYTHON_MODULES_MISSING when one cannot be imported: a
# failure under CI or TAPEGRAD_REQUIRE_ALL_TESTS (scripts/install-deps installs them all),
# otherwise a "SKIP:" line that ctest reports as a skipped test.
function(require_python_modules test)
  set(PYTHON_MODULES_MISSING FALSE PARENT_SCOPE)
  set(missing "")
  if(NOT EXISTS "${PYTHON}")
    set(missing "${PYTHON} (Debian package python3)")
  else()
    foreach(module_package IN LISTS ARGN)
      string(REPLACE ":" ";" module_package "${module_package}")
      list(GET module_package 0 module)
      list(GET module_package 1 package)
      execute_process(COMMAND "${PYTHON}" -c "import ${module}" RESULT_VARIABLE rc
                      OUTPUT_QUIET ERROR_QUIET)
      if(NOT rc EQUAL 0)
        set(missing "the Python module ${module} for ${PYTHON} (Debian package ${package})")
        break()
      endif()
    endforeach()
  endif()
  if(missing)
    if(DEFINED ENV{CI} OR DEFINED ENV{TAPEGRAD_REQUIRE_ALL_TESTS})
      message(FATAL_ERROR "${test}: ${missing} is missing; scripts/install-deps installs it")
    endif()
    message("SKIP: ${missing} is missing (install it, or run scripts/install-deps)")
    set(PYTHON_MODULES_MISSING TRUE PARENT_SCOPE)
  endif()
endfunction()
