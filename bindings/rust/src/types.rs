//! The values the journal takes and returns. Runs and events carry the
//! `runs` and `events` column names as fields; JSON columns (payload,
//! inputs, outputs, metadata, checkpoint) are JSON text, so a host parses
//! them with its own JSON library.
use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorCode};
use crate::ffi;
use crate::text::{from_c, from_c_opt};

/// A run's status, as stored in `runs.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    Created,
    Planning,
    Executing,
    Verifying,
    /// Its driver died; it can be resumed or given up.
    Interrupted,
    /// Terminal.
    Completed,
    /// Terminal.
    Failed,
    /// Terminal.
    Cancelled,
}

impl RunStatus {
    /// Every status, in the C API's order.
    pub const ALL: [RunStatus; 8] = [
        RunStatus::Created,
        RunStatus::Planning,
        RunStatus::Executing,
        RunStatus::Verifying,
        RunStatus::Interrupted,
        RunStatus::Completed,
        RunStatus::Failed,
        RunStatus::Cancelled,
    ];

    /// The name stored in `runs.status`: "created", "planning", …
    pub fn as_str(&self) -> &'static str {
        match self {
            RunStatus::Created => "created",
            RunStatus::Planning => "planning",
            RunStatus::Executing => "executing",
            RunStatus::Verifying => "verifying",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    /// Completed, failed and cancelled: no event moves a run out of them.
    pub fn is_terminal(&self) -> bool {
        matches!(self, RunStatus::Completed | RunStatus::Failed | RunStatus::Cancelled)
    }

    pub(crate) fn to_c(self) -> ffi::rj_run_status {
        RunStatus::ALL.iter().position(|s| *s == self).map_or(0, |i| i as ffi::rj_run_status + 1)
    }

    pub(crate) fn from_c(value: ffi::rj_run_status) -> RunStatus {
        // The library only hands out the eight (an unknown status in the
        // file is reported as Corrupt before any value is made).
        RunStatus::ALL[(value.clamp(1, 8) - 1) as usize]
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunStatus {
    type Err = Error;

    /// Exactly the eight stored names; anything else is an error, never a
    /// default.
    fn from_str(text: &str) -> Result<RunStatus, Error> {
        RunStatus::ALL
            .iter()
            .copied()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| Error::new(ErrorCode::InvalidArgument, format!("'{}' is not a run status", text)))
    }
}

/// The process that drives a run: host, pid, process start time, boot id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Driver {
    pub host: String,
    pub pid: i64,
    pub start_time: i64,
    pub boot_id: String,
}

/// A run as the projection sees it: one row of `runs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub run_id: String,
    pub session_id: String,
    pub status: RunStatus,
    pub prompt: String,
    /// JSON text; None when absent.
    pub inputs: Option<String>,
    /// JSON text; None when absent.
    pub outputs: Option<String>,
    /// JSON text; None when absent.
    pub metadata: Option<String>,
    pub result_text: Option<String>,
    pub error: Option<String>,
    /// Why the run was cancelled or interrupted, when the event said.
    pub status_reason: Option<String>,
    /// The latest live checkpoint's id.
    pub checkpoint_id: Option<String>,
    /// That checkpoint_saved payload, as JSON text.
    pub checkpoint: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub finished_at_ms: Option<i64>,
    /// Position of run_created: creation order.
    pub first_position: i64,
    pub event_count: i64,
    pub last_seq: i64,
    pub last_position: i64,
    /// driver_host, driver_pid, driver_start_time, driver_boot_id.
    pub driver: Option<Driver>,
    /// The digest of the agent spec the run executes (from run_created).
    pub agent_spec_digest: Option<String>,
    /// The git commit it runs at (from run_created).
    pub git_sha: Option<String>,
    /// The digest of its final state (from run_completed).
    pub final_state_digest: Option<String>,
}

