//! `Journal`: the safe API over the C handle.
use std::ffi::CString;
use std::io::{Read, Write};
use std::os::raw::{c_int, c_void};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;
use std::time::Duration;

use crate::callback::{self, Export, Import, Progress, Trouble, Visit};
use crate::error::{check, Error, ErrorCode, Result};
use crate::ffi;
use crate::options::{Hooks, Options};
use crate::text::{from_c, ptr_of, to_c, to_c_opt};
use crate::types::*;

/// A journal file, open. Every method is one call of the C API with the
/// C++ API's guarantees: thread-safe (`Journal` is `Send + Sync`; share it
/// with `Arc`), a write that returns `Ok` is durable, a write that returns
/// `Err` wrote nothing. Dropping it closes it (after its pending appends).
pub struct Journal {
    raw: *mut ffi::rj_journal,
    path: PathBuf,
    // Pointed to by the C options' hooks; freed after the journal.
    _hooks: Box<Hooks>,
}

// SAFETY: an rj_journal may be used from many threads at once (runjournal.h),
// and the hooks are Send + Sync closures.
unsafe impl Send for Journal {}
unsafe impl Sync for Journal {}

impl Drop for Journal {
    fn drop(&mut self) {
        unsafe { ffi::rj_close(self.raw) }
    }
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

/// The C form of append options (the key's CString kept alive beside it).
struct RawAppend {
    raw: ffi::rj_append_options,
    _key: Option<CString>,
}

impl RawAppend {
    fn new(options: &AppendOptions) -> Result<RawAppend> {
        let key = to_c_opt(options.idempotency_key.as_deref(), "idempotency key")?;
        Ok(RawAppend {
            raw: ffi::rj_append_options {
                struct_size: std::mem::size_of::<ffi::rj_append_options>(),
                has_expected_seq: options.expected_seq.is_some() as c_int,
                expected_seq: options.expected_seq.unwrap_or(0),
                idempotency_key: ptr_of(&key),
            },
            _key: key,
        })
    }
}

/// The C form of a new run, with its strings.
struct RawNewRun {
    raw: ffi::rj_new_run,
    _strings: Vec<Option<CString>>,
}

impl RawNewRun {
    fn new(run: &NewRun) -> Result<RawNewRun> {
        let strings = vec![
            Some(to_c(&run.session_id, "session id")?),
            Some(to_c(&run.prompt, "prompt")?),
            to_c_opt(run.run_id.as_deref(), "run id")?,
            to_c_opt(run.inputs.as_deref(), "inputs")?,
            to_c_opt(run.metadata.as_deref(), "metadata")?,
            to_c_opt(run.agent_spec_digest.as_deref(), "agent spec digest")?,
            to_c_opt(run.git_sha.as_deref(), "git sha")?,
        ];
        Ok(RawNewRun {
            raw: ffi::rj_new_run {
                struct_size: std::mem::size_of::<ffi::rj_new_run>(),
                session_id: ptr_of(&strings[0]),
                prompt: ptr_of(&strings[1]),
                run_id: ptr_of(&strings[2]),
                inputs_json: ptr_of(&strings[3]),
                metadata_json: ptr_of(&strings[4]),
                exclusive: run.exclusive as c_int,
                agent_spec_digest: ptr_of(&strings[5]),
                git_sha: ptr_of(&strings[6]),
            },
            _strings: strings,
        })
    }
}

/// The C form of a batch's events, with their strings.
struct RawEvents {
    raw: Vec<ffi::rj_new_event>,
    _strings: Vec<Option<CString>>,
}

impl RawEvents {
    fn new(events: &[NewEvent]) -> Result<RawEvents> {
        let mut strings = Vec::with_capacity(events.len() * 4);
        let mut raw = Vec::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            let at = |err: Error| Error::new(err.code(), format!("event {}: {}", i, err.message()));
            let run_id = Some(to_c(&e.run_id, "run id").map_err(at)?);
            let kind = Some(to_c(&e.kind, "kind").map_err(at)?);
            let payload = to_c_opt(e.payload.as_deref(), "payload").map_err(at)?;
            let key = to_c_opt(e.options.idempotency_key.as_deref(), "idempotency key").map_err(at)?;
            raw.push(ffi::rj_new_event {
                struct_size: std::mem::size_of::<ffi::rj_new_event>(),
                run_id: ptr_of(&run_id),
                kind: ptr_of(&kind),
                payload_json: ptr_of(&payload),
                has_expected_seq: e.options.expected_seq.is_some() as c_int,
                expected_seq: e.options.expected_seq.unwrap_or(0),
                idempotency_key: ptr_of(&key),
            });
            // CString's heap buffer does not move when the CString does.
            strings.extend([run_id, kind, payload, key]);
        }
        Ok(RawEvents { raw, _strings: strings })
    }
}

