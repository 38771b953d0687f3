# SPDX-License-Identifier: Apache-2.0
# Installs the build tree into a fresh prefix and builds consumer.c against the installed
# files only, once with find_package(tapegrad) and once with pkg-config, and runs both.
# Also checks the installed layout: header, libtapegrad.so -> .so.SOVERSION -> .so.MAJOR.MINOR.PATCH
# with SONAME libtapegrad.so.SOVERSION (0.MINOR while MAJOR is 0, else MAJOR), the CMake package
# with its version file (requests for another ABI must fail), and tapegrad.pc.
#
# Usage (ctest runs it as the test install_consumer):
#   cmake -DBUILD_DIR=<tapegrad build> -DSOURCE_DIR=<tests/install> -DWORK_DIR=<scratch dir>
#         -DLIBDIR=<CMAKE_INSTALL_LIBDIR> -DHEADER=<include/tapegrad/tapegrad.h>
#         -DC_COMPILER=<cc> -DCXX_COMPILER=<c++> [-DSANITIZE=address,undefined] -P check_install.cmake
cmake_minimum_required(VERSION 3.25)

foreach(var BUILD_DIR SOURCE_DIR WORK_DIR LIBDIR HEADER C_COMPILER CXX_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_install: pass -D${var}=...")
  endif()
endforeach()

# Runs a command; stops with its output if it fails. Output goes to <out_var>.
function(run out_var)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    list(JOIN ARGN " " cmd)
    message(FATAL_ERROR "check_install: `${cmd}` failed (${rc}):\n${out}\n${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

function(require_file path)
  if(NOT EXISTS "${path}")
    message(FATAL_ERROR "check_install: ${path} was not installed")
  endif()
endfunction()

file(READ "${HEADER}" header_text)
foreach(part MAJOR MINOR PATCH)
  string(REGEX MATCH "#define TG_VERSION_${part} ([0-9]+)" _ "${header_text}")
  set(${part} "${CMAKE_MATCH_1}")
endforeach()
set(version "${MAJOR}.${MINOR}.${PATCH}")
if(MAJOR EQUAL 0)
  set(soversion "${MAJOR}.${MINOR}")
else()
  set(soversion "${MAJOR}")
endif()

set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# ---- install ---------------------------------------------------------------------------------
run(_ "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
set(libdir "${prefix}/${LIBDIR}")
require_file("${prefix}/include/tapegrad/tapegrad.h")
require_file("${prefix}/include/tapegrad/tapegrad.hpp")
require_file("${prefix}/include/tapegrad/tapegrad_model.hpp")
require_file("${libdir}/libtapegrad.so.${version}")
foreach(link "libtapegrad.so" "libtapegrad.so.${soversion}")
  if(NOT IS_SYMLINK "${libdir}/${link}")
    message(FATAL_ERROR "check_install: ${libdir}/${link} is not a symlink")
  endif()
endforeach()
file(READ_SYMLINK "${libdir}/libtapegrad.so" dev_link)
file(READ_SYMLINK "${libdir}/libtapegrad.so.${soversion}" soname_link)
if(NOT dev_link STREQUAL "libtapegrad.so.${soversion}" OR
   NOT soname_link STREQUAL "libtapegrad.so.${version}")
  message(FATAL_ERROR "check_install: symlinks libtapegrad.so -> ${dev_link}, "
                      "libtapegrad.so.${soversion} -> ${soname_link}; expected -> "
                      "libtapegrad.so.${soversion} -> libtapegrad.so.${version}")
endif()
find_program(OBJDUMP NAMES objdump)
if(OBJDUMP)
  run(dynamic "${OBJDUMP}" -p "${libdir}/libtapegrad.so.${version}")
  string(REPLACE "." "\\." soversion_regex "${soversion}")
  if(NOT dynamic MATCHES "SONAME +libtapegrad\\.so\\.${soversion_regex}\n")
    message(FATAL_ERROR "check_install: the SONAME is not libtapegrad.so.${soversion} "
                        "(TG_VERSION_* in the header):\n${dynamic}")
  endif()
endif()
foreach(f tapegradConfig.cmake tapegradConfigVersion.cmake tapegradTargets.cmake)
  require_file("${libdir}/cmake/tapegrad/${f}")
endforeach()
require_file("${libdir}/pkgconfig/tapegrad.pc")

set(c_flags "")
if(SANITIZE)
  # An instrumented library needs its sanitizer runtimes in the program too.
  set(c_flags "-fsanitize=${SANITIZE}")
  # clang links only the C parts of UBSan's runtime into a C program; the library's C++ code
  # needs the C++ parts too (cmake/TapegradCompileOptions.cmake does the same for the tests).
  if(SANITIZE MATCHES "undefined" AND C_COMPILER MATCHES "clang")
    string(APPEND c_flags " -fsanitize-link-c++-runtime -lstdc++")
  endif()
endif()

# ---- find_package ----------------------------------------------------------------------------
set(cmake_build "${WORK_DIR}/find_package")
run(_ "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${cmake_build}" "-DCMAKE_PREFIX_PATH=${prefix}"
    "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DCMAKE_C_FLAGS=${c_flags}"
    "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DCMAKE_CXX_FLAGS=${c_flags}"
    "-DTAPEGRAD_REQUIRED_VERSION=${MAJOR}.${MINOR}")
run(_ "${CMAKE_COMMAND}" --build "${cmake_build}")
foreach(program consumer consumer_hpp)
  run(out "${cmake_build}/${program}")
  message(STATUS "find_package ${program}: ${out}")
  if(NOT out MATCHES "tapegrad ${version}, dy/dx = 6")
    message(FATAL_ERROR "check_install: unexpected output of the find_package ${program}: ${out}")
  endif()
endforeach()

# The version file refuses a request for another ABI: a newer major version, and in 0.x a
# newer or an older minor version (each 0.MINOR is its own ABI).
math(EXPR next_major "${MAJOR} + 1")
math(EXPR next_minor "${MINOR} + 1")
set(refused "${next_major}.0")
if(MAJOR EQUAL 0)
  list(APPEND refused "0.${next_minor}")
  if(MINOR GREATER 0)
    math(EXPR previous_minor "${MINOR} - 1")
    list(APPEND refused "0.${previous_minor}")
  endif()
endif()
foreach(request IN LISTS refused)
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${WORK_DIR}/find_package_${request}"
            "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_C_COMPILER=${C_COMPILER}"
            "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DTAPEGRAD_REQUIRED_VERSION=${request}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0 OR NOT err MATCHES "tapegrad")
    message(FATAL_ERROR "check_install: find_package(tapegrad ${request}) should have failed "
                        "against ${version}:\n${out}\n${err}")
  endif()
endforeach()

# ---- pkg-config ------------------------------------------------------------------------------
find_program(PKG_CONFIG NAMES pkg-config pkgconf)
if(NOT PKG_CONFIG)
  if(DEFINED ENV{CI} OR DEFINED ENV{TAPEGRAD_REQUIRE_ALL_TESTS})
    message(FATAL_ERROR "check_install: pkg-config is missing (Debian package pkg-config)")
  endif()
  message("SKIP: pkg-config is missing (Debian package pkg-config); the find_package part passed")
  return()
endif()
set(pc_env "${CMAKE_COMMAND}" -E env "PKG_CONFIG_PATH=${libdir}/pkgconfig")
run(pc_version ${pc_env} "${PKG_CONFIG}" --modversion tapegrad)
string(STRIP "${pc_version}" pc_version)
if(NOT pc_version STREQUAL version)
  message(FATAL_ERROR "check_install: pkg-config --modversion tapegrad says ${pc_version}, not ${version}")
endif()
run(pc_cflags ${pc_env} "${PKG_CONFIG}" --cflags tapegrad)
run(pc_libs ${pc_env} "${PKG_CONFIG}" --libs tapegrad)
string(STRIP "${pc_cflags} ${pc_libs}" pc_flags)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
separate_arguments(extra UNIX_COMMAND "${c_flags}")
# The C consumer as C99, the C++ one (tapegrad.hpp) as C++17.
foreach(consumer "consumer.c;${C_COMPILER};-std=c99" "consumer_hpp.cpp;${CXX_COMPILER};-std=c++17")
  list(GET consumer 0 source)
  list(GET consumer 1 compiler)
  list(GET consumer 2 standard)
  set(program "${WORK_DIR}/${source}_pkg_config")
  run(_ "${compiler}" ${standard} -pedantic -Wall -Wextra -Werror ${extra}
      "${SOURCE_DIR}/${source}" -o "${program}" ${pc_flags} "-Wl,-rpath,${libdir}")
  run(out "${program}")
  message(STATUS "pkg-config ${source} (${pc_flags}): ${out}")
  if(NOT out MATCHES "tapegrad ${version}, dy/dx = 6")
    message(FATAL_ERROR "check_install: unexpected output of the pkg-config ${source}: ${out}")
  endif()
endforeach()
message(STATUS "check_install: installed tree in ${prefix} works with find_package and pkg-config")
