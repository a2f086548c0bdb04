# RunjournalInstall.cmake — what `cmake --install` and `cpack -G DEB` ship.
#
# Included from the top-level CMakeLists.txt after the targets exist. It puts
# in place:
#   bin/runjournal                          the command line     (component runtime)
#   include/runjournal/*.hpp                the public headers   (component development)
#   lib/librunjournal.a                     the static library   (component development)
#   lib/cmake/runjournal/…                  find_package(runjournal CONFIG)
#   lib/pkgconfig/runjournal.pc             pkg-config --static runjournal
#
# The library is static, and a static library carries none of its
# dependencies: whoever links it must link SQLiteCpp, SQLite, fmt and the
# thread library too. So the package config finds every one of them
# (runjournalConfig.cmake.in) and the exported target names them as
# link-only dependencies, and runjournal.pc lists them in its private fields.

include(CMakePackageConfigHelpers)

set(RUNJOURNAL_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/runjournal"
    CACHE STRING "Where the CMake package config goes, relative to the prefix")

install(TARGETS runjournal
  EXPORT runjournalTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT development
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/runjournal"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT development
  FILES_MATCHING PATTERN "*.hpp")
if(TARGET runjournal_cli)
  install(TARGETS runjournal_cli RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT runtime)
endif()

install(EXPORT runjournalTargets
  NAMESPACE runjournal::
  DESTINATION "${RUNJOURNAL_CMAKE_DIR}"
  COMPONENT development)
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/runjournalConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/runjournalConfig.cmake"
  INSTALL_DESTINATION "${RUNJOURNAL_CMAKE_DIR}")
# 0.x releases promise what 1.x will: the major version is the compatibility line.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/runjournalConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/runjournalConfig.cmake"
  "${PROJECT_BINARY_DIR}/runjournalConfigVersion.cmake"
  DESTINATION "${RUNJOURNAL_CMAKE_DIR}"
  COMPONENT development)

# pkg-config: the .pc file finds its prefix from its own place
# (${pcfiledir}/../..), so it needs the install dirs relative to the prefix.
set(RUNJOURNAL_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
file(RELATIVE_PATH RUNJOURNAL_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
set(RUNJOURNAL_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
configure_file("${PROJECT_SOURCE_DIR}/cmake/runjournal.pc.in"
               "${PROJECT_BINARY_DIR}/runjournal.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/runjournal.pc"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
  COMPONENT development)

# ---- Debian packages: `cpack -G DEB` in the build directory ----------------
# Two packages, as Debian splits a library: `runjournal` (the command line,
# its shared-library dependencies found by dpkg-shlibdeps) and `runjournal-dev`
# (headers, static library, CMake and pkg-config files; it depends on the
# -dev packages whose libraries the static library needs at link time).
set(CPACK_PACKAGE_NAME "runjournal")
set(CPACK_PACKAGE_VENDOR "runjournal developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "runjournal developers <runjournal@localhost>")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "runjournal")
set(CPACK_PACKAGE_DIRECTORY "${PROJECT_BINARY_DIR}/packages")
set(CPACK_GENERATOR "DEB")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime development)
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")
set(CPACK_DEBIAN_PACKAGE_SECTION "devel")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME "runjournal")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION "utils")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
  "${PROJECT_DESCRIPTION}\n The runjournal command line: write, inspect, verify and rebuild a journal.")
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME "runjournal-dev")
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS
  "libsqlitecpp-dev, libsqlite3-dev, nlohmann-json3-dev (>= 3.10), libfmt-dev")
set(CPACK_DEBIAN_DEVELOPMENT_DESCRIPTION
  "${PROJECT_DESCRIPTION}\n The static library, its headers, and the CMake and pkg-config files\n for find_package(runjournal) and pkg-config --static runjournal.")
include(CPack)
