# Warnings in runjournal's own code, and only there: targets opt in.
# -Werror is the project's CI's choice, never forced on a user's build (a
# newer compiler's new warning must not break it): RUNJOURNAL_WERROR, off
# by default, on in tools/check.sh, as fmt's FMT_WERROR.
option(RUNJOURNAL_WERROR "Treat warnings in runjournal's own targets as errors" OFF)

function(runjournal_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
    # Designated initializers that leave defaulted members out are the API style
    # (journal.create_run({.session_id = "s1"})); GCC 12 would flag each one.
    -Wno-missing-field-initializers)
  # GCC 12 at -O2/-O3 warns -Wrestrict inside libstdc++'s own std::string
  # concatenation ("accessing 9223372036854775810 or more bytes"), a false
  # positive fixed in GCC 13 (gcc.gnu.org/PR105329); it points at no line of
  # ours, so it is switched off there and only there.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(RUNJOURNAL_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# Compile options for the test suites' own code, never the library or tools
# they test: tools/check.sh compiles the Release tree's suites at -O1, since most of CI's build time on two cores is spent
# optimising test code that runs once. Empty (the build type's flags) for
# everyone else. The suites' directories apply it with add_compile_options,
# after the build type's flags, so its -O wins.
set(RUNJOURNAL_TEST_COMPILE_OPTIONS "" CACHE STRING "Extra compile options for the test suites' own code")
