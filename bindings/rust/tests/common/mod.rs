//! Helpers the integration tests share: a fresh directory per test, and
//! "check, close, reopen, check again" — the seeds kept these runs in
//! memory; here they must survive the journal being closed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use runjournal::{Journal, Options};

/// A directory of its own for one test, removed when dropped. Under
/// RUNJOURNAL_TEST_TMP when set (ctest sets it), else the system's.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let base = std::env::var_os("RUNJOURNAL_TEST_TMP").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
        let path =
            base.join(format!("rust-{}-{}-{}", name, std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst)));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create the test directory");
        TempDir { path }
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Runs `check` on the journal that did the writing, closes it, reopens
/// the file (which must exist) and runs `check` again.
pub fn check_and_reopen(journal: Journal, check: impl Fn(&Journal)) {
    check(&journal);
    let path = journal.path().to_path_buf();
    drop(journal);
    let reopened = Journal::open_with(&path, Options::new().create_if_missing(false)).expect("reopen the journal");
    check(&reopened);
}
