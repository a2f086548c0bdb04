# Warnings are errors in runjournal's own code, and only there: targets opt in.
function(runjournal_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror -Wshadow -Wconversion -Wno-sign-conversion
    # Designated initializers that leave defaulted members out are the API style
    # (journal.create_run({.session_id = "s1"})); GCC 12 would flag each one.
    -Wno-missing-field-initializers)
endfunction()
