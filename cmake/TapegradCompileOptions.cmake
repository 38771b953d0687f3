# SPDX-License-Identifier: Apache-2.0
# Warnings, sanitizers and floating-point flags shared by every target of the project.

add_library(tapegrad_options INTERFACE)
target_compile_options(tapegrad_options INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor>
  $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wpedantic>
  # why: elementwise loops over exp/log/sqrt only vectorise when libm need not set errno.
  -fno-math-errno
  # why: GCC 12 reports false -Wrestrict positives inside libstdc++'s std::string
  # operator+ (GCC bug 105329), which -Werror would turn into build failures.
  $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<CXX_COMPILER_ID:GNU>>:-Wno-restrict>)
if(TAPEGRAD_WARNINGS_AS_ERRORS)
  target_compile_options(tapegrad_options INTERFACE -Werror)
endif()
if(TAPEGRAD_SANITIZE)
  target_compile_options(tapegrad_options INTERFACE
    -fsanitize=${TAPEGRAD_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(tapegrad_options INTERFACE -fsanitize=${TAPEGRAD_SANITIZE})
  # why: a C program linked by clang gets only the C parts of the sanitizer runtimes, but
  # libtapegrad.so's C++ code needs UBSan's C++ parts (its vptr checks), which need libstdc++.
  if(CMAKE_C_COMPILER_ID STREQUAL "Clang" AND TAPEGRAD_SANITIZE MATCHES "undefined")
    target_link_options(tapegrad_options INTERFACE -fsanitize-link-c++-runtime)
    target_link_libraries(tapegrad_options INTERFACE stdc++)
  endif()
endif()
