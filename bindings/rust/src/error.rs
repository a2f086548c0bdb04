//! `runjournal::Error`: the C API's status and message, as a Rust error.
use std::fmt;

use crate::ffi;
use crate::text::from_c;

/// What went wrong, one variant per status of the C API (`rj_status`). The
/// codes are stable; the messages are for people and may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The run, or the journal file, does not exist.
    NotFound,
    /// `expected_seq` was stale: the run moved past it.
    Conflict,
    /// An exclusive create or a reservation: the session has a live run
    /// (the message names it).
    AlreadyRunning,
    /// `run_created` for a run id that is taken.
    AlreadyExists,
    /// Bad input: an empty kind, a payload that is not a JSON object, text
    /// with a NUL byte, …
    InvalidArgument,
    /// The file stayed locked by another process past the wait limit.
    Busy,
    /// The file's contents break the journal's invariants.
    Corrupt,
    /// The file was written by a newer runjournal.
    SchemaTooNew,
    /// Not a SQLite file, or a SQLite file that is not a journal.
    NotAJournal,
    /// The operating system or SQLite failed to read or write.
    Io,
    /// A query ran past its time limit and was stopped.
    TimedOut,
    /// A write on a journal opened read-only.
    ReadOnly,
    /// A callback (a closure given to this crate) stopped the call; a write
    /// wrote nothing.
    Aborted,
    /// An allocation failed inside the library.
    NoMemory,
    /// A status this version of the crate does not know (a newer library).
    Unknown(i32),
}

impl ErrorCode {
    pub(crate) fn from_status(status: ffi::rj_status) -> ErrorCode {
        match status {
            1 => ErrorCode::NotFound,
            2 => ErrorCode::Conflict,
            3 => ErrorCode::AlreadyRunning,
            4 => ErrorCode::AlreadyExists,
            5 => ErrorCode::InvalidArgument,
            6 => ErrorCode::Busy,
            7 => ErrorCode::Corrupt,
            8 => ErrorCode::SchemaTooNew,
            9 => ErrorCode::NotAJournal,
            10 => ErrorCode::Io,
            11 => ErrorCode::TimedOut,
            12 => ErrorCode::ReadOnly,
            100 => ErrorCode::Aborted,
            101 => ErrorCode::NoMemory,
            other => ErrorCode::Unknown(other),
        }
    }

    /// The C API's stable name of the code ("not_found", "conflict", …).
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::AlreadyRunning => "already_running",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::Busy => "busy",
            ErrorCode::Corrupt => "corrupt",
            ErrorCode::SchemaTooNew => "schema_too_new",
            ErrorCode::NotAJournal => "not_a_journal",
            ErrorCode::Io => "io",
            ErrorCode::TimedOut => "timed_out",
            ErrorCode::ReadOnly => "read_only",
            ErrorCode::Aborted => "aborted",
            ErrorCode::NoMemory => "no_memory",
            ErrorCode::Unknown(_) => "unknown",
        }
    }
}

/// An error from the journal: a code to branch on, a message for people,
/// and for a refused batch the index of the event that was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    message: String,
    batch_index: Option<usize>,
}

/// `std::result::Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error { code, message: message.into(), batch_index: None }
    }

    /// The error the calling thread's last failing C call recorded.
    pub(crate) fn last(status: ffi::rj_status) -> Error {
        // SAFETY: the record is per thread and read right after the call
        // that failed on this thread; the message is copied at once.
        let (message, index) = unsafe { (from_c(ffi::rj_last_error_message()), ffi::rj_last_error_batch_index()) };
        Error {
            code: ErrorCode::from_status(status),
            message,
            batch_index: if index >= 0 { Some(index as usize) } else { None },
        }
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// For a batch refused because of one of its events: that event's
    /// 0-based index (the message names it too).
    pub fn batch_index(&self) -> Option<usize> {
        self.batch_index
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

/// Turns a C status into a Result, reading the message on failure.
pub(crate) fn check(status: ffi::rj_status) -> Result<()> {
    if status == ffi::RJ_OK {
        Ok(())
    } else {
        Err(Error::last(status))
    }
}
