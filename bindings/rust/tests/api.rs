//! The safe API beyond the seeds: errors and their codes, options and
//! hooks, batches, iterators, follow, SQL, export/import, retention,
//! checkpoints, threads — and that a panic in a closure crosses back into
//! Rust intact instead of unwinding through C.
mod common;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::TempDir;
use runjournal::*;

fn run(session: &str, id: &str) -> NewRun {
    NewRun { session_id: session.into(), run_id: Some(id.into()), ..Default::default() }
}

#[test]
fn versions_name_the_library_and_its_abi() {
    assert_eq!(abi_version(), 1);
    assert_eq!(version().split('.').count(), 3);
    assert!(sqlite_version().starts_with("3."));
}

#[test]
fn a_journal_is_send_and_sync_and_threads_share_it() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Journal>();
    let dir = TempDir::new("threads");
    let journal =
        Arc::new(Journal::open_with(dir.file("j.journal"), Options::new().durability(Durability::Normal)).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let journal = Arc::clone(&journal);
            std::thread::spawn(move || {
                let id = format!("r{}", t);
                journal.create_run(&run("s", &id)).unwrap();
                for i in 0..25 {
                    journal.append(&id, "tool_called", &format!(r#"{{"i": {}}}"#, i)).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(journal.last_position().unwrap(), 8 * 26);
    for t in 0..8 {
        let events: Vec<Event> = journal.events(&format!("r{}", t)).map(Result::unwrap).collect();
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=26).collect::<Vec<_>>());
    }
}

#[test]
fn errors_carry_their_code_and_message() {
    let dir = TempDir::new("errors");
    let missing = Journal::open_with(dir.file("missing.journal"), Options::new().create_if_missing(false)).unwrap_err();
    assert_eq!(missing.code(), ErrorCode::NotFound);
    std::fs::write(dir.file("notes.txt"), "not a journal").unwrap();
    assert_eq!(Journal::open(dir.file("notes.txt")).unwrap_err().code(), ErrorCode::NotAJournal);

    let journal = Journal::open(dir.file("j.journal")).unwrap();
    journal.create_run(&run("s1", "r1")).unwrap();
    let e = journal.append("nope", "tool_called", "{}").unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert!(e.to_string().starts_with("not_found: "), "{}", e);
    assert_eq!(journal.append("r1", "tool_called", "[1]").unwrap_err().code(), ErrorCode::InvalidArgument);
    assert_eq!(journal.append("r1", "tool_called", "{oops").unwrap_err().code(), ErrorCode::InvalidArgument);
    let nul = journal.append("r1", "tool\0called", "{}").unwrap_err();
    assert_eq!(nul.code(), ErrorCode::InvalidArgument);
    assert!(nul.message().contains("NUL"));
    assert_eq!(journal.create_run(&run("s1", "r1")).unwrap_err().code(), ErrorCode::AlreadyExists);
    let exclusive = NewRun { exclusive: true, ..run("s1", "r2") };
    assert_eq!(journal.create_run(&exclusive).unwrap_err().code(), ErrorCode::AlreadyRunning);
    let stale = AppendOptions { expected_seq: Some(0), ..Default::default() };
    assert_eq!(journal.append_with("r1", "step_started", "{}", &stale).unwrap_err().code(), ErrorCode::Conflict);
    let endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
    assert_eq!(
        journal.sql_with(endless, Some(Duration::from_millis(50)), None).unwrap_err().code(),
        ErrorCode::TimedOut
    );
    assert_eq!(journal.sql("DELETE FROM events").unwrap_err().code(), ErrorCode::InvalidArgument);
    assert_eq!("running".parse::<RunStatus>().unwrap_err().code(), ErrorCode::InvalidArgument);
    assert_eq!(journal.last_position().unwrap(), 1); // every refusal wrote nothing
}

#[test]
fn a_read_only_journal_reads_and_refuses_writes() {
    let dir = TempDir::new("read_only");
    let path = dir.file("j.journal");
    Journal::open(&path).unwrap().create_run(&run("s", "r")).unwrap();
    let journal = Journal::open_with(&path, Options::new().read_only(true)).unwrap();
    assert!(journal.read_only());
    assert_eq!(journal.run("r").unwrap().unwrap().session_id, "s");
    assert_eq!(journal.append("r", "tool_called", "{}").unwrap_err().code(), ErrorCode::ReadOnly);
    assert_eq!(journal.create_run(&run("s", "r2")).unwrap_err().code(), ErrorCode::ReadOnly);
    assert_eq!(journal.last_position().unwrap(), 1);
}

#[test]
fn json_deeper_than_the_limit_is_refused() {
    let dir = TempDir::new("depth");
    let journal = Journal::open_with(dir.file("j.journal"), Options::new().max_json_depth(4)).unwrap();
    assert_eq!(journal.max_json_depth(), 4);
    assert!(sqlite_json_max_depth() >= 1000);
    journal.create_run(&run("s", "r")).unwrap();
    journal.append("r", "x", r#"{"a": [[{}]]}"#).unwrap();
    let e = journal.append("r", "x", r#"{"a": [[[{}]]]}"#).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
    assert!(e.message().contains("deeper than the limit of 4"), "{}", e);
    let too_deep =
        Journal::open_with(dir.file("k.journal"), Options::new().max_json_depth(sqlite_json_max_depth() + 1));
    assert_eq!(too_deep.unwrap_err().code(), ErrorCode::InvalidArgument);
    // A key reused for another payload is not a retry.
    let keyed = AppendOptions { idempotency_key: Some("k".into()), ..Default::default() };
    journal.append_with("r", "x", r#"{"try": 1}"#, &keyed).unwrap();
    assert_eq!(journal.append_with("r", "x", r#"{"try": 2}"#, &keyed).unwrap_err().code(), ErrorCode::Conflict);
}

#[test]
fn hooks_pin_the_clock_and_the_ids() {
    let dir = TempDir::new("hooks");
    let now = Arc::new(AtomicI64::new(1_700_000_000_000));
    let clock = Arc::clone(&now);
    let journal = Journal::open_with(
        dir.file("j.journal"),
        Options::new()
            .clock(move || clock.fetch_add(1, Ordering::SeqCst))
            .id_generator(|| "run-pinned".to_string())
            .max_kind_bytes(16)
            .busy_timeout(Duration::from_millis(100))
            .lease_ttl(Duration::from_secs(5)),
    )
    .unwrap();
    let created = journal.create_run(&NewRun { session_id: "s".into(), ..Default::default() }).unwrap();
    assert_eq!(created.run_id, "run-pinned");
    assert_eq!(created.created_at_ms, 1_700_000_000_000);
    assert_eq!(journal.append("run-pinned", "x", "{}").unwrap().ts_ms, 1_700_000_000_001);
    assert_eq!(
        journal.append("run-pinned", "a_kind_over_sixteen", "{}").unwrap_err().code(),
        ErrorCode::InvalidArgument
    );

    let panicking =
        Journal::open_with(dir.file("k.journal"), Options::new().id_generator(|| panic!("no ids today"))).unwrap();
    let e = panicking.create_run(&NewRun { session_id: "s".into(), ..Default::default() }).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Aborted);
    assert_eq!(panicking.last_position().unwrap(), 0);
}

#[test]
fn batches_are_all_or_nothing_and_name_the_bad_event() {
    let dir = TempDir::new("batches");
    let journal = Journal::open(dir.file("j.journal")).unwrap();
    journal.create_run(&run("s", "r1")).unwrap();
    let written = journal
        .append_batch(&[
            NewEvent::new("r2", "run_created", r#"{"session_id": "s2"}"#),
            NewEvent::new("r1", "tool_called", "{}"),
            NewEvent {
                options: AppendOptions { idempotency_key: Some("k".into()), ..Default::default() },
                ..NewEvent::new("r2", "step_started", "{}")
            },
        ])
        .unwrap();
    assert_eq!(
        written.iter().map(|e| (e.run_id.as_str(), e.seq)).collect::<Vec<_>>(),
        [("r2", 1), ("r1", 2), ("r2", 2)]
    );
    assert_eq!(written[2].idempotency_key.as_deref(), Some("k"));
    let e = journal
        .append_batch(&[
            NewEvent::new("r1", "a", "{}"),
            NewEvent::new("r1", "b", "{}"),
            NewEvent::new("nope", "c", "{}"),
        ])
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert_eq!(e.batch_index(), Some(2));
    assert_eq!(journal.last_position().unwrap(), 4);

    let mut chunks = vec![
        vec![NewEvent::new("r1", "a", "{}")],
        vec![NewEvent::new("r1", "b", "{}"), NewEvent::new("r2", "c", "{}")],
    ];
    chunks.reverse();
    let chunked = journal.append_batch_chunked(|| chunks.pop()).unwrap();
    assert_eq!(chunked.len(), 3);
    let mut bad = vec![vec![NewEvent::new("r1", "a", "{}")], vec![NewEvent::new("r1", "b", "{bad")]];
    bad.reverse();
    let e = journal.append_batch_chunked(|| bad.pop()).unwrap_err();
    assert_eq!((e.code(), e.batch_index()), (ErrorCode::InvalidArgument, Some(1)));
    assert_eq!(journal.last_position().unwrap(), 7);
}

#[test]
fn iterators_page_through_events_in_order() {
    let dir = TempDir::new("iterators");
    let journal = Journal::open(dir.file("j.journal")).unwrap();
    for id in ["a", "b"] {
        journal.create_run(&run("s", id)).unwrap();
    }
    for i in 0..10 {
        journal.append(if i % 2 == 0 { "a" } else { "b" }, "tool_called", "{}").unwrap();
    }
    let a: Vec<i64> = journal.events("a").page_size(2).map(|e| e.unwrap().seq).collect();
    assert_eq!(a, (1..=6).collect::<Vec<_>>());
    let all: Vec<i64> = journal.scan(0).page_size(3).map(|e| e.unwrap().position).collect();
    assert_eq!(all, (1..=12).collect::<Vec<_>>());
    assert_eq!(journal.scan(10).count(), 2);
    assert_eq!(journal.events_after(5, 2).unwrap().len(), 2);
    let as_of = journal.runs_as_of(3).unwrap();
    assert_eq!(as_of.iter().map(|r| r.event_count).collect::<Vec<_>>(), [2, 1]);
    let page = journal.runs(&RunQuery { limit: 1, after_run_id: Some("a".into()), ..Default::default() }).unwrap();
    assert_eq!(page[0].run_id, "b");
}

#[test]
fn follow_sees_events_that_land_while_it_waits() {
    let dir = TempDir::new("follow");
    let journal = Arc::new(Journal::open(dir.file("j.journal")).unwrap());
    journal.create_run(&run("s", "r")).unwrap();
    let writer = {
        let journal = Arc::clone(&journal);
        std::thread::spawn(move || {
            for i in 0..3 {
                std::thread::sleep(Duration::from_millis(30));
                journal.append("r", "tool_called", &format!(r#"{{"i": {}}}"#, i)).unwrap();
            }
        })
    };
    let mut seen = Vec::new();
    journal
        .follow(
            0,
            Duration::from_millis(5),
            |e| {
                seen.push(e.seq);
                seen.len() < 4
            },
            || true,
        )
        .unwrap();
    writer.join().unwrap();
    assert_eq!(seen, [1, 2, 3, 4]);
    let mut polls = 0;
    journal
        .follow(
            4,
            Duration::from_millis(1),
            |_| true,
            || {
                polls += 1;
                polls < 3
            },
        )
        .unwrap();
    assert_eq!(polls, 3);
}

#[test]
fn a_panic_in_a_closure_comes_back_as_the_same_panic() {
    let dir = TempDir::new("panic");
    let journal = Journal::open(dir.file("j.journal")).unwrap();
    journal.create_run(&run("s", "r")).unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        journal.follow(0, Duration::from_millis(1), |_| panic!("visitor gave up"), || true).unwrap();
    }))
    .unwrap_err();
    assert_eq!(caught.downcast_ref::<&str>(), Some(&"visitor gave up"));
    let mut progress = |_: i64, _: i64| panic!("progress gave up");
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = journal.rebuild_with_progress(Some(&mut progress));
    }))
    .unwrap_err();
    assert_eq!(caught.downcast_ref::<&str>(), Some(&"progress gave up"));
    // The journal is unharmed.
    assert!(journal.verify().unwrap().ok());
}

#[test]
fn sql_stats_verify_and_rebuild() {
    let dir = TempDir::new("inspect");
    let journal = Journal::open(dir.file("j.journal")).unwrap();
    journal.create_run(&run("s", "r")).unwrap();
    journal.append("r", "tool_called", r#"{"tool_name": "search"}"#).unwrap();
    let result = journal
        .sql("SELECT position, 0.5 AS half, kind, payload, x'0001' AS bytes, NULL AS absent FROM events WHERE seq = 2")
        .unwrap();
    assert_eq!(result.columns, ["position", "half", "kind", "payload", "bytes", "absent"]);
    assert_eq!(
        result.rows,
        vec![vec![
            SqlValue::Integer(2),
            SqlValue::Real(0.5),
            SqlValue::Text("tool_called".into()),
            SqlValue::Json(r#"{"tool_name":"search"}"#.into()),
            SqlValue::Blob(vec![0, 1]),
            SqlValue::Null,
        ]]
    );
    assert!(journal.stats().unwrap().contains(r#""events":2"#));
    let mut calls = 0;
    let mut progress = |done: i64, total: i64| {
        assert!(done <= total);
        calls += 1;
    };
    assert_eq!(journal.rebuild_with_progress(Some(&mut progress)).unwrap(), RebuildReport { events: 2, runs: 1 });
    assert!(calls > 0);
    let report = journal.verify().unwrap();
    assert!(report.ok());
    assert_eq!((report.events_checked, report.runs_checked), (2, 1));
}

#[test]
fn export_import_and_prune_move_whole_runs() {
    let dir = TempDir::new("records");
    let journal = Journal::open(dir.file("j.journal")).unwrap();
    journal.create_run(&run("s", "done")).unwrap();
    journal
        .finish("done", &ExecutionResult::Ok { result_text: Some("ok".into()), outputs: Some(r#"{"n": 1}"#.into()) })
        .unwrap();
    journal.create_run(&run("s2", "live")).unwrap();
    let mut one = Vec::new();
    journal.export(Some("done"), &mut one).unwrap();
    assert_eq!(one.iter().filter(|b| **b == b'\n').count(), 1);
    assert_eq!(journal.export(Some("nope"), &mut Vec::new()).unwrap_err().code(), ErrorCode::NotFound);

    struct Failing;
    impl std::io::Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::new(std::io::ErrorKind::Other, "disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let e = journal.export(None, &mut Failing).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Io);
    assert!(e.message().contains("disk full"));

    let other = Journal::open(dir.file("other.journal")).unwrap();
    let report = other.import_records(&mut one.as_slice()).unwrap();
    assert_eq!((report.runs_imported, report.events_imported), (1, 2));
    assert_eq!(other.run("done").unwrap().unwrap().outputs.as_deref(), Some(r#"{"n":1}"#));
    let bad = other.import_records(&mut &b"{\"run\": 1}\n"[..]).unwrap_err();
    assert!(bad.message().contains("line 1"));

    let pruned = journal
        .prune(&PruneOptions {
            finished_before_ms: i64::MAX,
            archive: Some(dir.file("archive.jsonl")),
            runs_per_transaction: 0,
        })
        .unwrap();
    assert_eq!((pruned.runs, pruned.events), (1, 2));
    assert!(journal.run("done").unwrap().is_none());
    assert!(journal.run("live").unwrap().is_some());
    assert!(std::fs::read_to_string(dir.file("archive.jsonl")).unwrap().contains("\"done\""));
    assert_eq!(parse_cutoff("1d", 86_400_000).unwrap(), 0);
    assert_eq!(parse_cutoff("someday", 0).unwrap_err().code(), ErrorCode::InvalidArgument);
}

#[test]
fn checkpoints_interrupts_and_resumes() {
    let dir = TempDir::new("lifecycle");
    let journal = Journal::open(dir.file("j.journal")).unwrap();
    journal.create_run(&run("s", "r")).unwrap();
    let saved = journal.save_checkpoint("r", "cp-1", r#"{"step": 1}"#).unwrap();
    assert_eq!(saved.kind, "checkpoint_saved");
    let cp = journal.latest_checkpoint("r").unwrap().unwrap();
    assert_eq!((cp.checkpoint_id.as_str(), cp.state.as_str()), ("cp-1", r#"{"step":1}"#));
    assert!(!journal.delete_checkpoint("r", "cp-9").unwrap());
    assert!(journal.delete_checkpoint("r", "cp-1").unwrap());
    assert!(journal.latest_checkpoint("r").unwrap().is_none());
    let interrupted = journal.interrupt_run("r", "host restarting", &Default::default()).unwrap();
    assert_eq!(interrupted.status, RunStatus::Interrupted);
    assert_eq!(interrupted.status_reason.as_deref(), Some("host restarting"));
    // Its driver is this process, which is alive: not cut off.
    assert!(journal.recover(true).unwrap().is_empty());
    let resumed = journal.resume_run("r", "{}", &Default::default()).unwrap();
    assert_eq!(resumed.status, RunStatus::Executing);
    assert!(!journal.cancel_if_live("nope", None).unwrap());
    journal.heartbeat().unwrap();
    assert_eq!(
        journal.finish("r", &ExecutionResult::Error { message: "boom".into() }).unwrap().error.as_deref(),
        Some("boom")
    );
}
