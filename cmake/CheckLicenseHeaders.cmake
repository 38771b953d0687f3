# Fails unless every source file of the repository names its license with an SPDX line
# ("SPDX-License-Identifier: Apache-2.0") in its first five lines: C, C++, Python, JavaScript,
# CMake and shell files. Data (fuzz corpora, JSON, Markdown) carries none.
# Usage (ctest runs it as the test license_headers): cmake -DSOURCE_DIR=<repo> -P CheckLicenseHeaders.cmake
cmake_minimum_required(VERSION 3.25)

set(tag "SPDX-License-Identifier: Apache-2.0")
# The repository's files: git's list when this is a checkout, else every file under it.
find_program(GIT git)
set(files "")
if(GIT AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT}" ls-files WORKING_DIRECTORY "${SOURCE_DIR}"
                  OUTPUT_VARIABLE listed RESULT_VARIABLE rc)
  if(rc EQUAL 0)
    string(REPLACE "\n" ";" files "${listed}")
  endif()
endif()
if(NOT files)
  file(GLOB_RECURSE files RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/*")
endif()
list(FILTER files INCLUDE REGEX
     "\\.(c|h|cpp|hpp|py|js|cmake|in|toml)$|CMakeLists\\.txt$|^scripts/|^\\.ci/")
list(FILTER files EXCLUDE REGEX "(^|/)(build[^/]*|node_modules|__pycache__)/")
set(missing)
foreach(file IN LISTS files)
  file(STRINGS "${SOURCE_DIR}/${file}" head LIMIT_COUNT 5)
  string(FIND "${head}" "${tag}" found)
  if(found EQUAL -1)
    list(APPEND missing "${file}")
  endif()
endforeach()
if(missing)
  list(JOIN missing "\n  " text)
  message(FATAL_ERROR "CheckLicenseHeaders: no '${tag}' line in the first lines of:\n  ${text}")
endif()
list(LENGTH files n)
message(STATUS "CheckLicenseHeaders: ${n} files carry the SPDX line")
