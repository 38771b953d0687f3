# SPDX-License-Identifier: Apache-2.0
# Fails unless the symbols a shared library exports are exactly those of a committed list,
# each declared (TG_API ...) in the public header and tagged with the ABI's version node
# (TAPEGRAD_<ABI_VERSION>), and the library's SONAME is libtapegrad.so.<ABI_VERSION>. The
# list is the ABI: a function added, renamed or removed by accident fails CI here, with the
# difference printed. The list records the ABI version it describes; a listed symbol that is
# no longer exported while that version is unchanged is an ABI break without a version bump.
#
# Usage (ctest runs it as the test `abi_symbol_list`):
#   cmake -DLIBRARY=<libtapegrad.so> -DSYMBOLS=<capi/tapegrad.symbols> -DABI_VERSION=<0.2>
#         -DHEADER=<include/tapegrad/tapegrad.h> [-DNM=<nm>] [-DOBJDUMP=<objdump>]
#         -P cmake/CheckSymbolList.cmake
# For another library of the project pass -DNAME=<tapegrad_mpi> (default tapegrad): its
# SONAME is lib<NAME>.so.<ABI_VERSION> and its version node <NAME in upper case>_<ABI_VERSION>.
# After an intended ABI change, rewrite the list from the library (and review the diff):
#   cmake -DLIBRARY=build/capi/libtapegrad.so -DSYMBOLS=capi/tapegrad.symbols -DABI_VERSION=0.2
#         -DHEADER=include/tapegrad/tapegrad.h -DUPDATE=ON -P cmake/CheckSymbolList.cmake
# Removing or changing a function breaks programs linked against the old library: raise the
# version in the header and in project(VERSION) together (docs/versioning.md); the SONAME and
# the version node follow.

cmake_minimum_required(VERSION 3.25)

foreach(var LIBRARY SYMBOLS HEADER ABI_VERSION)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "CheckSymbolList: pass -D${var}=<path>")
  endif()
endforeach()
foreach(file "${LIBRARY}" "${HEADER}")
  if(NOT EXISTS "${file}")
    message(FATAL_ERROR "CheckSymbolList: no such file: ${file}")
  endif()
endforeach()
if(NOT DEFINED NM OR NM STREQUAL "")
  find_program(NM NAMES nm)
  if(NOT NM)
    message(FATAL_ERROR "CheckSymbolList: nm not found (Debian package binutils)")
  endif()
endif()

if(NOT DEFINED NAME OR NAME STREQUAL "")
  set(NAME tapegrad)
endif()
string(TOUPPER "${NAME}" NODE_PREFIX)

# ---- what the library exports: nm -D --defined-only, minus version-node markers ----------
execute_process(
  COMMAND "${NM}" -D --defined-only "${LIBRARY}"
  OUTPUT_VARIABLE nm_output ERROR_VARIABLE nm_error RESULT_VARIABLE nm_result)
if(NOT nm_result EQUAL 0)
  message(FATAL_ERROR "CheckSymbolList: ${NM} failed on ${LIBRARY}: ${nm_error}")
endif()
string(REPLACE "\n" ";" nm_lines "${nm_output}")
set(exported)
set(version_nodes)
set(absolute)
foreach(line IN LISTS nm_lines)
  # "<value> <type> <name>[@[@]<version>]"
  if(line MATCHES "^[0-9a-fA-F]* *([A-Za-z]) ([^@ ]+)(@@?([^ ]+))?$")
    if(CMAKE_MATCH_4)
      list(APPEND version_nodes "${CMAKE_MATCH_4}")
    endif()
    if(CMAKE_MATCH_1 STREQUAL "A")
      list(APPEND absolute "${CMAKE_MATCH_2}")
    else()
      list(APPEND exported "${CMAKE_MATCH_2}")
    endif()
  endif()
endforeach()
foreach(name IN LISTS absolute)
  if(NOT name IN_LIST version_nodes)
    list(APPEND exported "${name}")
  endif()
endforeach()
list(REMOVE_DUPLICATES exported)
list(SORT exported)

# Every exported function carries the version node (nm -D prints "tg_add@@TAPEGRAD_0.2").
set(node "${NODE_PREFIX}_${ABI_VERSION}")
set(unversioned)
foreach(line IN LISTS nm_lines)
  if(line MATCHES " [A-Za-z] (tg_[A-Za-z0-9_]+)(@@?([^ ]+))?$" AND NOT CMAKE_MATCH_3 STREQUAL node)
    list(APPEND unversioned "${CMAKE_MATCH_1}@${CMAKE_MATCH_3}")
  endif()
endforeach()

# The SONAME carries the ABI version.
set(soname_problem "")
if(NOT DEFINED OBJDUMP OR OBJDUMP STREQUAL "")
  find_program(OBJDUMP NAMES objdump)
