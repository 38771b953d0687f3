# SPDX-License-Identifier: Apache-2.0
# tapegrad_add_gtest(<target> <label>): registers a GoogleTest program with ctest.
#
# By default every GoogleTest test becomes its own ctest test (gtest_discover_tests), so
# `ctest -R Suite.Name` runs one test. With TAPEGRAD_GTEST_SHARDS=N the program instead runs
# as N ctest tests, <target>_shard<i>, each running every N-th test (GoogleTest's own
# GTEST_TOTAL_SHARDS / GTEST_SHARD_INDEX). Why: a sanitizer build spends ~0.3 s starting each
# test process, which is most of its ctest time over ~1,500 tests; scripts/test shards those
# builds.
include_guard(GLOBAL)
include(GoogleTest)

set(TAPEGRAD_GTEST_SHARDS 0 CACHE STRING
    "0: one ctest test per GoogleTest test; N > 0: each GoogleTest program as N ctest shards")

function(tapegrad_add_gtest target label)
  if(TAPEGRAD_GTEST_SHARDS GREATER 0)
    math(EXPR last "${TAPEGRAD_GTEST_SHARDS} - 1")
    foreach(index RANGE ${last})
      set(name ${target}_shard${index})
      add_test(NAME ${name} COMMAND ${target})
      set_tests_properties(${name} PROPERTIES
        LABELS ${label}
        ENVIRONMENT "GTEST_TOTAL_SHARDS=${TAPEGRAD_GTEST_SHARDS};GTEST_SHARD_INDEX=${index}")
    endforeach()
  else()
    # why PRE_TEST: test discovery runs the binary when ctest starts, not at build time, so a
    # sanitizer or cross build still links even if the binary cannot run on the build host.
    gtest_discover_tests(${target} DISCOVERY_MODE PRE_TEST PROPERTIES LABELS ${label})
  endif()
endfunction()
