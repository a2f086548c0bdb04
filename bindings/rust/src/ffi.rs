//! The C API (include/runjournal/runjournal.h), declared by hand: the
//! unsafe layer under the safe one (rusqlite's split). Layouts of the
//! `#[repr(C)]` structs follow the header field for field; the handles are
//! opaque. Nothing here is public.
#![allow(non_camel_case_types, dead_code)]

use std::os::raw::{c_char, c_int, c_void};

pub type rj_status = c_int;
pub const RJ_OK: rj_status = 0;

pub type rj_run_status = c_int;
pub type rj_durability = c_int;
pub type rj_outcome = c_int;
pub type rj_sql_type = c_int;

#[repr(C)]
pub struct rj_options {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct rj_journal {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct rj_run {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct rj_event {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct rj_checkpoint {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct rj_run_list {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct rj_event_list {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct rj_recovered_list {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct rj_verify_report {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct rj_sql_result {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct rj_chunk {
    _opaque: [u8; 0],
}

#[repr(C)]
pub struct rj_new_run {
    pub struct_size: usize,
    pub session_id: *const c_char,
    pub prompt: *const c_char,
    pub run_id: *const c_char,
    pub inputs_json: *const c_char,
    pub metadata_json: *const c_char,
    pub exclusive: c_int,
    pub agent_spec_digest: *const c_char,
    pub git_sha: *const c_char,
}

#[repr(C)]
pub struct rj_append_options {
    pub struct_size: usize,
    pub has_expected_seq: c_int,
    pub expected_seq: i64,
    pub idempotency_key: *const c_char,
}

#[repr(C)]
pub struct rj_new_event {
    pub struct_size: usize,
    pub run_id: *const c_char,
    pub kind: *const c_char,
    pub payload_json: *const c_char,
    pub has_expected_seq: c_int,
    pub expected_seq: i64,
    pub idempotency_key: *const c_char,
}

#[repr(C)]
pub struct rj_run_query {
    pub struct_size: usize,
    pub status: rj_run_status,
    pub session_id: *const c_char,
    pub limit: usize,
    pub after_run_id: *const c_char,
}

#[repr(C)]
#[derive(Default)]
pub struct rj_rebuild_report {
    pub struct_size: usize,
    pub events: i64,
    pub runs: i64,
}

#[repr(C)]
pub struct rj_sql_options {
    pub struct_size: usize,
    pub timeout_ms: i64,
    pub max_rows: usize,
}

#[repr(C)]
#[derive(Default)]
pub struct rj_import_report {
    pub struct_size: usize,
    pub runs_imported: i64,
    pub runs_skipped: i64,
    pub events_imported: i64,
}

#[repr(C)]
pub struct rj_prune_options {
    pub struct_size: usize,
    pub finished_before_ms: i64,
    pub archive_path: *const c_char,
    pub runs_per_transaction: usize,
}

#[repr(C)]
#[derive(Default)]
pub struct rj_prune_report {
    pub struct_size: usize,
    pub runs: i64,
    pub events: i64,
    pub pages_freed: i64,
}

pub type rj_clock_fn = extern "C" fn(user: *mut c_void) -> i64;
pub type rj_id_fn = extern "C" fn(user: *mut c_void, buffer: *mut c_char, capacity: usize) -> c_int;
pub type rj_event_fn = extern "C" fn(user: *mut c_void, event: *const rj_event) -> c_int;
pub type rj_poll_fn = extern "C" fn(user: *mut c_void) -> c_int;
pub type rj_progress_fn = extern "C" fn(user: *mut c_void, done: i64, total: i64);
pub type rj_line_fn = extern "C" fn(user: *mut c_void, line: *const c_char, length: usize) -> c_int;
pub type rj_read_fn = extern "C" fn(user: *mut c_void, buffer: *mut c_char, capacity: usize) -> isize;
pub type rj_chunk_fn = extern "C" fn(user: *mut c_void, chunk: *mut rj_chunk) -> c_int;

extern "C" {
    pub fn rj_status_name(status: rj_status) -> *const c_char;
    pub fn rj_last_error_status() -> rj_status;
    pub fn rj_last_error_message() -> *const c_char;
    pub fn rj_last_error_batch_index() -> i64;
    pub fn rj_clear_error();

    pub fn rj_version() -> *const c_char;
    pub fn rj_abi_version() -> c_int;
    pub fn rj_sqlite_version() -> *const c_char;
    pub fn rj_sqlite_json_max_depth() -> usize;
    pub fn rj_string_free(text: *mut c_char);

    pub fn rj_run_status_name(status: rj_run_status) -> *const c_char;

    pub fn rj_options_new(out: *mut *mut rj_options) -> rj_status;
    pub fn rj_options_free(options: *mut rj_options);
    pub fn rj_options_set_create_if_missing(o: *mut rj_options, v: c_int) -> rj_status;
    pub fn rj_options_set_read_only(o: *mut rj_options, v: c_int) -> rj_status;
    pub fn rj_options_set_max_json_depth(o: *mut rj_options, v: usize) -> rj_status;
    pub fn rj_options_set_durability(o: *mut rj_options, v: rj_durability) -> rj_status;
    pub fn rj_options_set_max_payload_bytes(o: *mut rj_options, v: usize) -> rj_status;
    pub fn rj_options_set_max_kind_bytes(o: *mut rj_options, v: usize) -> rj_status;
    pub fn rj_options_set_busy_timeout_ms(o: *mut rj_options, v: i64) -> rj_status;
    pub fn rj_options_set_clock(o: *mut rj_options, f: Option<rj_clock_fn>, user: *mut c_void) -> rj_status;
    pub fn rj_options_set_id_generator(o: *mut rj_options, f: Option<rj_id_fn>, user: *mut c_void) -> rj_status;
    pub fn rj_options_set_vfs(o: *mut rj_options, vfs: *const c_char) -> rj_status;
    pub fn rj_options_set_driver(
        o: *mut rj_options,
        host: *const c_char,
        pid: i64,
        start_time: i64,
        boot_id: *const c_char,
    ) -> rj_status;
    pub fn rj_options_set_lease_ttl_ms(o: *mut rj_options, v: i64) -> rj_status;

    pub fn rj_open(path: *const c_char, options: *const rj_options, out: *mut *mut rj_journal) -> rj_status;
    pub fn rj_close(journal: *mut rj_journal);
    pub fn rj_journal_read_only(journal: *const rj_journal) -> c_int;
    pub fn rj_journal_max_json_depth(journal: *const rj_journal) -> usize;

    pub fn rj_run_id(run: *const rj_run) -> *const c_char;
    pub fn rj_run_session_id(run: *const rj_run) -> *const c_char;
    pub fn rj_run_get_status(run: *const rj_run) -> rj_run_status;
    pub fn rj_run_prompt(run: *const rj_run) -> *const c_char;
    pub fn rj_run_inputs_json(run: *const rj_run) -> *const c_char;
    pub fn rj_run_outputs_json(run: *const rj_run) -> *const c_char;
    pub fn rj_run_metadata_json(run: *const rj_run) -> *const c_char;
    pub fn rj_run_result_text(run: *const rj_run) -> *const c_char;
    pub fn rj_run_error(run: *const rj_run) -> *const c_char;
    pub fn rj_run_status_reason(run: *const rj_run) -> *const c_char;
    pub fn rj_run_checkpoint_id(run: *const rj_run) -> *const c_char;
    pub fn rj_run_checkpoint_json(run: *const rj_run) -> *const c_char;
    pub fn rj_run_created_at_ms(run: *const rj_run) -> i64;
    pub fn rj_run_updated_at_ms(run: *const rj_run) -> i64;
    pub fn rj_run_finished_at_ms(run: *const rj_run, out: *mut i64) -> c_int;
    pub fn rj_run_first_position(run: *const rj_run) -> i64;
    pub fn rj_run_event_count(run: *const rj_run) -> i64;
    pub fn rj_run_last_seq(run: *const rj_run) -> i64;
    pub fn rj_run_last_position(run: *const rj_run) -> i64;
    pub fn rj_run_has_driver(run: *const rj_run) -> c_int;
    pub fn rj_run_driver_host(run: *const rj_run) -> *const c_char;
    pub fn rj_run_driver_pid(run: *const rj_run) -> i64;
    pub fn rj_run_driver_start_time(run: *const rj_run) -> i64;
    pub fn rj_run_driver_boot_id(run: *const rj_run) -> *const c_char;
    pub fn rj_run_agent_spec_digest(run: *const rj_run) -> *const c_char;
    pub fn rj_run_git_sha(run: *const rj_run) -> *const c_char;
    pub fn rj_run_final_state_digest(run: *const rj_run) -> *const c_char;
    pub fn rj_run_free(run: *mut rj_run);

    pub fn rj_event_position(event: *const rj_event) -> i64;
    pub fn rj_event_run_id(event: *const rj_event) -> *const c_char;
    pub fn rj_event_seq(event: *const rj_event) -> i64;
    pub fn rj_event_ts_ms(event: *const rj_event) -> i64;
    pub fn rj_event_kind(event: *const rj_event) -> *const c_char;
    pub fn rj_event_payload_json(event: *const rj_event) -> *const c_char;
    pub fn rj_event_idempotency_key(event: *const rj_event) -> *const c_char;
    pub fn rj_event_free(event: *mut rj_event);

    pub fn rj_checkpoint_id(checkpoint: *const rj_checkpoint) -> *const c_char;
    pub fn rj_checkpoint_state_json(checkpoint: *const rj_checkpoint) -> *const c_char;
    pub fn rj_checkpoint_payload_json(checkpoint: *const rj_checkpoint) -> *const c_char;
    pub fn rj_checkpoint_free(checkpoint: *mut rj_checkpoint);

    pub fn rj_run_list_count(list: *const rj_run_list) -> usize;
    pub fn rj_run_list_at(list: *const rj_run_list, index: usize) -> *const rj_run;
    pub fn rj_run_list_free(list: *mut rj_run_list);
    pub fn rj_event_list_count(list: *const rj_event_list) -> usize;
    pub fn rj_event_list_at(list: *const rj_event_list, index: usize) -> *const rj_event;
    pub fn rj_event_list_free(list: *mut rj_event_list);

    pub fn rj_create_run(journal: *mut rj_journal, run: *const rj_new_run, out: *mut *mut rj_run) -> rj_status;
    pub fn rj_append(
        journal: *mut rj_journal,
        run_id: *const c_char,
        kind: *const c_char,
        payload_json: *const c_char,
        options: *const rj_append_options,
        out: *mut *mut rj_event,
    ) -> rj_status;
    pub fn rj_append_batch(
        journal: *mut rj_journal,
        events: *const rj_new_event,
        count: usize,
        out: *mut *mut rj_event_list,
    ) -> rj_status;
    pub fn rj_chunk_add(chunk: *mut rj_chunk, event: *const rj_new_event) -> rj_status;
    pub fn rj_append_batch_chunked(
        journal: *mut rj_journal,
        source: rj_chunk_fn,
        user: *mut c_void,
        out: *mut *mut rj_event_list,
    ) -> rj_status;

    pub fn rj_get_run(journal: *mut rj_journal, run_id: *const c_char, out: *mut *mut rj_run) -> rj_status;
    pub fn rj_runs(journal: *mut rj_journal, query: *const rj_run_query, out: *mut *mut rj_run_list) -> rj_status;
    pub fn rj_events(
        journal: *mut rj_journal,
        run_id: *const c_char,
        from_seq: i64,
        limit: usize,
        out: *mut *mut rj_event_list,
    ) -> rj_status;
    pub fn rj_events_after(
        journal: *mut rj_journal,
        after_position: i64,
        limit: usize,
        out: *mut *mut rj_event_list,
    ) -> rj_status;
    pub fn rj_runs_as_of(journal: *mut rj_journal, position: i64, out: *mut *mut rj_run_list) -> rj_status;
    pub fn rj_last_position(journal: *mut rj_journal, out: *mut i64) -> rj_status;
    pub fn rj_follow(
        journal: *mut rj_journal,
        after_position: i64,
        visit: rj_event_fn,
        poll: Option<rj_poll_fn>,
        user: *mut c_void,
        poll_ms: i64,
    ) -> rj_status;

    pub fn rj_rebuild(
        journal: *mut rj_journal,
        progress: Option<rj_progress_fn>,
        user: *mut c_void,
        out: *mut rj_rebuild_report,
    ) -> rj_status;
    pub fn rj_verify(
        journal: *mut rj_journal,
        progress: Option<rj_progress_fn>,
        user: *mut c_void,
        out: *mut *mut rj_verify_report,
    ) -> rj_status;
    pub fn rj_verify_report_events_checked(report: *const rj_verify_report) -> i64;
    pub fn rj_verify_report_runs_checked(report: *const rj_verify_report) -> i64;
    pub fn rj_verify_report_problem_count(report: *const rj_verify_report) -> usize;
    pub fn rj_verify_report_problem(report: *const rj_verify_report, index: usize) -> *const c_char;
    pub fn rj_verify_report_free(report: *mut rj_verify_report);

    pub fn rj_sql(
        journal: *mut rj_journal,
        query: *const c_char,
        options: *const rj_sql_options,
        out: *mut *mut rj_sql_result,
    ) -> rj_status;
    pub fn rj_sql_result_column_count(result: *const rj_sql_result) -> usize;
    pub fn rj_sql_result_column_name(result: *const rj_sql_result, column: usize) -> *const c_char;
    pub fn rj_sql_result_row_count(result: *const rj_sql_result) -> usize;
    pub fn rj_sql_result_type(result: *const rj_sql_result, row: usize, column: usize) -> rj_sql_type;
    pub fn rj_sql_result_int(result: *const rj_sql_result, row: usize, column: usize) -> i64;
    pub fn rj_sql_result_real(result: *const rj_sql_result, row: usize, column: usize) -> f64;
    pub fn rj_sql_result_text(
        result: *const rj_sql_result,
        row: usize,
        column: usize,
        length: *mut usize,
    ) -> *const c_char;
    pub fn rj_sql_result_free(result: *mut rj_sql_result);

    pub fn rj_stats(journal: *mut rj_journal, out: *mut *mut c_char) -> rj_status;
    pub fn rj_export(
        journal: *mut rj_journal,
        run_id: *const c_char,
        line: rj_line_fn,
        progress: Option<rj_progress_fn>,
        user: *mut c_void,
    ) -> rj_status;
    pub fn rj_import(
        journal: *mut rj_journal,
        read: rj_read_fn,
        progress: Option<rj_progress_fn>,
        user: *mut c_void,
        out: *mut rj_import_report,
    ) -> rj_status;
    pub fn rj_prune(
        journal: *mut rj_journal,
        options: *const rj_prune_options,
        progress: Option<rj_progress_fn>,
        user: *mut c_void,
        out: *mut rj_prune_report,
    ) -> rj_status;
    pub fn rj_parse_cutoff(text: *const c_char, now_ms: i64, out: *mut i64) -> rj_status;

    pub fn rj_recover(
        journal: *mut rj_journal,
        include_interrupted: c_int,
        out: *mut *mut rj_recovered_list,
    ) -> rj_status;
    pub fn rj_recovered_list_count(list: *const rj_recovered_list) -> usize;
    pub fn rj_recovered_list_run(list: *const rj_recovered_list, index: usize) -> *const rj_run;
    pub fn rj_recovered_list_checkpoint(list: *const rj_recovered_list, index: usize) -> *const rj_checkpoint;
    pub fn rj_recovered_list_silent_ms(list: *const rj_recovered_list, index: usize) -> i64;
    pub fn rj_recovered_list_why(list: *const rj_recovered_list, index: usize) -> *const c_char;
    pub fn rj_recovered_list_free(list: *mut rj_recovered_list);
    pub fn rj_claim_recovered(
        journal: *mut rj_journal,
        include_interrupted: c_int,
        limit: usize,
        payload_json: *const c_char,
        out: *mut *mut rj_recovered_list,
    ) -> rj_status;

    pub fn rj_resume_run(
        journal: *mut rj_journal,
        run_id: *const c_char,
        payload_json: *const c_char,
        options: *const rj_append_options,
        out: *mut *mut rj_run,
    ) -> rj_status;
    pub fn rj_interrupt_run(
        journal: *mut rj_journal,
        run_id: *const c_char,
        reason: *const c_char,
        options: *const rj_append_options,
        out: *mut *mut rj_run,
    ) -> rj_status;
    pub fn rj_current_run(journal: *mut rj_journal, session_id: *const c_char, out: *mut *mut rj_run) -> rj_status;
    pub fn rj_cancel_if_live(
        journal: *mut rj_journal,
        run_id: *const c_char,
        reason: *const c_char,
        cancelled: *mut c_int,
    ) -> rj_status;
    pub fn rj_finish(
        journal: *mut rj_journal,
        run_id: *const c_char,
        outcome: rj_outcome,
        result_text: *const c_char,
        outputs_json: *const c_char,
        message: *const c_char,
        out: *mut *mut rj_run,
    ) -> rj_status;
    pub fn rj_reserve(journal: *mut rj_journal, run: *const rj_new_run, out: *mut *mut rj_run) -> rj_status;
    pub fn rj_save_checkpoint(
        journal: *mut rj_journal,
        run_id: *const c_char,
        checkpoint_id: *const c_char,
        state_json: *const c_char,
        out: *mut *mut rj_event,
    ) -> rj_status;
    pub fn rj_latest_checkpoint(
        journal: *mut rj_journal,
        run_id: *const c_char,
        out: *mut *mut rj_checkpoint,
    ) -> rj_status;
    pub fn rj_delete_checkpoint(
        journal: *mut rj_journal,
        run_id: *const c_char,
        checkpoint_id: *const c_char,
        deleted: *mut c_int,
    ) -> rj_status;
    pub fn rj_heartbeat(journal: *mut rj_journal) -> rj_status;
}
