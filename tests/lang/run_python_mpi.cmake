# SPDX-License-Identifier: Apache-2.0
# Runs python/tests/mpi/check_distributed.py under `mpirun -np 2` against one libtapegrad.so and
# its libtapegrad_mpi.so, with mpi4py's communicator.
# Usage: cmake -DPYTHON=/usr/bin/python3 -DMPIEXEC=<mpirun> -DSCRIPT=<check_distributed.py>
#              -DLIBRARY=<libtapegrad.so> -DMPI_LIBRARY=<libtapegrad_mpi.so> -DPACKAGE=<python/>
#              [-DPRELOAD=<sanitizer runtimes>] -P run_python_mpi.cmake
cmake_minimum_required(VERSION 3.25)

include(${CMAKE_CURRENT_LIST_DIR}/python_modules.cmake)
require_python_modules(lang_python_mpi "numpy:python3-numpy" "mpi4py:python3-mpi4py")
if(PYTHON_MODULES_MISSING)
  return()
endif()

# Open MPI refuses to start as root unless told it may (CI containers run as root).
set(env "TAPEGRAD_LIBRARY=${LIBRARY}" "TAPEGRAD_MPI_LIBRARY=${MPI_LIBRARY}" "PYTHONPATH=${PACKAGE}"
    PYTHONDONTWRITEBYTECODE=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    OPENBLAS_NUM_THREADS=1)
if(PRELOAD)
  list(APPEND env "LD_PRELOAD=${PRELOAD}" "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1"
       "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1" PYTHONMALLOC=malloc)
endif()
execute_process(
  COMMAND "${CMAKE_COMMAND}" -E env ${env}
          "${MPIEXEC}" -np 2 --oversubscribe "${PYTHON}" "${SCRIPT}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "lang_python_mpi: the distributed checks failed (${rc})")
endif()
