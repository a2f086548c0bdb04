//! runjournal: a durable journal for AI-agent and workflow runs, in one
//! SQLite file — the Rust bindings, on runjournal's C API
//! (`librunjournal_c`). Every step of a run is an event; the journal
//! derives each run's state (`runs`) in the same transaction, survives
//! crashes, and tells a host on restart which runs were cut off.
//!
//! ```
//! use runjournal::{Journal, NewRun, RunStatus};
//! # let dir = std::env::temp_dir().join(format!("runjournal-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! # let path = dir.join("agent.journal");
//! let journal = Journal::open(&path)?;
//! let run = journal.create_run(&NewRun { session_id: "s1".into(), prompt: "fix tests".into(), ..Default::default() })?;
//! journal.append(&run.run_id, "tool_called", r#"{"tool_name": "search"}"#)?;
//! journal.append(&run.run_id, "run_completed", r#"{"result_text": "done"}"#)?;
//! assert_eq!(journal.run(&run.run_id)?.unwrap().status, RunStatus::Completed);
//! assert_eq!(journal.events(&run.run_id).count(), 3);
//! # drop(journal);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), runjournal::Error>(())
//! ```
//!
//! Payloads, inputs and outputs are JSON text (`&str` in, `String` out), so
//! a host uses its own JSON library; the library checks that a payload is a
//! JSON object. Errors are [`Error`] with an [`ErrorCode`]; a run that is
//! simply absent is `Ok(None)`.
mod callback;
mod error;
mod ffi;
mod journal;
mod options;
mod text;
mod types;

pub use error::{Error, ErrorCode, Result};
pub use journal::{parse_cutoff, Events, Journal};
pub use options::{Durability, Options};
pub use types::{
    AppendOptions, Checkpoint, ClaimOptions, Driver, Event, ExecutionResult, ImportReport, NewEvent, NewRun,
    PruneOptions, PruneReport, RebuildReport, RecoveredRun, Run, RunQuery, RunStatus, SqlResult, SqlValue,
    VerifyReport,
};

/// The library's version, "MAJOR.MINOR.PATCH".
pub fn version() -> String {
    unsafe { text::from_c(ffi::rj_version()) }
}

/// The C ABI version of the linked library; this crate is written for 1.
pub fn abi_version() -> i32 {
    unsafe { ffi::rj_abi_version() }
}

/// The deepest JSON nesting the linked SQLite's JSON functions accept: the
/// default and the ceiling of `Options::max_json_depth`.
pub fn sqlite_json_max_depth() -> usize {
    unsafe { ffi::rj_sqlite_json_max_depth() }
}

/// The SQLite version the library runs on.
pub fn sqlite_version() -> String {
    unsafe { text::from_c(ffi::rj_sqlite_version()) }
}
