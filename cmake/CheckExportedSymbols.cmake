# SPDX-License-Identifier: Apache-2.0
# Fails unless every symbol that a shared library exports starts with a given prefix.
# The C ABI is the library's only interface: a leaked C++ symbol (an inline function, a
# template instance, a vendored dependency) is a hidden ABI that users could start to rely on.
#
# Usage: cmake -DLIBRARY=<path to libtapegrad.so> [-DNM=<nm>] [-DPREFIX=tg_]
#              -P cmake/CheckExportedSymbols.cmake

cmake_minimum_required(VERSION 3.25)

if(NOT DEFINED LIBRARY OR LIBRARY STREQUAL "")
  message(FATAL_ERROR "CheckExportedSymbols: pass -DLIBRARY=<path to the shared library>")
endif()
if(NOT EXISTS "${LIBRARY}")
  message(FATAL_ERROR "CheckExportedSymbols: no such file: ${LIBRARY}")
endif()
if(NOT DEFINED PREFIX OR PREFIX STREQUAL "")
  set(PREFIX tg_)
endif()
if(NOT DEFINED NM OR NM STREQUAL "")
  find_program(NM NAMES nm)
  if(NOT NM)
    message(FATAL_ERROR "CheckExportedSymbols: nm not found (Debian package binutils)")
  endif()
endif()

execute_process(
  COMMAND "${NM}" -D --defined-only "${LIBRARY}"
  OUTPUT_VARIABLE nm_output
  ERROR_VARIABLE nm_error
  RESULT_VARIABLE nm_result)
if(NOT nm_result EQUAL 0)
  message(FATAL_ERROR "CheckExportedSymbols: ${NM} failed on ${LIBRARY}: ${nm_error}")
endif()

# Each line is "<value> <type> <name>[@[@]<version>]".
string(REPLACE "\n" ";" nm_lines "${nm_output}")
set(exported)
set(version_nodes)
set(absolute)
foreach(line IN LISTS nm_lines)
  if(line MATCHES "^[0-9a-fA-F]* *([A-Za-z]) ([^@ ]+)(@@?([^ ]+))?$")
    set(type "${CMAKE_MATCH_1}")
    set(name "${CMAKE_MATCH_2}")
    if(CMAKE_MATCH_4)
      list(APPEND version_nodes "${CMAKE_MATCH_4}")
    endif()
    if(type STREQUAL "A")
      list(APPEND absolute "${name}")
    else()
      list(APPEND exported "${name}")
    endif()
  endif()
endforeach()
# An absolute symbol named after a version node (from a linker version script) is not code.
foreach(name IN LISTS absolute)
  if(NOT name IN_LIST version_nodes)
    list(APPEND exported "${name}")
  endif()
endforeach()

set(offending)
set(good 0)
foreach(name IN LISTS exported)
  string(FIND "${name}" "${PREFIX}" at)
  if(at EQUAL 0)
    math(EXPR good "${good} + 1")
  else()
    list(APPEND offending "${name}")
  endif()
endforeach()

if(good EQUAL 0)
  message(FATAL_ERROR "CheckExportedSymbols: ${LIBRARY} exports no ${PREFIX}* symbol at all")
endif()
if(offending)
  list(REMOVE_DUPLICATES offending)
  list(LENGTH offending n)
  list(JOIN offending "\n  " text)
  message(FATAL_ERROR
    "CheckExportedSymbols: ${LIBRARY} exports ${n} symbol(s) not starting with '${PREFIX}':\n"
    "  ${text}\n"
    "Give them hidden visibility (they are C++ internals, or come from a static dependency).")
endif()
message(STATUS "CheckExportedSymbols: ${LIBRARY} exports ${good} symbols, all '${PREFIX}*'")