struct Chunks<'a> {
    next: &'a mut dyn FnMut() -> Option<Vec<NewEvent>>,
    trouble: Trouble,
    refused: Option<Error>,
}

extern "C" fn chunk_trampoline(user: *mut c_void, chunk: *mut ffi::rj_chunk) -> c_int {
    let ctx = unsafe { &mut *(user as *mut Chunks) };
    let next = &mut ctx.next;
    let events = match ctx.trouble.run(|| next()) {
        Some(Some(events)) => events,
        Some(None) => return 0,
        None => return 1,
    };
    let raw = match RawEvents::new(&events) {
        Ok(raw) => raw,
        Err(e) => {
            ctx.refused = Some(e);
            return 1;
        }
    };
    for e in &raw.raw {
        // A refused event fails the whole batch once this returns.
        if unsafe { ffi::rj_chunk_add(chunk, e) } != ffi::RJ_OK {
            break;
        }
    }
    0
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Journal {
    /// Opens `path`, creating or migrating as needed, with the default
    /// options.
    pub fn open(path: impl AsRef<Path>) -> Result<Journal> {
        Journal::open_with(path, Options::new())
    }

    /// Opens `path` with `options`. Errors: NotFound, NotAJournal,
    /// SchemaTooNew, Busy, Io; a file refused for its contents is untouched.
    pub fn open_with(path: impl AsRef<Path>, options: Options) -> Result<Journal> {
        let path = path.as_ref().to_path_buf();
        let c_path = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| Error::new(ErrorCode::InvalidArgument, "path holds a NUL byte"))?;
        let (raw_options, hooks) = options.into_raw()?;
        let mut raw = ptr::null_mut();
        check(unsafe { ffi::rj_open(c_path.as_ptr(), raw_options.0, &mut raw) })?;
        Ok(Journal { raw, path, _hooks: hooks })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether it was opened with `Options::read_only`.
    pub fn read_only(&self) -> bool {
        unsafe { ffi::rj_journal_read_only(self.raw) != 0 }
    }

    /// Its JSON nesting limit, the default resolved.
    pub fn max_json_depth(&self) -> usize {
        unsafe { ffi::rj_journal_max_json_depth(self.raw) }
    }

    // ---- writing ----

    /// Writes the run's run_created event and returns the new run.
    pub fn create_run(&self, run: &NewRun) -> Result<Run> {
        let spec = RawNewRun::new(run)?;
        let mut out = ptr::null_mut();
        check(unsafe { ffi::rj_create_run(self.raw, &spec.raw, &mut out) })?;
        Ok(unsafe { Run::take(out) }.expect("create_run returned no run"))
    }

    /// Appends one event; `payload` is a JSON object as text.
    pub fn append(&self, run_id: &str, kind: &str, payload: &str) -> Result<Event> {
        self.append_with(run_id, kind, payload, &AppendOptions::default())
    }

    /// Appends one event with an expected seq and/or an idempotency key.
    pub fn append_with(&self, run_id: &str, kind: &str, payload: &str, options: &AppendOptions) -> Result<Event> {
        let run_id = to_c(run_id, "run id")?;
        let kind = to_c(kind, "kind")?;
        let payload = to_c(payload, "payload")?;
        let opts = if *options == AppendOptions::default() { None } else { Some(RawAppend::new(options)?) };
        let mut out = ptr::null_mut();
        check(unsafe {
            ffi::rj_append(
                self.raw,
                run_id.as_ptr(),
                kind.as_ptr(),
                payload.as_ptr(),
                opts.as_ref().map_or(ptr::null(), |o| &o.raw),
                &mut out,
            )
        })?;
        Ok(unsafe { Event::take(out) })
    }

    /// Appends every event in one transaction, in order, or none: the first
    /// bad one fails the call, named by `Error::batch_index`.
    pub fn append_batch(&self, events: &[NewEvent]) -> Result<Vec<Event>> {
        let raw = RawEvents::new(events)?;
        let mut out = ptr::null_mut();
        check(unsafe { ffi::rj_append_batch(self.raw, raw.raw.as_ptr(), raw.raw.len(), &mut out) })?;
        Ok(unsafe { Event::take_list(out) })
    }

    /// One batch that arrives in chunks: `next` is called until it returns
    /// None; everything it gave is appended in one transaction, all or
    /// nothing. It must not append to this journal itself.
    pub fn append_batch_chunked(&self, mut next: impl FnMut() -> Option<Vec<NewEvent>>) -> Result<Vec<Event>> {
        let mut ctx = Chunks { next: &mut next, trouble: Trouble::default(), refused: None };
        let mut out = ptr::null_mut();
        let status = unsafe {
            ffi::rj_append_batch_chunked(self.raw, chunk_trampoline, &mut ctx as *mut Chunks as *mut c_void, &mut out)
        };
        let result = check(status);
        if let Some(refused) = ctx.refused {
            return Err(refused);
        }
        ctx.trouble.finish(result)?;
        Ok(unsafe { Event::take_list(out) })
    }

    // ---- reading ----

    /// The run, or None when there is none.
    pub fn run(&self, run_id: &str) -> Result<Option<Run>> {
        let run_id = to_c(run_id, "run id")?;
        let mut out = ptr::null_mut();
        check(unsafe { ffi::rj_get_run(self.raw, run_id.as_ptr(), &mut out) })?;
        Ok(unsafe { Run::take(out) })
    }

    /// One page of runs, in creation order.
    pub fn runs(&self, query: &RunQuery) -> Result<Vec<Run>> {
        let session = to_c_opt(query.session_id.as_deref(), "session id")?;
        let after = to_c_opt(query.after_run_id.as_deref(), "after_run_id")?;
        let raw = ffi::rj_run_query {
            struct_size: std::mem::size_of::<ffi::rj_run_query>(),
            status: query.status.map_or(0, RunStatus::to_c),
            session_id: ptr_of(&session),
            limit: query.limit,
            after_run_id: ptr_of(&after),
        };
        let mut out = ptr::null_mut();
        check(unsafe { ffi::rj_runs(self.raw, &raw, &mut out) })?;
        Ok(unsafe { take_runs(out) })
    }

    /// A run's events from `from_seq` on, at most `limit`.
    pub fn events_page(&self, run_id: &str, from_seq: i64, limit: usize) -> Result<Vec<Event>> {
        let run_id = to_c(run_id, "run id")?;
        let mut out = ptr::null_mut();
        check(unsafe { ffi::rj_events(self.raw, run_id.as_ptr(), from_seq, limit, &mut out) })?;
        Ok(unsafe { Event::take_list(out) })
    }

    /// Every event of a run in seq order, read a page at a time.
    pub fn events(&self, run_id: &str) -> Events<'_> {
        Events {
            journal: self,
            source: Source::Run(run_id.to_string(), 1),
            page: Vec::new(),
            done: false,
            page_size: 1000,
        }
    }

    /// Up to `limit` events with position > `after_position`.
    pub fn events_after(&self, after_position: i64, limit: usize) -> Result<Vec<Event>> {
        let mut out = ptr::null_mut();
        check(unsafe { ffi::rj_events_after(self.raw, after_position, limit, &mut out) })?;
        Ok(unsafe { Event::take_list(out) })
    }

    /// Every event after `after_position` in position order, a page at a
    /// time: memory stays bounded, no snapshot is held between pages.
    pub fn scan(&self, after_position: i64) -> Events<'_> {
        Events { journal: self, source: Source::All(after_position), page: Vec::new(), done: false, page_size: 1000 }
    }

    /// Visits every event after `after_position`, then waits for commits
    /// from any process (polling every `poll`) and visits new ones, until
    /// `visit` returns false or `keep_going` (asked between polls) does.
    pub fn follow(
        &self,
        after_position: i64,
        poll: Duration,
        mut visit: impl FnMut(&Event) -> bool,
        mut keep_going: impl FnMut() -> bool,
    ) -> Result<()> {
        let mut ctx = Visit { visit: &mut visit, keep_going: Some(&mut keep_going), trouble: Trouble::default() };
        let status = unsafe {
            ffi::rj_follow(
                self.raw,
                after_position,
                callback::visit_trampoline,
                Some(callback::poll_trampoline),
                &mut ctx as *mut Visit as *mut c_void,
                millis(poll).max(1),
            )
        };
        ctx.trouble.finish(check(status))
    }

    /// Every run as it stood right after the event at `position`.
    pub fn runs_as_of(&self, position: i64) -> Result<Vec<Run>> {
        let mut out = ptr::null_mut();
        check(unsafe { ffi::rj_runs_as_of(self.raw, position, &mut out) })?;
        Ok(unsafe { take_runs(out) })
    }

    /// The position of the newest event; 0 for an empty journal.
    pub fn last_position(&self) -> Result<i64> {
        let mut out = 0;
        check(unsafe { ffi::rj_last_position(self.raw, &mut out) })?;
        Ok(out)
    }

    // ---- the projection ----

    pub fn rebuild(&self) -> Result<RebuildReport> {
        self.rebuild_with_progress(None)
    }

    /// `progress` is called now and then with (done, total) events.
    pub fn rebuild_with_progress(&self, progress: Option<&mut dyn FnMut(i64, i64)>) -> Result<RebuildReport> {
        let mut ctx = Progress { progress, trouble: Trouble::default() };
        let mut out =
            ffi::rj_rebuild_report { struct_size: std::mem::size_of::<ffi::rj_rebuild_report>(), ..Default::default() };
        let status = unsafe {
            ffi::rj_rebuild(self.raw, callback::progress_fn(&ctx), &mut ctx as *mut Progress as *mut c_void, &mut out)
        };
        ctx.trouble.finish(check(status))?;
        Ok(RebuildReport { events: out.events, runs: out.runs })
    }

    pub fn verify(&self) -> Result<VerifyReport> {
        let mut out = ptr::null_mut();
        check(unsafe { ffi::rj_verify(self.raw, None, ptr::null_mut(), &mut out) })?;
        let report = unsafe {
            let n = ffi::rj_verify_report_problem_count(out);
            let r = VerifyReport {
                events_checked: ffi::rj_verify_report_events_checked(out),
                runs_checked: ffi::rj_verify_report_runs_checked(out),
                problems: (0..n).map(|i| from_c(ffi::rj_verify_report_problem(out, i))).collect(),
            };
            ffi::rj_verify_report_free(out);
            r
        };
        Ok(report)
    }

    // ---- inspection and data movement ----

    /// One read-only SQL statement; writes are refused (InvalidArgument).
    pub fn sql(&self, query: &str) -> Result<SqlResult> {
        self.sql_with(query, None, None)
    }

    pub fn sql_with(&self, query: &str, timeout: Option<Duration>, max_rows: Option<usize>) -> Result<SqlResult> {
        let query = to_c(query, "query")?;
        let options = ffi::rj_sql_options {
            struct_size: std::mem::size_of::<ffi::rj_sql_options>(),
            timeout_ms: timeout.map_or(0, |t| millis(t).max(1)),
            max_rows: max_rows.unwrap_or(0),
        };
        let mut out = ptr::null_mut();
        check(unsafe { ffi::rj_sql(self.raw, query.as_ptr(), &options, &mut out) })?;
        let result = unsafe {
            let columns = (0..ffi::rj_sql_result_column_count(out))
                .map(|c| from_c(ffi::rj_sql_result_column_name(out, c)))
                .collect::<Vec<_>>();
            let mut rows = Vec::new();
            for r in 0..ffi::rj_sql_result_row_count(out) {
                let mut row = Vec::with_capacity(columns.len());
                for c in 0..columns.len() {
                    let mut length = 0usize;
                    let bytes = |p: *const std::os::raw::c_char, n: usize| {
                        std::slice::from_raw_parts(p as *const u8, n).to_vec()
                    };
                    row.push(match ffi::rj_sql_result_type(out, r, c) {
                        1 => SqlValue::Integer(ffi::rj_sql_result_int(out, r, c)),
                        2 => SqlValue::Real(ffi::rj_sql_result_real(out, r, c)),
                        t @ 3..=5 => {
                            let p = ffi::rj_sql_result_text(out, r, c, &mut length);
                            let b = bytes(p, length);
                            match t {
                                3 => SqlValue::Text(String::from_utf8_lossy(&b).into_owned()),
                                4 => SqlValue::Json(String::from_utf8_lossy(&b).into_owned()),
                                _ => SqlValue::Blob(b),
                            }
                        }
                        _ => SqlValue::Null,
                    });
                }
                rows.push(row);
            }
            ffi::rj_sql_result_free(out);
            SqlResult { columns, rows }
        };
        Ok(result)
    }

    /// Counts, positions, sizes and versions, as a JSON object (text).
    pub fn stats(&self) -> Result<String> {
        let mut out = ptr::null_mut();
        check(unsafe { ffi::rj_stats(self.raw, &mut out) })?;
        let text = unsafe { from_c(out) };
        unsafe { ffi::rj_string_free(out) };
        Ok(text)
    }

    /// Writes every run (or only `run_id`) to `out` as JSON Lines records.
    /// A write error stops the export and is Error(Io).
    pub fn export(&self, run_id: Option<&str>, out: &mut dyn Write) -> Result<()> {
        let run_id = to_c_opt(run_id, "run id")?;
        let mut ctx = Export { out, progress: Progress { progress: None, trouble: Trouble::default() } };
        let status = unsafe {
            ffi::rj_export(
                self.raw,
                ptr_of(&run_id),
                callback::line_trampoline,
                Some(callback::export_progress_trampoline),
                &mut ctx as *mut Export as *mut c_void,
            )
        };
        let result = check(status);
        ctx.progress.trouble.finish(result)
    }

    /// Imports JSON Lines records read from `input`: all or nothing.
    pub fn import_records(&self, input: &mut dyn Read) -> Result<ImportReport> {
        let mut ctx = Import { input, progress: Progress { progress: None, trouble: Trouble::default() } };
        let mut out =
            ffi::rj_import_report { struct_size: std::mem::size_of::<ffi::rj_import_report>(), ..Default::default() };
        let status = unsafe {
            ffi::rj_import(
                self.raw,
                callback::read_trampoline,
                Some(callback::import_progress_trampoline),
                &mut ctx as *mut Import as *mut c_void,
                &mut out,
            )
        };
        ctx.progress.trouble.finish(check(status))?;
        Ok(ImportReport {
            runs_imported: out.runs_imported,
            runs_skipped: out.runs_skipped,
            events_imported: out.events_imported,
        })
    }

    /// Removes finished runs older than the cut-off; live runs stay.
    pub fn prune(&self, options: &PruneOptions) -> Result<PruneReport> {
        let archive = match &options.archive {
            Some(p) => Some(
                CString::new(p.as_os_str().as_bytes())
                    .map_err(|_| Error::new(ErrorCode::InvalidArgument, "archive path holds a NUL byte"))?,
            ),
            None => None,
        };
        let raw = ffi::rj_prune_options {
            struct_size: std::mem::size_of::<ffi::rj_prune_options>(),
            finished_before_ms: options.finished_before_ms,
            archive_path: ptr_of(&archive),
            runs_per_transaction: options.runs_per_transaction,
        };
        let mut out =
            ffi::rj_prune_report { struct_size: std::mem::size_of::<ffi::rj_prune_report>(), ..Default::default() };
        check(unsafe { ffi::rj_prune(self.raw, &raw, None, ptr::null_mut(), &mut out) })?;
        Ok(PruneReport { runs: out.runs, events: out.events, pages_freed: out.pages_freed })
    }

    // ---- run lifecycle and crash recovery ----

    /// The runs cut off by a crash: not finished, driver gone.
    pub fn recover(&self, include_interrupted: bool) -> Result<Vec<RecoveredRun>> {
        let mut out = ptr::null_mut();
        check(unsafe { ffi::rj_recover(self.raw, include_interrupted as c_int, &mut out) })?;
        Ok(unsafe { RecoveredRun::take_list(out) })
    }

    /// Recovery by several hosts at once: refreshes this host's lease, then
    /// resumes what `recover()` lists, oldest first, up to `options.limit`,
    /// and returns the runs this journal claimed, as they are now
    /// (executing, driven by it, with their checkpoints). However many
    /// hosts call it at once, each cut-off run is claimed by exactly one of
    /// them; a run lost to another is skipped, never an error. A payload
    /// that is not a JSON object or names a "driver" is InvalidArgument.
    pub fn claim_recovered(&self, options: &ClaimOptions) -> Result<Vec<RecoveredRun>> {
        let payload = to_c_opt(options.payload.as_deref(), "payload")?;
        let limit = options.limit.unwrap_or(usize::MAX);
        let mut out = ptr::null_mut();
        check(unsafe {
            ffi::rj_claim_recovered(self.raw, options.include_interrupted as c_int, limit, ptr_of(&payload), &mut out)
        })?;
        Ok(unsafe { RecoveredRun::take_list(out) })
    }

    /// Appends run_resumed: the caller becomes the run's driver.
    pub fn resume_run(&self, run_id: &str, payload: &str, options: &AppendOptions) -> Result<Run> {
        let run_id = to_c(run_id, "run id")?;
        let payload = to_c(payload, "payload")?;
        let opts = RawAppend::new(options)?;
        let mut out = ptr::null_mut();
        check(unsafe { ffi::rj_resume_run(self.raw, run_id.as_ptr(), payload.as_ptr(), &opts.raw, &mut out) })?;
        Ok(unsafe { Run::take(out) }.expect("resume_run returned no run"))
    }

    /// Gives a run up: appends run_interrupted {reason}.
    pub fn interrupt_run(&self, run_id: &str, reason: &str, options: &AppendOptions) -> Result<Run> {
        let run_id = to_c(run_id, "run id")?;
        let reason = to_c(reason, "reason")?;
        let opts = RawAppend::new(options)?;
        let mut out = ptr::null_mut();
        check(unsafe { ffi::rj_interrupt_run(self.raw, run_id.as_ptr(), reason.as_ptr(), &opts.raw, &mut out) })?;
        Ok(unsafe { Run::take(out) }.expect("interrupt_run returned no run"))
    }

    /// The session's newest run that is not finished.
    pub fn current_run(&self, session_id: &str) -> Result<Option<Run>> {
        let session = to_c(session_id, "session id")?;
        let mut out = ptr::null_mut();
        check(unsafe { ffi::rj_current_run(self.raw, session.as_ptr(), &mut out) })?;
        Ok(unsafe { Run::take(out) })
    }

    /// Cancels the run only when it is live and its session's current run.
    pub fn cancel_if_live(&self, run_id: &str, reason: Option<&str>) -> Result<bool> {
        let run_id = to_c(run_id, "run id")?;
        let reason = to_c_opt(reason, "reason")?;
        let mut cancelled = 0;
        check(unsafe { ffi::rj_cancel_if_live(self.raw, run_id.as_ptr(), ptr_of(&reason), &mut cancelled) })?;
        Ok(cancelled != 0)
    }

    /// Records how an execution ended and returns the run.
    pub fn finish(&self, run_id: &str, result: &ExecutionResult) -> Result<Run> {
        let run_id = to_c(run_id, "run id")?;
        let (outcome, text, outputs, message) = match result {
            ExecutionResult::Ok { result_text, outputs } => (0, result_text.as_deref(), outputs.as_deref(), None),
            ExecutionResult::Cancelled { reason } => (1, None, None, reason.as_deref()),
            ExecutionResult::Error { message } => (2, None, None, Some(message.as_str())),
        };
        let text = to_c_opt(text, "result text")?;
        let outputs = to_c_opt(outputs, "outputs")?;
        let message = to_c_opt(message, "message")?;
        let mut out = ptr::null_mut();
        check(unsafe {
            ffi::rj_finish(
                self.raw,
                run_id.as_ptr(),
                outcome,
                ptr_of(&text),
                ptr_of(&outputs),
                ptr_of(&message),
                &mut out,
            )
        })?;
        Ok(unsafe { Run::take(out) }.expect("finish returned no run"))
    }

    /// A runner reservation: creates the run exclusively in its session,
    /// failing a stale one whose driver is gone first.
    pub fn reserve(&self, run: &NewRun) -> Result<Run> {
        let spec = RawNewRun::new(run)?;
        let mut out = ptr::null_mut();
        check(unsafe { ffi::rj_reserve(self.raw, &spec.raw, &mut out) })?;
        Ok(unsafe { Run::take(out) }.expect("reserve returned no run"))
    }

    /// Appends checkpoint_saved {checkpoint_id, state}; `state` is JSON text.
    pub fn save_checkpoint(&self, run_id: &str, checkpoint_id: &str, state: &str) -> Result<Event> {
        let run_id = to_c(run_id, "run id")?;
        let id = to_c(checkpoint_id, "checkpoint id")?;
        let state = to_c(state, "state")?;
        let mut out = ptr::null_mut();
        check(unsafe { ffi::rj_save_checkpoint(self.raw, run_id.as_ptr(), id.as_ptr(), state.as_ptr(), &mut out) })?;
        Ok(unsafe { Event::take(out) })
    }

    pub fn latest_checkpoint(&self, run_id: &str) -> Result<Option<Checkpoint>> {
        let run_id = to_c(run_id, "run id")?;
        let mut out = ptr::null_mut();
        check(unsafe { ffi::rj_latest_checkpoint(self.raw, run_id.as_ptr(), &mut out) })?;
        if out.is_null() {
            return Ok(None);
        }
        let checkpoint = unsafe { Checkpoint::from_raw(out) };
        unsafe { ffi::rj_checkpoint_free(out) };
        Ok(Some(checkpoint))
    }

    /// Appends checkpoint_deleted when `checkpoint_id` is the live one.
    pub fn delete_checkpoint(&self, run_id: &str, checkpoint_id: &str) -> Result<bool> {
        let run_id = to_c(run_id, "run id")?;
        let id = to_c(checkpoint_id, "checkpoint id")?;
        let mut deleted = 0;
        check(unsafe { ffi::rj_delete_checkpoint(self.raw, run_id.as_ptr(), id.as_ptr(), &mut deleted) })?;
        Ok(deleted != 0)
    }

    /// Refreshes this host's heartbeat lease now.
    pub fn heartbeat(&self) -> Result<()> {
        check(unsafe { ffi::rj_heartbeat(self.raw) })
    }
}