impl Run {
    /// # Safety
    /// `raw` points to a live rj_run.
    pub(crate) unsafe fn from_raw(raw: *const ffi::rj_run) -> Run {
        let mut finished = 0i64;
        let has_finished = ffi::rj_run_finished_at_ms(raw, &mut finished) != 0;
        Run {
            run_id: from_c(ffi::rj_run_id(raw)),
            session_id: from_c(ffi::rj_run_session_id(raw)),
            status: RunStatus::from_c(ffi::rj_run_get_status(raw)),
            prompt: from_c(ffi::rj_run_prompt(raw)),
            inputs: from_c_opt(ffi::rj_run_inputs_json(raw)),
            outputs: from_c_opt(ffi::rj_run_outputs_json(raw)),
            metadata: from_c_opt(ffi::rj_run_metadata_json(raw)),
            result_text: from_c_opt(ffi::rj_run_result_text(raw)),
            error: from_c_opt(ffi::rj_run_error(raw)),
            status_reason: from_c_opt(ffi::rj_run_status_reason(raw)),
            checkpoint_id: from_c_opt(ffi::rj_run_checkpoint_id(raw)),
            checkpoint: from_c_opt(ffi::rj_run_checkpoint_json(raw)),
            created_at_ms: ffi::rj_run_created_at_ms(raw),
            updated_at_ms: ffi::rj_run_updated_at_ms(raw),
            finished_at_ms: if has_finished { Some(finished) } else { None },
            first_position: ffi::rj_run_first_position(raw),
            event_count: ffi::rj_run_event_count(raw),
            last_seq: ffi::rj_run_last_seq(raw),
            last_position: ffi::rj_run_last_position(raw),
            driver: if ffi::rj_run_has_driver(raw) != 0 {
                Some(Driver {
                    host: from_c(ffi::rj_run_driver_host(raw)),
                    pid: ffi::rj_run_driver_pid(raw),
                    start_time: ffi::rj_run_driver_start_time(raw),
                    boot_id: from_c(ffi::rj_run_driver_boot_id(raw)),
                })
            } else {
                None
            },
            agent_spec_digest: from_c_opt(ffi::rj_run_agent_spec_digest(raw)),
            git_sha: from_c_opt(ffi::rj_run_git_sha(raw)),
            final_state_digest: from_c_opt(ffi::rj_run_final_state_digest(raw)),
        }
    }

    /// Takes ownership of `raw` (NULL: None) and frees it.
    ///
    /// # Safety
    /// `raw` is NULL or an rj_run the caller owns.
    pub(crate) unsafe fn take(raw: *mut ffi::rj_run) -> Option<Run> {
        if raw.is_null() {
            return None;
        }
        let run = Run::from_raw(raw);
        ffi::rj_run_free(raw);
        Some(run)
    }
}

/// One recorded step of a run: one row of `events`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Global commit order; never reused.
    pub position: i64,
    pub run_id: String,
    /// 1, 2, 3 … within the run, no gaps.
    pub seq: i64,
    pub ts_ms: i64,
    pub kind: String,
    /// Always a JSON object, as JSON text.
    pub payload: String,
    pub idempotency_key: Option<String>,
}

impl Event {
    /// # Safety
    /// `raw` points to a live rj_event.
    pub(crate) unsafe fn from_raw(raw: *const ffi::rj_event) -> Event {
        Event {
            position: ffi::rj_event_position(raw),
            run_id: from_c(ffi::rj_event_run_id(raw)),
            seq: ffi::rj_event_seq(raw),
            ts_ms: ffi::rj_event_ts_ms(raw),
            kind: from_c(ffi::rj_event_kind(raw)),
            payload: from_c(ffi::rj_event_payload_json(raw)),
            idempotency_key: from_c_opt(ffi::rj_event_idempotency_key(raw)),
        }
    }

    /// # Safety
    /// `raw` is an rj_event the caller owns (not NULL).
    pub(crate) unsafe fn take(raw: *mut ffi::rj_event) -> Event {
        let event = Event::from_raw(raw);
        ffi::rj_event_free(raw);
        event
    }

    /// Every event of a list, which is freed.
    ///
    /// # Safety
    /// `list` is an rj_event_list the caller owns (or NULL: empty).
    pub(crate) unsafe fn take_list(list: *mut ffi::rj_event_list) -> Vec<Event> {
        let n = ffi::rj_event_list_count(list);
        let events = (0..n).map(|i| Event::from_raw(ffi::rj_event_list_at(list, i))).collect();
        ffi::rj_event_list_free(list);
        events
    }
}

/// # Safety
/// `list` is an rj_run_list the caller owns (or NULL: empty).
pub(crate) unsafe fn take_runs(list: *mut ffi::rj_run_list) -> Vec<Run> {
    let n = ffi::rj_run_list_count(list);
    let runs = (0..n).map(|i| Run::from_raw(ffi::rj_run_list_at(list, i))).collect();
    ffi::rj_run_list_free(list);
    runs
}

/// A run's latest live checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub checkpoint_id: String,
    /// What save_checkpoint stored as the state, as JSON text.
    pub state: String,
    /// The checkpoint_saved payload as recorded, as JSON text.
    pub payload: String,
}

impl Checkpoint {
    /// # Safety
    /// `raw` points to a live rj_checkpoint.
    pub(crate) unsafe fn from_raw(raw: *const ffi::rj_checkpoint) -> Checkpoint {
        Checkpoint {
            checkpoint_id: from_c(ffi::rj_checkpoint_id(raw)),
            state: from_c(ffi::rj_checkpoint_state_json(raw)),
            payload: from_c(ffi::rj_checkpoint_payload_json(raw)),
        }
    }
}