endif()
if(OBJDUMP)
  execute_process(COMMAND "${OBJDUMP}" -p "${LIBRARY}" OUTPUT_VARIABLE dynamic RESULT_VARIABLE rc)
  string(REGEX MATCH "SONAME +([^\n]+)" _ "${dynamic}")
  if(NOT rc EQUAL 0 OR NOT CMAKE_MATCH_1 STREQUAL "lib${NAME}.so.${ABI_VERSION}")
    set(soname_problem "the SONAME is '${CMAKE_MATCH_1}', not lib${NAME}.so.${ABI_VERSION}\n")
  endif()
endif()

if(UPDATE)
  list(JOIN exported "\n" body)
  list(LENGTH exported n)
  file(WRITE "${SYMBOLS}"
    "# The exported symbols of lib${NAME}.so: its ABI, one name per line, sorted.\n"
    "# Checked by the ctest test abi_symbol_list (cmake/CheckSymbolList.cmake), which also\n"
    "# says how to regenerate this file after an intended change.\n"
    "# ABI version: ${ABI_VERSION}\n"
    "${body}\n")
  message(STATUS "CheckSymbolList: wrote ${n} symbols to ${SYMBOLS}")
endif()

# ---- the committed list ---------------------------------------------------------------------
if(NOT EXISTS "${SYMBOLS}")
  message(FATAL_ERROR "CheckSymbolList: no such file: ${SYMBOLS}")
endif()
file(STRINGS "${SYMBOLS}" listed_lines)
set(listed)
set(listed_version "")
foreach(line IN LISTS listed_lines)
  string(STRIP "${line}" line)
  if(line MATCHES "^# ABI version: (.+)$")
    set(listed_version "${CMAKE_MATCH_1}")
  elseif(NOT line STREQUAL "" AND NOT line MATCHES "^#")
    list(APPEND listed "${line}")
  endif()
endforeach()

# ---- the header's declarations -------------------------------------------------------------
file(READ "${HEADER}" header_text)
string(REGEX MATCHALL "TG_API[^;(]*[ *](tg_[A-Za-z0-9_]+)[ \t]*\\(" declarations "${header_text}")
set(declared)
foreach(d IN LISTS declarations)
  string(REGEX REPLACE ".*[ *](tg_[A-Za-z0-9_]+)[ \t]*\\($" "\\1" name "${d}")
  list(APPEND declared "${name}")
endforeach()

# a minus b, as lists (list(REMOVE_ITEM) needs a non-empty b).
function(list_minus out a b)
  set(result ${a})
  if(b)
    list(REMOVE_ITEM result ${b})
  endif()
  set(${out} "${result}" PARENT_SCOPE)
endfunction()
list_minus(added "${exported}" "${listed}")
list_minus(removed "${listed}" "${exported}")
list_minus(undeclared "${exported}" "${declared}")

set(problems "${soname_problem}")
if(NOT listed_version STREQUAL ABI_VERSION)
  string(APPEND problems "${SYMBOLS} describes ABI version '${listed_version}', the library is "
                         "${ABI_VERSION}: regenerate the list for the new version\n")
endif()
if(unversioned)
  list(JOIN unversioned "\n  ? " text)
  string(APPEND problems "exported without the version node ${node}:\n  ? ${text}\n")
endif()
if(added)
  list(JOIN added "\n  + " text)
  string(APPEND problems "exported by the library but not in ${SYMBOLS}:\n  + ${text}\n")
endif()
if(removed)
  list(JOIN removed "\n  - " text)
  if(listed_version STREQUAL ABI_VERSION)
    string(APPEND problems "listed in ${SYMBOLS} but no longer exported without a new ABI "
                           "version (an ABI break):\n  - ${text}\n")
  else()
    string(APPEND problems "listed in ${SYMBOLS} but no longer exported:\n  - ${text}\n")
  endif()
endif()
if(undeclared)
  list(JOIN undeclared "\n  ! " text)
  string(APPEND problems "exported but not declared with TG_API in ${HEADER}:\n  ! ${text}\n")
endif()
if(problems)
  message(FATAL_ERROR
    "CheckSymbolList: the ABI of ${LIBRARY} differs from the committed list.\n${problems}"
    "If the change is intended, regenerate the list and review the diff:\n"
    "  cmake -DLIBRARY=${LIBRARY} -DSYMBOLS=${SYMBOLS} -DHEADER=${HEADER} "
    "-DABI_VERSION=${ABI_VERSION} -DUPDATE=ON -P ${CMAKE_CURRENT_LIST_FILE}\n"
    "A removed or changed function needs a new ABI version (docs/versioning.md).")
endif()
list(LENGTH exported n)
message(STATUS "CheckSymbolList: ${LIBRARY} (SONAME lib${NAME}.so.${ABI_VERSION}) exports the "
               "${n} listed symbols, all declared in the header and versioned ${node}")