enum Source {
    Run(String, i64),
    All(i64),
}

/// Events read a page at a time: a run's (`Journal::events`) or all of
/// them after a position (`Journal::scan`). Each page is one short read;
/// an error ends the iteration after it is yielded.
pub struct Events<'a> {
    journal: &'a Journal,
    source: Source,
    page: Vec<Event>,
    done: bool,
    page_size: usize,
}

impl<'a> Events<'a> {
    /// Events per read (default 1000).
    pub fn page_size(mut self, size: usize) -> Events<'a> {
        self.page_size = size.max(1);
        self
    }
}

impl<'a> Iterator for Events<'a> {
    type Item = Result<Event>;

    fn next(&mut self) -> Option<Result<Event>> {
        if self.page.is_empty() {
            if self.done {
                return None;
            }
            let page = match &self.source {
                Source::Run(run_id, from_seq) => self.journal.events_page(run_id, *from_seq, self.page_size),
                Source::All(after) => self.journal.events_after(*after, self.page_size),
            };
            match page {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Ok(mut page) => {
                    if page.len() < self.page_size {
                        self.done = true;
                    }
                    if let Some(last) = page.last() {
                        match &mut self.source {
                            Source::Run(_, from_seq) => *from_seq = last.seq + 1,
                            Source::All(after) => *after = last.position,
                        }
                    }
                    page.reverse();
                    self.page = page;
                }
            }
        }
        self.page.pop().map(Ok)
    }
}

/// A prune cut-off ("2025-01-31T12:00:00Z", "30d", "12h", …) as Unix ms.
pub fn parse_cutoff(text: &str, now_ms: i64) -> Result<i64> {
    let text = to_c(text, "cut-off")?;
    let mut out = 0;
    check(unsafe { ffi::rj_parse_cutoff(text.as_ptr(), now_ms, &mut out) })?;
    Ok(out)
}
