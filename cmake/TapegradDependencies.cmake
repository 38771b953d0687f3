# SPDX-License-Identifier: Apache-2.0
# Finds every dependency with CMake's own modules; a missing one stops configuration with
# the name of the Debian package that provides it.

function(tapegrad_require found what package)
  if(NOT ${found})
    message(FATAL_ERROR "tapegrad needs ${what}: install the Debian package '${package}' "
                        "(apt-get install ${package})")
  endif()
endfunction()

set(BLA_VENDOR OpenBLAS)
find_package(BLAS QUIET)
tapegrad_require(BLAS_FOUND "OpenBLAS" libopenblas-dev)
find_path(TAPEGRAD_CBLAS_INCLUDE_DIR cblas.h
          PATH_SUFFIXES openblas openblas-pthread x86_64-linux-gnu/openblas-pthread
                        aarch64-linux-gnu/openblas-pthread)
tapegrad_require(TAPEGRAD_CBLAS_INCLUDE_DIR "OpenBLAS's cblas.h" libopenblas-dev)
add_library(tapegrad_blas INTERFACE)
target_link_libraries(tapegrad_blas INTERFACE ${BLAS_LIBRARIES})
# SYSTEM: clang -Wpedantic would flag the C99 _Complex in OpenBLAS's headers from C++ files.
target_include_directories(tapegrad_blas SYSTEM INTERFACE ${TAPEGRAD_CBLAS_INCLUDE_DIR})

find_package(fmt QUIET)
tapegrad_require(fmt_FOUND "fmt" libfmt-dev)

find_package(Threads REQUIRED)

# Weight-decay exclusion patterns (src/nn/name_patterns.cpp): RE2 matches in linear time.
# Debian's libre2-dev ships a pkg-config file but no CMake package.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(RE2 QUIET IMPORTED_TARGET re2)
endif()
tapegrad_require(RE2_FOUND "RE2 (regular expressions in linear time)" libre2-dev)

# Parses and writes the JSON headers of safetensors checkpoints (src/nn/safetensors.cpp).
find_package(nlohmann_json 3.9 QUIET)
tapegrad_require(nlohmann_json_FOUND "nlohmann/json (JSON for Modern C++)" nlohmann-json3-dev)

if(TAPEGRAD_BUILD_EXAMPLES)
  find_package(ZLIB QUIET)
  tapegrad_require(ZLIB_FOUND "zlib (to read the gzip'd Fashion-MNIST files)" zlib1g-dev)
endif()

if(TAPEGRAD_BUILD_TESTS)
  find_package(GTest QUIET)
  tapegrad_require(GTest_FOUND "GoogleTest" libgtest-dev)
endif()
if(TAPEGRAD_BUILD_BENCHMARKS)
  find_package(benchmark QUIET)
  tapegrad_require(benchmark_FOUND "Google Benchmark" libbenchmark-dev)
endif()
