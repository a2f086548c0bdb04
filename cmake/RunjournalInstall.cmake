# RunjournalInstall.cmake — what `cmake --install` and `cpack -G DEB` ship.
#
# Included from the top-level CMakeLists.txt after the targets exist. It puts
# in place:
#   bin/runjournal                          the command line     (component runtime)
#   include/runjournal/*.hpp                the public headers   (component development)
#   lib/librunjournal.a                     the static library   (component development)
#   lib/cmake/runjournal/…                  find_package(runjournal CONFIG)
#   lib/pkgconfig/runjournal.pc             pkg-config --static runjournal
#   lib/librunjournal_c.so.*                the C API            (component capi)
#   include/runjournal/runjournal.h, lib/librunjournal_c.so, lib/pkgconfig/runjournal-c.pc
#                                           its development files (component development)
#   the Python package runjournal           (component python; bindings/python)
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
# With PostgreSQL, the library links the libpq layer (a static library of
# its own): installed and exported beside it, with libpq found by the
# package config and named in runjournal.pc.
if(TARGET runjournal_postgres AND RUNJOURNAL_POSTGRES)
  install(TARGETS runjournal_postgres
    EXPORT runjournalTargets
    ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT development)
  set(RUNJOURNAL_CONFIG_POSTGRES "find_dependency(PostgreSQL)")
  set(RUNJOURNAL_PC_POSTGRES " -lrunjournal_postgres -lpq")
else()
  set(RUNJOURNAL_CONFIG_POSTGRES "")
  set(RUNJOURNAL_PC_POSTGRES "")
endif()
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/runjournal"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT development
  FILES_MATCHING PATTERN "*.hpp")
if(TARGET runjournal_c)
  # The C API: the shared library alone at run time, its header, link and
  # pkg-config file for development. In the CMake export too, so a CMake
  # consumer writes target_link_libraries(app PRIVATE runjournal::runjournal_c).
  install(TARGETS runjournal_c
    EXPORT runjournalTargets
    LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT capi NAMELINK_COMPONENT development
    INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
  install(FILES "${PROJECT_SOURCE_DIR}/include/runjournal/runjournal.h"
    DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/runjournal" COMPONENT development)
endif()
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
if(TARGET runjournal_c)
  configure_file("${PROJECT_SOURCE_DIR}/cmake/runjournal-c.pc.in"
                 "${PROJECT_BINARY_DIR}/runjournal-c.pc" @ONLY)
  install(FILES "${PROJECT_BINARY_DIR}/runjournal-c.pc"
    DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
    COMPONENT development)
endif()

# ---- Debian packages: `cpack -G DEB` in the build directory ----------------
# Packages as Debian splits a library: `runjournal` (the command line, its
# shared-library dependencies found by dpkg-shlibdeps), `runjournal-dev`
# (headers, static library, CMake and pkg-config files; it depends on the
# -dev packages whose libraries the static library needs at link time),
# and, with the C API, `librunjournal-c<ABI>` (the shared library, named
# after its SONAME) and `python3-runjournal` (the Python package).
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
if(TARGET runjournal_c)
  list(APPEND CPACK_COMPONENTS_ALL capi)
endif()
if(TARGET runjournal_python)
  list(APPEND CPACK_COMPONENTS_ALL python)
endif()
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
if(TARGET runjournal_c)
  set(RUNJOURNAL_C_PACKAGE "librunjournal-c${RUNJOURNAL_C_ABI}")
  set(CPACK_DEBIAN_CAPI_PACKAGE_NAME "${RUNJOURNAL_C_PACKAGE}")
  set(CPACK_DEBIAN_CAPI_PACKAGE_SECTION "libs")
  set(CPACK_DEBIAN_CAPI_PACKAGE_SHLIBDEPS ON)
  # A shlibs file, so packages built against it depend on it properly.
  set(CPACK_DEBIAN_CAPI_PACKAGE_GENERATE_SHLIBS ON)
  set(CPACK_DEBIAN_CAPI_DESCRIPTION
    "${PROJECT_DESCRIPTION}\n The C API of runjournal (runjournal/runjournal.h) as a shared library,\n for C hosts and for the Rust and Python bindings.")
  # The -dev package's librunjournal_c.so link points into it.
  string(APPEND CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS ", ${RUNJOURNAL_C_PACKAGE} (= ${PROJECT_VERSION})")
endif()
if(TARGET runjournal_python)
  set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME "python3-runjournal")
  set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION "python")
  # Named by hand rather than by dpkg-shlibdeps: the extension links only
  # libc and librunjournal_c, which no installed package provides yet at
  # packaging time, and it is built for this Python's ABI only.
  set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS
    "${RUNJOURNAL_C_PACKAGE} (= ${PROJECT_VERSION}), ${RUNJOURNAL_PYTHON_DEB_DEPENDS}, libc6")
  set(CPACK_DEBIAN_PYTHON_DESCRIPTION
    "${PROJECT_DESCRIPTION}\n The Python package: import runjournal.")
endif()
set(CPACK_DEBIAN_DEVELOPMENT_DESCRIPTION
  "${PROJECT_DESCRIPTION}\n The static library, its headers, and the CMake and pkg-config files\n for find_package(runjournal) and pkg-config --static runjournal.")
include(CPack)
