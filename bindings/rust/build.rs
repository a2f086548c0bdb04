//! Finds librunjournal_c, runjournal's C API, for the linker.
//!
//! Two ways, tried in this order:
//! 1. `RUNJOURNAL_C_LIB_DIR`: a directory holding librunjournal_c.so (a
//!    CMake build directory, or an install's lib directory);
//! 2. `pkg-config runjournal-c` (the command; honours PKG_CONFIG_PATH), which
//!    finds an installed runjournal (`cmake --install`, or the
//!    librunjournal-c1 and runjournal-dev packages).
//! When neither works the build fails saying so. The directory found is
//! also put in the run path of this crate's own tests and examples, so they
//! run without LD_LIBRARY_PATH.
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=RUNJOURNAL_C_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-changed=build.rs");

    let (dir, how) = match env::var_os("RUNJOURNAL_C_LIB_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if !has_library(&dir) {
                let hint = if dir.is_relative() {
                    " (a relative path is taken from the crate's own directory: give an absolute one)"
                } else {
                    ""
                };
                fail(&format!("RUNJOURNAL_C_LIB_DIR is {}, but it holds no librunjournal_c.so{}", dir.display(), hint));
            }
            (dir, "RUNJOURNAL_C_LIB_DIR")
        }
        _ => match pkg_config_libdir() {
            Ok(dir) => (dir, "pkg-config runjournal-c"),
            Err(why) => {
                fail(&format!("RUNJOURNAL_C_LIB_DIR is not set, and pkg-config did not find runjournal-c: {}", why))
            }
        },
    };
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=dylib=runjournal_c");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
    // For dependents' build scripts (DEP_RUNJOURNAL_C_LIBDIR), and to say
    // where it came from (DEP_RUNJOURNAL_C_FOUND_BY).
    println!("cargo:libdir={}", dir.display());
    println!("cargo:found_by={}", how);
}

fn has_library(dir: &Path) -> bool {
    dir.join("librunjournal_c.so").exists()
}

fn pkg_config_libdir() -> Result<PathBuf, String> {
    let output = Command::new("pkg-config")
        .args(["--print-errors", "--variable=libdir", "runjournal-c"])
        .output()
        .map_err(|e| format!("could not run pkg-config ({})", e))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr).split_whitespace().collect::<Vec<_>>().join(" ");
        return Err(if said.is_empty() { "it knows no package runjournal-c".to_string() } else { said });
    }
    let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if !has_library(&dir) {
        return Err(format!("its libdir {} holds no librunjournal_c.so", dir.display()));
    }
    Ok(dir)
}

fn fail(why: &str) -> ! {
    eprintln!(
        "\nerror: runjournal: cannot find librunjournal_c (runjournal's C API).\n  {}.\n  \
         Either set RUNJOURNAL_C_LIB_DIR to the directory that holds librunjournal_c.so\n  \
         (for example a CMake build directory of runjournal), or install runjournal\n  \
         (cmake --install, or the librunjournal-c1 and runjournal-dev packages) so that\n  \
         `pkg-config --variable=libdir runjournal-c` finds it (set PKG_CONFIG_PATH for\n  \
         a custom prefix).\n",
        why
    );
    std::process::exit(1);
}
