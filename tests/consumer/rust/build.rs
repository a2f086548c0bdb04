//! Puts librunjournal_c's directory in this program's run path, so it runs
//! from a build tree or a custom prefix without LD_LIBRARY_PATH. The
//! runjournal crate's build script found the directory and passes it on to
//! its dependents as DEP_RUNJOURNAL_C_LIBDIR (its `links` metadata).
fn main() {
    if let Ok(dir) = std::env::var("DEP_RUNJOURNAL_C_LIBDIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir);
    }
}
