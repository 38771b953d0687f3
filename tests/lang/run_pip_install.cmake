# SPDX-License-Identifier: Apache-2.0
# Installs the library (cmake --install) and the Python package (pip install of python/ into
# a fresh virtual environment, as a user would) into a scratch directory, then runs the
# package's pytest suite against the installed package, which must find the installed
# library through the system's loader (LD_LIBRARY_PATH here, ldconfig's paths for a real
# install), not through the build tree.
# Usage: cmake -DPYTHON=/usr/bin/python3 -DBUILD_DIR=<build> -DSOURCE_DIR=<repository>
#              -DWORK_DIR=<scratch> -DLIBDIR=<CMAKE_INSTALL_LIBDIR> -P run_pip_install.cmake
cmake_minimum_required(VERSION 3.25)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    list(JOIN ARGN " " command)
    message(FATAL_ERROR "python_pip_install: `${command}` failed (${rc})")
  endif()
endfunction()

include(${CMAKE_CURRENT_LIST_DIR}/python_modules.cmake)
require_python_modules(python_pip_install "venv:python3-venv" "ensurepip:python3-venv"
                       "pip:python3-pip" "setuptools:python3-setuptools"
                       "numpy:python3-numpy" "pytest:python3-pytest")
if(PYTHON_MODULES_MISSING)
  return()
endif()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")

# pip builds in the source folder it is given: give it a copy, so the repository stays clean.
file(COPY "${SOURCE_DIR}/python/pyproject.toml" "${SOURCE_DIR}/python/README.md"
          "${SOURCE_DIR}/python/tapegrad" DESTINATION "${WORK_DIR}/package"
     PATTERN "__pycache__" EXCLUDE)
run("${PYTHON}" -m venv --system-site-packages "${WORK_DIR}/venv")
run("${WORK_DIR}/venv/bin/python" -m pip install --quiet --no-index --no-build-isolation
    --disable-pip-version-check "${WORK_DIR}/package")

run("${CMAKE_COMMAND}" -E env --unset=TAPEGRAD_LIBRARY TAPEGRAD_TEST_INSTALLED=1
    "LD_LIBRARY_PATH=${prefix}/${LIBDIR}" PYTHONDONTWRITEBYTECODE=1
    "${WORK_DIR}/venv/bin/python" -c
    "import tapegrad, tapegrad._lib as l; print('installed package', tapegrad.__file__, 'loads', l.lib.path)")
execute_process(
  COMMAND "${CMAKE_COMMAND}" -E env --unset=TAPEGRAD_LIBRARY TAPEGRAD_TEST_INSTALLED=1
          "LD_LIBRARY_PATH=${prefix}/${LIBDIR}" PYTHONDONTWRITEBYTECODE=1
          "${WORK_DIR}/venv/bin/python" -m pytest -q -p no:cacheprovider
          --basetemp "${WORK_DIR}/tmp" "${SOURCE_DIR}/python/tests"
  WORKING_DIRECTORY "${WORK_DIR}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "python_pip_install: pytest against the installed package failed (${rc})")
endif()