/// A new run (`create_run`, `reserve`). Build it with struct update syntax:
/// `NewRun { session_id: "s1".into(), prompt: "fix tests".into(), ..Default::default() }`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRun {
    pub session_id: String,
    pub prompt: String,
    /// None: from the journal's id generator.
    pub run_id: Option<String>,
    /// Any JSON text; None for none.
    pub inputs: Option<String>,
    /// Any JSON text; None for none.
    pub metadata: Option<String>,
    /// Refuse with AlreadyRunning when the session has a live run.
    pub exclusive: bool,
    /// Provenance, recorded in run_created: the agent spec's digest.
    pub agent_spec_digest: Option<String>,
    /// And the git commit the run executes at.
    pub git_sha: Option<String>,
}

/// Options of one append.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppendOptions {
    /// The last seq the caller saw for the run: Conflict if it moved on.
    pub expected_seq: Option<i64>,
    /// Unique per run: a retry with the same key returns the first event.
    pub idempotency_key: Option<String>,
}

/// One event of a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewEvent {
    pub run_id: String,
    pub kind: String,
    /// A JSON object as text; None for {}.
    pub payload: Option<String>,
    pub options: AppendOptions,
}

impl NewEvent {
    pub fn new(run_id: &str, kind: &str, payload: &str) -> NewEvent {
        NewEvent {
            run_id: run_id.into(),
            kind: kind.into(),
            payload: Some(payload.into()),
            options: Default::default(),
        }
    }
}

/// Which runs `runs()` lists, a page at a time, in creation order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunQuery {
    pub status: Option<RunStatus>,
    pub session_id: Option<String>,
    pub limit: usize,
    /// The last run id of the previous page.
    pub after_run_id: Option<String>,
}

impl Default for RunQuery {
    fn default() -> RunQuery {
        RunQuery { status: None, session_id: None, limit: 100, after_run_id: None }
    }
}

/// A run recover() found cut off (or claim_recovered() claimed), with its
/// latest live checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveredRun {
    pub run: Run,
    pub checkpoint: Option<Checkpoint>,
    /// The journal's clock now minus run.updated_at_ms.
    pub silent_ms: i64,
    /// Why its driver counts as gone, for people.
    pub why: String,
}

impl RecoveredRun {
    /// # Safety
    /// `list` is an rj_recovered_list the caller owns (or NULL: empty).
    pub(crate) unsafe fn take_list(list: *mut ffi::rj_recovered_list) -> Vec<RecoveredRun> {
        let found = (0..ffi::rj_recovered_list_count(list))
            .map(|i| {
                let checkpoint = ffi::rj_recovered_list_checkpoint(list, i);
                RecoveredRun {
                    run: Run::from_raw(ffi::rj_recovered_list_run(list, i)),
                    checkpoint: if checkpoint.is_null() { None } else { Some(Checkpoint::from_raw(checkpoint)) },
                    silent_ms: ffi::rj_recovered_list_silent_ms(list, i),
                    why: from_c(ffi::rj_recovered_list_why(list, i)),
                }
            })
            .collect();
        ffi::rj_recovered_list_free(list);
        found
    }
}

/// What `claim_recovered()` claims, and what it records. The default claims
/// every cut-off run that is not interrupted, with an empty payload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimOptions {
    /// Also claim runs already interrupted (whose driver is gone too).
    pub include_interrupted: bool,
    /// Claim at most this many runs, the oldest first; None: no limit.
    pub limit: Option<usize>,
    /// Each claimed run's run_resumed payload: a JSON object as text without
    /// a "driver" key (this journal's driver is recorded; InvalidArgument
    /// otherwise). None for {}.
    pub payload: Option<String>,
}

/// How an execution ended, as the host's runner saw it (`finish`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecutionResult {
    /// run_completed {result_text?, outputs?}; outputs is JSON text.
    Ok { result_text: Option<String>, outputs: Option<String> },
    /// The cancel token fired: run_cancelled {reason?}.
    Cancelled { reason: Option<String> },
    /// run_failed {error}.
    Error { message: String },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RebuildReport {
    pub events: i64,
    pub runs: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub events_checked: i64,
    pub runs_checked: i64,
    /// One line each; empty when consistent.
    pub problems: Vec<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One cell of a query's result, typed as SQLite returned it. `Json` is
/// text known to hold JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Json(String),
    Blob(Vec<u8>),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SqlResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<SqlValue>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub runs_imported: i64,
    /// Already present with identical events.
    pub runs_skipped: i64,
    pub events_imported: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneOptions {
    /// Runs finished before this (Unix ms) are removed.
    pub finished_before_ms: i64,
    /// Each removed run is appended to this JSON Lines file first.
    pub archive: Option<std::path::PathBuf>,
    /// Runs removed per write transaction (0: the library's 100).
    pub runs_per_transaction: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    pub runs: i64,
    pub events: i64,
    pub pages_freed: i64,
}
