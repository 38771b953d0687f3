# SPDX-License-Identifier: Apache-2.0
# `cmake --install <build> [--prefix <dir>]` puts under the prefix:
#   include/tapegrad/tapegrad.h                       the C ABI (needs only <stddef.h>, <stdint.h>)
#   include/tapegrad/tapegrad.hpp, tapegrad_model.hpp the header-only C++17 wrapper of it
#   <libdir>/libtapegrad.so.MAJOR.MINOR.PATCH         the library, SONAME libtapegrad.so.SOVERSION
#                                                     (0.MINOR while MAJOR is 0, else MAJOR)
#   <libdir>/libtapegrad.so.SOVERSION, libtapegrad.so symlinks (runtime name, link-time name)
#   <libdir>/cmake/tapegrad/                          find_package(tapegrad) -> tapegrad::tapegrad,
#                                                     with a version file (the SONAME's promise:
#                                                     SameMinorVersion in 0.x, SameMajorVersion
#                                                     from 1.0)
#   <libdir>/pkgconfig/tapegrad.pc                    pkg-config --cflags --libs tapegrad
# <libdir> is GNUInstallDirs' CMAKE_INSTALL_LIBDIR (lib, or lib/<multiarch> under /usr).
# Everything libtapegrad.so links (OpenBLAS, fmt, ...) is private to it: consumers link the
# library alone. tests/install/ builds a consumer both ways against an installed tree.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TAPEGRAD_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tapegrad)

install(TARGETS tapegrad EXPORT tapegradTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# (The target's include directory, $<INSTALL_INTERFACE:include>, is set in capi/CMakeLists.txt.)
install(FILES ${PROJECT_SOURCE_DIR}/include/tapegrad/tapegrad.h
              ${PROJECT_SOURCE_DIR}/include/tapegrad/tapegrad.hpp
              ${PROJECT_SOURCE_DIR}/include/tapegrad/tapegrad_model.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tapegrad)

install(EXPORT tapegradTargets
  NAMESPACE tapegrad::
  FILE tapegradTargets.cmake
  DESTINATION ${TAPEGRAD_CMAKE_INSTALL_DIR})
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/tapegradConfig.cmake.in
  ${PROJECT_BINARY_DIR}/tapegradConfig.cmake
  INSTALL_DESTINATION ${TAPEGRAD_CMAKE_INSTALL_DIR})
# The version file promises what the SONAME promises (docs/versioning.md): in 0.x a minor
# release may break the ABI, so only the same MAJOR.MINOR (with a PATCH at least the one
# asked for) is compatible; from 1.0 on, any later release of the same MAJOR.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(compatibility SameMinorVersion)
else()
  set(compatibility SameMajorVersion)
endif()
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/tapegradConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY ${compatibility})
install(FILES ${PROJECT_BINARY_DIR}/tapegradConfig.cmake
              ${PROJECT_BINARY_DIR}/tapegradConfigVersion.cmake
        DESTINATION ${TAPEGRAD_CMAKE_INSTALL_DIR})

# tapegrad.pc is relocatable: its prefix is found from the file's own place (${pcfiledir}),
# so `cmake --install --prefix` and DESTDIR staging give a working file.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(TAPEGRAD_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(TAPEGRAD_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(TAPEGRAD_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH up "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  string(REGEX REPLACE "/$" "" up "${up}")
  set(TAPEGRAD_PC_PREFIX "\${pcfiledir}/${up}")
  set(TAPEGRAD_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(TAPEGRAD_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/tapegrad.pc.in ${PROJECT_BINARY_DIR}/tapegrad.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/tapegrad.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
